"""Builders for dashboard tests: a festival with a pool, projects and a 一日捐 drive; gifts by the real money path."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from gongyi.campaigns.models import Campaign
from gongyi.drives.tests.helpers import give, load_regions, make_drive, make_unit
from gongyi.matching.models import MatchingPool
from gongyi.spending.tests.helpers import make_pool
from gongyi.testing import make_campaign, make_project

__all__ = ["Festival", "give", "make_festival"]


@dataclass
class Festival:
    campaign: Campaign
    pool: MatchingPool
    projects: list = field(default_factory=list)
    units: list = field(default_factory=list)
    drive: object = None


def make_festival(
    *, projects: int = 3, units: int = 2, slug: str = "test-festival", pool_fen: int = 10_000_000, prefix: str = "鄂州"
):
    """A running festival: ``projects`` published projects, a 1:2 matching pool, a drive with ``units`` units."""
    load_regions()
    host = make_project(title="主办方项目").organisation
    now = timezone.now()
    campaign = make_campaign(host, slug=slug, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=2))
    pool = make_pool(campaign, ratio_bp=5_000, total_fen=pool_fen)
    festival = Festival(campaign=campaign, pool=pool)
    for n in range(projects):
        festival.projects.append(make_project(title=f"{prefix}慈善项目{n + 1}", campaign=campaign))
    festival.drive = make_drive(
        slug=f"{slug}-drive", campaign=campaign, starts_at=campaign.starts_at, ends_at=campaign.ends_at
    )
    districts = ["420704", "420703", "420702"]
    for n in range(units):
        district = districts[n % len(districts)]
        festival.units.append(make_unit(f"{prefix}测试单位{n + 1}", district=district, headcount=50))
    return festival
