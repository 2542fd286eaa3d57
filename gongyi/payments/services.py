"""Writes for orders, refund requests and notifications: creating, closing, recording what providers say."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gongyi.core.money import MAX_GIFT_FEN
from gongyi.core.text import NUL_MESSAGE, has_nul
from gongyi.payments.gateways import UnknownGateway, enabled_gateways, get_gateway
from gongyi.payments.interface import (
    GatewayError,
    NotificationRefused,
    RefundResult,
    RefundState,
    ReplayGuard,
    VerifiedClosure,
    VerifiedNotification,
    VerifiedPayment,
    VerifiedRefund,
)
from gongyi.payments.models import (
    NotificationNonce,
    NotificationOutcome,
    Order,
    OrderStatus,
    PaymentEvent,
    PaymentEventKind,
    PaymentNotification,
    RefundRequest,
    RefundStatus,
)
from gongyi.projects.models import Project, ProjectStatus

logger = logging.getLogger(__name__)

MIN_GIFT_FEN = 1


class OrderInputError(ValueError):
    """Bad order input; ``field`` names the offending field for the form or the API."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class OrderRequest:
    project_id: int
    amount_fen: int
    gateway: str
    channel: str = "h5"
    donor_name: str = ""
    anonymous: bool = False
    message: str = ""
    unit_code: str = ""


def new_out_trade_no() -> str:
    """GY + local timestamp + 8 random digits: sortable for staff, unguessable for strangers."""
    return "GY" + timezone.localtime().strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10**8):08d}"


def create_order(*, request: OrderRequest) -> Order:
    """Validate and create a pending order; raise OrderInputError naming the field on bad input."""
    if isinstance(request.amount_fen, bool) or not isinstance(request.amount_fen, int):
        raise OrderInputError("fen", "金额必须是整数（分）")
    if request.amount_fen < MIN_GIFT_FEN:
        raise OrderInputError("fen", "金额必须大于0")
    if request.amount_fen > MAX_GIFT_FEN:
        raise OrderInputError("fen", f"单笔金额不能超过 {MAX_GIFT_FEN // 100} 元")
    if request.gateway not in enabled_gateways():
        raise OrderInputError("gateway", f"支付渠道不可用，可用：{', '.join(enabled_gateways()) or '无'}")
    donor_name = (request.donor_name or "").strip()
    if len(donor_name) > 40:
        raise OrderInputError("donor", "署名不能超过40个字")
    message = (request.message or "").strip()
    if len(message) > 200:
        raise OrderInputError("message", "留言不能超过200个字")
    for field, value in (("donor", donor_name), ("message", message), ("channel", request.channel)):
        if has_nul(value):
            raise OrderInputError(field, NUL_MESSAGE)
    if has_nul(request.unit_code):
        raise OrderInputError("unit_code", NUL_MESSAGE)
    project = Project.objects.filter(pk=request.project_id).select_related("campaign").first()
    if project is None:
        raise OrderInputError("project", "项目不存在")
    if project.status != ProjectStatus.PUBLISHED:
        raise OrderInputError("project", "项目当前不接受捐赠")
    today = timezone.localdate()
    if not (project.fundraising_starts_on <= today <= project.fundraising_ends_on):
        raise OrderInputError("project", "不在项目的募捐期内")
    with transaction.atomic():
        return Order.objects.create(
            out_trade_no=new_out_trade_no(),
            project=project,
            amount_fen=request.amount_fen,
            gateway=request.gateway,
            channel=request.channel[:16],
            donor_name=donor_name,
            anonymous=bool(request.anonymous),
            message=message,
            unit_code=request.unit_code[:16],
        )


def close_order(*, order: Order) -> bool:
    """Close a pending order the provider says was never paid; a later verified payment still confirms it."""
    return bool(
        Order.objects.filter(pk=order.pk, status=OrderStatus.PENDING).update(
            status=OrderStatus.CLOSED, closed_at=timezone.now()
        )
    )


def record_event(*, kind: str, actor=None, order: Order | None = None, **details) -> PaymentEvent:
    """Append one row to the payments trail (who, what, when), in the caller's transaction."""
    return PaymentEvent.objects.create(kind=kind, actor=acting_user(actor), order=order, details=details)


def acting_user(actor):
    """The user behind an action, or None for the system (tasks, providers, anonymous)."""
    return actor if getattr(actor, "is_authenticated", False) else None


# --- notifications ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationOutcomeReport:
    ok: bool
    message: str


def apply_notification(*, gateway: str, event: VerifiedNotification, raw_body: str) -> NotificationOutcomeReport:
    """Apply a verified notification in one transaction: its nonce, then what it says.

    A payment goes through ``confirm_payment``; a refund result through ``record_refund_result`` (or
    marks the refund failed); a closure closes a pending order. Raises NotificationRefused — and then
    nothing at all is written, the nonce included — for a replayed nonce or anything not matching.
    """
    from gongyi.giving.services import confirm_payment, record_refund_result

    with transaction.atomic(durable=not transaction.get_connection().in_atomic_block):
        if event.replay is not None:
            _record_nonce(gateway=gateway, guard=event.replay)
        if isinstance(event, VerifiedPayment):
            confirmation = confirm_payment(gateway=gateway, payment=event, raw_body=raw_body)
            return NotificationOutcomeReport(True, "OK" if confirmation.created else "duplicate")
        if isinstance(event, VerifiedRefund):
            if event.state == RefundState.SUCCEEDED:
                recorded = record_refund_result(gateway=gateway, result=event, raw_body=raw_body)
                return NotificationOutcomeReport(True, "refund recorded" if recorded.created else "duplicate")
            record_refund_failure(gateway=gateway, result=event, raw_body=raw_body)
            return NotificationOutcomeReport(True, "refund failure recorded")
        if isinstance(event, VerifiedClosure):
            order = Order.objects.filter(out_trade_no=event.out_trade_no, gateway=gateway).first()
            if order is None:
                raise NotificationRefused(404, "ORDER_NOT_FOUND", f"订单 {event.out_trade_no} 不存在")
            closed = close_order(order=order)
            PaymentNotification.objects.create(
                gateway=gateway,
                order=order,
                provider_txn_id="",
                outcome=NotificationOutcome.CLOSED,
                body=raw_body,
            )
            return NotificationOutcomeReport(True, "closed" if closed else "unchanged")
    raise TypeError(f"unknown notification event {type(event).__name__}")


def _record_nonce(*, gateway: str, guard: ReplayGuard) -> None:
    try:
        with transaction.atomic():
            NotificationNonce.objects.create(
                gateway=gateway, serial=guard.serial, nonce=guard.nonce, signed_at=guard.signed_at
            )
    except IntegrityError:
        raise NotificationRefused(401, "NONCE_REPLAYED", "该通知随机串已用过（重放）") from None


def prune_nonces(*, older_than: timedelta = timedelta(minutes=15)) -> int:
    """Forget nonces signed before the freshness window could still admit them."""
    return NotificationNonce.objects.filter(signed_at__lt=timezone.now() - older_than).delete()[0]


# --- refunds ------------------------------------------------------------------------------------


class RefundInProgress(Exception):
    """The order already has a live (requested, pending or succeeded) refund."""


def new_refund_no() -> str:
    """RF + local timestamp + 8 random digits: our refund number towards the provider (≤ 64 characters)."""
    return "RF" + timezone.localtime().strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10**8):08d}"


def open_refund_request(*, order: Order, amount_fen: int, reason: str, actor=None) -> RefundRequest:
    """Record that staff asked for a refund; RefundInProgress when the order already has a live one."""
    try:
        with transaction.atomic():
            refund = RefundRequest.objects.create(
                refund_no=new_refund_no(),
                order=order,
                gateway=order.gateway,
                amount_fen=amount_fen,
                reason=reason[:200],
                requested_by=acting_user(actor),
            )
            record_event(
                kind=PaymentEventKind.REFUND_REQUESTED,
                actor=actor,
                order=order,
                refund_no=refund.refund_no,
                amount_fen=amount_fen,
                reason=reason[:200],
            )
    except IntegrityError:
        raise RefundInProgress(order.out_trade_no) from None
    return refund


def submit_refund(*, refund: RefundRequest) -> RefundResult | None:
    """Ask the provider to refund under our refund number, outside any transaction; note what it said.

    Providers treat a repeated refund number as the same refund, so asking again is safe. Returns the
    provider's answer (a failure marks the request failed, a pending answer marks it pending; a success
    is for the caller to record through ``record_refund_result``), or None when the provider could not
    be reached: the request stays ``requested`` and the sweep asks again.
    """
    refund = RefundRequest.objects.select_related("order").get(pk=refund.pk)
    if refund.status not in (RefundStatus.REQUESTED, RefundStatus.PENDING):
        return None
    try:
        gateway = get_gateway(refund.gateway)
    except UnknownGateway as exc:
        if refund.attempts == 0:  # never reached the provider: nothing can have been refunded
            mark_refund_failed(refund=refund, message=str(exc))
            return RefundResult(accepted=False, message=str(exc))
        _note(refund, str(exc))
        return None
    except GatewayError as exc:
        _note(refund, str(exc))
        return None
    RefundRequest.objects.filter(pk=refund.pk).update(attempts=F("attempts") + 1, submitted_at=timezone.now())
    try:
        result = gateway.refund(
            order=refund.order, amount_fen=refund.amount_fen, refund_no=refund.refund_no, reason=refund.reason
        )
    except GatewayError as exc:
        logger.warning("refund %s not submitted: %s", refund.refund_no, exc)
        _note(refund, str(exc))
        return None
    _apply_refund_answer(refund, result)
    return result


def poll_refund(*, refund: RefundRequest) -> RefundResult | None:
    """Ask the provider how a submitted refund ended (the sweep's question); like ``submit_refund``."""
    refund = RefundRequest.objects.select_related("order").get(pk=refund.pk)
    try:
        result = get_gateway(refund.gateway).query_refund(order=refund.order, refund_no=refund.refund_no)
    except (GatewayError, UnknownGateway) as exc:
        _note(refund, str(exc))
        return None
    if result.accepted and result.state == RefundState.UNKNOWN:
        return result
    _apply_refund_answer(refund, result)
    return result


def _apply_refund_answer(refund: RefundRequest, result: RefundResult) -> None:
    state = result.final_state
    if state == RefundState.FAILED:
        mark_refund_failed(refund=refund, message=result.message or "支付渠道拒绝退款")
    elif state == RefundState.PENDING:
        RefundRequest.objects.filter(pk=refund.pk, status=RefundStatus.REQUESTED).update(
            status=RefundStatus.PENDING, provider_refund_id=result.provider_refund_id or None, message=""
        )


def _note(refund: RefundRequest, message: str) -> None:
    RefundRequest.objects.filter(pk=refund.pk, status__in=[RefundStatus.REQUESTED, RefundStatus.PENDING]).update(
        message=message[:200]
    )


def mark_refund_failed(*, refund: RefundRequest, message: str, actor=None) -> bool:
    """Requested or pending → failed, once; the order is then free for a new refund request."""
    with transaction.atomic():
        updated = RefundRequest.objects.filter(
            pk=refund.pk, status__in=[RefundStatus.REQUESTED, RefundStatus.PENDING]
        ).update(status=RefundStatus.FAILED, message=message[:200], finished_at=timezone.now())
        if updated:
            record_event(
                kind=PaymentEventKind.REFUND_FAILED,
                actor=actor,
                order=refund.order,
                refund_no=refund.refund_no,
                message=message[:200],
            )
    return bool(updated)


def record_refund_failure(*, gateway: str, result: VerifiedRefund, raw_body: str) -> RefundRequest:
    """A provider's verified word that a refund failed (WeChat ``REFUND.CLOSED`` / ``REFUND.ABNORMAL``)."""
    refund = RefundRequest.objects.select_related("order").filter(refund_no=result.refund_no, gateway=gateway).first()
    if refund is None or refund.order.out_trade_no != result.out_trade_no:
        raise NotificationRefused(404, "REFUND_NOT_FOUND", f"退款单 {result.refund_no} 不存在")
    if refund.status == RefundStatus.SUCCEEDED:
        raise NotificationRefused(409, "REFUND_ALREADY_SUCCEEDED", "该退款已记为成功，请人工核对")
    mark_refund_failed(refund=refund, message=result.message or "支付渠道退款失败")
    PaymentNotification.objects.create(
        gateway=gateway,
        order=refund.order,
        provider_txn_id=result.provider_refund_id[:64],
        outcome=NotificationOutcome.REFUND_FAILED,
        body=raw_body,
    )
    return refund


__all__ = [
    "OrderInputError",
    "OrderRequest",
    "RefundInProgress",
    "UnknownGateway",
    "apply_notification",
    "close_order",
    "create_order",
    "mark_refund_failed",
    "open_refund_request",
    "poll_refund",
    "submit_refund",
]
