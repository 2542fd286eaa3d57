"""The demo: a donor signs in with the demo phone (code on the console) and sees the gifts made with it; the
back-office users sign in with their password and TOTP secret; loading twice adds nothing."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client

from gongyi.donors.demo import DEMO_PHONE, load_donors_demo
from gongyi.donors.models import OrderContact
from gongyi.ledger.selectors import find_ledger_problems

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    from gongyi.demo.services import load_demo

    settings.GONGYI = {**settings.GONGYI, "DATA_DIR": tmp_path}
    load_demo(with_gifts=False)
    return load_donors_demo()


def test_the_demo_donor_signs_in_with_the_demo_phone_and_sees_its_gifts(client, demo, settings, capsys):
    assert demo.donor_gifts_added == 3
    settings.GONGYI_DONORS = {**settings.GONGYI_DONORS, "SMS_BACKEND": "console"}
    client.post("/me/auth/login/code/", {"phone": DEMO_PHONE})
    code = capsys.readouterr().err.split("验证码是 ")[1][:6]
    client.post("/me/auth/login/code/confirm/", {"code": code})
    page = client.get("/me/").content.decode()
    assert "我的捐赠（3 笔）" in page
    for contact in OrderContact.objects.filter(phone="+86" + DEMO_PHONE):
        assert contact.order.gift.certificate_no in page

    claimed = client.post(
        "/me/claim/", {"out_trade_no": demo.claimable_out_trade_no, "last_digits": demo.claimable_last_digits}
    )
    assert claimed.status_code == 302
    assert find_ledger_problems() == []


def test_loading_twice_adds_nothing_and_keeps_the_sign_in_details(demo):
    again = load_donors_demo()
    assert again.donor_gifts_added == 0
    assert (again.office_password, again.office_totp_secret) == (demo.office_password, demo.office_totp_secret)
    assert OrderContact.objects.filter(phone="+86" + DEMO_PHONE).count() == 3
    assert len(demo.lines()) == 4 and DEMO_PHONE in demo.lines()[0]
    from gongyi.spending.models import Expenditure

    assert Expenditure.objects.filter(recorded_by__username=demo.office_username).count() == 1


def test_the_demo_office_user_signs_in_with_password_and_totp(demo):
    client = Client()
    client.post("/me/auth/login/", {"login": demo.office_username, "password": demo.office_password})
    code = format_hotp_value(hotp_value(demo.office_totp_secret, int(time.time()) // 30))
    done = client.post("/me/auth/2fa/authenticate/", {"code": code})
    assert done.status_code == 302
    page = client.get("/office/").content.decode()
    assert "鄂州市慈善总会" in page
    # The organisation's own spending record waits for the federation's finance approvals, with its voucher.
    from gongyi.spending.models import Expenditure

    pending = Expenditure.objects.get(recorded_by__username=demo.office_username)
    assert (pending.status, pending.vouchers.count()) == ("pending", 1)
    detail = client.get(f"/office/expenditures/{pending.pk}/").content.decode()
    assert "爱心文具批发部" in detail and "0/2" in detail
