"""Daily reports API under /api/v1/reports (signed-in staff with the report permissions)."""

from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from gongyi.campaigns.models import Campaign
from gongyi.reports.models import ReportTrigger
from gongyi.reports.selectors import reports
from gongyi.reports.services import ReportInputError, generate_daily_report
from gongyi.reports.views import GENERATE_PERMISSION, VIEW_PERMISSION

router = Router(tags=["reports"])


class DailyReportOut(Schema):
    id: int
    campaign: str
    day: date
    version: int
    trigger: str
    generated_at: datetime
    gifts: int
    givers: int
    amount_fen: int
    matched_fen: int
    xlsx_url: str
    pdf_url: str


class DailyReportDetailOut(DailyReportOut):
    figures: dict


class DailyReportQuery(Schema):
    campaign: str | None = None
    day: date | None = None


class GenerateIn(Schema):
    campaign: str
    day: date


class ErrorOut(Schema):
    message: str
    errors: list[dict] = []


def _staff(request, permission: str) -> None:
    if not (request.user.is_staff and request.user.has_perm(permission)):
        raise HttpError(403, f"需要工作人员权限 {permission}")


def _out(report, *, detail: bool = False) -> dict:
    data = {
        "id": report.pk,
        "campaign": report.campaign.slug,
        "day": report.day,
        "version": report.version,
        "trigger": report.trigger,
        "generated_at": report.generated_at,
        "gifts": report.gifts,
        "givers": report.givers,
        "amount_fen": report.amount_fen,
        "matched_fen": report.matched_fen,
        "xlsx_url": reverse("reports-daily-xlsx", args=[report.pk]),
        "pdf_url": reverse("reports-daily-pdf", args=[report.pk]),
    }
    if detail:
        data["figures"] = report.figures
    return data


@router.get("/daily", response=list[DailyReportOut], auth=django_auth, summary="日报列表（最新在前）")
def list_daily_reports(request, query: Query[DailyReportQuery]):
    _staff(request, VIEW_PERMISSION)
    qs = reports()
    if query.campaign:
        qs = qs.filter(campaign__slug=query.campaign)
    if query.day:
        qs = qs.filter(day=query.day)
    return [_out(r) for r in qs[:200]]


@router.get(
    "/daily/{report_id}",
    response={200: DailyReportDetailOut, 404: ErrorOut},
    auth=django_auth,
    summary="一份日报的数据",
)
def get_daily_report(request, report_id: int):
    _staff(request, VIEW_PERMISSION)
    report = reports().filter(pk=report_id).first()
    if report is None:
        return Status(404, {"message": "日报不存在", "errors": []})
    return Status(200, _out(report, detail=True))


@router.post(
    "/daily",
    response={201: DailyReportDetailOut, 404: ErrorOut, 422: ErrorOut},
    auth=django_auth,
    summary="立即生成日报（新版本）",
)
def create_daily_report(request, payload: GenerateIn):
    _staff(request, GENERATE_PERMISSION)
    campaign = Campaign.objects.filter(slug=payload.campaign).first()
    if campaign is None:
        return Status(404, {"message": "活动不存在", "errors": [{"field": "campaign", "message": "活动不存在"}]})
    try:
        report = generate_daily_report(
            campaign=campaign, day=payload.day, trigger=ReportTrigger.STAFF, actor=request.user
        )
    except ReportInputError as exc:
        return Status(422, {"message": exc.message, "errors": [{"field": exc.field, "message": exc.message}]})
    return Status(201, _out(reports().get(pk=report.pk), detail=True))
