"""Writes for orders: creating them and closing stale ones."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from gongyi.core.money import MAX_GIFT_FEN
from gongyi.payments.gateways import UnknownGateway, enabled_gateways
from gongyi.payments.models import Order, OrderStatus
from gongyi.projects.models import Project, ProjectStatus

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


__all__ = ["OrderInputError", "OrderRequest", "UnknownGateway", "close_order", "create_order"]
