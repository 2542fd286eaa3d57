"""Reads of campaigns for public pages and the API."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet, Sum
from django.utils import timezone

from gongyi.campaigns.models import Campaign
from gongyi.ledger.models import CREDIT_NORMAL_KINDS, Account, AccountKind
from gongyi.projects.models import Project, ProjectStatus


@dataclass(frozen=True)
class CampaignFigures:
    raised_fen: int
    matched_fen: int
    gifts: int
    donors: int
    projects: int


def public_campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.filter(is_public=True).select_related("host", "sponsor").order_by("-starts_at")


def current_campaign() -> Campaign | None:
    now = timezone.now()
    qs = public_campaigns()
    return qs.filter(starts_at__lte=now, ends_at__gt=now).first() or qs.first()


def campaign_figures(campaign: Campaign) -> CampaignFigures:
    projects = Project.objects.filter(
        campaign=campaign, status__in=[ProjectStatus.PUBLISHED, ProjectStatus.CLOSED]
    )
    counts = projects.aggregate(gifts=Sum("gifts_count"), donors=Sum("donors_count"))
    sums = {}
    for kind in (AccountKind.PROJECT_DONATIONS, AccountKind.PROJECT_MATCHING):
        row = Account.objects.filter(project__campaign=campaign, kind=kind).aggregate(
            d=Sum("debits_fen"), c=Sum("credits_fen")
        )
        raw = (row["d"] or 0) - (row["c"] or 0)
        sums[kind] = -raw if kind in CREDIT_NORMAL_KINDS else raw
    return CampaignFigures(
        raised_fen=sums[AccountKind.PROJECT_DONATIONS],
        matched_fen=sums[AccountKind.PROJECT_MATCHING],
        gifts=counts["gifts"] or 0,
        donors=counts["donors"] or 0,
        projects=projects.count(),
    )
