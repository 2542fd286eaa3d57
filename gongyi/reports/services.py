"""Writes for daily reports: generate one (a new version each time), or make sure one exists (the schedule)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from gongyi.campaigns.models import Campaign
from gongyi.reports.documents import render_pdf, render_xlsx
from gongyi.reports.models import DailyReport, ReportTrigger
from gongyi.reports.selectors import REPORT_TIMEZONE, campaigns_on, daily_figures, local_today

logger = logging.getLogger(__name__)

# How many past days the schedule looks back for a missing report (a consumer that was down catches up).
CATCH_UP_DAYS = 3


class ReportInputError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def generate_daily_report(*, campaign: Campaign, day: date, trigger: str, actor=None) -> DailyReport:
    """Compute the day's figures, write the Excel and PDF files and store them as the next version.

    The files are rendered before the transaction (rendering takes a moment and holds no lock); the row and
    its version number are written in one short transaction. Two generations racing for the same version
    meet the unique constraint; the loser takes the next number.
    """
    if trigger not in ReportTrigger.values:
        raise ReportInputError("trigger", "未知的生成方式")
    if day > local_today():
        raise ReportInputError("day", "不能生成未来日期的日报")
    first_day = campaign.starts_at.astimezone(REPORT_TIMEZONE).date()
    if day < first_day:
        # Also keeps the day's bounds and the day before it inside the calendar (0001-01-01 has no day before).
        raise ReportInputError("day", f"活动 {first_day:%Y-%m-%d} 开始，之前没有日报")
    now = timezone.now()
    figures = daily_figures(campaign, day)
    xlsx, pdf = render_xlsx(figures, generated_at=now), render_pdf(figures, generated_at=now)
    for _attempt in range(3):
        try:
            with transaction.atomic(durable=not transaction.get_connection().in_atomic_block):
                return _store(campaign, day, trigger, actor, figures, xlsx, pdf)
        except IntegrityError:
            logger.info("daily report %s %s: version taken, retrying", campaign.slug, day)
    raise ReportInputError("day", "日报正在生成，请稍后再试")


def _store(campaign, day, trigger, actor, figures, xlsx: bytes, pdf: bytes) -> DailyReport:
    latest = DailyReport.objects.filter(campaign=campaign, day=day).aggregate(v=Max("version"))["v"] or 0
    report = DailyReport(
        campaign=campaign,
        day=day,
        version=latest + 1,
        trigger=trigger,
        generated_by=actor,
        gifts=figures.total.day.gifts,
        givers=figures.total.day.givers,
        amount_fen=figures.total.day.amount_fen,
        matched_fen=figures.total.day.matched_fen,
        figures=figures.to_json(),
    )
    # The files are written to storage now; if the row then loses the version race they are removed.
    report.xlsx.save("report.xlsx", ContentFile(xlsx), save=False)
    report.pdf.save("report.pdf", ContentFile(pdf), save=False)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        report.xlsx.delete(save=False)
        report.pdf.delete(save=False)
        raise
    return report


def ensure_daily_report(*, campaign: Campaign, day: date, trigger: str = ReportTrigger.SCHEDULED, actor=None):
    """Generate the day's report unless one exists already; returns the new report or None."""
    if DailyReport.objects.filter(campaign=campaign, day=day).exists():
        return None
    return generate_daily_report(campaign=campaign, day=day, trigger=trigger, actor=actor)


def run_scheduled_reports(*, today: date | None = None) -> list[DailyReport]:
    """For each of the last few local days, each campaign running that day gets its report if it has none."""
    today = today or local_today()
    made = []
    for back in range(CATCH_UP_DAYS, 0, -1):
        day = today - timedelta(days=back)
        for campaign in campaigns_on(day):
            try:
                report = ensure_daily_report(campaign=campaign, day=day)
            except Exception:
                # One campaign's failure must not stop the others' reports; it is retried next run.
                logger.exception("daily report of %s for %s failed", campaign.slug, day)
                continue
            if report is not None:
                made.append(report)
    return made
