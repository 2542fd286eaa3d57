"""Staff pages for daily reports (mounted under ``/reports/``): the list, one report, its files, generate now."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from gongyi.campaigns.models import Campaign
from gongyi.reports import documents
from gongyi.reports.models import DailyReport, ReportTrigger
from gongyi.reports.selectors import METRICS, DailyFigures, local_today, reports
from gongyi.reports.services import ReportInputError, generate_daily_report

VIEW_PERMISSION = "reports.view_dailyreport"
GENERATE_PERMISSION = "reports.add_dailyreport"


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied(f"需要权限 {permission}")


@require_GET
@staff_member_required
def daily_list(request):
    _require(request, VIEW_PERMISSION)
    campaign = None
    if request.GET.get("campaign"):
        campaign = Campaign.objects.filter(slug=request.GET["campaign"]).first()
    page = Paginator(reports(campaign=campaign), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/daily_list.html",
        {
            "page": page,
            "campaign": campaign,
            "campaigns": Campaign.objects.order_by("-starts_at"),
            "yesterday": local_today() - timedelta(days=1),
            "can_generate": request.user.has_perm(GENERATE_PERMISSION),
        },
    )


@require_POST
@staff_member_required
def daily_generate(request):
    _require(request, GENERATE_PERMISSION)
    campaign = Campaign.objects.filter(slug=request.POST.get("campaign") or "").first()
    if campaign is None:
        messages.error(request, "请选择活动")
        return redirect("reports-daily")
    try:
        day = date.fromisoformat(request.POST.get("day") or "")
    except ValueError:
        messages.error(request, "日期格式应为 YYYY-MM-DD")
        return redirect("reports-daily")
    try:
        report = generate_daily_report(campaign=campaign, day=day, trigger=ReportTrigger.STAFF, actor=request.user)
    except ReportInputError as exc:
        messages.error(request, exc.message)
        return redirect("reports-daily")
    messages.success(request, f"已生成 {campaign.name} {day:%Y-%m-%d} 日报（第 {report.version} 版）")
    return redirect("reports-daily-detail", report_id=report.pk)


@require_GET
@staff_member_required
def daily_detail(request, report_id: int):
    _require(request, VIEW_PERMISSION)
    report = get_object_or_404(reports(), pk=report_id)
    figures = DailyFigures.from_json(report.figures)
    headline = [
        {
            "label": documents.METRIC_LABELS[metric],
            "day": documents.metric_text(metric, getattr(figures.total.day, metric)),
            "previous": documents.metric_text(metric, getattr(figures.total.previous, metric)),
            "delta": documents.delta_text(metric, figures.total.delta(metric)),
            "percent": documents.percent_text(figures.total.percent(metric)),
            "cumulative": documents.metric_text(metric, getattr(figures.cumulative, metric)),
        }
        for metric in METRICS
    ]
    sections = [
        {
            "title": title,
            "rows": [
                {
                    "label": line.label,
                    "gifts": line.day.gifts,
                    "givers": line.day.givers,
                    "amount": documents.money(line.day.amount_fen),
                    "matched": documents.money(line.day.matched_fen),
                    "previous": documents.money(line.previous.amount_fen),
                    "delta": documents.signed_money(line.delta("amount_fen")),
                    "percent": documents.percent_text(line.percent("amount_fen")),
                }
                for line in getattr(figures, attribute)
            ],
        }
        for attribute, title in documents.SECTIONS
    ]
    versions = reports(campaign=report.campaign).filter(day=report.day)
    return render(
        request,
        "reports/daily_detail.html",
        {
            "report": report,
            "figures": figures,
            "headline": headline,
            "sections": sections,
            "versions": versions,
            "subtitle": documents.day_subtitle(figures, report.generated_at),
            "definitions": documents.DEFINITIONS,
            "can_generate": request.user.has_perm(GENERATE_PERMISSION),
        },
    )


@require_GET
@staff_member_required
def daily_file(request, report_id: int, kind: str):
    _require(request, VIEW_PERMISSION)
    report = get_object_or_404(DailyReport.objects.select_related("campaign"), pk=report_id)
    stored = report.xlsx if kind == "xlsx" else report.pdf
    if not stored:
        raise Http404("文件不存在")
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404("文件不存在") from None
    filename = f"{report.campaign.name}-日报-{report.day:%Y%m%d}-v{report.version}.{kind}"
    return FileResponse(handle, as_attachment=kind == "xlsx", filename=filename)
