"""Reads for the festival dashboard (大屏): one snapshot of a campaign's public figures.

Every figure comes from where the public pages already read it, so the screen and the pages can never
disagree: money from the projects' ledger accounts (as ``campaigns.selectors.campaign_figures`` and
``projects.selectors.figures_for``), gift and donor counts from the projects' O(1) counters and their
``ProjectDonor`` rows, pools from their own rows, the 一日捐 league tables from the drives' counter rows
(``drives.selectors.league``), donors' names through ``donors.selectors.display_names_for``. Only the
gifts-per-hour line reads the gifts themselves, in one grouped query.

``festival_snapshot`` runs a fixed number of queries whatever the number of gifts, projects or units.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import CharField, Count, Sum
from django.db.models.functions import Substr, TruncHour

from gongyi.campaigns.models import Campaign
from gongyi.campaigns.selectors import public_campaigns
from gongyi.giving.models import Gift, GiftStatus
from gongyi.ledger.models import Account, AccountKind
from gongyi.projects.models import Project, ProjectDonor
from gongyi.projects.selectors import PUBLIC_STATUSES

SHANGHAI = ZoneInfo("Asia/Shanghai")
TOP_PROJECTS = 10
TOP_UNITS = 10
LATEST_GIFTS = 20
# A festival runs days, not months; a long appeal's line shows its latest month of hours.
MAX_HOURS = 31 * 24

_MONEY_KINDS = {
    AccountKind.PROJECT_DONATIONS: "raised_fen",
    AccountKind.PROJECT_MATCHING: "matched_fen",
    AccountKind.PROJECT_INCENTIVES: "incentive_fen",
}


@dataclass(frozen=True)
class PoolFigures:
    name: str
    sponsor: str
    total_fen: int
    matched_fen: int
    forfeited_fen: int
    left_fen: int
    left_percent: float  # of the pool's total, one decimal
    available_now_fen: int  # released by the tranches so far and not yet used


@dataclass(frozen=True)
class HourFigures:
    hour: datetime  # start of the hour, Asia/Shanghai
    gifts: int
    amount_fen: int


@dataclass(frozen=True)
class ProjectRow:
    rank: int
    id: int
    title: str
    organisation: str
    raised_fen: int
    matched_fen: int
    incentive_fen: int
    gifts: int
    donors: int
    target_fen: int
    progress_percent: int


@dataclass(frozen=True)
class UnitRow:
    rank: int
    name: str
    detail: str  # district · kind
    givers: int
    gifts: int
    total_fen: int


@dataclass(frozen=True)
class DistrictRow:
    rank: int
    code: str
    name: str
    units: int
    givers: int
    total_fen: int


@dataclass(frozen=True)
class RecentGift:
    name: str  # the public name only: masked, a chosen nickname or 爱心人士
    amount_fen: int
    matched_fen: int
    project: str
    paid_at: datetime


@dataclass(frozen=True)
class DriveFigures:
    slug: str
    name: str
    givers: int
    gifts: int
    units: int
    total_fen: int


@dataclass(frozen=True)
class FestivalSnapshot:
    """A campaign's public figures at ``generated_at``; money in integer fen, refunded gifts left out."""

    slug: str
    name: str
    tagline: str
    starts_at: datetime
    ends_at: datetime
    is_open: bool
    sponsor: str
    sponsor_commitment_fen: int
    raised_fen: int  # public donations (online and offline), the ledger balance of the projects' donations
    matched_fen: int  # 配捐
    incentive_fen: int  # 激励
    total_fen: int  # raised + matched + incentives
    gifts: int
    donors: int  # distinct donors across the campaign's projects
    projects: int
    pools: list[PoolFigures]
    hours: list[HourFigures]
    top_projects: list[ProjectRow]
    drive: DriveFigures | None
    top_units: list[UnitRow]
    districts: list[DistrictRow]
    latest_gifts: list[RecentGift]
    generated_at: datetime

    def as_dict(self) -> dict:
        """Plain types (datetimes kept) for the cache, the API and the page."""
        return asdict(self)


def public_campaign(slug: str) -> Campaign | None:
    return public_campaigns().filter(slug=slug).first()


def festival_snapshot(campaign: Campaign, *, now: datetime) -> FestivalSnapshot:
    """Compute a campaign's dashboard figures from the real data, in a constant number of queries."""
    public = Project.objects.filter(campaign=campaign, status__in=PUBLIC_STATUSES)
    by_project, totals = _money(campaign)
    counts = public.aggregate(gifts=Sum("gifts_count"), projects=Count("id"))
    donors = (
        ProjectDonor.objects.filter(project__campaign=campaign, project__status__in=PUBLIC_STATUSES)
        .values("donor_key")
        .distinct()
        .count()
    )
    drive = _drive_of(campaign, now)
    return FestivalSnapshot(
        slug=campaign.slug,
        name=campaign.name,
        tagline=campaign.tagline,
        starts_at=campaign.starts_at.astimezone(SHANGHAI),
        ends_at=campaign.ends_at.astimezone(SHANGHAI),
        is_open=campaign.starts_at <= now < campaign.ends_at,
        sponsor=campaign.sponsor.name if campaign.sponsor_id else "",
        sponsor_commitment_fen=campaign.sponsor_commitment_fen,
        raised_fen=totals["raised_fen"],
        matched_fen=totals["matched_fen"],
        incentive_fen=totals["incentive_fen"],
        total_fen=sum(totals.values()),
        gifts=counts["gifts"] or 0,
        donors=donors,
        projects=counts["projects"] or 0,
        pools=_pools(campaign, now),
        hours=gifts_per_hour(campaign, now=now),
        top_projects=_top_projects(public, by_project),
        drive=_drive_figures(drive),
        top_units=_top_units(drive),
        districts=_districts(drive),
        latest_gifts=_latest_gifts(campaign),
        generated_at=now.astimezone(SHANGHAI),
    )


def _money(campaign: Campaign) -> tuple[dict[int, dict[str, int]], dict[str, int]]:
    """Each public project's raised / matched / incentive fen (its ledger balances) and their sums: one query."""
    by_project: dict[int, dict[str, int]] = {}
    totals = dict.fromkeys(_MONEY_KINDS.values(), 0)
    accounts = Account.objects.filter(
        project__campaign=campaign, project__status__in=PUBLIC_STATUSES, kind__in=list(_MONEY_KINDS)
    ).only("project_id", "kind", "debits_fen", "credits_fen")
    for account in accounts:
        name = _MONEY_KINDS[account.kind]
        row = by_project.setdefault(account.project_id, dict.fromkeys(_MONEY_KINDS.values(), 0))
        row[name] += account.balance_fen
        totals[name] += account.balance_fen
    return by_project, totals


def _top_projects(public, by_project: dict[int, dict[str, int]]) -> list[ProjectRow]:
    """The ten public projects that raised most (ties: lower id first), as their public page shows them."""
    ranked = sorted(
        (pid for pid, row in by_project.items() if row["raised_fen"] > 0),
        key=lambda pid: (-by_project[pid]["raised_fen"], pid),
    )[:TOP_PROJECTS]
    projects = public.select_related("organisation").in_bulk(ranked)
    rows = []
    for pid in ranked:
        project, money = projects[pid], by_project[pid]
        progress = 0
        if project.target_fen > 0:
            progress = min(100, (money["raised_fen"] + money["matched_fen"]) * 100 // project.target_fen)
        rows.append(
            ProjectRow(
                rank=len(rows) + 1,
                id=pid,
                title=project.title,
                organisation=project.organisation.name,
                gifts=project.gifts_count,
                donors=project.donors_count,
                target_fen=project.target_fen,
                progress_percent=progress,
                **money,
            )
        )
    return rows


def _pools(campaign: Campaign, now: datetime) -> list[PoolFigures]:
    from gongyi.matching.engine import Pool
    from gongyi.matching.models import MatchingPool

    pools = (
        MatchingPool.objects.filter(campaign=campaign, is_active=True)
        .select_related("sponsor")
        .prefetch_related("tranches")
        .order_by("pk")
    )
    result = []
    for pool in pools:
        released = Pool(total_fen=pool.total_fen, tranches=tuple((t.at, t.fen) for t in pool.tranches.all()))
        used = pool.matched_fen + pool.forfeited_fen
        result.append(
            PoolFigures(
                name=pool.name,
                sponsor=pool.sponsor.name,
                total_fen=pool.total_fen,
                matched_fen=pool.matched_fen,
                forfeited_fen=pool.forfeited_fen,
                left_fen=pool.left_fen,
                left_percent=round(pool.left_fen * 100 / pool.total_fen, 1),
                available_now_fen=max(0, released.released_fen(now) - used),
            )
        )
    return result


def gifts_per_hour(campaign: Campaign, *, now: datetime) -> list[HourFigures]:
    """Confirmed gifts and their fen per Asia/Shanghai hour of the window so far, hours without gifts as 0.

    One grouped query; the database truncates to the hour in Asia/Shanghai.
    """
    first = campaign.starts_at.astimezone(SHANGHAI).replace(minute=0, second=0, microsecond=0)
    end = min(now, campaign.ends_at)
    if end <= campaign.starts_at:
        return []
    last = end.astimezone(SHANGHAI).replace(minute=0, second=0, microsecond=0)
    if end == last:  # the window ends on the hour: that hour has not begun
        last -= timedelta(hours=1)
    first = max(first, last - timedelta(hours=MAX_HOURS - 1))
    rows = (
        Gift.objects.filter(
            project__campaign=campaign,
            project__status__in=PUBLIC_STATUSES,
            status=GiftStatus.CONFIRMED,
            paid_at__gte=max(first, campaign.starts_at),
            paid_at__lt=end,
        )
        .annotate(hour=_hour_of_payment())
        .values("hour")
        .annotate(gifts=Count("id"), amount_fen=Sum("amount_fen"))
        .order_by("hour")
    )
    found = {_as_hour(row["hour"]): (row["gifts"], row["amount_fen"] or 0) for row in rows}
    hours = []
    hour = first
    while hour <= last:
        gifts, amount = found.get(hour, (0, 0))
        hours.append(HourFigures(hour=hour, gifts=gifts, amount_fen=amount))
        # Asia/Shanghai has no daylight saving, so adding an hour is safe in local time.
        hour += timedelta(hours=1)
    return hours


def _hour_of_payment():
    """The hour a gift was paid in, as the database can group by it fastest.

    SQLite's ``TruncHour`` calls a Python function for every row (about 1 s at 200,000 gifts); its datetimes
    are UTC text, and Asia/Shanghai is UTC+8 all year (no daylight saving since 1991), so the UTC hour —
    the first 13 characters — is the same bucket. PostgreSQL truncates natively in Asia/Shanghai.
    """
    if connection.vendor == "sqlite":
        return Substr("paid_at", 1, 13, output_field=CharField())
    return TruncHour("paid_at", tzinfo=SHANGHAI)


def _as_hour(value) -> datetime:
    if isinstance(value, str):  # SQLite: "2026-05-20 02" in UTC
        value = datetime.strptime(value, "%Y-%m-%d %H").replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI)


def _drive_of(campaign: Campaign, now: datetime):
    """The campaign's public 一日捐 drive: the one running now, else the latest started, else the next."""
    from gongyi.drives.models import Drive

    drives = list(Drive.objects.filter(campaign=campaign, is_public=True).order_by("-starts_at", "-pk"))
    running = [d for d in drives if d.starts_at <= now < d.ends_at]
    started = [d for d in drives if d.starts_at <= now]
    return (running or started or drives[-1:] or [None])[0]


def _drive_figures(drive) -> DriveFigures | None:
    if drive is None:
        return None
    from gongyi.drives.selectors import drive_summary

    figures, units = drive_summary(drive)
    return DriveFigures(
        slug=drive.slug,
        name=drive.name,
        givers=figures.givers,
        gifts=figures.gifts + figures.unit_gifts,
        units=units,
        total_fen=figures.total_fen,
    )


def _top_units(drive) -> list[UnitRow]:
    if drive is None:
        return []
    from gongyi.drives.selectors import league

    return [
        UnitRow(
            rank=row.rank,
            name=row.label,
            detail=row.detail,
            givers=row.figures.givers,
            gifts=row.figures.gifts + row.figures.unit_gifts,
            total_fen=row.figures.total_fen,
        )
        for row in league(drive, "unit", limit=TOP_UNITS)
    ]


def _districts(drive) -> list[DistrictRow]:
    if drive is None:
        return []
    from gongyi.drives.selectors import league

    return [
        DistrictRow(
            rank=row.rank,
            code=row.key,
            name=row.label,
            units=row.units,
            givers=row.figures.givers,
            total_fen=row.figures.total_fen,
        )
        for row in league(drive, "district")
    ]


def _latest_gifts(campaign: Campaign) -> list[RecentGift]:
    """The latest confirmed gifts with public names only, exactly as the project pages show them."""
    from gongyi.donors.selectors import display_names_for

    gifts = _latest_confirmed(campaign)
    names = display_names_for(gifts)
    return [
        RecentGift(
            name=names[g.pk],
            amount_fen=g.amount_fen,
            matched_fen=g.matched_fen,
            project=g.project.title,
            paid_at=g.paid_at.astimezone(SHANGHAI),
        )
        for g in gifts
    ]


def _latest_confirmed(campaign: Campaign) -> list[Gift]:
    """The campaign's latest confirmed gifts, newest first, in one query (two when other campaigns are busier).

    Joined to the campaign's projects, both databases plan "every gift of the campaign, then sort" (0.25 s at
    200,000 gifts on SQLite). During a festival nearly every new gift is the festival's, so the newest few
    hundred gifts by primary key — a backward index scan — almost always hold the twenty; only when they do
    not is the joined query run.
    """
    confirmed = Gift.objects.filter(status=GiftStatus.CONFIRMED).select_related("project").order_by("-id")
    recent = list(confirmed[: LATEST_GIFTS * 10])
    mine = [g for g in recent if g.project.campaign_id == campaign.pk and g.project.status in PUBLIC_STATUSES]
    if len(mine) >= LATEST_GIFTS or len(recent) < LATEST_GIFTS * 10:
        return mine[:LATEST_GIFTS]
    return list(confirmed.filter(project__campaign=campaign, project__status__in=PUBLIC_STATUSES)[:LATEST_GIFTS])
