"""Staff pages in the admin: configured gateways, refunds with a reason, bill import, differences."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from gongyi.giving.models import Gift
from gongyi.giving.services import confirm_payment
from gongyi.payments.interface import VerifiedPayment
from gongyi.payments.models import ReconciliationDifference, RefundRequest, SandboxTransaction
from gongyi.payments.tests import fakes
from gongyi.payments.tests.helpers import make_order

pytestmark = pytest.mark.django_db
ORDERS = "/admin/payments/order/"
DIFFERENCES = "/admin/payments/reconciliationdifference/"


def staff(client, *permissions: str):
    user = get_user_model().objects.create_user(username="staff", password="x", is_staff=True)
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(content_type__app_label="payments", codename=codename))
    client.force_login(user)
    return user


def sandbox_gift(fen: int = 1000) -> Gift:
    order = make_order(gateway="sandbox", fen=fen)
    payment = VerifiedPayment(
        out_trade_no=order.out_trade_no,
        provider_txn_id=f"SB{order.pk}",
        amount_fen=fen,
        payer="p",
        paid_at=timezone.now(),
    )
    SandboxTransaction.objects.create(
        out_trade_no=order.out_trade_no,
        transaction_id=payment.provider_txn_id,
        amount_fen=fen,
        payer="p",
        paid_at=payment.paid_at,
        notify_url="",
    )
    return confirm_payment(gateway="sandbox", payment=payment).gift


def test_order_list_and_gateway_page_show_what_is_configured_without_secrets(client, wechatpay):
    staff(client, "view_order")

    listing = client.get(ORDERS).content.decode()
    page = client.get(reverse("admin:payments_order_gateways")).content.decode()

    assert "沙箱支付（sandbox）" in listing and "支付渠道配置" in listing
    assert "微信支付" in page and "支付宝" in page
    assert "GONGYI_ALIPAY_APPID" in page  # what alipay still needs, by name
    assert fakes.APIV3_KEY not in page and fakes.APIV3_KEY not in listing
    assert "BEGIN" not in page
    assert wechatpay.server.base_url in page


def test_refund_action_needs_the_permission(client):
    gift = sandbox_gift()
    staff(client, "view_order")

    response = client.post(ORDERS, {"action": "start_refund", "_selected_action": [gift.order_id]})

    assert response.status_code in (200, 302)
    assert RefundRequest.objects.count() == 0
    assert "start_refund" not in client.get(ORDERS).content.decode()


def test_refund_action_asks_for_a_reason_then_refunds(client):
    gift = sandbox_gift()
    user = staff(client, "view_order", "start_refund")
    form = {"action": "start_refund", "_selected_action": [gift.order_id]}

    asked = client.post(ORDERS, form)
    assert asked.status_code == 200 and "退款理由" in asked.content.decode()
    no_reason = client.post(ORDERS, {**form, "confirm": "yes", "reason": " "})
    assert "请填写退款理由" in no_reason.content.decode()
    assert RefundRequest.objects.count() == 0

    done = client.post(ORDERS, {**form, "confirm": "yes", "reason": "捐赠人来电要求退款"}, follow=True)

    assert done.status_code == 200
    refund = RefundRequest.objects.get()
    assert (refund.status, refund.reason, refund.requested_by) == ("succeeded", "捐赠人来电要求退款", user)
    gift.refresh_from_db()
    assert gift.status == "refunded"
    assert "已退款" in done.content.decode()


def test_bill_import_page_reconciles_and_differences_can_be_recovered(client, wechatpay):
    staff(client, "view_bill", "import_bill", "view_reconciliationdifference", "resolve_difference")
    missing = make_order(gateway="wechatpay", fen=500)
    wechatpay.server.state.wechat[missing.out_trade_no] = fakes.wechat_transaction(
        missing.out_trade_no, transaction_id="T_MISSING", total=500
    )
    bill = fakes.wechat_bill(
        [
            {"transaction_id": "T_MISSING", "out_trade_no": missing.out_trade_no, "yuan": "5.00"},
            {"transaction_id": "T_UNKNOWN", "out_trade_no": "GY0", "yuan": "1.00"},
        ]
    )

    response = client.post(
        reverse("admin:payments_bill_import"),
        {"gateway": "wechatpay", "bill_date": "2026-05-20", "file": SimpleUploadedFile("bill.csv", bill)},
    )

    assert response.status_code == 302
    listing = client.get(response["Location"]).content.decode()
    assert "T_MISSING" in listing and "T_UNKNOWN" in listing
    ids = dict(ReconciliationDifference.objects.values_list("key", "pk"))
    recovered = client.post(
        DIFFERENCES, {"action": "recover_gift", "_selected_action": [ids["T_MISSING"], ids["T_UNKNOWN"]]}, follow=True
    )
    text = recovered.content.decode()
    assert "已确认捐赠" in text and "只有" in text  # one recovered, one refused with the reason
    assert Gift.objects.get().order == missing

    resolve = {"action": "mark_resolved", "_selected_action": [ids["T_UNKNOWN"]]}
    assert "处理说明" in client.post(DIFFERENCES, resolve).content.decode()
    client.post(DIFFERENCES, {**resolve, "confirm": "yes", "note": "非本平台订单，已告知微信支付"})
    statuses = dict(ReconciliationDifference.objects.values_list("key", "status"))
    assert statuses == {"T_MISSING": "recovered", "T_UNKNOWN": "resolved"}


def test_bill_import_page_needs_its_permission(client):
    staff(client, "view_bill")
    assert client.get(reverse("admin:payments_bill_import")).status_code == 403


def test_bill_import_refuses_a_bad_file_and_today(client):
    staff(client, "view_bill", "import_bill")
    url = reverse("admin:payments_bill_import")
    bad = client.post(
        url, {"gateway": "wechatpay", "bill_date": "2026-05-20", "file": SimpleUploadedFile("b.csv", b"x")}
    )
    assert bad.status_code == 200 and "账单格式不正确" in bad.content.decode()
    today = client.post(url, {"gateway": "sandbox", "bill_date": timezone.localdate().isoformat()})
    assert "只能对已结束的日期对账" in today.content.decode()


def test_recover_action_needs_its_permission(client, wechatpay):
    staff(client, "view_reconciliationdifference")
    response = client.get(DIFFERENCES)
    assert response.status_code == 200
    assert "recover_gift" not in response.content.decode()
