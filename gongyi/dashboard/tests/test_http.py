"""The dashboard over HTTP: the JSON (404 shape, caching headers, ETag/304), the page, the index, the command."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from gongyi.core.money import format_yuan
from gongyi.dashboard.demo import dashboard_demo_lines
from gongyi.dashboard.tests.helpers import give, make_festival

pytestmark = pytest.mark.django_db

API = "/api/v1/dashboard/"


@pytest.fixture
def festival(settings):
    settings.GONGYI_DASHBOARD_TTL_SECONDS = 5
    festival = make_festival()
    give(festival.projects[0], fen=12_345, payer="a", unit=festival.units[0], donor_name="王小明")
    give(festival.projects[1], fen=100_000, payer="b", anonymous=True, donor_name="张大山")
    return festival


def test_the_json_is_the_snapshot_in_integer_fen_with_caching_headers(client, festival):
    response = client.get(API + festival.campaign.slug)

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=5"
    assert response["ETag"].startswith('W/"')
    body = response.json()
    assert body["raised_fen"] == 112_345
    assert body["matched_fen"] == 6_172 + 50_000
    assert body["total_fen"] == body["raised_fen"] + body["matched_fen"] + body["incentive_fen"]
    assert (body["gifts"], body["donors"], body["ttl_seconds"]) == (2, 2, 5)
    assert all(isinstance(body[key], int) for key in ("raised_fen", "matched_fen", "incentive_fen", "total_fen"))
    assert [p["raised_fen"] for p in body["top_projects"]] == [100_000, 12_345]
    assert [g["name"] for g in body["latest_gifts"]] == ["爱心人士", "王**"]
    assert body["pools"][0]["left_fen"] == 10_000_000 - body["matched_fen"]
    assert body["top_units"][0]["total_fen"] == 12_345
    assert body["districts"][0]["name"] == "鄂城区"
    assert body["hours"][-1]["gifts"] == 2
    assert body["hours"][-1]["hour"].endswith("+08:00")
    text = response.content.decode()
    assert "王小明" not in text and "张大山" not in text and "sandbox:" not in text


def test_if_none_match_gets_a_304_without_a_body(client, festival):
    first = client.get(API + festival.campaign.slug)
    etag = first["ETag"]

    again = client.get(API + festival.campaign.slug, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == "public, max-age=5"
    # the strong form of the same tag, and a list with it, match too (weak comparison)
    assert client.get(API + festival.campaign.slug, HTTP_IF_NONE_MATCH=etag[2:]).status_code == 304
    assert client.get(API + festival.campaign.slug, HTTP_IF_NONE_MATCH=f'"x", {etag}').status_code == 304
    assert client.get(API + festival.campaign.slug, HTTP_IF_NONE_MATCH='W/"other"').status_code == 200


def test_unknown_or_unpublished_campaign_is_a_404_naming_the_slug(client, festival):
    response = client.get(API + "no-such-festival")
    assert response.status_code == 404
    body = response.json()
    assert body["errors"] == [{"field": "slug", "message": "活动不存在或未公开"}]
    assert body["message"] == "slug: 活动不存在或未公开"

    festival.campaign.is_public = False
    festival.campaign.save(update_fields=["is_public"])
    assert client.get(API + festival.campaign.slug).status_code == 404
    assert client.get(f"/dashboard/{festival.campaign.slug}/").status_code == 404


def test_the_page_renders_the_first_snapshot_on_the_server(client, festival):
    response = client.get(f"/dashboard/{festival.campaign.slug}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert format_yuan(112_345 + 56_172) in html  # the total
    assert format_yuan(112_345) in html
    assert format_yuan(56_172) in html
    assert 'id="dash-gifts" data-field="gifts" data-format="count">2<' in html
    assert "王**" in html and "爱心人士" in html and "王小明" not in html
    assert "gongyi/vendor/echarts/echarts.min.js" in html
    assert 'id="dashboard-data"' in html
    assert f'data-api="/api/v1/dashboard/{festival.campaign.slug}"' in html
    assert "鄂州慈善项目2" in html  # the project ranking's list, shown without JavaScript
    assert "鄂州测试单位1" in html


def test_the_index_goes_to_the_festival_running_now(client, festival):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == f"/dashboard/{festival.campaign.slug}/"


def test_the_index_lists_public_campaigns_when_none_is_running(client, festival):
    campaign = festival.campaign
    campaign.starts_at = timezone.now() + timedelta(days=10)
    campaign.ends_at = timezone.now() + timedelta(days=12)
    campaign.save()
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert campaign.name in response.content.decode()


def test_the_command_prints_the_snapshot(festival):
    out = StringIO()
    call_command("dashboard_snapshot", festival.campaign.slug, stdout=out)
    data = json.loads(out.getvalue())
    assert data["raised_fen"] == 112_345
    assert data["etag"].startswith('W/"')
    with pytest.raises(CommandError):
        call_command("dashboard_snapshot", "no-such-festival", stdout=StringIO())


def test_the_demo_lines_point_at_the_seed_festival():
    lines = dashboard_demo_lines()
    assert any("/dashboard/hubei-digital-2/" in line for line in lines)
    assert any("/api/v1/dashboard/hubei-digital-2" in line for line in lines)
