"""In-kind gifts API under /api/v1/inkind: ledger figures, gifts and hand-outs (recipients masked); fen."""

from __future__ import annotations

from datetime import date

from ninja import Query, Router, Schema
from ninja.errors import HttpError

from gongyi.inkind import selectors

router = Router(tags=["inkind"])


class InKindFiguresOut(Schema):
    received_fen: int
    handed_out_fen: int
    stock_fen: int


class ItemOut(Schema):
    id: int
    name: str
    spec: str
    unit: str
    quantity: int
    valuation_fen: int
    valuation_basis: str
    quality: str
    in_stock_quantity: int
    stock_value_fen: int
    handed_out_quantity: int
    handed_out_value_fen: int


class GiftOut(Schema):
    number: str
    donor: str
    received_on: date
    organisation: str
    project_id: int | None
    status: str
    value_fen: int
    items: list[ItemOut]


class HandoutOut(Schema):
    id: int
    gift: str
    item: str
    unit: str
    quantity: int
    value_fen: int
    recipient: str
    recipient_kind: str
    region: str | None
    purpose: str
    handed_on: date
    voided: bool


def _item(item) -> dict:
    return {
        "id": item.pk,
        "name": item.name,
        "spec": item.spec,
        "unit": item.unit,
        "quantity": item.quantity,
        "valuation_fen": item.valuation_fen,
        "valuation_basis": item.valuation_basis,
        "quality": item.quality_status,
        "in_stock_quantity": item.in_stock_quantity,
        "stock_value_fen": item.stock_value_fen,
        "handed_out_quantity": item.handed_out_quantity,
        "handed_out_value_fen": item.handed_out_value_fen,
    }


def _gift(gift) -> dict:
    return {
        "number": gift.number,
        "donor": gift.public_donor,
        "received_on": gift.received_on,
        "organisation": gift.organisation.name,
        "project_id": gift.project_id,
        "status": gift.status,
        "value_fen": gift.accepted_value_fen,
        "items": [_item(item) for item in gift.items.all()],
    }


def _handout(h) -> dict:
    return {
        "id": h.pk,
        "gift": h.item.gift.number,
        "item": h.item.name,
        "unit": h.item.unit,
        "quantity": h.quantity,
        "value_fen": h.value_fen,
        "recipient": h.public_recipient,
        "recipient_kind": h.recipient_kind,
        "region": h.recipient_region.name if h.recipient_region else None,
        "purpose": h.purpose,
        "handed_on": h.handed_on,
        "voided": h.status == "voided",
    }


@router.get("/figures", response=InKindFiguresOut, summary="物资捐赠账目（估值：收入、发放、库存）")
def figures(request):
    return selectors.all_in_kind_figures().as_dict()


@router.get("/gifts", response=list[GiftOut], summary="物资捐赠公示")
def list_gifts(request, limit: int = Query(100, ge=1, le=500)):
    return [_gift(g) for g in selectors.public_gifts(limit=limit)]


@router.get("/gifts/{number}", response=GiftOut, summary="一笔物资捐赠")
def get_gift(request, number: str):
    gift = selectors.public_gift(number[:24])
    if gift is None:
        raise HttpError(404, "物资捐赠不存在")
    return _gift(gift)


@router.get("/handouts", response=list[HandoutOut], summary="物资发放公示（个人脱敏）")
def list_handouts(request, limit: int = Query(200, ge=1, le=1000)):
    return [_handout(h) for h in selectors.public_handouts(limit=limit)]
