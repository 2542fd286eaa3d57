"""The money path: ``confirm_payment`` turns a verified payment into exactly one gift."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

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


def refund_gift(*, gift: Gift, reason: str, actor=None) -> Gift:
    """Refund a confirmed gift through its gateway and post the reversals (gift, then match) once.

    The match goes back to the pool or is forfeited as the pool's rules say. Refunding twice is refused.
    """
    from gongyi.ledger.models import JournalEntry
    from gongyi.ledger.services import reverse_entry
    from gongyi.matching.live import take_back_match
    from gongyi.matching.models import Match
    from gongyi.payments.gateways import get_gateway

    if not reason.strip():
        raise RefundError("reason", "请填写退款理由")
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=gift.order_id)
        gift = Gift.objects.select_related("project", "order").get(pk=gift.pk)
        if gift.status != GiftStatus.CONFIRMED or order.status != OrderStatus.PAID:
            raise RefundError("gift", "该捐赠已退款或不可退款")
        result = get_gateway(gift.gateway).refund(
            order=order, amount_fen=gift.amount_fen, refund_no=f"RF{gift.pk}", reason=reason[:80]
        )
        if not result.accepted:
            raise RefundError("gateway", f"支付渠道拒绝退款：{result.message}")
        now = timezone.now()
        reverse_entry(
            entry=JournalEntry.objects.get(idempotency_key=f"gift:{gift.pk}"),
            kind=EntryKind.GIFT_REVERSAL,
            idempotency_key=f"gift-reversal:{gift.pk}",
            memo=f"退款（{reason[:60]}） {order.out_trade_no}",
            occurred_at=now,
        )
        match = Match.objects.select_related("pool", "gift", "gift__order", "gift__project").filter(gift=gift).first()
        if match is not None:
            take_back_match(match=match, to_pool=match.pool.refund_returns_to_pool, why="退款")
        Gift.objects.filter(pk=gift.pk).update(status=GiftStatus.REFUNDED, matched_fen=0)
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.REFUNDED)
        _uncount_gift(gift)
        logger.info("gift %s refunded by %s: %s", gift.pk, actor, reason)
        gift.refresh_from_db()
    return gift


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
