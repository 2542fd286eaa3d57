"""The 500s the whole-surface sweeps (test_api_fuzz.py, test_pages_no_500.py) found, one plain test each, so a
regression names itself without a fuzz run: each bad input now gets an error naming the field and writes nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from gongyi.core.paging import MAX_OFFSET
from gongyi.testing import make_campaign, make_project

pytestmark = pytest.mark.django_db

HUGE = "9" * 40


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser("fuzz-admin", "a@example.invalid", None)


@pytest.fixture
def staff_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


@pytest.mark.parametrize("path", ["/api/v1/stories", "/api/v1/oversight/staff/complaints"])
@pytest.mark.parametrize("offset", [MAX_OFFSET + 1, int(HUGE), -1])
def test_an_offset_past_any_list_is_refused_naming_it(staff_client, path, offset):
    response = staff_client.get(path, {"offset": offset})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["offset"]


def test_the_audit_trail_refuses_a_huge_offset(staff_client):
    response = staff_client.get("/api/v1/oversight/regulator/trail", {"offset": HUGE})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "offset"


def test_a_story_page_past_the_end_is_empty():
    response = Client().get("/stories/", {"page": HUGE})
    assert response.status_code == 200


def test_a_daily_report_before_the_campaign_started_is_refused_naming_the_day(staff_client):
    from gongyi.reports.models import DailyReport

    project = make_project()
    make_campaign(project.organisation, slug="early", starts_at=timezone.now() - timedelta(days=1))
    for day in ("0001-01-01", "2000-01-01"):
        response = staff_client.post(
            "/api/v1/reports/daily", json.dumps({"campaign": "early", "day": day}), "application/json"
        )
        assert response.status_code == 422, response.content
        assert response.json()["errors"][0]["field"] == "day"
    assert not DailyReport.objects.exists()


def test_a_disclosure_item_id_past_64_bits_is_a_form_error(staff_client):
    project = make_project()
    response = staff_client.post(
        f"/oversight/projects/{project.pk}/reports/new/",
        {"title": "年度报告", "body": "内容", "items": [HUGE]},
    )
    assert response.status_code == 400
    assert "items" in response.context["form"].errors


def test_the_unit_review_goes_back_only_to_a_page_of_this_site(staff_client):
    from gongyi.drives.models import Unit
    from gongyi.drives.tests.helpers import load_regions, make_unit

    load_regions()
    unit = make_unit("鄂州市测试单位")
    Unit.objects.filter(pk=unit.pk).update(status="pending")
    for bad in ("x'", "https://elsewhere.example/", "//elsewhere.example/"):
        response = staff_client.post(f"/drives/staff/units/{unit.pk}/review/", {"decision": "reject", "next": bad})
        assert response.status_code == 302
        assert response["Location"] == f"/drives/staff/units/{unit.pk}/"
    response = staff_client.post(
        f"/drives/staff/units/{unit.pk}/review/", {"decision": "reject", "note": "x", "next": "/drives/staff/"}
    )
    assert response["Location"] == "/drives/staff/"


def test_a_nul_in_a_url_or_query_is_not_found_not_a_crash():
    client = Client()
    for path in ("/certificates/%00/", "/orders/%00/", "/api/v1/orders/%00", "/inkind/gifts/%00/"):
        assert client.get(path).status_code == 404, path
    assert client.get("/projects/", {"domain": "\x00", "campaign": "\x00"}).status_code < 500


def test_a_nul_in_a_posted_reason_is_refused_naming_the_field(superuser):
    from gongyi.drives.services import DriveInputError, review_unit
    from gongyi.drives.tests.helpers import load_regions, make_unit
    from gongyi.stories.models import Story
    from gongyi.stories.services import StoryInputError, withdraw_story

    load_regions()
    unit = make_unit("鄂州市测试单位")
    with pytest.raises(DriveInputError) as refused:
        review_unit(unit=unit, approve=False, note="不\x00合格", actor=superuser)
    assert refused.value.field == "note"
    story = Story(pk=1)
    with pytest.raises(StoryInputError) as refused:
        withdraw_story(story=story, reason="撤\x00回", actor=superuser)
    assert refused.value.field == "reason"


def test_report_day_today_still_works_for_a_running_campaign(staff_client):
    project = make_project()
    make_campaign(project.organisation, slug="running", starts_at=timezone.now() - timedelta(days=2))
    today = timezone.localdate().isoformat()
    response = staff_client.post(
        "/api/v1/reports/daily", json.dumps({"campaign": "running", "day": today}), "application/json"
    )
    assert response.status_code == 201, response.content
    assert date.fromisoformat(response.json()["day"]) == timezone.localdate()
