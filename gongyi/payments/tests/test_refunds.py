"""Refunds: staff start one with a reason; the provider's result posts the reversals (gift and match) once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.utils import timezone

from gongyi.giving.models import Gift
from gongyi.giving.services import (
    RefundError,
    confirm_payment,
    record_refund_result,
    refund_gift,
    request_refund,
)
from gongyi.ledger.models import JournalEntry
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.matching.models import MatchingPool, PoolTranche
from gongyi.matching.services import save_pool
from gongyi.payments.interface import RefundState, VerifiedPayment, VerifiedRefund
from gongyi.payments.models import Order, PaymentEvent, RefundRequest, SandboxTransaction
from gongyi.payments.sweeps import resolve_pending_refunds
from gongyi.payments.tests import fakes
from gongyi.payments.tests.helpers import everything_counted, make_order
from gongyi.testing import make_campaign, make_project

NOTIFY = "/api/v1/payments/wechatpay/notify"


def matched_project():
    """A project in a campaign whose pool matches 1:1, so refunds have a match to take back."""
    first = make_project(title="配捐项目")
    campaign = make_campaign(first.organisation)
    project = make_project(title="活动项目", campaign=campaign)
    now = timezone.now()
    pool = save_pool(
        pool=MatchingPool(
            campaign=campaign,
            sponsor=first.organisation,
            name="测试配捐池",
            total_fen=1_000_000,
            window_start=now - timedelta(days=1),
            window_end=now + timedelta(days=2),
            match_from_minute=0,
            match_to_minute=1440,
            min_gift_fen=1,
            ratio_bp=10000,
        )
    )
    PoolTranche.objects.create(pool=pool, at=now - timedelta(days=1), fen=pool.total_fen)
    return project


def paid_gift(*, gateway: str, fen: int = 1000, project=None, txn: str = "4200000001") -> Gift:
    order = make_order(gateway=gateway, fen=fen, project=project or matched_project())
    confirm_payment(
        gateway=gateway,
        payment=VerifiedPayment(
            out_trade_no=order.out_trade_no,
            provider_txn_id=txn,
            amount_fen=fen,
            payer="payer-1",
            paid_at=timezone.now(),
        ),
    )
    return Gift.objects.get(order=order)


def reversal_counts() -> tuple[int, int]:
    return (
        JournalEntry.objects.filter(kind="gift_reversal").count(),
        JournalEntry.objects.filter(kind="match_reversal").count(),
    )


def wechat_knows(provider, gift: Gift) -> None:
    provider.state.wechat[gift.order.out_trade_no] = fakes.wechat_transaction(
        gift.order.out_trade_no, transaction_id=gift.provider_txn_id, total=gift.amount_fen
    )


def refund_notification(refund: RefundRequest, *, status: str = "SUCCESS", refund_fen: int | None = None):
    order = refund.order
    resource = fakes.wechat_refund_resource(
        order.out_trade_no,
        transaction_id=order.provider_txn_id,
        out_refund_no=refund.refund_no,
        refund_id=refund.provider_refund_id or "50000000001",
        refund=refund.amount_fen if refund_fen is None else refund_fen,
        total=order.amount_fen,
        status=status,
    )
    return fakes.wechat_notification(resource, event_type=f"REFUND.{status}")


@pytest.mark.django_db
def test_sandbox_refund_is_final_at_once_and_reverses_gift_and_match_once():
    project = matched_project()
    gift = paid_gift(gateway="sandbox", project=project)
    SandboxTransaction.objects.create(
        out_trade_no=gift.order.out_trade_no,
        transaction_id=gift.provider_txn_id,
        amount_fen=gift.amount_fen,
        payer="payer-1",
        paid_at=gift.paid_at,
        notify_url="",
    )
    assert gift.matched_fen == 1000

    refunded = refund_gift(gift=gift, reason="捐赠人误操作")

    assert refunded.status == "refunded" and refunded.matched_fen == 0
    assert reversal_counts() == (1, 1)
    refund = RefundRequest.objects.get()
    assert (refund.status, refund.provider_refund_id, refund.reason) == (
        "succeeded",
        f"SBR{refund.refund_no}",
        "捐赠人误操作",
    )
    assert MatchingPool.objects.get().matched_fen == 0
    assert list(PaymentEvent.objects.order_by("id").values_list("kind", flat=True)) == [
        "refund_requested",
        "refund_succeeded",
    ]
    with pytest.raises(RefundError):
        refund_gift(gift=gift, reason="再退一次")
    assert reversal_counts() == (1, 1)
    assert find_ledger_problems() == []


@pytest.mark.django_db
def test_a_refund_needs_a_reason():
    gift = paid_gift(gateway="sandbox")
    with pytest.raises(RefundError) as error:
        request_refund(gift=gift, reason="  ")
    assert error.value.field == "reason"
    assert RefundRequest.objects.count() == 0


@pytest.mark.django_db
def test_wechat_refund_is_pending_until_the_notification_then_reversed_exactly_once(client, wechatpay):
    gift = paid_gift(gateway="wechatpay")
    wechat_knows(wechatpay.server, gift)

    refund = request_refund(gift=gift, reason="项目取消")

    assert refund.status == "pending" and refund.provider_refund_id
    gift.refresh_from_db()
    assert gift.status == "confirmed" and reversal_counts() == (0, 0)
    with pytest.raises(RefundError):  # one live refund per order
        request_refund(gift=gift, reason="again")

    body, headers = refund_notification(refund)
    response = client.post(NOTIFY, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 200 and response.json()["code"] == "SUCCESS"
    gift.refresh_from_db()
    assert gift.status == "refunded" and reversal_counts() == (1, 1)
    assert Order.objects.get(pk=gift.order_id).status == "refunded"

    # WeChat redelivers; the sweep also asks — neither posts anything again.
    again_body, again_headers = refund_notification(refund)
    assert (
        client.post(NOTIFY, data=again_body, content_type="application/json", headers=again_headers).status_code == 200
    )
    wechatpay.server.state.wechat_refunds[refund.refund_no].update(
        status="SUCCESS", success_time="2026-05-20T11:00:03+08:00"
    )
    resolve_pending_refunds(older_than=timedelta(0))
    assert reversal_counts() == (1, 1)
    assert find_ledger_problems() == []


@pytest.mark.django_db
def test_wechat_refund_found_by_the_sweep_then_late_notification_is_harmless(client, wechatpay):
    gift = paid_gift(gateway="wechatpay")
    wechat_knows(wechatpay.server, gift)
    refund = request_refund(gift=gift, reason="重复捐赠")
    wechatpay.server.state.wechat_refunds[refund.refund_no].update(
        status="SUCCESS", success_time="2026-05-20T11:00:03+08:00"
    )

    report = resolve_pending_refunds(older_than=timedelta(0))

    assert report.recorded == 1
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert refund.finished_at.isoformat() == "2026-05-20T03:00:03+00:00"
    assert reversal_counts() == (1, 1)
    body, headers = refund_notification(refund)
    response = client.post(NOTIFY, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 200
    assert reversal_counts() == (1, 1)


@pytest.mark.django_db
def test_refund_notification_with_a_wrong_amount_is_refused_and_writes_nothing(client, wechatpay):
    gift = paid_gift(gateway="wechatpay")
    wechat_knows(wechatpay.server, gift)
    refund = request_refund(gift=gift, reason="r")
    before = everything_counted()

    body, headers = refund_notification(refund, refund_fen=refund.amount_fen - 1)
    response = client.post(NOTIFY, data=body, content_type="application/json", headers=headers)

    assert response.status_code == 409 and "REFUND_AMOUNT_MISMATCH" in response.json()["message"]
    assert everything_counted() == before


@pytest.mark.django_db
def test_refund_notification_for_an_unknown_refund_is_refused(client, wechatpay):
    gift = paid_gift(gateway="wechatpay")
    before = everything_counted()
    resource = fakes.wechat_refund_resource(
        gift.order.out_trade_no,
        transaction_id=gift.provider_txn_id,
        out_refund_no="RF-made-up",
        refund_id="5000",
        refund=gift.amount_fen,
        total=gift.amount_fen,
    )
    body, headers = fakes.wechat_notification(resource, event_type="REFUND.SUCCESS")

    response = client.post(NOTIFY, data=body, content_type="application/json", headers=headers)

    assert response.status_code == 404
    assert everything_counted() == before


@pytest.mark.django_db
def test_closed_refund_fails_and_frees_the_order_for_a_new_request(client, wechatpay):
    gift = paid_gift(gateway="wechatpay")
    wechat_knows(wechatpay.server, gift)
    refund = request_refund(gift=gift, reason="r")

    body, headers = refund_notification(refund, status="CLOSED")
    response = client.post(NOTIFY, data=body, content_type="application/json", headers=headers)

    assert response.status_code == 200
    refund.refresh_from_db()
    assert refund.status == "failed" and reversal_counts() == (0, 0)
    second = request_refund(gift=gift, reason="再次申请")
    assert second.status == "pending" and second.refund_no != refund.refund_no


@pytest.mark.django_db
def test_provider_refusal_marks_the_request_failed_and_tells_staff(wechatpay):
    gift = paid_gift(gateway="wechatpay")
    wechatpay.server.state.wechat_refund_error = (403, "NOT_ENOUGH")

    with pytest.raises(RefundError, match="NOT_ENOUGH"):
        request_refund(gift=gift, reason="r")

    refund = RefundRequest.objects.get()
    assert refund.status == "failed" and reversal_counts() == (0, 0)


@pytest.mark.django_db
def test_unreachable_provider_leaves_the_request_for_the_sweep_under_the_same_number(wechatpay, monkeypatch):
    gift = paid_gift(gateway="wechatpay")
    wechat_knows(wechatpay.server, gift)
    monkeypatch.setenv("GONGYI_WECHATPAY_API_BASE", "http://127.0.0.1:9")
    refund = request_refund(gift=gift, reason="r")
    assert refund.status == "requested" and "无法连接" in refund.message

    monkeypatch.setenv("GONGYI_WECHATPAY_API_BASE", wechatpay.server.base_url)
    wechatpay.server.state.wechat_refund_status = "SUCCESS"
    report = resolve_pending_refunds(older_than=timedelta(0))

    assert report.recorded == 1
    assert list(wechatpay.server.state.wechat_refunds) == [refund.refund_no]
    assert reversal_counts() == (1, 1)


@pytest.mark.django_db
def test_alipay_refund_is_synchronous(alipay):
    gift = paid_gift(gateway="alipay", fen=1230, txn="2026052022001400000001")
    alipay.server.state.alipay[gift.order.out_trade_no] = {
        "trade_no": gift.provider_txn_id,
        "out_trade_no": gift.order.out_trade_no,
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "12.30",
        "buyer_user_id": "2088",
        "send_pay_date": "2026-05-20 10:00:00",
    }

    refund = request_refund(gift=gift, reason="r")

    assert refund.status == "succeeded"
    assert refund.provider_refund_id == f"{gift.provider_txn_id}/{refund.refund_no}"
    assert reversal_counts() == (1, 1)


@pytest.mark.django_db
def test_alipay_refund_notification_after_the_synchronous_answer_is_harmless(client, alipay):
    gift = paid_gift(gateway="alipay", fen=1230, txn="2026052022001400000002")
    alipay.server.state.alipay[gift.order.out_trade_no] = {
        "trade_no": gift.provider_txn_id,
        "out_trade_no": gift.order.out_trade_no,
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "12.30",
        "buyer_user_id": "2088",
        "send_pay_date": "2026-05-20 10:00:00",
    }
    refund = request_refund(gift=gift, reason="r")
    params = fakes.alipay_trade_params(
        gift.order.out_trade_no,
        trade_no=gift.provider_txn_id,
        total_amount="12.30",
        trade_status="TRADE_CLOSED",
        out_biz_no=refund.refund_no,
        refund_fee="12.30",
        gmt_refund="2026-05-20 11:00:03",
    )

    response = client.post(
        "/api/v1/payments/alipay/notify",
        data=fakes.alipay_notification(params),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.content == b"success"
    assert reversal_counts() == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_refund_result_reverse_once(wechatpay):
    gift = paid_gift(gateway="wechatpay")
    wechat_knows(wechatpay.server, gift)
    refund = request_refund(gift=gift, reason="r")
    result = VerifiedRefund(
        out_trade_no=gift.order.out_trade_no,
        refund_no=refund.refund_no,
        provider_refund_id=refund.provider_refund_id,
        amount_fen=refund.amount_fen,
        state=RefundState.SUCCEEDED,
    )
    created, errors = [], []
    barrier = threading.Barrier(8)

    def deliver():
        try:
            barrier.wait()
            created.append(record_refund_result(gateway="wechatpay", result=result).created)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(created) == [False] * 7 + [True]
    assert reversal_counts() == (1, 1)
    assert find_ledger_problems() == []
