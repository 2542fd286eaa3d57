"""Alipay async notifications, RSA2-signed as Alipay signs them: ``success`` only when the gift is recorded."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest

from gongyi.giving.models import Gift
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.payments.models import PaymentNotification
from gongyi.payments.tests import fakes
from gongyi.payments.tests.helpers import everything_counted, make_order

NOTIFY = "/api/v1/payments/alipay/notify"
FORM = "application/x-www-form-urlencoded"
pytestmark = pytest.mark.django_db


def post(client, body: bytes):
    return client.post(NOTIFY, data=body, content_type=FORM)


def params_for(order, **extra):
    values = {"trade_no": "2026052022001400001234567890", "total_amount": "12.30", **extra}
    return fakes.alipay_trade_params(order.out_trade_no, **values)


def test_valid_notification_confirms_once_and_answers_exactly_success(client, alipay):
    order = make_order(gateway="alipay", fen=1230, channel="h5")

    response = post(client, fakes.alipay_notification(params_for(order)))

    assert response.status_code == 200
    assert response.content == b"success"
    gift = Gift.objects.get()
    assert (gift.amount_fen, gift.provider_txn_id, gift.donor_key) == (
        1230,
        "2026052022001400001234567890",
        "alipay:2088102177846880",
    )
    assert gift.paid_at.isoformat() == "2026-05-20T02:00:00+00:00"
    assert find_ledger_problems() == []


def test_resent_notification_gets_success_and_changes_no_money(client, alipay):
    order = make_order(gateway="alipay", fen=1230)
    body = fakes.alipay_notification(params_for(order))
    assert post(client, body).content == b"success"

    response = post(client, body)  # Alipay resends the same notify_id until it reads "success"

    assert response.content == b"success"
    assert Gift.objects.count() == 1
    assert list(PaymentNotification.objects.values_list("outcome", flat=True)) == ["confirmed", "duplicate"]


def test_trade_finished_after_success_is_the_same_payment(client, alipay):
    order = make_order(gateway="alipay", fen=1230)
    assert post(client, fakes.alipay_notification(params_for(order))).content == b"success"

    response = post(client, fakes.alipay_notification(params_for(order, trade_status="TRADE_FINISHED")))

    assert response.content == b"success"
    assert Gift.objects.count() == 1


def test_chinese_subject_and_blank_values_verify(client, alipay):
    order = make_order(gateway="alipay", fen=1230)
    body = fakes.alipay_notification(params_for(order, subject="捐赠-鄂州慈善幸福家园 & 童享阳光", body=""))

    assert post(client, body).content == b"success"


def _tampered(order):
    body = fakes.alipay_notification(params_for(order))
    fields = dict(parse_qsl(body.decode()))
    fields["buyer_id"] = "2088000000000000"
    return urlencode(fields).encode()


def _wrong_key(order):
    return fakes.alipay_notification(params_for(order), key=fakes.keypair("forger"))


def _no_sign(order):
    fields = dict(parse_qsl(fakes.alipay_notification(params_for(order)).decode()))
    del fields["sign"]
    return urlencode(fields).encode()


def _sign_type_rsa(order):
    return fakes.alipay_notification(params_for(order), sign_type="RSA")


def _other_app(order):
    return fakes.alipay_notification(params_for(order, app_id="2021000000009999"))


def _three_decimals(order):
    return fakes.alipay_notification(params_for(order, total_amount="12.300"))


def _exponent(order):
    return fakes.alipay_notification(params_for(order, total_amount="1.23E1"))


def _wrong_amount(order):
    return fakes.alipay_notification(params_for(order, total_amount="12.31"))


def _unknown_order(order):
    return fakes.alipay_notification(
        fakes.alipay_trade_params("GY2026052010000099999999", trade_no="2026052022001400009999", total_amount="12.30")
    )


def _waiting(order):
    return fakes.alipay_notification(params_for(order, trade_status="WAIT_BUYER_PAY"))


def _duplicate_key(order):
    return fakes.alipay_notification(params_for(order)) + b"&total_amount=0.01"


def _not_utf8(order):
    return b"out_trade_no=%FF%FE&sign=x"


@pytest.mark.parametrize(
    ("build", "status"),
    [
        (_tampered, 401),
        (_wrong_key, 401),
        (_no_sign, 401),
        (_sign_type_rsa, 401),
        (_other_app, 409),
        (_three_decimals, 400),
        (_exponent, 400),
        (_wrong_amount, 409),
        (_unknown_order, 404),
        (_waiting, 400),
        (_duplicate_key, 400),
        (_not_utf8, 400),
    ],
)
def test_bad_notifications_are_refused_and_write_nothing(client, alipay, build, status):
    order = make_order(gateway="alipay", fen=1230)
    body = build(order)
    before = everything_counted()

    response = post(client, body)

    assert response.status_code == status, response.content
    assert response.content == b"fail"
    assert everything_counted() == before
    order.refresh_from_db()
    assert order.status == "pending"


def test_trade_closed_unpaid_closes_the_order(client, alipay):
    order = make_order(gateway="alipay", fen=1230)

    response = post(client, fakes.alipay_notification(params_for(order, trade_status="TRADE_CLOSED")))

    assert response.content == b"success"
    order.refresh_from_db()
    assert order.status == "closed"
    assert Gift.objects.count() == 0
    # A payment that still proves real later is confirmed: the donor's money is real.
    assert post(client, fakes.alipay_notification(params_for(order))).content == b"success"
    order.refresh_from_db()
    assert order.status == "paid"
