"""Offline gifts API under /api/v1/offline: the public list and the federation's general fund (fen, integers)."""

from __future__ import annotations

from datetime import date

from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Schema

from gongyi.core.money import MAX_DATABASE_ID
from gongyi.offline import selectors
from gongyi.orgs.models import Organisation

router = Router(tags=["offline"])


class OfflineGiftOut(Schema):
    number: str
    method: str
    method_label: str
    donor: str
    amount_fen: int
    received_on: date
    project_id: int | None
    fund_id: int | None
    destination: str
    voided: bool


class MethodTotalOut(Schema):
    method: str
    label: str
    count: int
    fen: int


class OfflineListOut(Schema):
    count: int
    fen: int
    methods: list[MethodTotalOut]
    gifts: list[OfflineGiftOut]


class GeneralFundOut(Schema):
    organisation_id: int
    organisation: str
    general_fund_fen: int


@router.get("/gifts", response=OfflineListOut, summary="线下捐赠公示（个人脱敏）")
def list_gifts(request, limit: int = Query(100, ge=1, le=500)):
    totals = selectors.public_offline_totals()
    return {
        "count": totals["count"],
        "fen": totals["fen"],
        "methods": [
            {"method": value, "label": label, "count": n, "fen": fen} for value, label, n, fen in totals["methods"]
        ],
        "gifts": [
            {
                "number": g.number,
                "method": g.method,
                "method_label": g.get_method_display(),
                "donor": g.public_donor,
                "amount_fen": g.amount_fen,
                "received_on": g.received_on,
                "project_id": g.project_id,
                "fund_id": g.fund_id,
                "destination": g.destination_label,
                "voided": g.status == "voided",
            }
            for g in selectors.public_offline_gifts(limit=limit)
        ],
    }


@router.get("/general-fund/{organisation_id}", response=GeneralFundOut, summary="组织的非限定性捐赠结余")
def general_fund(request, organisation_id: int = Path(..., ge=1, le=MAX_DATABASE_ID)):
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    return {
        "organisation_id": organisation.pk,
        "organisation": organisation.name,
        "general_fund_fen": selectors.general_fund_fen(organisation),
    }
