"""Sweeps: ask providers about orders pending too long and refunds not yet final; forget old nonces.

Both sweeps go through the same services as notifications (``confirm_payment``,
``record_refund_result``), so a notification arriving after a query — or a query after a
notification — finds the work done and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from gongyi.payments.gateways import UnknownGateway, get_gateway
from gongyi.payments.interface import GatewayError, NotificationRefused, RefundState, VerifiedRefund
from gongyi.payments.models import Order, OrderStatus, RefundRequest, RefundStatus
from gongyi.payments.services import close_order, poll_refund, prune_nonces, submit_refund

logger = logging.getLogger(__name__)


@dataclass
class SweepReport:
    confirmed: int = 0
    closed: int = 0
    still_pending: int = 0
    errors: int = 0


@dataclass
class RefundSweepReport:
    recorded: int = 0
    failed: int = 0
    still_pending: int = 0
    errors: int = 0


def resolve_stuck_orders(*, older_than: timedelta, limit: int = 500) -> SweepReport:
    """Query the provider for orders pending longer than ``older_than``: confirm the paid, close the expired."""
    from gongyi.giving.services import confirm_payment

    report = SweepReport()
    now = timezone.now()
    ttl = timedelta(minutes=settings.GONGYI["ORDER_TTL_MINUTES"])
    stuck = Order.objects.filter(status=OrderStatus.PENDING, created_at__lte=now - older_than).order_by("id")[:limit]
    for order in stuck:
        try:
            gateway = get_gateway(order.gateway)
            result = gateway.query(order=order)
        except (GatewayError, UnknownGateway) as exc:
            logger.warning("query of %s failed: %s", order.out_trade_no, exc)
            report.errors += 1
            continue
        if result.state == "paid" and result.payment is not None:
            try:
                confirm_payment(gateway=order.gateway, payment=result.payment, raw_body="(query)")
                report.confirmed += 1
            except NotificationRefused as exc:
                logger.error("query result for %s refused: %s", order.out_trade_no, exc.message)
                report.errors += 1
        elif result.state == "closed" or order.created_at <= now - ttl:
            if result.state != "closed":
                try:
                    # Close at the provider too, so the donor cannot pay an order we gave up on.
                    gateway.close(order=order)
                except GatewayError as exc:
                    logger.warning("provider close of %s failed: %s", order.out_trade_no, exc)
            report.closed += int(close_order(order=order))
        else:
            report.still_pending += 1
    return report


def settle_refund(*, refund: RefundRequest) -> str | None:
    """Bring one unfinished refund forward: resubmit it if never answered, else ask how it ended.

    Returns the refund's state as the provider gave it (``succeeded`` is recorded here, once), or None
    when the provider could not be reached or its answer was refused.
    """
    from gongyi.giving.services import record_refund_result

    # A repeated refund number is the same refund to every provider: resubmitting is safe.
    result = submit_refund(refund=refund) if refund.status == RefundStatus.REQUESTED else poll_refund(refund=refund)
    if result is None:
        return None
    state = result.final_state
    if state == RefundState.SUCCEEDED:
        try:
            record_refund_result(
                gateway=refund.gateway,
                result=VerifiedRefund(
                    out_trade_no=refund.order.out_trade_no,
                    refund_no=refund.refund_no,
                    provider_refund_id=result.provider_refund_id,
                    amount_fen=result.amount_fen or refund.amount_fen,
                    state=RefundState.SUCCEEDED,
                    finished_at=result.finished_at,
                ),
                raw_body="(refund query)",
            )
        except NotificationRefused as exc:
            logger.error("refund result for %s refused: %s", refund.refund_no, exc.message)
            return None
    return state


def resolve_pending_refunds(*, older_than: timedelta = timedelta(minutes=1), limit: int = 200) -> RefundSweepReport:
    """Resubmit refunds never answered and query those pending; record each final result once."""
    report = RefundSweepReport()
    waiting = (
        RefundRequest.objects.select_related("order")
        .filter(
            status__in=[RefundStatus.REQUESTED, RefundStatus.PENDING], requested_at__lte=timezone.now() - older_than
        )
        .order_by("id")[:limit]
    )
    for refund in waiting:
        state = settle_refund(refund=refund)
        if state is None:
            report.errors += 1
        elif state == RefundState.SUCCEEDED:
            report.recorded += 1
        elif state == RefundState.FAILED:
            report.failed += 1
        else:
            report.still_pending += 1
    return report


def sweep_payments(*, stuck_after: timedelta = timedelta(minutes=3)) -> dict:
    """Everything the periodic task does, in one call (also ``gongyi sweep_payments``)."""
    orders = resolve_stuck_orders(older_than=stuck_after)
    refunds = resolve_pending_refunds()
    pruned = prune_nonces()
    return {"orders": orders, "refunds": refunds, "nonces_pruned": pruned}
