"""Signing in by phone and SMS code (allauth's login by code): new donors, expiry, single use, lock-out after
five wrong tries, rate limits, and the console sender the demo relies on."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from gongyi.donors.models import DonorProfile
from gongyi.donors.tests.helpers import RecordingSmsSender, make_gift, sign_in_with_phone
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db

PHONE = "+8613800138000"
REQUEST = "/me/auth/login/code/"
CONFIRM = "/me/auth/login/code/confirm/"


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_a_new_phone_gets_an_account_and_signs_in_with_its_code(client, sms_outbox):
    response = client.post(REQUEST, {"phone": "138 0013 8000", "next": "/me/"})
    assert response.status_code == 302 and response["Location"].startswith(CONFIRM)
    profile = DonorProfile.objects.get(phone=PHONE)
    assert profile.phone_verified is False and not profile.user.has_usable_password()
    code = RecordingSmsSender.last_code(PHONE)
    assert len(code) == 6 and code.isdigit()

    response = client.post(CONFIRM, {"code": code, "next": "/me/"})

    assert response.status_code == 302 and response["Location"] == "/me/"
    assert signed_in_user_id(client) == str(profile.user_id)
    profile.refresh_from_db()
    assert profile.phone_verified is True and profile.phone_verified_at is not None


def test_the_donor_sees_the_gifts_left_with_that_phone(client, sms_outbox):
    project = make_project()
    mine = make_gift(project, phone="13800138000", fen=8_800)
    other = make_gift(project, phone="13900139000", fen=1_200)
    sign_in_with_phone(client, "13800138000")
    page = client.get("/me/").content.decode()
    assert mine.certificate_no in page and "¥88.00" in page
    assert other.certificate_no not in page


def test_a_known_phone_signs_into_the_same_account(client, sms_outbox):
    sign_in_with_phone(client, "13800138000")
    first = signed_in_user_id(client)
    client.logout()
    cache.clear()  # past the one-code-per-50-seconds limit
    sign_in_with_phone(client, "+86 138-0013-8000")
    assert signed_in_user_id(client) == first
    assert get_user_model().objects.filter(donor_profile__phone=PHONE).count() == 1


def test_a_code_expires_after_five_minutes(client, sms_outbox, monkeypatch):
    from allauth.account.internal.flows import code_verification

    client.post(REQUEST, {"phone": "13800138000"})
    code = RecordingSmsSender.last_code(PHONE)
    later = time.time() + 5 * 60 + 1
    monkeypatch.setattr(code_verification, "time", SimpleNamespace(time=lambda: later))

    response = client.post(CONFIRM, {"code": code})

    assert response.status_code == 302 and response["Location"].startswith(REQUEST)
    assert signed_in_user_id(client) is None


def test_a_code_works_once(client, sms_outbox):
    client.post(REQUEST, {"phone": "13800138000"})
    code = RecordingSmsSender.last_code(PHONE)
    assert client.post(CONFIRM, {"code": code}).status_code == 302
    assert signed_in_user_id(client) is not None
    client.logout()

    again = client.post(CONFIRM, {"code": code})

    assert again.status_code == 302 and again["Location"].startswith(REQUEST)
    assert signed_in_user_id(client) is None


def test_five_wrong_codes_lock_the_code_out_so_the_sixth_try_fails_even_when_right(client, sms_outbox):
    client.post(REQUEST, {"phone": "13800138000"})
    code = RecordingSmsSender.last_code(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for attempt in range(1, 5):
        response = client.post(CONFIRM, {"code": wrong})
        assert response.status_code == 200, attempt  # the form again, with an error
        assert "code-error" in response.content.decode()
    fifth = client.post(CONFIRM, {"code": wrong})
    assert fifth.status_code == 302 and fifth["Location"].startswith(REQUEST)

    sixth = client.post(CONFIRM, {"code": code})

    assert sixth.status_code == 302 and sixth["Location"].startswith(REQUEST)
    assert signed_in_user_id(client) is None


def test_asking_again_for_the_same_phone_within_fifty_seconds_is_refused(client, sms_outbox):
    assert client.post(REQUEST, {"phone": "13800138000"}).status_code == 302
    client.logout()
    again = client.post(REQUEST, {"phone": "13800138000"})
    assert again.status_code == 200 and "phone-error" in again.content.decode()
    assert len([m for m in sms_outbox if m[1] == "code"]) == 1


def test_only_mainland_mobiles_are_accepted(client, sms_outbox):
    response = client.post(REQUEST, {"phone": "12345"})
    assert response.status_code == 200 and "请输入正确的中国大陆手机号" in response.content.decode()
    assert not sms_outbox and not DonorProfile.objects.exists()


def test_the_console_sender_prints_the_code_on_the_server_console(client, settings, capsys):
    settings.GONGYI_DONORS = {**settings.GONGYI_DONORS, "SMS_BACKEND": "console"}
    client.post(REQUEST, {"phone": "13800138000"})
    printed = capsys.readouterr().err
    assert "13800138000" in printed and "验证码是" in printed
    code = printed.split("验证码是 ")[1][:6]
    assert client.post(CONFIRM, {"code": code}).status_code == 302
    assert signed_in_user_id(client) is not None


def test_the_console_sender_is_refused_in_production(settings):
    from django.core.exceptions import ImproperlyConfigured

    from gongyi.donors.sms import get_sms_sender

    settings.CONFIG = SimpleNamespace(production=True)
    settings.GONGYI_DONORS = {**settings.GONGYI_DONORS, "SMS_BACKEND": "console"}
    with pytest.raises(ImproperlyConfigured):
        get_sms_sender()


def test_dormant_accounts_that_never_entered_a_code_are_pruned(client, sms_outbox):
    from datetime import timedelta

    from gongyi.donors.services import prune_dormant_accounts

    client.post(REQUEST, {"phone": "13700137000"})  # never enters the code
    sign_in_with_phone(Client(), "13800138000")
    assert prune_dormant_accounts(older_than=timedelta(days=2)) == 0  # too young
    assert prune_dormant_accounts(older_than=timedelta(seconds=-1)) == 1
    assert not DonorProfile.objects.filter(phone="+8613700137000").exists()
    assert DonorProfile.objects.filter(phone=PHONE, phone_verified=True).exists()


def test_signing_in_is_never_needed_to_give(client):
    project = make_project()
    page = client.get(f"/projects/{project.pk}/give/")
    assert page.status_code == 200 and "留下手机号，方便日后查看捐赠" in page.content.decode()
