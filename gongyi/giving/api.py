from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field, StrictBool, StrictInt

from gongyi.core.clientip import client_ip
from gongyi.core.money import MAX_DATABASE_ID
from gongyi.giving.selectors import order_by_out_trade_no
from gongyi.payments.gateways import get_gateway
from gongyi.payments.interface import GatewayError
from gongyi.payments.services import OrderInputError, OrderRequest, create_order

orders_router = Router(tags=["orders"])


class OrderIn(Schema):
    project: StrictInt = Field(ge=1, le=MAX_DATABASE_ID)
    fen: StrictInt = Field(description="金额，单位分（整数）")
    gateway: str = Field("sandbox", max_length=16)
    donor: str = Field("", max_length=40, description="署名（公开时打码）")
    anonymous: StrictBool = False
    message: str = Field("", max_length=200)
    channel: str = Field("h5", max_length=16)
    unit: str = Field("", max_length=16, description="单位代码（一日捐）")
    team: StrictInt | None = Field(None, ge=1, le=MAX_DATABASE_ID, description="一起捐团队编号（选填）")
    openid: str = Field("", max_length=128, description="微信 JSAPI 支付所需的付款人 openid")


class PayOut(Schema):
    kind: str
    url: str
    data: dict


class OrderCreatedOut(Schema):
    out_trade_no: str
    status: str
    project: int
    amount_fen: int
    gateway: str
    pay: PayOut


class GiftBriefOut(Schema):
    certificate_no: str
    certificate_url: str
    amount_fen: int
    matched_fen: int
    paid_at: datetime
    status: str


class OrderOut(Schema):
    out_trade_no: str
    status: str
    project: int
    amount_fen: int
    gateway: str
    created_at: datetime
    paid_at: datetime | None
    gift: GiftBriefOut | None
    matched_fen: int


class ErrorOut(Schema):
    message: str
    errors: list[dict]


@orders_router.post(
    "", response={201: OrderCreatedOut, 422: ErrorOut, 502: ErrorOut}, summary="Create an order to give"
)
def post_order(request, payload: OrderIn):
    from django.db import transaction

    from gongyi.drives.services import DriveInputError, record_order_attribution, resolve_attribution

    try:
        # The unit and team are checked first: an unknown one names its field and nothing is created.
        attribution = resolve_attribution(project_id=payload.project, unit=payload.unit, team=payload.team)
        with transaction.atomic():
            order = create_order(
                request=OrderRequest(
                    project_id=payload.project,
                    amount_fen=payload.fen,
                    gateway=payload.gateway,
                    channel=payload.channel,
                    donor_name=payload.donor,
                    anonymous=payload.anonymous,
                    message=payload.message,
                    unit_code=attribution.unit_code if attribution else "",
                )
            )
            record_order_attribution(order=order, attribution=attribution)
    except (OrderInputError, DriveInputError) as exc:
        return Status(422, {"message": str(exc), "errors": [{"field": exc.field, "message": exc.message}]})
    try:
        start = get_gateway(order.gateway).create_payment(
            order=order,
            channel=order.channel,
            return_url=request.build_absolute_uri(reverse("order-thanks", args=[order.out_trade_no])),
            notify_url=request.build_absolute_uri(reverse("api-v1:payment_notify", args=[order.gateway])),
            payer_id=payload.openid,
            client_ip=client_ip(request),
        )
    except GatewayError as exc:
        # The order stays pending and the stuck-order sweep closes it; the donor can simply try again.
        return Status(
            502,
            {"message": f"gateway: 支付渠道暂时不可用（{exc}）", "errors": [{"field": "gateway", "message": str(exc)}]},
        )
    url = request.build_absolute_uri(start.url) if start.url.startswith("/") else start.url
    return Status(
        201,
        {
            "out_trade_no": order.out_trade_no,
            "status": order.status,
            "project": order.project_id,
            "amount_fen": order.amount_fen,
            "gateway": order.gateway,
            "pay": {"kind": start.kind, "url": url, "data": start.data},
        },
    )


@orders_router.get("/{out_trade_no}", response=OrderOut, summary="An order's status and its gift")
def get_order(request, out_trade_no: str):
    order = order_by_out_trade_no(out_trade_no)
    if order is None:
        raise HttpError(404, "out_trade_no: 订单不存在")
    gift = getattr(order, "gift", None)
    return {
        "out_trade_no": order.out_trade_no,
        "status": order.status,
        "project": order.project_id,
        "amount_fen": order.amount_fen,
        "gateway": order.gateway,
        "created_at": order.created_at,
        "paid_at": order.paid_at,
        "matched_fen": gift.matched_fen if gift else 0,
        "gift": None
        if gift is None
        else {
            "certificate_no": gift.certificate_no,
            "certificate_url": request.build_absolute_uri(reverse("certificate", args=[gift.certificate_no])),
            "amount_fen": gift.amount_fen,
            "matched_fen": gift.matched_fen,
            "paid_at": gift.paid_at,
            "status": gift.status,
        },
    }
