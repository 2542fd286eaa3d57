"""Stuck orders: ask the provider about orders pending too long, confirm the paid, close the expired."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from gongyi.payments.gateways import UnknownGateway, get_gateway
from gongyi.payments.interface import GatewayError, NotificationRefused
from gongyi.payments.models import Order, OrderStatus
from gongyi.payments.services import close_order

logger = logging.getLogger(__name__)


@dataclass
class SweepReport:
    confirmed: int = 0
    closed: int = 0
    still_pending: int = 0
    errors: int = 0


def resolve_stuck_orders(*, older_than: timedelta, limit: int = 500) -> SweepReport:
    from gongyi.giving.services import confirm_payment

    report = SweepReport()
    now = timezone.now()
    ttl = timedelta(minutes=settings.GONGYI["ORDER_TTL_MINUTES"])
    stuck = Order.objects.filter(status=OrderStatus.PENDING, created_at__lte=now - older_than).order_by("id")[
        :limit
    ]
    for order in stuck:
        try:
            result = get_gateway(order.gateway).query(order=order)
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
            report.closed += int(close_order(order=order))
        else:
            report.still_pending += 1
    return report
