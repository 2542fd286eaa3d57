"""The daily report's figures: one selector, computed from the gifts themselves (no separate counters).

What counts (``docs/stories-and-reports.md``):

- a **gift** of the campaign's day is a ``Gift`` of a project of the campaign, still confirmed (refunded gifts
  are left out, whenever the refund came), paid (``paid_at``) within the local day in Asia/Shanghai,
  ``[D 00:00, D+1 00:00)``;
- **givers** are distinct ``donor_key`` values among those gifts (per line: distinct within the line);
- **amount** is the sum of their ``amount_fen``; **matched** the sum of their live ``Match.matched_fen`` (a
  match returned or forfeited by a refund or a donor flag no longer counts);
- **district** and **unit** come from the gift's live drives ``GiftCredit`` (district copied when the gift
  was credited); gifts credited to no unit form one line, 未计入单位;
- each line is compared with the day before: delta and percentage (none when the day before was 0).

Units' own bank transfers (``UnitOfflineGift``) are not gifts and are not in this report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from gongyi.campaigns.models import Campaign
from gongyi.drives.models import CreditStatus, Unit
from gongyi.giving.models import Gift, GiftStatus
from gongyi.matching.models import MatchStatus
from gongyi.orgs.models import Region
from gongyi.projects.models import Project

REPORT_TIMEZONE = ZoneInfo("Asia/Shanghai")
UNATTRIBUTED_KEY = "none"
UNATTRIBUTED_LABEL = "未计入单位"
METRICS = ("gifts", "givers", "amount_fen", "matched_fen")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day ``[00:00, next 00:00)`` in Asia/Shanghai, as aware datetimes."""
    start = datetime.combine(day, time(0), tzinfo=REPORT_TIMEZONE)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=REPORT_TIMEZONE)


def local_today() -> date:
    return timezone.now().astimezone(REPORT_TIMEZONE).date()


@dataclass(frozen=True)
class Figures:
    gifts: int = 0
    givers: int = 0
    amount_fen: int = 0
    matched_fen: int = 0


def percent_change(now: int, before: int) -> Decimal | None:
    """(now − before) / before in percent, one decimal, half up; None when there is nothing to compare with."""
    if not before:
        return None
    return (Decimal(now - before) * 100 / Decimal(before)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Line:
    """One line of the report — the whole campaign, a project, a district or a unit — on the day and the day before."""

    key: str
    label: str
    day: Figures
    previous: Figures

    def delta(self, metric: str) -> int:
        return getattr(self.day, metric) - getattr(self.previous, metric)

    def percent(self, metric: str) -> Decimal | None:
        return percent_change(getattr(self.day, metric), getattr(self.previous, metric))


@dataclass(frozen=True)
class DailyFigures:
    campaign_id: int
    campaign_slug: str
    campaign_name: str
    day: date
    previous_day: date
    total: Line
    cumulative: Figures  # from the first gift to the end of ``day``
    by_project: list[Line] = field(default_factory=list)
    by_district: list[Line] = field(default_factory=list)
    by_unit: list[Line] = field(default_factory=list)
    computed_at: datetime | None = None
    timezone: str = "Asia/Shanghai"

    def to_json(self) -> dict:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        data["previous_day"] = self.previous_day.isoformat()
        data["computed_at"] = self.computed_at.isoformat() if self.computed_at else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> DailyFigures:
        def line(row: dict) -> Line:
            return Line(row["key"], row["label"], Figures(**row["day"]), Figures(**row["previous"]))

        return cls(
            campaign_id=data["campaign_id"],
            campaign_slug=data["campaign_slug"],
            campaign_name=data["campaign_name"],
            day=date.fromisoformat(data["day"]),
            previous_day=date.fromisoformat(data["previous_day"]),
            total=line(data["total"]),
            cumulative=Figures(**data["cumulative"]),
            by_project=[line(r) for r in data["by_project"]],
            by_district=[line(r) for r in data["by_district"]],
            by_unit=[line(r) for r in data["by_unit"]],
            computed_at=datetime.fromisoformat(data["computed_at"]) if data.get("computed_at") else None,
            timezone=data.get("timezone", "Asia/Shanghai"),
        )


def _aggregates() -> dict:
    return {
        "n_gifts": Count("id"),
        "n_givers": Count("donor_key", distinct=True),
        "n_amount": Sum("amount_fen"),
        "n_matched": Sum("match__matched_fen", filter=Q(match__status=MatchStatus.LIVE)),
    }


def _figures(row: dict) -> Figures:
    return Figures(row["n_gifts"] or 0, row["n_givers"] or 0, row["n_amount"] or 0, row["n_matched"] or 0)


def counted_gifts(campaign: Campaign, *, start: datetime | None = None, end: datetime) -> QuerySet[Gift]:
    """The gifts the report counts: the campaign's projects, still confirmed, paid in ``[start, end)``."""
    qs = Gift.objects.filter(project__campaign=campaign, status=GiftStatus.CONFIRMED, paid_at__lt=end)
    if start is not None:
        qs = qs.filter(paid_at__gte=start)
    return qs


def _grouped(gifts: QuerySet[Gift], key: str) -> dict[str, Figures]:
    """Figures per value of ``key`` ("project", "district", "unit"); a gift with no live unit credit is ``none``."""
    if key == "project":
        qs = gifts.annotate(group=F("project_id"))
    else:
        source = "drive_credit__district_id" if key == "district" else "drive_credit__unit_id"
        qs = gifts.annotate(
            group=Case(When(drive_credit__status=CreditStatus.LIVE, then=F(source)), default=Value(None))
        )
    rows = qs.order_by().values("group").annotate(**_aggregates())
    return {(UNATTRIBUTED_KEY if row["group"] is None else str(row["group"])): _figures(row) for row in rows}


def _lines(day: dict[str, Figures], previous: dict[str, Figures], labels: dict[str, str]) -> list[Line]:
    keys = set(day) | set(previous)
    lines = [Line(key, labels.get(key, key), day.get(key, Figures()), previous.get(key, Figures())) for key in keys]
    # Biggest amount of the day first; the unattributed line last.
    lines.sort(key=lambda ln: (ln.key == UNATTRIBUTED_KEY, -ln.day.amount_fen, -ln.previous.amount_fen, ln.label))
    return lines


def daily_figures(campaign: Campaign, day: date) -> DailyFigures:
    """Everything the daily report shows for ``campaign`` on local ``day``, compared with the day before.

    Nine aggregate queries and three small label look-ups, whatever the number of gifts.
    """
    previous_day = day - timedelta(days=1)
    day_start, day_end = day_bounds(day)
    previous_start = day_start - timedelta(days=1)
    on_day = counted_gifts(campaign, start=day_start, end=day_end)
    on_previous = counted_gifts(campaign, start=previous_start, end=day_start)

    total = Line(
        "all",
        "合计",
        _figures(on_day.aggregate(**_aggregates())),
        _figures(on_previous.aggregate(**_aggregates())),
    )
    cumulative = _figures(counted_gifts(campaign, end=day_end).aggregate(**_aggregates()))

    grouped = {key: (_grouped(on_day, key), _grouped(on_previous, key)) for key in ("project", "district", "unit")}

    def ids(key: str) -> set[str]:
        today, before = grouped[key]
        return {k for k in (set(today) | set(before)) if k != UNATTRIBUTED_KEY}

    project_labels = {
        str(pk): title for pk, title in Project.objects.filter(pk__in=ids("project")).values_list("pk", "title")
    }
    district_labels = {
        code: name for code, name in Region.objects.filter(code__in=ids("district")).values_list("code", "name")
    }
    unit_labels = {str(pk): name for pk, name in Unit.objects.filter(pk__in=ids("unit")).values_list("pk", "name")}
    for labels in (district_labels, unit_labels):
        labels[UNATTRIBUTED_KEY] = UNATTRIBUTED_LABEL

    return DailyFigures(
        campaign_id=campaign.pk,
        campaign_slug=campaign.slug,
        campaign_name=campaign.name,
        day=day,
        previous_day=previous_day,
        total=total,
        cumulative=cumulative,
        by_project=_lines(*grouped["project"], project_labels),
        by_district=_lines(*grouped["district"], district_labels),
        by_unit=_lines(*grouped["unit"], unit_labels),
        computed_at=timezone.now(),
    )


def campaigns_on(day: date) -> QuerySet[Campaign]:
    """Campaigns whose window overlaps the local ``day``."""
    start, end = day_bounds(day)
    return Campaign.objects.filter(starts_at__lt=end, ends_at__gt=start).order_by("starts_at", "pk")


def reports(*, campaign: Campaign | None = None):
    from gongyi.reports.models import DailyReport

    qs = DailyReport.objects.select_related("campaign", "generated_by")
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs


def latest_report(campaign: Campaign, day: date):
    return reports(campaign=campaign).filter(day=day).order_by("-version").first()
