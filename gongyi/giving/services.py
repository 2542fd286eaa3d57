"""The money path: ``confirm_payment`` turns a verified payment into exactly one gift."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gongyi.core.text import NUL_MESSAGE, has_nul
from gongyi.giving.models import Gift, GiftStatus
from gongyi.ledger.models import AccountKind, EntryKind
from gongyi.ledger.services import Leg, post_entry, project_account, provider_clearing_account
from gongyi.payments.interface import NotificationRefused, VerifiedPayment
from gongyi.payments.models import NotificationOutcome, Order, OrderStatus, PaymentNotification
from gongyi.projects.models import Project, ProjectDonor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Confirmation:
    gift: Gift
    created: bool  # False when this delivery repeated one already confirmed


def new_certificate_no() -> str:
    return "ZS" + timezone.localdate().strftime("%Y%m%d") + secrets.token_hex(5).upper()


def confirm_payment(*, gateway: str, payment: VerifiedPayment, raw_body: str = "") -> Confirmation:
    """Confirm a verified payment exactly once, in one transaction.

    The order moves pending (or closed) → paid by a conditional update; the first delivery creates the
    gift, posts the balanced gift entry and moves the project's counters; every later, duplicate or
    concurrent delivery of the same transaction changes nothing and gets the same gift back. Refuses
    (``NotificationRefused``, nothing written) an unknown order, another gateway's order, a wrong amount,
    or a second, different provider transaction for an order already paid.
    """
    try:
        with transaction.atomic(durable=not transaction.get_connection().in_atomic_block):
            return _confirm(gateway, payment, raw_body)
    except IntegrityError:
        # A concurrent delivery won the race between our read and our insert; its gift stands.
        gift = (
            Gift.objects.select_related("order")
            .filter(gateway=gateway, provider_txn_id=payment.provider_txn_id)
            .first()
        )
        if gift is None:
            raise
        if gift.order.out_trade_no != payment.out_trade_no:
            raise NotificationRefused(409, "TRANSACTION_REUSED", "该渠道交易号已用于另一订单") from None
        return Confirmation(gift=gift, created=False)


def _confirm(gateway: str, payment: VerifiedPayment, raw_body: str) -> Confirmation:
    # Row lock on PostgreSQL; SQLite's IMMEDIATE transaction already holds the write lock.
    order = Order.objects.select_for_update().filter(out_trade_no=payment.out_trade_no).first()
    if order is None:
        raise NotificationRefused(404, "ORDER_NOT_FOUND", f"订单 {payment.out_trade_no} 不存在")
    if order.gateway != gateway:
        raise NotificationRefused(409, "GATEWAY_MISMATCH", "订单不属于该支付渠道")
    if payment.amount_fen != order.amount_fen:
        raise NotificationRefused(
            409, "AMOUNT_MISMATCH", f"金额不符：订单 {order.amount_fen} 分，通知 {payment.amount_fen} 分"
        )
    if order.status in (OrderStatus.PAID, OrderStatus.REFUNDED):
        if order.provider_txn_id != payment.provider_txn_id:
            logger.error(
                "order %s paid twice: %s then %s",
                order.out_trade_no,
                order.provider_txn_id,
                payment.provider_txn_id,
            )
            raise NotificationRefused(409, "ALREADY_PAID", "订单已由另一笔交易支付，请人工核对并退款")
        gift = Gift.objects.get(order=order)
        PaymentNotification.objects.create(
            gateway=gateway,
            order=order,
            provider_txn_id=payment.provider_txn_id,
            outcome=NotificationOutcome.DUPLICATE,
            body=raw_body,
        )
        return Confirmation(gift=gift, created=False)

    if Order.objects.filter(gateway=gateway, provider_txn_id=payment.provider_txn_id).exclude(pk=order.pk).exists():
        raise NotificationRefused(409, "TRANSACTION_REUSED", "该渠道交易号已用于另一订单")

    updated = Order.objects.filter(pk=order.pk, status__in=[OrderStatus.PENDING, OrderStatus.CLOSED]).update(
        status=OrderStatus.PAID,
        provider_txn_id=payment.provider_txn_id,
        payer=payment.payer,
        paid_at=payment.paid_at,
    )
    if updated != 1:  # cannot happen under the row lock; refuse rather than double-count
        raise IntegrityError(f"order {order.out_trade_no} changed under its lock")

    project = Project.objects.get(pk=order.project_id)
    gift = Gift.objects.create(
        order=order,
        project=project,
        amount_fen=order.amount_fen,
        gateway=gateway,
        provider_txn_id=payment.provider_txn_id,
        donor_key=f"{gateway}:{payment.payer}",
        donor_name=order.donor_name,
        anonymous=order.anonymous,
        message=order.message,
        paid_at=payment.paid_at,
        certificate_no=new_certificate_no(),
    )
    post_entry(
        kind=EntryKind.GIFT,
        idempotency_key=f"gift:{gift.pk}",
        occurred_at=payment.paid_at,
        memo=f"捐赠 {order.out_trade_no} → {project.title}",
        legs=[
            Leg(provider_clearing_account(gateway), gift.amount_fen),
            Leg(project_account(project, AccountKind.PROJECT_DONATIONS), -gift.amount_fen),
        ],
        gift=gift,
        project=project,
    )
    _count_gift(project, gift)
    _match_gift(gift)
    _credit_unit_and_team(gift)
    PaymentNotification.objects.create(
        gateway=gateway,
        order=order,
        provider_txn_id=payment.provider_txn_id,
        outcome=NotificationOutcome.CONFIRMED,
        body=raw_body,
    )
    return Confirmation(gift=gift, created=True)


def _count_gift(project: Project, gift: Gift) -> None:
    new_donor = False
    try:
        with transaction.atomic():
            ProjectDonor.objects.create(project=project, donor_key=gift.donor_key, first_gift_at=gift.paid_at)
            new_donor = True
    except IntegrityError:
        pass
    Project.objects.filter(pk=project.pk).update(
        gifts_count=F("gifts_count") + 1, donors_count=F("donors_count") + (1 if new_donor else 0)
    )


def _credit_unit_and_team(gift: Gift) -> None:
    """Seam for 一日捐 drives and 一起捐 teams: soft-credit the gift to its unit and team, same transaction."""
    from gongyi.drives.services import credit_confirmed_gift

    credit_confirmed_gift(gift=gift)


def _match_gift(gift: Gift) -> None:
    """Seam for the matching engine (配捐): match the gift from its campaign's pool, same transaction."""
    from gongyi.matching import live

    live.match_confirmed_gift(gift=gift)


class RefundError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RefundRecorded:
    refund: object  # payments.models.RefundRequest
    created: bool  # False when this result had already been recorded


def request_refund(*, gift: Gift, reason: str, actor=None):
    """Staff start a full refund of a confirmed gift; return the ``RefundRequest``.

    Opens the request (at most one live per order, a unique index), asks the gateway under its refund
    number outside any transaction, and records the result when it is final: at once for the sandbox,
    later by notification or the sweep's query for WeChat Pay and Alipay. Raises RefundError when the
    gift cannot be refunded, already has a refund under way, or the provider refuses.
    """
    from gongyi.payments.interface import RefundState, VerifiedRefund
    from gongyi.payments.models import RefundStatus
    from gongyi.payments.services import RefundInProgress, open_refund_request, submit_refund

    reason = (reason or "").strip()
    if not reason:
        raise RefundError("reason", "请填写退款理由")
    if has_nul(reason):
        raise RefundError("reason", NUL_MESSAGE)
    gift = Gift.objects.select_related("order").get(pk=gift.pk)
    if gift.status != GiftStatus.CONFIRMED or gift.order.status != OrderStatus.PAID:
        raise RefundError("gift", "该捐赠已退款或不可退款")
    try:
        refund = open_refund_request(order=gift.order, amount_fen=gift.amount_fen, reason=reason, actor=actor)
    except RefundInProgress:
        raise RefundError("gift", "该捐赠已有退款在处理中或已退款") from None
    result = submit_refund(refund=refund)
    if result is not None and result.final_state == RefundState.SUCCEEDED:
        try:
            record_refund_result(
                gateway=refund.gateway,
                result=VerifiedRefund(
                    out_trade_no=gift.order.out_trade_no,
                    refund_no=refund.refund_no,
                    provider_refund_id=result.provider_refund_id,
                    amount_fen=result.amount_fen or refund.amount_fen,
                    state=RefundState.SUCCEEDED,
                    finished_at=result.finished_at,
                ),
                raw_body="(refund answer)",
                actor=actor,
            )
        except NotificationRefused as exc:
            # The provider's answer does not match the request: leave it for staff, change no money.
            logger.error("refund %s answer refused: %s", refund.refund_no, exc.message)
            raise RefundError("gateway", f"支付渠道的退款结果与申请不符，请人工核对：{exc.message}") from None
    refund.refresh_from_db()
    if refund.status == RefundStatus.FAILED:
        raise RefundError("gateway", f"支付渠道拒绝退款：{refund.message}")
    return refund


def refund_gift(*, gift: Gift, reason: str, actor=None) -> Gift:
    """Refund a confirmed gift in full and return it as it now stands (a convenience over ``request_refund``).

    With the sandbox the refund is final at once: the gift comes back refunded, its reversals (gift, then
    match — to the pool or forfeited as the pool's rules say) posted. With WeChat Pay or Alipay it may
    still be pending, the gift confirmed until the provider's result arrives. Refunding twice is refused.
    """
    request_refund(gift=gift, reason=reason, actor=actor)
    return Gift.objects.select_related("project", "order").get(pk=gift.pk)


def record_refund_result(*, gateway: str, result, raw_body: str = "", actor=None) -> RefundRecorded:
    """Record that the provider refunded (a ``VerifiedRefund``): post the reversals exactly once.

    Idempotent on the refund: under the order's row lock the request moves to ``succeeded`` by a
    conditional update, and only the delivery that moves it posts the gift reversal, takes the match
    back and uncounts the gift; every later or concurrent word on the same refund — notification,
    query, synchronous answer — changes nothing and is answered as a success. Refuses
    (NotificationRefused, nothing written) an unknown refund number, another gateway's or order's
    refund, or a different amount.
    """
    try:
        with transaction.atomic(durable=not transaction.get_connection().in_atomic_block):
            return _record_refund(gateway, result, raw_body, actor)
    except IntegrityError:
        # A concurrent delivery of the same result won; its reversals stand.
        from gongyi.payments.models import RefundRequest, RefundStatus

        refund = RefundRequest.objects.filter(refund_no=result.refund_no, status=RefundStatus.SUCCEEDED).first()
        if refund is None:
            raise
        return RefundRecorded(refund=refund, created=False)


def _record_refund(gateway: str, result, raw_body: str, actor) -> RefundRecorded:
    from gongyi.payments.models import PaymentEventKind, RefundRequest, RefundStatus
    from gongyi.payments.services import record_event

    found = RefundRequest.objects.filter(refund_no=result.refund_no, gateway=gateway).first()
    if found is None:
        raise NotificationRefused(404, "REFUND_NOT_FOUND", f"退款单 {result.refund_no} 不存在")
    # The one lock order: the order row first (as in confirm_payment), then the refund row.
    order = Order.objects.select_for_update().get(pk=found.order_id)
    refund = RefundRequest.objects.select_for_update().get(pk=found.pk)
    if order.out_trade_no != result.out_trade_no:
        raise NotificationRefused(409, "REFUND_ORDER_MISMATCH", "退款单不属于该订单")
    if result.amount_fen != refund.amount_fen:
        raise NotificationRefused(
            409, "REFUND_AMOUNT_MISMATCH", f"退款金额不符：申请 {refund.amount_fen} 分，渠道 {result.amount_fen} 分"
        )
    provider_refund_id = result.provider_refund_id or refund.provider_refund_id or None
    if refund.status == RefundStatus.SUCCEEDED:
        if provider_refund_id and refund.provider_refund_id and provider_refund_id != refund.provider_refund_id:
            raise NotificationRefused(409, "REFUND_ID_MISMATCH", "渠道退款单号与已记录的不符")
        _store_refund_notification(gateway, order, refund, raw_body, duplicate=True)
        return RefundRecorded(refund=refund, created=False)

    gift = Gift.objects.select_related("project", "order").get(order=order)
    if gift.status != GiftStatus.CONFIRMED or order.status != OrderStatus.PAID:
        raise NotificationRefused(409, "ALREADY_REFUNDED", "该捐赠已退款，请人工核对")
    now = timezone.now()
    try:
        with transaction.atomic():
            updated = RefundRequest.objects.filter(
                pk=refund.pk, status__in=[RefundStatus.REQUESTED, RefundStatus.PENDING, RefundStatus.FAILED]
            ).update(
                status=RefundStatus.SUCCEEDED,
                provider_refund_id=provider_refund_id,
                finished_at=result.finished_at or now,
                message="",
            )
    except IntegrityError:
        # A failed request turned out to have succeeded while another refund of the order is live.
        raise NotificationRefused(409, "REFUND_CONFLICT", "该订单已有另一笔退款，请人工核对") from None
    if updated != 1:  # cannot happen under the row lock; refuse rather than reverse twice
        raise IntegrityError(f"refund {refund.refund_no} changed under its lock")
    _post_refund_reversals(gift=gift, order=order, reason=refund.reason, at=now, actor=actor)
    refund.refresh_from_db()
    _store_refund_notification(gateway, order, refund, raw_body, duplicate=False)
    record_event(
        kind=PaymentEventKind.REFUND_SUCCEEDED,
        actor=actor,
        order=order,
        refund_no=refund.refund_no,
        provider_refund_id=refund.provider_refund_id or "",
        amount_fen=refund.amount_fen,
    )
    return RefundRecorded(refund=refund, created=True)


def _store_refund_notification(gateway: str, order: Order, refund, raw_body: str, *, duplicate: bool) -> None:
    PaymentNotification.objects.create(
        gateway=gateway,
        order=order,
        provider_txn_id=(refund.provider_refund_id or refund.refund_no)[:64],
        outcome=NotificationOutcome.REFUND_DUPLICATE if duplicate else NotificationOutcome.REFUND_RECORDED,
        body=raw_body,
    )


def _post_refund_reversals(*, gift: Gift, order: Order, reason: str, at, actor) -> None:
    """The gift reversal, the match taken back, the gift and order marked refunded, the counters moved back."""
    from gongyi.ledger.models import JournalEntry
    from gongyi.ledger.services import reverse_entry
    from gongyi.matching.live import take_back_match
    from gongyi.matching.models import Match

    reverse_entry(
        entry=JournalEntry.objects.get(idempotency_key=f"gift:{gift.pk}"),
        kind=EntryKind.GIFT_REVERSAL,
        idempotency_key=f"gift-reversal:{gift.pk}",
        memo=f"退款（{reason[:60]}） {order.out_trade_no}",
        occurred_at=at,
    )
    match = Match.objects.select_related("pool", "gift", "gift__order", "gift__project").filter(gift=gift).first()
    if match is not None:
        take_back_match(match=match, to_pool=match.pool.refund_returns_to_pool, why="退款")
    Gift.objects.filter(pk=gift.pk).update(status=GiftStatus.REFUNDED, matched_fen=0)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.REFUNDED)
    _uncount_gift(gift)
    _uncredit_unit_and_team(gift, actor)
    logger.info("gift %s refunded (requested by %s): %s", gift.pk, actor, reason)


def _uncredit_unit_and_team(gift: Gift, actor) -> None:
    """Seam for 一日捐 drives and 一起捐 teams: take the refunded gift's soft credit back, same transaction."""
    from gongyi.drives.services import uncredit_refunded_gift

    uncredit_refunded_gift(gift=gift, actor=actor)


def _uncount_gift(gift: Gift) -> None:
    still_giving = Gift.objects.filter(
        project_id=gift.project_id, donor_key=gift.donor_key, status=GiftStatus.CONFIRMED
    ).exists()
    lost_donor = 0
    if not still_giving:
        lost_donor = ProjectDonor.objects.filter(project_id=gift.project_id, donor_key=gift.donor_key).delete()[0]
    Project.objects.filter(pk=gift.project_id).update(
        gifts_count=F("gifts_count") - 1, donors_count=F("donors_count") - lost_donor
    )
