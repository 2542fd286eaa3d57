"""Reads of orders and gifts."""

from __future__ import annotations

from gongyi.giving.models import Gift
from gongyi.payments.models import Order


def order_by_out_trade_no(out_trade_no: str) -> Order | None:
    return Order.objects.select_related("project", "gift").filter(out_trade_no=out_trade_no).first()


def gift_by_certificate_no(certificate_no: str) -> Gift | None:
    return (
        Gift.objects.select_related("project", "project__organisation", "project__campaign", "order")
        .filter(certificate_no=certificate_no)
        .first()
    )
