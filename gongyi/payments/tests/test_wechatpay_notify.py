"""WeChat Pay notifications, signed exactly as WeChat signs them: valid ones confirm once, the rest write nothing."""

from __future__ import annotations

import json
import time

import pytest

from gongyi.giving.models import Gift
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.payments.models import NotificationNonce, PaymentNotification
from gongyi.payments.tests import fakes
from gongyi.payments.tests.helpers import everything_counted, make_order
from gongyi.testing import make_project

NOTIFY = "/api/v1/payments/wechatpay/notify"
pytestmark = pytest.mark.django_db


def post(client, body: bytes, headers: dict):
    return client.post(NOTIFY, data=body, content_type="application/json", headers=headers)


def paid_resource(order, **overrides):
    values = {"transaction_id": "4200001234202605201234567890", "total": order.amount_fen, **overrides}
    return fakes.wechat_transaction(order.out_trade_no, **values)


def test_valid_notification_confirms_once_and_answers_in_wechat_format(client, wechatpay):
    order = make_order(gateway="wechatpay", fen=2500)
    body, headers = fakes.wechat_notification(paid_resource(order))

    response = post(client, body, headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "SUCCESS", "message": "成功"}
    gift = Gift.objects.get()
    assert (gift.amount_fen, gift.gateway, gift.provider_txn_id) == (2500, "wechatpay", "4200001234202605201234567890")
    assert gift.donor_key == "wechatpay:oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    assert gift.paid_at.isoformat() == "2026-05-20T02:00:00+00:00"  # 10:00 Beijing, stored in UTC
    order.refresh_from_db()
    assert order.status == "paid"
    assert NotificationNonce.objects.get().nonce == headers["Wechatpay-Nonce"]
    assert PaymentNotification.objects.get().outcome == "confirmed"
    assert find_ledger_problems() == []
    assert wechatpay.server.state.requests == []  # verifying made no outbound call


def test_redelivery_with_new_headers_gets_success_and_changes_no_money(client, wechatpay):
    order = make_order(gateway="wechatpay")
    resource = paid_resource(order)
    body, headers = fakes.wechat_notification(resource)
    assert post(client, body, headers).status_code == 200
    # WeChat retries resend the notification with a fresh timestamp, nonce and signature.
    again_headers = fakes.sign_wechat(body)

    response = post(client, body, again_headers)

    assert response.status_code == 200
    assert response.json()["code"] == "SUCCESS"
    assert Gift.objects.count() == 1
    assert list(PaymentNotification.objects.values_list("outcome", flat=True)) == ["confirmed", "duplicate"]


def test_exact_replay_within_the_window_is_refused_and_writes_nothing(client, wechatpay):
    order = make_order(gateway="wechatpay")
    body, headers = fakes.wechat_notification(paid_resource(order))
    assert post(client, body, headers).status_code == 200
    before = everything_counted()

    response = post(client, body, headers)

    assert response.status_code == 401
    assert response.json()["code"] == "FAIL"
    assert "NONCE_REPLAYED" in response.json()["message"]
    assert everything_counted() == before


def _tampered(order):
    body, headers = fakes.wechat_notification(paid_resource(order))
    return body.replace(b'"TRANSACTION.SUCCESS"', b'"TRANSACTION.SUCCESs"'), headers


def _wrong_serial(order):
    return fakes.wechat_notification(paid_resource(order), serial="PUB_KEY_ID_SOMEBODY_ELSE")


def _stale(order):
    return fakes.wechat_notification(paid_resource(order), timestamp=int(time.time()) - 301)


def _future(order):
    return fakes.wechat_notification(paid_resource(order), timestamp=int(time.time()) + 301)


def _wrong_key(order):
    return fakes.wechat_notification(paid_resource(order), platform=fakes.keypair("forger"))


def _undecryptable(order):
    return fakes.wechat_notification(paid_resource(order), apiv3_key="z" * 32)


def _wrong_amount(order):
    return fakes.wechat_notification(paid_resource(order, total=order.amount_fen + 1))


def _unknown_order(order):
    resource = fakes.wechat_transaction(
        "GY20260520100000" + "99999999", transaction_id="4200009999", total=order.amount_fen
    )
    return fakes.wechat_notification(resource)


def _other_merchant(order):
    return fakes.wechat_notification(paid_resource(order, mchid="1900000999"))


def _not_paid(order):
    return fakes.wechat_notification(paid_resource(order, trade_state="NOTPAY"))


def _no_signature_type(order):
    body, headers = fakes.wechat_notification(paid_resource(order))
    del headers["Wechatpay-Signature-Type"]
    return body, headers


def _signed_but_plain_resource(order):
    envelope = {"id": "x", "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "resource": {}}
    body = json.dumps(envelope).encode()
    return body, fakes.sign_wechat(body)


@pytest.mark.parametrize(
    ("build", "status", "code"),
    [
        (_tampered, 401, "SIGNATURE_INVALID"),
        (_wrong_serial, 401, "SERIAL_UNKNOWN"),
        (_stale, 401, "TIMESTAMP_STALE"),
        (_future, 401, "TIMESTAMP_STALE"),
        (_wrong_key, 401, "SIGNATURE_INVALID"),
        (_undecryptable, 400, "RESOURCE_UNDECRYPTABLE"),
        (_wrong_amount, 409, "AMOUNT_MISMATCH"),
        (_unknown_order, 404, "ORDER_NOT_FOUND"),
        (_other_merchant, 409, "MERCHANT_MISMATCH"),
        (_not_paid, 400, "INVALID_FIELD"),
        (_no_signature_type, 401, "SIGNATURE_TYPE_INVALID"),
        (_signed_but_plain_resource, 400, "INVALID_FIELD"),
    ],
)
def test_bad_notifications_are_refused_and_write_nothing(client, wechatpay, build, status, code):
    order = make_order(gateway="wechatpay")
    body, headers = build(order)
    before = everything_counted()

    response = post(client, body, headers)

    assert response.status_code == status, response.content
    assert response.json()["code"] == "FAIL"
    assert response.json()["message"].startswith(code)
    assert everything_counted() == before
    order.refresh_from_db()
    assert order.status == "pending"
    assert wechatpay.server.state.requests == []  # not even a certificate download for a forged serial


def test_a_wechat_notification_for_a_sandbox_order_is_refused(client, wechatpay):
    order = make_order(gateway="sandbox")
    body, headers = fakes.wechat_notification(paid_resource(order))
    before = everything_counted()

    response = post(client, body, headers)

    assert response.status_code == 409
    assert "GATEWAY_MISMATCH" in response.json()["message"]
    assert everything_counted() == before


def test_notify_endpoint_is_404_when_wechatpay_is_not_configured(client):
    order = make_order(gateway="wechatpay", project=make_project())
    body, headers = fakes.wechat_notification(paid_resource(order))

    response = post(client, body, headers)

    assert response.status_code == 404
    assert Gift.objects.count() == 0
