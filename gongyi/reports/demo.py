"""Demo daily reports: yesterday's and today's (so far) for the demo festival, once each."""

from __future__ import annotations

from datetime import timedelta

from gongyi.campaigns.models import Campaign
from gongyi.reports.models import DailyReport, ReportTrigger
from gongyi.reports.selectors import local_today
from gongyi.reports.services import ensure_daily_report


def load_reports_demo(*, campaign: Campaign | None = None) -> list[DailyReport]:
    """Generate the demo festival's reports of yesterday and today unless they exist (safe to run twice)."""
    if campaign is None:
        from gongyi.demo.data import CAMPAIGN

        campaign = Campaign.objects.filter(slug=CAMPAIGN["slug"]).first()
    if campaign is None:
        return []
    today = local_today()
    made = []
    for day in (today - timedelta(days=1), today):
        report = ensure_daily_report(campaign=campaign, day=day, trigger=ReportTrigger.DEMO)
        if report is not None:
            made.append(report)
    return made
