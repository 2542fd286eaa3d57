"""The public objection form's rate limits (per address, per notice; page and API share them) and honeypot: a
refusal names the limit (429) or the honeypot (400), and writes nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gongyi.aid import services, throttle
from gongyi.aid.models import AidCase, CaseStatus, Notice, Objection
from gongyi.aid.tests.fixtures import approve_all, ready_case
from gongyi.core.checkdigits import id_check_char

pytestmark = pytest.mark.django_db

TEXT = "申请人家里开了超市，请核实。"
OTHER_ID = "42070319750101006" + id_check_char("42070319750101006")


@pytest.fixture
def notice(network):
    case = approve_all(network, services.submit_case(actor=network.users["village"], case=ready_case(network)))
    return Notice.objects.get(case=case)


def page_post(client, notice, **data):
    return client.post(reverse("aid-objection", args=[notice.pk]), {"text": TEXT, **data})


def api_post(client, notice, **data):
    return client.post(
        f"/api/v1/aid/notices/{notice.pk}/objections", {"text": TEXT, **data}, content_type="application/json"
    )


def test_five_attempts_per_address_in_ten_minutes_page_and_api_together(notice, monkeypatch):
    client = Client(REMOTE_ADDR="198.51.100.7")
    assert page_post(client, notice, text="短").status_code == 400  # a refused attempt counts too
    assert page_post(client, notice).status_code == 201
    assert api_post(client, notice).status_code == 201
    assert page_post(client, notice).status_code == 201
    assert api_post(client, notice).status_code == 201
    assert Objection.objects.count() == 4

    refused = page_post(client, notice)
    assert refused.status_code == 429 and int(refused["Retry-After"]) <= 600
    text = refused.content.decode()
    assert "10 分钟内最多提交 5 次异议" in text and "5/600s/ip" in text
    api = api_post(client, notice)
    assert api.status_code == 429 and 0 < int(api["Retry-After"]) <= 600
    assert api.json() == {
        "message": throttle.OBJECTION_LIMITS[0].message,
        "errors": [{"field": "", "message": throttle.OBJECTION_LIMITS[0].message, "limit": "5/600s/ip"}],
    }
    assert Objection.objects.count() == 4  # nothing written

    # Another address is not held; a forged X-Forwarded-For is not believed (no trusted proxy configured).
    assert page_post(Client(REMOTE_ADDR="198.51.100.8"), notice).status_code == 201
    assert page_post(client, notice, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429

    # Ten minutes later the window has moved on.
    now = throttle.time.time()
    monkeypatch.setattr(throttle.time, "time", lambda: now + 601)
    assert page_post(client, notice).status_code == 201
    assert Objection.objects.count() == 6


def test_fifty_attempts_per_notice_a_day_whoever_sends_them(network, notice):
    for index in range(50):
        client = Client(REMOTE_ADDR=f"198.51.100.{index // 5 + 1}")
        assert api_post(client, notice).status_code == 201, index
    refused = page_post(Client(REMOTE_ADDR="198.51.100.200"), notice)
    assert refused.status_code == 429 and "该公示今天已收到 50 次异议提交" in refused.content.decode()
    assert "50/86400s/notice" in refused.content.decode()
    api = api_post(Client(REMOTE_ADDR="198.51.100.201"), notice)
    assert api.status_code == 429 and api.json()["errors"][0]["limit"] == "50/86400s/notice"
    assert Objection.objects.count() == 50
    # Another notice is not held.
    other_case = approve_all(
        network,
        services.submit_case(
            actor=network.users["village"],
            case=ready_case(network, id_number=OTHER_ID, name="乙六", invoice_numbers=("61", "62")),
        ),
    )
    other = Notice.objects.get(case=other_case)
    assert page_post(Client(REMOTE_ADDR="198.51.100.202"), other).status_code == 201


def test_a_filled_honeypot_is_refused_and_nothing_is_stored(notice):
    public = Client()
    page = public.get(reverse("aid-notices")).content.decode()
    assert 'class="hp" aria-hidden="true"' in page and 'name="website"' in page and 'tabindex="-1"' in page
    bot = page_post(public, notice, website="http://spam.example/")
    assert bot.status_code == 400 and "提交未被接受" in bot.content.decode()
    assert not Objection.objects.exists()
    assert AidCase.objects.get(pk=notice.case_id).status == CaseStatus.NOTICE  # not paused
    assert Notice.objects.get(pk=notice.pk).status == "running"
    person = page_post(public, notice, website="")
    assert person.status_code == 201 and Objection.objects.count() == 1
