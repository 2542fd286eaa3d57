"""The gateways' outbound calls — create, query, close, refund, bill download — against the local fake
provider, which checks our request signatures and signs its answers as WeChat Pay and Alipay do."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qsl, urlsplit

import pytest

from gongyi.payments.gateways import get_gateway
from gongyi.payments.interface import GatewayError, RefundState
from gongyi.payments.models import Order
from gongyi.payments.tests import fakes
from gongyi.payments.tests.helpers import make_order
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db


# --- WeChat Pay ---------------------------------------------------------------------------------


def test_native_order_through_the_orders_api_gives_a_qr_code(client, wechatpay):
    project = make_project()
    payload = {"project": project.pk, "fen": 888, "gateway": "wechatpay", "channel": "native", "donor": "李四"}

    response = client.post("/api/v1/orders", data=json.dumps(payload), content_type="application/json")

    assert response.status_code == 201, response.content
    pay = response.json()["pay"]
    assert pay["kind"] == "qr"
    assert pay["url"].startswith("weixin://wxpay/bizpayurl?pr=")
    order = Order.objects.get()
    sent = wechatpay.server.state.wechat_created[order.out_trade_no]
    assert sent["amount"] == {"total": 888, "currency": "CNY"}
    assert (sent["mchid"], sent["appid"]) == (fakes.WECHAT_MCHID, fakes.WECHAT_APPID)
    assert sent["notify_url"].endswith("/api/v1/payments/wechatpay/notify")
    assert sent["time_expire"].endswith("+08:00")
    assert wechatpay.server.state.rejected_signatures == 0


def test_jsapi_needs_the_openid_and_returns_signed_parameters(wechatpay):
    order = make_order(gateway="wechatpay", channel="jsapi")
    gateway = get_gateway("wechatpay")
    with pytest.raises(GatewayError, match="openid"):
        gateway.create_payment(order=order, channel="jsapi", return_url="", notify_url="https://x/notify")

    start = gateway.create_payment(
        order=order, channel="jsapi", return_url="", notify_url="https://x/notify", payer_id="oUpF8uMuAJO"
    )

    assert start.kind == "jsapi"
    data = start.data
    assert data["package"].startswith("prepay_id=wx") and data["signType"] == "RSA"
    message = f"{data['appId']}\n{data['timeStamp']}\n{data['nonceStr']}\n{data['package']}\n".encode()
    assert fakes.keypair("wechat-merchant").verify(message, data["paySign"])
    assert wechatpay.server.state.wechat_created[order.out_trade_no]["payer"] == {"openid": "oUpF8uMuAJO"}


def test_h5_needs_the_client_ip_and_redirects_back(wechatpay):
    order = make_order(gateway="wechatpay", channel="h5")
    gateway = get_gateway("wechatpay")
    with pytest.raises(GatewayError, match="IP"):
        gateway.create_payment(order=order, channel="h5", return_url="https://g/thanks", notify_url="https://x/n")

    start = gateway.create_payment(
        order=order, channel="h5", return_url="https://g/thanks?a=1", notify_url="https://x/n", client_ip="1.2.3.4"
    )

    assert start.kind == "redirect"
    assert "redirect_url=https%3A%2F%2Fg%2Fthanks%3Fa%3D1" in start.url
    sent = wechatpay.server.state.wechat_created[order.out_trade_no]
    assert sent["scene_info"] == {"payer_client_ip": "1.2.3.4", "h5_info": {"type": "Wap"}}


def test_wechat_query_maps_trade_states(wechatpay):
    gateway = get_gateway("wechatpay")
    never = make_order(gateway="wechatpay")
    assert gateway.query(order=never).state == "pending"  # 404 ORDER_NOT_EXIST

    paid = make_order(gateway="wechatpay", fen=700)
    wechatpay.server.state.wechat[paid.out_trade_no] = fakes.wechat_transaction(
        paid.out_trade_no, transaction_id="4200000777", total=700
    )
    result = gateway.query(order=paid)
    assert result.state == "paid"
    assert (result.payment.provider_txn_id, result.payment.amount_fen) == ("4200000777", 700)

    closed = make_order(gateway="wechatpay")
    wechatpay.server.state.wechat[closed.out_trade_no] = fakes.wechat_transaction(
        closed.out_trade_no, transaction_id="x", total=1, trade_state="CLOSED"
    )
    assert gateway.query(order=closed).state == "closed"


def test_answers_signed_with_another_key_are_a_gateway_error_not_a_crash(wechatpay):
    wechatpay.server.state.wechat_sign_with = "forger"
    order = make_order(gateway="wechatpay")
    wechatpay.server.state.wechat[order.out_trade_no] = fakes.wechat_transaction(
        order.out_trade_no, transaction_id="4200000001", total=order.amount_fen
    )

    with pytest.raises(GatewayError, match="微信支付接口出错"):
        get_gateway("wechatpay").query(order=order)


def test_an_unreachable_provider_is_a_gateway_error(wechatpay, monkeypatch):
    monkeypatch.setenv("GONGYI_WECHATPAY_API_BASE", "http://127.0.0.1:9")  # discard port: nothing listens
    order = make_order(gateway="wechatpay")

    with pytest.raises(GatewayError, match="无法连接微信支付"):
        get_gateway("wechatpay").query(order=order)


def test_wechat_refund_is_pending_then_queried(wechatpay):
    order = make_order(gateway="wechatpay", fen=900)
    Order.objects.filter(pk=order.pk).update(provider_txn_id="4200000900")
    order.refresh_from_db()
    wechatpay.server.state.wechat[order.out_trade_no] = fakes.wechat_transaction(
        order.out_trade_no, transaction_id="4200000900", total=900
    )
    gateway = get_gateway("wechatpay")

    result = gateway.refund(order=order, amount_fen=900, refund_no="RF1", reason="捐赠人申请")

    assert (result.accepted, result.state, result.amount_fen) == (True, RefundState.PENDING, 900)
    sent = wechatpay.server.state.wechat_refunds["RF1"]
    assert sent["notify_url"].endswith("/api/v1/payments/wechatpay/notify")
    assert sent["reason"] == "捐赠人申请"
    assert gateway.query_refund(order=order, refund_no="RF-none").state == RefundState.UNKNOWN
    sent["status"], sent["success_time"] = "SUCCESS", "2026-05-20T11:00:03+08:00"
    done = gateway.query_refund(order=order, refund_no="RF1")
    assert (done.state, done.provider_refund_id) == (RefundState.SUCCEEDED, sent["refund_id"])


def test_wechat_refund_refusals_and_retryable_errors(wechatpay):
    order = make_order(gateway="wechatpay", fen=900)
    gateway = get_gateway("wechatpay")
    wechatpay.server.state.wechat_refund_error = (403, "NOT_ENOUGH")
    refused = gateway.refund(order=order, amount_fen=900, refund_no="RF2", reason="r")
    assert (refused.accepted, refused.final_state) == (False, RefundState.FAILED)
    assert "NOT_ENOUGH" in refused.message

    wechatpay.server.state.wechat_refund_error = (500, "SYSTEM_ERROR")
    with pytest.raises(GatewayError):
        gateway.refund(order=order, amount_fen=900, refund_no="RF2", reason="r")


def test_wechat_bill_download_checks_the_digest(wechatpay):
    bill = fakes.wechat_bill([{"transaction_id": "4200000001", "out_trade_no": "GY1", "yuan": "1.00"}])
    wechatpay.server.state.wechat_bills["2026-05-20"] = bill
    gateway = get_gateway("wechatpay")

    downloaded = gateway.download_bill(bill_date=date(2026, 5, 20))

    assert downloaded.content == bill
    with pytest.raises(GatewayError, match="NO_STATEMENT_EXIST"):
        gateway.download_bill(bill_date=date(2026, 5, 21))
    wechatpay.server.state.wechat_bill_corrupted = True
    with pytest.raises(GatewayError, match="摘要"):
        gateway.download_bill(bill_date=date(2026, 5, 20))


def test_close_is_sent_to_wechat(wechatpay):
    order = make_order(gateway="wechatpay")
    get_gateway("wechatpay").close(order=order)
    assert wechatpay.server.state.wechat_closed == [order.out_trade_no]


# --- Alipay -------------------------------------------------------------------------------------


def test_alipay_wap_payment_url_is_signed_with_our_app_key(alipay):
    order = make_order(gateway="alipay", fen=1230, channel="h5")

    start = get_gateway("alipay").create_payment(
        order=order, channel="h5", return_url="https://g/thanks", notify_url="https://g/notify"
    )

    assert start.kind == "redirect"
    parts = urlsplit(start.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == alipay.server.base_url + "/gateway.do"
    params = dict(parse_qsl(parts.query))
    signature = params.pop("sign")
    assert params["sign_type"] == "RSA2"
    assert fakes.keypair("alipay-app").verify(fakes.alipay_content(params, request=True).encode(), signature)
    biz = json.loads(params["biz_content"])
    assert (biz["total_amount"], biz["product_code"], biz["out_trade_no"]) == (
        "12.30",
        "QUICK_WAP_PAY",
        order.out_trade_no,
    )
    assert params["method"] == "alipay.trade.wap.pay" and params["notify_url"] == "https://g/notify"

    page = get_gateway("alipay").create_payment(order=order, channel="page", return_url="", notify_url="https://g/n")
    assert "alipay.trade.page.pay" in page.url
    with pytest.raises(GatewayError):
        get_gateway("alipay").create_payment(order=order, channel="native", return_url="", notify_url="")


def test_alipay_query_close_refund_and_refund_query(alipay):
    gateway = get_gateway("alipay")
    order = make_order(gateway="alipay", fen=1230)
    assert gateway.query(order=order).state == "pending"  # ACQ.TRADE_NOT_EXIST

    alipay.server.state.alipay[order.out_trade_no] = {
        "trade_no": "2026052022001400000001",
        "out_trade_no": order.out_trade_no,
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "12.30",
        "buyer_user_id": "2088102177846880",
        "send_pay_date": "2026-05-20 10:00:00",
    }
    result = gateway.query(order=order)
    assert result.state == "paid"
    assert (result.payment.amount_fen, result.payment.payer) == (1230, "2088102177846880")

    refund = gateway.refund(order=order, amount_fen=1230, refund_no="RF9", reason="重复捐赠")
    assert (refund.state, refund.amount_fen, refund.provider_refund_id) == (
        RefundState.SUCCEEDED,
        1230,
        "2026052022001400000001/RF9",
    )
    again = gateway.refund(order=order, amount_fen=1230, refund_no="RF9", reason="重复捐赠")  # fund_change N
    assert (again.state, again.provider_refund_id) == (RefundState.SUCCEEDED, refund.provider_refund_id)
    assert gateway.query_refund(order=order, refund_no="RF-none").state == RefundState.UNKNOWN

    partial = gateway.refund(order=order, amount_fen=1, refund_no="RF10", reason="r")
    assert (partial.accepted, partial.final_state) == (False, RefundState.FAILED)

    gateway.close(order=order)
    assert alipay.server.state.alipay_closed == [order.out_trade_no]
    assert alipay.server.state.rejected_signatures == 0


def test_alipay_answers_with_a_bad_signature_are_a_gateway_error(alipay, monkeypatch):
    platform = fakes.keypair("forger")
    (alipay.keys_dir / "alipay_public_key.pem").write_text(platform.public_pem)
    monkeypatch.setenv("GONGYI_ALIPAY_PUBLIC_KEY", str(alipay.keys_dir / "alipay_public_key.pem"))
    order = make_order(gateway="alipay")

    with pytest.raises(GatewayError, match="支付宝接口出错"):
        get_gateway("alipay").query(order=order)


def test_alipay_bill_download_unzips_the_detail_file(alipay):
    rows = [{"trade_no": "2026052022001400000001", "out_trade_no": "GY1", "yuan": "12.30"}]
    alipay.server.state.alipay_bills["2026-05-20"] = fakes.alipay_bill_zip(rows)

    downloaded = get_gateway("alipay").download_bill(bill_date=date(2026, 5, 20))

    assert downloaded.content == fakes.alipay_bill_csv(rows)
    with pytest.raises(GatewayError, match="bill_not_exist"):
        get_gateway("alipay").download_bill(bill_date=date(2026, 5, 21))
