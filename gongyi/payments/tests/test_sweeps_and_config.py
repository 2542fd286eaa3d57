"""Stuck orders are asked about and confirmed or closed; gateways are enabled exactly by their configuration."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from gongyi.giving.models import Gift
from gongyi.payments.config import ALIPAY_REQUIRED, WECHATPAY_REQUIRED
from gongyi.payments.gateways import enabled_gateways, get_gateway, statuses
from gongyi.payments.interface import GatewayError, ReplayGuard
from gongyi.payments.models import NotificationNonce
from gongyi.payments.parsing import fen_to_yuan_text, yuan_text_to_fen
from gongyi.payments.services import prune_nonces
from gongyi.payments.sweeps import resolve_stuck_orders
from gongyi.payments.tests import fakes
from gongyi.payments.tests.helpers import make_order

NOTIFY = "/api/v1/payments/wechatpay/notify"


@pytest.mark.django_db
def test_stuck_wechat_order_paid_is_confirmed_by_query_and_the_late_notification_is_harmless(client, wechatpay):
    order = make_order(gateway="wechatpay", fen=1500, age_minutes=5)
    resource = fakes.wechat_transaction(order.out_trade_no, transaction_id="4200001500", total=1500)
    wechatpay.server.state.wechat[order.out_trade_no] = resource

    report = resolve_stuck_orders(older_than=timedelta(minutes=3))

    assert (report.confirmed, report.errors) == (1, 0)
    assert Gift.objects.get().provider_txn_id == "4200001500"
    body, headers = fakes.wechat_notification(resource)
    response = client.post(NOTIFY, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 200 and response.json()["code"] == "SUCCESS"
    assert Gift.objects.count() == 1


@pytest.mark.django_db
def test_stuck_orders_past_their_time_are_closed_here_and_at_the_provider(wechatpay, alipay, settings):
    young = make_order(gateway="wechatpay", age_minutes=5)
    old = make_order(gateway="wechatpay", age_minutes=settings.GONGYI["ORDER_TTL_MINUTES"] + 1)
    alipay_old = make_order(gateway="alipay", age_minutes=settings.GONGYI["ORDER_TTL_MINUTES"] + 1)

    report = resolve_stuck_orders(older_than=timedelta(minutes=3))

    assert (report.closed, report.still_pending, report.errors) == (2, 1, 0)
    for order, status in ((young, "pending"), (old, "closed"), (alipay_old, "closed")):
        order.refresh_from_db()
        assert order.status == status
    assert wechatpay.server.state.wechat_closed == [old.out_trade_no]
    assert wechatpay.server.state.alipay_closed == [alipay_old.out_trade_no]


@pytest.mark.django_db
def test_alipay_order_paid_while_stuck_is_confirmed(alipay):
    order = make_order(gateway="alipay", fen=1230, age_minutes=5)
    alipay.server.state.alipay[order.out_trade_no] = {
        "trade_no": "2026052022001400000077",
        "out_trade_no": order.out_trade_no,
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "12.30",
        "buyer_user_id": "2088",
        "send_pay_date": "2026-05-20 10:00:00",
    }

    assert resolve_stuck_orders(older_than=timedelta(minutes=3)).confirmed == 1
    assert Gift.objects.get().amount_fen == 1230


@pytest.mark.django_db
def test_sweep_command_reports(wechatpay):
    out = StringIO()
    call_command("sweep_payments", stdout=out)
    assert "orders: 0 confirmed" in out.getvalue()


@pytest.mark.django_db
def test_old_nonces_are_forgotten():
    now = timezone.now()
    for minutes, nonce in ((20, "old"), (1, "new")):
        guard = ReplayGuard(serial="S", nonce=nonce, signed_at=now - timedelta(minutes=minutes))
        NotificationNonce.objects.create(
            gateway="wechatpay", serial=guard.serial, nonce=guard.nonce, signed_at=guard.signed_at
        )

    assert prune_nonces() == 1
    assert list(NotificationNonce.objects.values_list("nonce", flat=True)) == ["new"]


@pytest.mark.parametrize("absent", WECHATPAY_REQUIRED)
def test_wechatpay_is_enabled_only_with_every_variable(wechatpay, monkeypatch, absent):
    assert "wechatpay" in enabled_gateways()
    monkeypatch.delenv(absent)  # read at call time, not at import
    assert "wechatpay" not in enabled_gateways()
    status = next(s for s in statuses() if s.name == "wechatpay")
    assert (status.enabled, status.missing) == (False, [absent])


@pytest.mark.parametrize("absent", ALIPAY_REQUIRED)
def test_alipay_is_enabled_only_with_every_variable(alipay, monkeypatch, absent):
    assert "alipay" in enabled_gateways()
    monkeypatch.setenv(absent, "  ")
    assert "alipay" not in enabled_gateways()


def test_default_hosts_are_the_providers_production_ones(wechatpay, alipay, monkeypatch):
    monkeypatch.delenv("GONGYI_WECHATPAY_API_BASE")
    monkeypatch.delenv("GONGYI_ALIPAY_GATEWAY")
    endpoints = {s.name: s.endpoint for s in statuses()}
    assert endpoints["wechatpay"] == "https://api.mch.weixin.qq.com"
    assert endpoints["alipay"] == "https://openapi.alipay.com/gateway.do"


def test_an_unreadable_key_is_a_gateway_error_and_a_status_problem(wechatpay, monkeypatch):
    monkeypatch.setenv("GONGYI_WECHATPAY_PRIVATE_KEY", "/nonexistent/apiclient_key.pem")
    with pytest.raises(GatewayError, match="GONGYI_WECHATPAY_PRIVATE_KEY"):
        get_gateway("wechatpay")
    status = next(s for s in statuses() if s.name == "wechatpay")
    assert status.enabled and status.problems


def test_a_short_apiv3_key_is_refused(wechatpay, monkeypatch):
    monkeypatch.setenv("GONGYI_WECHATPAY_APIV3_KEY", "short")
    with pytest.raises(GatewayError, match="32"):
        get_gateway("wechatpay")


def test_pem_text_is_accepted_in_place_of_a_path(alipay, monkeypatch):
    monkeypatch.setenv("GONGYI_ALIPAY_PRIVATE_KEY", fakes.keypair("alipay-app").private_pem)
    assert get_gateway("alipay").name == "alipay"


@pytest.mark.django_db
def test_notify_answers_503_when_the_configured_keys_cannot_be_read(client, wechatpay, monkeypatch):
    monkeypatch.setenv("GONGYI_WECHATPAY_PUBLIC_KEY", "/nonexistent/pub_key.pem")
    response = client.post(NOTIFY, data=b"{}", content_type="application/json")
    assert response.status_code == 503


@pytest.mark.parametrize(
    ("text", "fen"),
    [("0.01", 1), ("12.3", 1230), ("12.30", 1230), ("100000000", 10000000000), ("-4.00", -400)],
)
def test_yuan_text_converts_exactly(text, fen):
    assert yuan_text_to_fen(text) == fen


@pytest.mark.parametrize("text", ["12.301", "1e2", "", " ", "12,30", "0x10", "NaN", "12.", ".5", "+1.00", "01.00"])
def test_yuan_text_refuses_anything_but_two_decimals(text):
    with pytest.raises(ValueError):
        yuan_text_to_fen(text)


def test_fen_to_yuan_text():
    assert [fen_to_yuan_text(f) for f in (0, 1, 1230, 100000)] == ["0.00", "0.01", "12.30", "1000.00"]
