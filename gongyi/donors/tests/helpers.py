"""Builders for donor-account tests: gifts through the real money path, a recording SMS sender, sign-in."""

from __future__ import annotations

import itertools
import re
import time

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from gongyi.donors.services import record_order_contact
from gongyi.donors.sms.interface import SmsResult
from gongyi.giving.models import Gift
from gongyi.giving.services import confirm_payment
from gongyi.payments.interface import VerifiedPayment
from gongyi.payments.models import Order
from gongyi.payments.services import new_out_trade_no

_sequence = itertools.count(1)


def make_gift(
    project,
    *,
    fen: int = 5_000,
    gateway: str = "sandbox",
    payer: str = "payer-x",
    phone: str = "",
    user=None,
    donor_name: str = "王小明",
    anonymous: bool = False,
    message: str = "",
    paid_at=None,
) -> Gift:
    """An order as the give page makes it (with the optional phone / signed-in account), then confirmed."""
    n = next(_sequence)
    with transaction.atomic():
        order = Order.objects.create(
            out_trade_no=new_out_trade_no(),
            project=project,
            amount_fen=fen,
            gateway=gateway,
            donor_name=donor_name,
            anonymous=anonymous,
            message=message,
        )
        record_order_contact(order=order, phone=phone, user=user)
    return confirm_payment(
        gateway=gateway,
        payment=VerifiedPayment(
            out_trade_no=order.out_trade_no,
            provider_txn_id=f"4200001{n:05d}2026052{n:07d}",
            amount_fen=fen,
            payer=payer,
            paid_at=paid_at or timezone.now(),
        ),
        raw_body="(test)",
    ).gift


class RecordingSmsSender:
    """An SmsSender that keeps what it would send, for tests."""

    name = "recording"
    outbox: list[tuple[str, str, dict]] = []  # (phone, template, params)

    def send_code(self, *, phone: str, code: str) -> SmsResult:
        self.outbox.append((phone, "code", {"code": code}))
        return SmsResult(ok=True, provider_message_id=f"rec-{len(self.outbox)}")

    def send_notice(self, *, phone: str, template: str, params: dict[str, str]) -> SmsResult:
        self.outbox.append((phone, template, dict(params)))
        return SmsResult(ok=True, provider_message_id=f"rec-{len(self.outbox)}")

    @classmethod
    def last_code(cls, phone: str) -> str:
        for sent_phone, template, params in reversed(cls.outbox):
            if sent_phone == phone and template == "code":
                return params["code"]
        raise AssertionError(f"no code sent to {phone}")


CODE_IN_TEXT = re.compile(r"验证码是 (\d{6})")


def sign_in_with_phone(client, phone: str, *, next_url: str = "/me/"):
    """Ask for a code and enter it, as a donor does; returns the final response."""
    client.post("/me/auth/login/code/", {"phone": phone, "next": next_url})
    from gongyi.donors.phones import normalize_mobile

    code = RecordingSmsSender.last_code(normalize_mobile(phone))
    return client.post("/me/auth/login/code/confirm/", {"code": code, "next": next_url})


def office_login(client, user) -> None:
    """Sign a back-office user in as if they had used password and TOTP in this session."""
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.account.internal.userkit import user_id_to_str

    client.force_login(user)
    session = client.session
    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now},
        {"method": "mfa", "at": now, "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session.save()


def make_user(username: str, *, totp: bool = False, password: str = "a-Long-demo-pass-1"):  # noqa: S107
    user = get_user_model().objects.create_user(username=username, password=password)
    if totp:
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        TOTP.activate(user, generate_totp_secret())
    return user
