"""Daily reconciliation (对账): import a provider's bill, compare it with our books, list every difference.

Nothing here moves money. ``reconcile_bill`` only writes ``ReconciliationDifference`` rows:

* ``paid_there_only`` — the bill has a payment no order of ours is paid by;
* ``paid_here_only`` — an order paid here that day whose transaction the bill does not have;
* ``amount_differs`` — both have it, the amounts differ (payments and refunds);
* ``refund_there_only`` — the bill has a refund we have not recorded as succeeded;
* ``refund_here_only`` — a refund we recorded that day that the bill does not have.

Staff then act on each, in the admin: ``recover_gift_from_bill`` for a payment we missed (the provider
is asked again, and the payment goes through ``confirm_payment`` like any notification), or
``resolve_difference`` with a note. Re-running a bill marks open differences no longer found as
cleared (a late notification settled them); it never touches resolved or recovered ones.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from gongyi.core.text import NUL_MESSAGE, has_nul
from gongyi.payments.gateways import UnknownGateway, bill_parser, get_gateway
from gongyi.payments.interface import GatewayError, NotificationRefused
from gongyi.payments.models import (
    Bill,
    BillLine,
    BillLineKind,
    BillSource,
    DifferenceKind,
    DifferenceStatus,
    Order,
    OrderStatus,
    PaymentEventKind,
    ReconciliationDifference,
    RefundRequest,
    RefundStatus,
)
from gongyi.payments.parsing import SHANGHAI, BillFormatError
from gongyi.payments.services import acting_user, record_event

logger = logging.getLogger(__name__)
PAID_STATUSES = (OrderStatus.PAID, OrderStatus.REFUNDED)


class ReconciliationError(ValueError):
    """A bill that cannot be imported, or a difference that cannot be acted on; nothing was changed."""


@dataclass
class ReconciliationReport:
    bill: Bill
    imported: bool
    differences: list[ReconciliationDifference] = field(default_factory=list)
    new: int = 0
    cleared: int = 0

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for difference in self.differences:
            found[difference.kind] = found.get(difference.kind, 0) + 1
        return found


# --- importing ----------------------------------------------------------------------------------


def import_bill(
    *, gateway: str, bill_date: date, content: bytes, source: str, filename: str = "", actor=None
) -> tuple[Bill, bool]:
    """Store a bill and its lines (once per distinct file); return (bill, imported now)."""
    try:
        parse = bill_parser(gateway)
    except UnknownGateway as exc:
        raise ReconciliationError(str(exc)) from None
    try:
        rows = parse(content)
    except BillFormatError as exc:
        raise ReconciliationError(f"账单格式不正确：{exc}") from None
    digest = hashlib.sha256(content).hexdigest()
    existing = Bill.objects.filter(gateway=gateway, bill_date=bill_date, sha256=digest).first()
    if existing is not None:
        return existing, False
    payments = [row for row in rows if row.kind == BillLineKind.PAYMENT]
    refunds = [row for row in rows if row.kind == BillLineKind.REFUND]
    try:
        with transaction.atomic():
            bill = Bill.objects.create(
                gateway=gateway,
                bill_date=bill_date,
                source=source,
                filename=filename[:200],
                sha256=digest,
                content=content,
                payments_count=len(payments),
                payments_fen=sum(row.amount_fen for row in payments),
                refunds_count=len(refunds),
                refunds_fen=sum(row.amount_fen for row in refunds),
                imported_by=acting_user(actor),
            )
            BillLine.objects.bulk_create(
                BillLine(
                    bill=bill,
                    line_no=number,
                    kind=row.kind,
                    out_trade_no=row.out_trade_no,
                    provider_txn_id=row.provider_txn_id,
                    amount_fen=row.amount_fen,
                    occurred_at=row.occurred_at,
                    payer=row.payer,
                    refund_no=row.refund_no,
                    provider_refund_id=row.provider_refund_id,
                )
                for number, row in enumerate(rows, 1)
            )
            record_event(
                kind=PaymentEventKind.BILL_IMPORTED,
                actor=actor,
                gateway=gateway,
                bill_date=bill_date.isoformat(),
                sha256=digest,
                lines=len(rows),
                source=source,
            )
    except IntegrityError:
        # The same file imported concurrently; the other import stands.
        return Bill.objects.get(gateway=gateway, bill_date=bill_date, sha256=digest), False
    return bill, True


def download_bill(*, gateway: str, bill_date: date, actor=None) -> tuple[Bill, bool]:
    """Fetch the day's bill from the provider and import it."""
    try:
        bill_file = get_gateway(gateway).download_bill(bill_date=bill_date)
    except (GatewayError, UnknownGateway) as exc:
        raise ReconciliationError(f"无法下载账单：{exc}") from None
    return import_bill(
        gateway=gateway,
        bill_date=bill_date,
        content=bill_file.content,
        source=BillSource.DOWNLOAD,
        filename=bill_file.filename,
        actor=actor,
    )


# --- comparing ----------------------------------------------------------------------------------


@dataclass
class _Found:
    kind: str
    key: str
    order: Order | None = None
    line: BillLine | None = None
    refund: RefundRequest | None = None
    here_fen: int | None = None
    there_fen: int | None = None
    detail: str = ""


def _day_window(bill_date: date) -> tuple[datetime, datetime]:
    start = datetime.combine(bill_date, time.min, tzinfo=SHANGHAI)
    return start, start + timedelta(days=1)


def find_differences(bill: Bill) -> list[_Found]:
    """Compare one bill with our orders and refunds (read only)."""
    lines = list(bill.lines.all())
    payments = [line for line in lines if line.kind == BillLineKind.PAYMENT]
    refund_lines = [line for line in lines if line.kind == BillLineKind.REFUND]
    start, end = _day_window(bill.bill_date)
    found: list[_Found] = []

    txn_ids = {line.provider_txn_id for line in payments}
    paid_by_txn = {
        order.provider_txn_id: order
        for order in Order.objects.filter(gateway=bill.gateway, provider_txn_id__in=txn_ids, status__in=PAID_STATUSES)
    }
    by_out_trade_no = {
        order.out_trade_no: order
        for order in Order.objects.filter(out_trade_no__in={line.out_trade_no for line in lines})
    }
    for line in payments:
        order = paid_by_txn.get(line.provider_txn_id)
        if order is not None:
            if order.amount_fen != line.amount_fen:
                found.append(
                    _Found(
                        DifferenceKind.AMOUNT_DIFFERS,
                        line.provider_txn_id,
                        order=order,
                        line=line,
                        here_fen=order.amount_fen,
                        there_fen=line.amount_fen,
                        detail="收款金额不符",
                    )
                )
            continue
        candidate = by_out_trade_no.get(line.out_trade_no)
        if candidate is None:
            detail = "本地没有这个商户订单号"
        elif candidate.gateway != bill.gateway:
            detail, candidate = f"该订单号属于另一支付渠道（{candidate.gateway}）", None
        elif candidate.status in PAID_STATUSES:
            detail = f"订单已由另一笔渠道交易 {candidate.provider_txn_id} 支付：重复支付，需人工退款"
        elif candidate.amount_fen != line.amount_fen:
            detail = f"订单{candidate.get_status_display()}，且金额不符（订单 {candidate.amount_fen} 分）"
        else:
            detail = f"订单{candidate.get_status_display()}：可经渠道核实后从账单找回捐赠"
        found.append(
            _Found(
                DifferenceKind.PAID_THERE_ONLY,
                line.provider_txn_id,
                order=candidate,
                line=line,
                here_fen=candidate.amount_fen if candidate else None,
                there_fen=line.amount_fen,
                detail=detail,
            )
        )

    paid_here = (
        Order.objects.filter(gateway=bill.gateway, status__in=PAID_STATUSES, paid_at__gte=start, paid_at__lt=end)
        .exclude(provider_txn_id__in=txn_ids)
        .order_by("paid_at", "pk")
    )
    for order in paid_here:
        found.append(
            _Found(
                DifferenceKind.PAID_HERE_ONLY,
                order.provider_txn_id,
                order=order,
                here_fen=order.amount_fen,
                detail="本地已确认捐赠，账单中没有这笔交易",
            )
        )

    refund_nos = {line.refund_no for line in refund_lines}
    ours = {
        refund.refund_no: refund
        for refund in RefundRequest.objects.filter(gateway=bill.gateway, refund_no__in=refund_nos).select_related(
            "order"
        )
    }
    for line in refund_lines:
        refund = ours.get(line.refund_no)
        if refund is not None and refund.status == RefundStatus.SUCCEEDED:
            if refund.amount_fen != line.amount_fen:
                found.append(
                    _Found(
                        DifferenceKind.AMOUNT_DIFFERS,
                        f"refund:{line.refund_no}",
                        order=refund.order,
                        line=line,
                        refund=refund,
                        here_fen=refund.amount_fen,
                        there_fen=line.amount_fen,
                        detail="退款金额不符",
                    )
                )
            continue
        detail = "本地没有这个退款单" if refund is None else f"本地退款状态为{refund.get_status_display()}"
        order = refund.order if refund else by_out_trade_no.get(line.out_trade_no)
        found.append(
            _Found(
                DifferenceKind.REFUND_THERE_ONLY,
                line.refund_no,
                order=order if order is None or order.gateway == bill.gateway else None,
                line=line,
                refund=refund,
                there_fen=line.amount_fen,
                detail=detail,
            )
        )
    refunded_here = (
        RefundRequest.objects.filter(
            gateway=bill.gateway, status=RefundStatus.SUCCEEDED, finished_at__gte=start, finished_at__lt=end
        )
        .exclude(refund_no__in=refund_nos)
        .select_related("order")
        .order_by("finished_at", "pk")
    )
    for refund in refunded_here:
        found.append(
            _Found(
                DifferenceKind.REFUND_HERE_ONLY,
                refund.refund_no,
                order=refund.order,
                refund=refund,
                here_fen=refund.amount_fen,
                detail="本地已记退款成功，账单中没有这笔退款",
            )
        )
    return found


def reconcile_bill(*, bill: Bill, imported: bool = False) -> ReconciliationReport:
    """List the bill's differences (idempotent per bill); clear open ones that no longer hold."""
    report = ReconciliationReport(bill=bill, imported=imported)
    now = timezone.now()
    with transaction.atomic():
        seen = set()
        for item in find_differences(bill):
            seen.add((item.kind, item.key))
            difference, created = ReconciliationDifference.objects.get_or_create(
                bill=bill,
                kind=item.kind,
                key=item.key[:80],
                defaults={
                    "order": item.order,
                    "bill_line": item.line,
                    "refund": item.refund,
                    "out_trade_no": (item.line.out_trade_no if item.line else item.order.out_trade_no)[:64],
                    "provider_txn_id": (item.line.provider_txn_id if item.line else (item.order.provider_txn_id or ""))[
                        :64
                    ],
                    "refund_no": (item.refund.refund_no if item.refund else (item.line.refund_no if item.line else ""))[
                        :64
                    ],
                    "here_fen": item.here_fen,
                    "there_fen": item.there_fen,
                    "detail": item.detail[:300],
                },
            )
            if not created and difference.status == DifferenceStatus.CLEARED:
                ReconciliationDifference.objects.filter(pk=difference.pk).update(
                    status=DifferenceStatus.OPEN, resolved_at=None, resolution_note=""
                )
                difference.refresh_from_db()
            report.new += int(created)
            report.differences.append(difference)
        for difference in bill.differences.filter(status=DifferenceStatus.OPEN):
            if (difference.kind, difference.key) not in seen:
                report.cleared += ReconciliationDifference.objects.filter(
                    pk=difference.pk, status=DifferenceStatus.OPEN
                ).update(status=DifferenceStatus.CLEARED, resolved_at=now, resolution_note="重新对账时差异已不存在")
        Bill.objects.filter(pk=bill.pk).update(reconciled_at=now)
    return report


def reconcile_day(*, gateway: str, bill_date: date, content: bytes | None = None, filename: str = "", actor=None):
    """Import (from ``content``, or by downloading) and reconcile one gateway's day; the command's and task's entry."""
    if content is None:
        bill, imported = download_bill(gateway=gateway, bill_date=bill_date, actor=actor)
    else:
        bill, imported = import_bill(
            gateway=gateway,
            bill_date=bill_date,
            content=content,
            source=BillSource.UPLOAD,
            filename=filename,
            actor=actor,
        )
    return reconcile_bill(bill=bill, imported=imported)


# --- acting on differences ----------------------------------------------------------------------


def recover_gift_from_bill(*, difference: ReconciliationDifference, actor=None):
    """Confirm a payment the bill shows and we missed, after the provider confirms it again; return the gift.

    Only for ``paid_there_only`` differences whose order is ours, pending or closed. The provider is
    queried first (a bill file, especially an uploaded one, is not proof enough to create money);
    its answer must agree with the bill line, and then goes through ``confirm_payment`` — the same
    gift, match and ledger entries as a notification would have made. The difference records who
    recovered it and which gift; everything happens in one transaction or not at all.
    """
    from gongyi.giving.services import confirm_payment

    difference = ReconciliationDifference.objects.select_related("bill", "bill_line", "order").get(pk=difference.pk)
    if not difference.recoverable:
        raise ReconciliationError("只有“渠道已收款、本地无捐赠”且本地有该订单的差异可以找回")
    order, line = difference.order, difference.bill_line
    if order.status not in (OrderStatus.PENDING, OrderStatus.CLOSED):
        raise ReconciliationError(f"订单状态为{order.get_status_display()}，不能找回（可能是重复支付，请人工退款）")
    try:
        result = get_gateway(order.gateway).query(order=order)
    except (GatewayError, UnknownGateway) as exc:
        raise ReconciliationError(f"无法向支付渠道核实，未作更改：{exc}") from None
    payment = result.payment
    if result.state != "paid" or payment is None:
        raise ReconciliationError(f"支付渠道查询结果为“{result.state}”，与账单不符，未作更改")
    if payment.provider_txn_id != line.provider_txn_id or payment.amount_fen != line.amount_fen:
        raise ReconciliationError("支付渠道查询结果与账单行的交易号或金额不一致，未作更改")
    with transaction.atomic():
        try:
            confirmation = confirm_payment(
                gateway=order.gateway,
                payment=payment,
                raw_body=f"(reconciliation: bill {difference.bill_id} line {line.line_no}, by {actor})",
            )
        except NotificationRefused as exc:
            raise ReconciliationError(f"确认被拒绝，未作更改：{exc.message}") from None
        updated = ReconciliationDifference.objects.filter(pk=difference.pk, status=DifferenceStatus.OPEN).update(
            status=DifferenceStatus.RECOVERED,
            resolved_by=acting_user(actor),
            resolved_at=timezone.now(),
            resolution_note=f"经渠道查询核实后确认捐赠（证书 {confirmation.gift.certificate_no}）",
            recovered_gift_id=confirmation.gift.pk,
        )
        if not updated:
            raise ReconciliationError("该差异已被他人处理")
        record_event(
            kind=PaymentEventKind.DIFFERENCE_RECOVERED,
            actor=actor,
            order=order,
            difference=difference.pk,
            bill=difference.bill_id,
            provider_txn_id=payment.provider_txn_id,
            amount_fen=payment.amount_fen,
            gift=confirmation.gift.pk,
        )
    return confirmation.gift


def resolve_difference(*, difference: ReconciliationDifference, note: str, actor=None) -> ReconciliationDifference:
    """Staff mark a difference handled outside the system (a manual refund, a bank adjustment …), with a note."""
    note = (note or "").strip()
    if not note:
        raise ReconciliationError("请填写处理说明")
    if has_nul(note):
        raise ReconciliationError(f"处理说明{NUL_MESSAGE}")
    with transaction.atomic():
        updated = ReconciliationDifference.objects.filter(pk=difference.pk, status=DifferenceStatus.OPEN).update(
            status=DifferenceStatus.RESOLVED,
            resolved_by=acting_user(actor),
            resolved_at=timezone.now(),
            resolution_note=note[:300],
        )
        if not updated:
            raise ReconciliationError("该差异不是待处理状态")
        record_event(
            kind=PaymentEventKind.DIFFERENCE_RESOLVED,
            actor=actor,
            order=difference.order,
            difference=difference.pk,
            note=note[:300],
        )
    return ReconciliationDifference.objects.get(pk=difference.pk)
