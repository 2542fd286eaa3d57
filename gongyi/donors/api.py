"""The donor's own API under ``/api/v1/me`` (session sign-in; CSRF on writes): gifts, yearly totals, claims,
settings and the PIPL export. Only ever the signed-in donor's own data."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from gongyi.donors import selectors, services
from gongyi.donors.services import DonorInputError

router = Router(tags=["me"], auth=django_auth)

ERRORS = {401: dict, 404: dict, 422: dict}


class MyGiftOut(Schema):
    certificate_no: str
    out_trade_no: str
    project_id: int
    project: str
    amount_fen: int
    matched_fen: int
    paid_at: datetime
    status: str
    found_by: list[str]
    receipt_status: str | None
    certificate_url: str
    trace_url: str


class YearOut(Schema):
    year: int
    gifts: int
    amount_fen: int
    matched_fen: int
    receipted_fen: int
    requested_fen: int


class SummaryOut(Schema):
    years: list[YearOut]
    deduction_share_percent: int
    note: str


class ClaimIn(Schema):
    out_trade_no: str
    last_digits: str


class SettingsIn(Schema):
    name_display: str
    nickname: str = ""
    show_messages: bool = True
    wants_thanks: bool = False
    wants_progress: bool = False
    notify_channel: str = "auto"


class SettingsOut(SettingsIn):
    pass


def _gift_out(row) -> dict:
    gift = row.gift
    return {
        "certificate_no": gift.certificate_no,
        "out_trade_no": gift.order.out_trade_no,
        "project_id": gift.project_id,
        "project": gift.project.title,
        "amount_fen": gift.amount_fen,
        "matched_fen": gift.matched_fen,
        "paid_at": gift.paid_at,
        "status": gift.status,
        "found_by": list(row.found_by),
        "receipt_status": row.receipt.request.status if row.receipt else None,
        "certificate_url": reverse("certificate", args=[gift.certificate_no]),
        "trace_url": reverse("accounts-gift", args=[gift.certificate_no]),
    }


@router.get("/gifts", response=list[MyGiftOut], summary="我的全部捐赠")
def my_gifts(request):
    return [_gift_out(row) for row in selectors.donor_gift_rows(request.user)]


@router.get("/summary", response=SummaryOut, summary="按年度合计（供个税扣除参考）")
def my_summary(request):
    years = selectors.yearly_totals(selectors.donor_gift_rows(request.user))
    return {
        "years": [
            {
                "year": y.year,
                "gifts": y.gifts,
                "amount_fen": y.amount_fen,
                "matched_fen": y.matched_fen,
                "receipted_fen": y.receipted_fen,
                "requested_fen": y.requested_fen,
            }
            for y in years
        ],
        "deduction_share_percent": selectors.TAX_DEDUCTION_SHARE_PERCENT,
        "note": "个人公益性捐赠可在申报的应纳税所得额30%以内扣除（个人所得税法第六条），凭捐赠票据；仅供参考。",
    }


@router.post("/claims", response={201: MyGiftOut, **ERRORS}, summary="认领一笔捐赠（订单号+支付单号后6位）")
def claim(request, payload: ClaimIn):
    try:
        gift = services.claim_gift(
            user=request.user, out_trade_no=payload.out_trade_no, last_digits=payload.last_digits
        )
    except DonorInputError as exc:
        raise HttpError(422, f"{exc.field}: {exc.message}") from None
    return Status(201, _gift_out(selectors.donor_gift_rows(request.user, [gift])[0]))


@router.put("/settings", response={200: SettingsOut, **ERRORS}, summary="隐私与消息设置")
def put_settings(request, payload: SettingsIn):
    try:
        profile = services.update_settings(user=request.user, **payload.dict())
    except DonorInputError as exc:
        raise HttpError(422, f"{exc.field}: {exc.message}") from None
    return {
        "name_display": profile.name_display,
        "nickname": profile.nickname,
        "show_messages": profile.show_messages,
        "wants_thanks": profile.wants_thanks,
        "wants_progress": profile.wants_progress,
        "notify_channel": profile.notify_channel,
    }


@router.get("/export", response=dict, summary="导出我的全部个人数据（个人信息保护法第四十五条）")
def export(request):
    return services.export_donor_data(user=request.user)
