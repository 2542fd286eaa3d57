"""Reconciliation: a bill with planted differences finds each one; recovering a gift goes through
confirm_payment after the provider confirms it; nothing changes money silently."""

from __future__ import annotations

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from gongyi.giving.models import Gift
from gongyi.giving.services import confirm_payment
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.payments.gateways import get_gateway
from gongyi.payments.gateways.alipay.bill import parse_bill as parse_alipay
from gongyi.payments.gateways.wechatpay.bill import parse_bill as parse_wechat
from gongyi.payments.interface import VerifiedPayment
from gongyi.payments.models import BillSource, PaymentEvent, ReconciliationDifference, RefundRequest
from gongyi.payments.parsing import BillFormatError
from gongyi.payments.reconciliation import (
    ReconciliationError,
    import_bill,
    reconcile_bill,
    reconcile_day,
    recover_gift_from_bill,
    resolve_difference,
)
from gongyi.payments.tests import fakes
from gongyi.payments.tests.helpers import everything_counted, make_order
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 5, 20)
AT = datetime(2026, 5, 20, 10, 0, tzinfo=SHANGHAI)


def paid(*, gateway: str, fen: int, txn: str, project, at: datetime = AT):
    order = make_order(gateway=gateway, fen=fen, project=project)
    confirm_payment(
        gateway=gateway,
        payment=VerifiedPayment(
            out_trade_no=order.out_trade_no, provider_txn_id=txn, amount_fen=fen, payer="openid-x", paid_at=at
        ),
    )
    order.refresh_from_db()
    return order


def succeeded_refund(order, refund_no: str, *, at: datetime = AT) -> RefundRequest:
    return RefundRequest.objects.create(
        refund_no=refund_no,
        order=order,
        gateway=order.gateway,
        amount_fen=order.amount_fen,
        reason="测试",
        status="succeeded",
        provider_refund_id="50" + refund_no,
        finished_at=at.replace(hour=11),
    )


def kinds(report) -> set[tuple[str, str]]:
    return {(d.kind, d.key) for d in report.differences}


@pytest.fixture
def planted(wechatpay):
    """Our books and a WeChat bill for 2026-05-20 that differ in every way the bill can differ."""
    project = make_project()
    fine = paid(gateway="wechatpay", fen=1000, txn="T_FINE", project=project)
    missing = make_order(gateway="wechatpay", fen=500, project=project)  # paid there, never confirmed here
    wechatpay.server.state.wechat[missing.out_trade_no] = fakes.wechat_transaction(
        missing.out_trade_no, transaction_id="T_MISSING", total=500
    )
    here_only = paid(gateway="wechatpay", fen=300, txn="T_HERE_ONLY", project=project)
    differs = paid(gateway="wechatpay", fen=2000, txn="T_DIFFERS", project=project)
    yesterday = paid(gateway="wechatpay", fen=700, txn="T_YESTERDAY", project=project, at=AT.replace(day=19))
    refunded_here = paid(gateway="wechatpay", fen=400, txn="T_REFUNDED_HERE", project=project)
    succeeded_refund(refunded_here, "RF_HERE_ONLY")
    refunded_both = paid(gateway="wechatpay", fen=600, txn="T_REFUNDED_BOTH", project=project)
    succeeded_refund(refunded_both, "RF_BOTH")
    rows = [
        {"transaction_id": "T_FINE", "out_trade_no": fine.out_trade_no, "yuan": "10.00"},
        {"transaction_id": "T_MISSING", "out_trade_no": missing.out_trade_no, "yuan": "5.00"},
        {"transaction_id": "T_UNKNOWN", "out_trade_no": "GY2026052010000000000000", "yuan": "8.00"},
        {"transaction_id": "T_DIFFERS", "out_trade_no": differs.out_trade_no, "yuan": "20.01"},
        {"transaction_id": "T_REFUNDED_HERE", "out_trade_no": refunded_here.out_trade_no, "yuan": "4.00"},
        {"transaction_id": "T_REFUNDED_BOTH", "out_trade_no": refunded_both.out_trade_no, "yuan": "6.00"},
        {
            "transaction_id": "T_FINE",
            "out_trade_no": fine.out_trade_no,
            "yuan": "10.00",
            "status": "REFUND",
            "refund_id": "50OUTSIDE",
            "out_refund_no": "RF_OUTSIDE",
            "time": "2026-05-20 12:00:00",
        },
        {
            "transaction_id": "T_REFUNDED_BOTH",
            "out_trade_no": refunded_both.out_trade_no,
            "yuan": "6.00",
            "status": "REFUND",
            "refund_id": "50RF_BOTH",
            "out_refund_no": "RF_BOTH",
            "time": "2026-05-20 11:00:00",
        },
    ]
    wechatpay.server.state.wechat_bills[DAY.isoformat()] = fakes.wechat_bill(rows)
    return {
        "missing": missing,
        "here_only": here_only,
        "differs": differs,
        "yesterday": yesterday,
        "server": wechatpay.server,
    }


def test_wechat_bill_with_planted_differences_finds_each_one(planted):
    before_gifts = Gift.objects.count()

    report = reconcile_day(gateway="wechatpay", bill_date=DAY)

    assert report.imported
    assert kinds(report) == {
        ("paid_there_only", "T_MISSING"),
        ("paid_there_only", "T_UNKNOWN"),
        ("paid_here_only", "T_HERE_ONLY"),
        ("amount_differs", "T_DIFFERS"),
        ("refund_there_only", "RF_OUTSIDE"),
        ("refund_here_only", "RF_HERE_ONLY"),
    }
    by_key = {d.key: d for d in report.differences}
    assert by_key["T_MISSING"].recoverable and by_key["T_MISSING"].order == planted["missing"]
    assert not by_key["T_UNKNOWN"].recoverable and by_key["T_UNKNOWN"].order is None
    assert (by_key["T_DIFFERS"].here_fen, by_key["T_DIFFERS"].there_fen) == (2000, 2001)
    assert by_key["T_HERE_ONLY"].order == planted["here_only"]
    bill = report.bill
    assert (bill.source, bill.payments_count, bill.refunds_count) == (BillSource.DOWNLOAD, 6, 2)
    assert (bill.payments_fen, bill.refunds_fen) == (1000 + 500 + 800 + 2001 + 400 + 600, 1600)
    assert Gift.objects.count() == before_gifts  # listing differences changes no money
    assert planted["server"].state.rejected_signatures == 0


def test_reconciling_again_is_idempotent(planted):
    first = reconcile_day(gateway="wechatpay", bill_date=DAY)
    counted = everything_counted()

    again = reconcile_day(gateway="wechatpay", bill_date=DAY)

    assert not again.imported and again.bill == first.bill
    assert (again.new, again.cleared) == (0, 0)
    assert kinds(again) == kinds(first)
    assert everything_counted() == counted


def test_recovering_a_missing_gift_goes_through_confirm_payment_once(planted):
    report = reconcile_day(gateway="wechatpay", bill_date=DAY)
    difference = next(d for d in report.differences if d.key == "T_MISSING")
    staff = _staff()

    gift = recover_gift_from_bill(difference=difference, actor=staff)

    assert (gift.amount_fen, gift.provider_txn_id, gift.order) == (500, "T_MISSING", planted["missing"])
    difference.refresh_from_db()
    assert (difference.status, difference.resolved_by, difference.recovered_gift_id) == ("recovered", staff, gift.pk)
    assert PaymentEvent.objects.filter(kind="difference_recovered", actor=staff).count() == 1
    assert find_ledger_problems() == []
    with pytest.raises(ReconciliationError):
        recover_gift_from_bill(difference=difference, actor=staff)
    rerun = reconcile_bill(bill=report.bill)
    assert ("paid_there_only", "T_MISSING") not in {(d.kind, d.key) for d in rerun.differences}
    assert Gift.objects.filter(provider_txn_id="T_MISSING").count() == 1
    difference.refresh_from_db()
    assert difference.status == "recovered"  # a recovered difference is never reopened or cleared


def test_recovery_is_refused_when_the_provider_does_not_confirm_and_writes_nothing(planted):
    report = reconcile_day(gateway="wechatpay", bill_date=DAY)
    difference = next(d for d in report.differences if d.key == "T_MISSING")
    del planted["server"].state.wechat[planted["missing"].out_trade_no]  # WeChat now says: no such payment
    before = everything_counted()

    with pytest.raises(ReconciliationError, match="pending"):
        recover_gift_from_bill(difference=difference, actor=None)

    assert everything_counted() == before
    difference.refresh_from_db()
    assert difference.status == "open"


def test_only_recoverable_differences_can_be_recovered(planted):
    report = reconcile_day(gateway="wechatpay", bill_date=DAY)
    before = everything_counted()
    for key in ("T_UNKNOWN", "T_HERE_ONLY", "T_DIFFERS", "RF_OUTSIDE"):
        difference = next(d for d in report.differences if d.key == key)
        with pytest.raises(ReconciliationError):
            recover_gift_from_bill(difference=difference, actor=None)
    assert everything_counted() == before


def test_a_late_notification_clears_the_difference_on_the_next_run(planted):
    report = reconcile_day(gateway="wechatpay", bill_date=DAY)
    missing = planted["missing"]
    confirm_payment(
        gateway="wechatpay",
        payment=VerifiedPayment(
            out_trade_no=missing.out_trade_no, provider_txn_id="T_MISSING", amount_fen=500, payer="o", paid_at=AT
        ),
    )

    rerun = reconcile_bill(bill=report.bill)

    assert rerun.cleared == 1
    assert ReconciliationDifference.objects.get(key="T_MISSING").status == "cleared"


def test_resolving_a_difference_needs_a_note_and_changes_no_money(planted):
    report = reconcile_day(gateway="wechatpay", bill_date=DAY)
    difference = next(d for d in report.differences if d.key == "T_DIFFERS")
    with pytest.raises(ReconciliationError):
        resolve_difference(difference=difference, note=" ", actor=None)
    gifts = list(Gift.objects.values_list("pk", "amount_fen", "status"))

    resolved = resolve_difference(difference=difference, note="已与微信支付核对：优惠券差额", actor=None)

    assert (resolved.status, resolved.resolution_note) == ("resolved", "已与微信支付核对：优惠券差额")
    assert list(Gift.objects.values_list("pk", "amount_fen", "status")) == gifts
    rerun = reconcile_bill(bill=report.bill)
    assert ReconciliationDifference.objects.get(pk=difference.pk).status == "resolved"
    assert rerun.new == 0


def test_alipay_bill_downloaded_as_zip_finds_planted_differences(alipay):
    project = make_project()
    fine = paid(gateway="alipay", fen=1230, txn="A_FINE", project=project)
    missing = make_order(gateway="alipay", fen=990, project=project)
    paid(gateway="alipay", fen=100, txn="A_HERE_ONLY", project=project)
    refunded = paid(gateway="alipay", fen=500, txn="A_REFUNDED", project=project)
    succeeded_refund(refunded, "RF_A")
    alipay.server.state.alipay[missing.out_trade_no] = {
        "trade_no": "A_MISSING",
        "out_trade_no": missing.out_trade_no,
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "9.90",
        "buyer_user_id": "2088",
        "send_pay_date": "2026-05-20 10:00:00",
    }
    rows = [
        {"trade_no": "A_FINE", "out_trade_no": fine.out_trade_no, "yuan": "12.30"},
        {"trade_no": "A_MISSING", "out_trade_no": missing.out_trade_no, "yuan": "9.90"},
        {"trade_no": "A_REFUNDED", "out_trade_no": refunded.out_trade_no, "yuan": "5.00"},
        {
            "trade_no": "A_REFUNDED",
            "out_trade_no": refunded.out_trade_no,
            "yuan": "4.00",
            "kind": "退款",
            "out_request_no": "RF_A",
        },
    ]
    alipay.server.state.alipay_bills[DAY.isoformat()] = fakes.alipay_bill_zip(rows)

    report = reconcile_day(gateway="alipay", bill_date=DAY)

    assert kinds(report) == {
        ("paid_there_only", "A_MISSING"),
        ("paid_here_only", "A_HERE_ONLY"),
        ("amount_differs", "refund:RF_A"),
    }
    gift = recover_gift_from_bill(difference=next(d for d in report.differences if d.key == "A_MISSING"))
    assert (gift.amount_fen, gift.gateway) == (990, "alipay")


def test_sandbox_day_reconciles_clean_and_finds_a_charge_we_missed(settings):
    from gongyi.payments.models import SandboxTransaction

    project = make_project()
    order = paid(gateway="sandbox", fen=1000, txn="SB_FINE", project=project, at=timezone.now())
    SandboxTransaction.objects.create(
        out_trade_no=order.out_trade_no,
        transaction_id="SB_FINE",
        amount_fen=1000,
        payer="p",
        paid_at=order.paid_at,
        notify_url="",
    )
    today = timezone.localdate()
    bill_file = get_gateway("sandbox").download_bill(bill_date=today)
    clean, _ = import_bill(gateway="sandbox", bill_date=today, content=bill_file.content, source="download")
    assert reconcile_bill(bill=clean).differences == []

    lost = make_order(gateway="sandbox", fen=2500, project=project)
    SandboxTransaction.objects.create(
        out_trade_no=lost.out_trade_no,
        transaction_id="SB_LOST",
        amount_fen=2500,
        payer="p",
        paid_at=timezone.now(),
        notify_url="",
    )
    report = reconcile_day(gateway="sandbox", bill_date=today)
    assert kinds(report) == {("paid_there_only", "SB_LOST")}
    gift = recover_gift_from_bill(difference=report.differences[0])
    assert gift.order == lost


def test_bill_parsers_read_the_provider_formats_exactly():
    wechat = parse_wechat(
        fakes.wechat_bill(
            [{"transaction_id": "T1", "out_trade_no": "GY1", "yuan": "0.01", "time": "2026-05-20 23:59:59"}]
        )
    )
    assert [(r.kind, r.provider_txn_id, r.out_trade_no, r.amount_fen) for r in wechat] == [("payment", "T1", "GY1", 1)]
    assert wechat[0].occurred_at.isoformat() == "2026-05-20T23:59:59+08:00"
    alipay_rows = parse_alipay(fakes.alipay_bill_csv([{"trade_no": "A1", "out_trade_no": "GY2", "yuan": "123456.78"}]))
    assert [(r.kind, r.provider_txn_id, r.amount_fen) for r in alipay_rows] == [("payment", "A1", 12345678)]
    with pytest.raises(BillFormatError, match="两位小数"):
        parse_wechat(fakes.wechat_bill([{"transaction_id": "T1", "out_trade_no": "GY1", "yuan": "0.001"}]))
    with pytest.raises(BillFormatError):
        parse_wechat(b"not,a,bill\n")
    with pytest.raises(BillFormatError):
        parse_alipay(b"\xff\xfe\x00garbage")


def test_a_malformed_upload_is_refused_and_stores_nothing():
    before = everything_counted()
    with pytest.raises(ReconciliationError, match="账单格式不正确"):
        reconcile_day(gateway="wechatpay", bill_date=DAY, content=b"hello")
    assert everything_counted() == before


def test_reconcile_bill_command_lists_differences(planted, tmp_path):
    path = tmp_path / "bill.csv"
    path.write_bytes(planted["server"].state.wechat_bills[DAY.isoformat()])
    out = StringIO()

    call_command("reconcile_bill", gateway="wechatpay", date="2026-05-20", file=str(path), stdout=out)

    text = out.getvalue()
    assert "6 differences (6 new, 6 open)" in text
    assert "paid_there_only T_MISSING" in text and "amount_differs T_DIFFERS" in text
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "reconcile_bill",
            gateway="wechatpay",
            date="2026-05-20",
            file=str(path),
            fail_on_differences=True,
            stdout=out,
        )
    assert exit_info.value.code == 3


def _staff():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username="finance", password="x", is_staff=True)
