"""Small builders for the payments tests."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gongyi.payments.models import (
    Bill,
    NotificationNonce,
    Order,
    PaymentEvent,
    ReconciliationDifference,
    RefundRequest,
)
from gongyi.payments.services import new_out_trade_no
from gongyi.testing import make_project, row_counts


def everything_counted() -> dict[str, int]:
    """Rows of every table a notification, a refund or a reconciliation could write."""
    return {
        **row_counts(),
        "orders_paid_or_closed": Order.objects.exclude(status="pending").count(),
        "nonces": NotificationNonce.objects.count(),
        "refunds": RefundRequest.objects.count(),
        "refunds_succeeded": RefundRequest.objects.filter(status="succeeded").count(),
        "payment_events": PaymentEvent.objects.count(),
        "bills": Bill.objects.count(),
        "differences": ReconciliationDifference.objects.count(),
    }


def make_order(*, gateway: str, fen: int = 1000, project=None, channel: str = "native", age_minutes: int = 0) -> Order:
    project = project or make_project()
    order = Order.objects.create(
        out_trade_no=new_out_trade_no(), project=project, amount_fen=fen, gateway=gateway, channel=channel
    )
    if age_minutes:
        Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(minutes=age_minutes))
        order.refresh_from_db()
    return order
