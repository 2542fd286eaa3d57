"""Reads for drives: the current drive, league tables, unit and team figures, unit search.

League tables read the counter rows (``LeagueTally``), never the gifts: one query per board plus one to
name the lines. Participation of a district or kind sums the givers and stated headcounts of its units
that stated one (read from the unit lines of the same drive).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from gongyi.drives.codes import is_valid_code, normalize_code
from gongyi.drives.models import (
    CreditStatus,
    Drive,
    GiftCredit,
    LeagueTally,
    Team,
    Unit,
    UnitKind,
    UnitStatus,
)
from gongyi.drives.tallies import drive_board, team_board
from gongyi.orgs.models import Region

BOARDS = {"unit": "单位", "district": "区", "kind": "类型"}


@dataclass(frozen=True)
class Figures:
    givers: int = 0
    gifts: int = 0
    amount_fen: int = 0
    unit_gifts: int = 0
    unit_amount_fen: int = 0
    total_fen: int = 0

    @classmethod
    def of(cls, tally: LeagueTally | None) -> Figures:
        if tally is None:
            return cls()
        return cls(
            tally.givers, tally.gifts, tally.amount_fen, tally.unit_gifts, tally.unit_amount_fen, tally.total_fen
        )


@dataclass(frozen=True)
class LeagueRow:
    rank: int
    key: str
    label: str
    detail: str
    url: str
    figures: Figures
    headcount: int | None  # stated headcount behind the participation rate (units that stated one)
    counted_givers: int  # givers of those units
    units: int  # participating units (district and kind tables)

    @property
    def participation_percent(self) -> float | None:
        if not self.headcount:
            return None
        return round(self.counted_givers * 100 / self.headcount, 1)

    @property
    def participation_bar(self) -> int:
        return min(100, round(self.participation_percent or 0))


def public_drives() -> QuerySet[Drive]:
    return Drive.objects.filter(is_public=True).select_related("campaign").order_by("-starts_at")


def current_drive() -> Drive | None:
    """The public drive running now; else the latest one started; else the next one."""
    now = timezone.now()
    drives = public_drives()
    return (
        drives.filter(starts_at__lte=now, ends_at__gt=now).first()
        or drives.filter(starts_at__lte=now).first()
        or drives.order_by("starts_at").first()
    )


def drive_is_live(drive: Drive) -> bool:
    return drive.starts_at <= timezone.now() < drive.ends_at


def drive_summary(drive: Drive) -> tuple[Figures, int]:
    """The drive's figures (distinct givers across the drive) and the number of units taking part."""
    tally = LeagueTally.objects.filter(board=drive_board(drive.pk, "all"), key="all").first()
    units = LeagueTally.objects.filter(board=drive_board(drive.pk, "unit"), total_fen__gt=0).count()
    return Figures.of(tally), units


def _unit_lines(drive: Drive) -> list[LeagueTally]:
    return list(LeagueTally.objects.filter(board=drive_board(drive.pk, "unit"), total_fen__gt=0))


def league(drive: Drive, by: str, *, limit: int = 200) -> list[LeagueRow]:
    """One league table of a drive, biggest total first: by ``unit``, ``district`` or ``kind``."""
    if by not in BOARDS:
        raise ValueError(f"unknown league {by!r}")
    if by == "unit":
        tallies = list(
            LeagueTally.objects.filter(board=drive_board(drive.pk, "unit"), total_fen__gt=0).order_by(
                "-total_fen", "-givers", "key"
            )[:limit]
        )
        units = Unit.objects.select_related("district").in_bulk([int(t.key) for t in tallies])
        rows = []
        for rank, tally in enumerate(tallies, start=1):
            unit = units[int(tally.key)]
            rows.append(
                LeagueRow(
                    rank=rank,
                    key=tally.key,
                    label=unit.name,
                    detail=f"{unit.district.name} · {unit.get_kind_display()}",
                    url=reverse("drives-unit", args=[unit.code]),
                    figures=Figures.of(tally),
                    headcount=unit.headcount,
                    counted_givers=tally.givers if unit.headcount else 0,
                    units=1,
                )
            )
        return rows

    # District and kind: participation and unit counts come from the drive's unit lines.
    unit_lines = _unit_lines(drive)
    units = {
        u["pk"]: u
        for u in Unit.objects.filter(pk__in=[int(t.key) for t in unit_lines]).values(
            "pk", "district_id", "kind", "headcount"
        )
    }
    headcount: dict[str, int] = defaultdict(int)
    counted: dict[str, int] = defaultdict(int)
    taking_part: dict[str, int] = defaultdict(int)
    for line in unit_lines:
        unit = units[int(line.key)]
        group = unit["district_id"] if by == "district" else unit["kind"]
        taking_part[group] += 1
        if unit["headcount"]:
            headcount[group] += unit["headcount"]
            counted[group] += line.givers
    tallies = list(
        LeagueTally.objects.filter(board=drive_board(drive.pk, by), total_fen__gt=0).order_by(
            "-total_fen", "-givers", "key"
        )[:limit]
    )
    if by == "district":
        labels = dict(Region.objects.filter(code__in=[t.key for t in tallies]).values_list("code", "name"))
    else:
        labels = dict(UnitKind.choices)
    return [
        LeagueRow(
            rank=rank,
            key=tally.key,
            label=labels.get(tally.key, tally.key),
            detail=f"{taking_part[tally.key]} 个单位参与",
            url="",
            figures=Figures.of(tally),
            headcount=headcount[tally.key] or None,
            counted_givers=counted[tally.key],
            units=taking_part[tally.key],
        )
        for rank, tally in enumerate(tallies, start=1)
    ]


def unit_figures(drive: Drive | None, unit: Unit) -> Figures:
    if drive is None:
        return Figures()
    return Figures.of(LeagueTally.objects.filter(board=drive_board(drive.pk, "unit"), key=str(unit.pk)).first())


def unit_rank(drive: Drive, figures: Figures) -> int | None:
    if not figures.total_fen:
        return None
    ahead = LeagueTally.objects.filter(board=drive_board(drive.pk, "unit"), total_fen__gt=figures.total_fen).count()
    return ahead + 1


def public_unit(code: str) -> Unit | None:
    code = normalize_code(code)
    if not is_valid_code(code):
        return None
    return (
        Unit.objects.filter(code=code, status=UnitStatus.APPROVED)
        .select_related("district", "township", "parent")
        .first()
    )


def sub_units(unit: Unit) -> list[Unit]:
    return list(unit.children.filter(status=UnitStatus.APPROVED).order_by("name"))


def recent_unit_gifts(unit: Unit, *, limit: int = 10) -> list[GiftCredit]:
    """Latest live gifts credited to the unit (public pages show only masked names)."""
    return list(
        GiftCredit.objects.filter(unit=unit, status=CreditStatus.LIVE)
        .select_related("gift")
        .order_by("-gift__paid_at", "-pk")[:limit]
    )


def search_units(query: str, *, limit: int = 10) -> list[Unit]:
    """Approved units whose code is the query, or whose name contains it (for the give page's picker)."""
    query = " ".join((query or "").split())
    if not query:
        return []
    approved = Unit.objects.filter(status=UnitStatus.APPROVED).select_related("district")
    code = normalize_code(query)
    condition = Q(name__icontains=query)
    if is_valid_code(code):
        condition |= Q(code=code)
    return list(approved.filter(condition).order_by("name")[:limit])


def drive_projects(drive: Drive | None):
    from gongyi.projects.models import ProjectStatus
    from gongyi.projects.selectors import public_projects

    campaign = drive.campaign if drive else None
    return [p for p in public_projects(campaign=campaign) if p.status == ProjectStatus.PUBLISHED]


def public_team(team_id: int) -> Team | None:
    return Team.objects.filter(pk=team_id, is_visible=True).select_related("project", "project__organisation").first()


def team_figures(team: Team) -> Figures:
    return Figures.of(LeagueTally.objects.filter(board=team_board(team.project_id), key=str(team.pk)).first())


@dataclass(frozen=True)
class TeamRow:
    rank: int
    team: Team
    figures: Figures

    @property
    def progress_percent(self) -> int:
        return min(100, self.figures.total_fen * 100 // self.team.goal_fen) if self.team.goal_fen else 0


def team_ranking(project, *, limit: int = 50) -> list[TeamRow]:
    """The project's visible teams, most raised first; teams with nothing yet come last, newest first."""
    tallies = {
        t.key: t
        for t in LeagueTally.objects.filter(board=team_board(project.pk), total_fen__gt=0).order_by("-total_fen")[
            :limit
        ]
    }
    visible = Team.objects.filter(project=project, is_visible=True)
    found = visible.in_bulk([int(key) for key in tallies])
    found.update({t.pk: t for t in visible.order_by("-id")[:limit]})
    teams = list(found.values())
    teams.sort(key=lambda t: (-(tallies[str(t.pk)].total_fen if str(t.pk) in tallies else 0), -t.pk))
    return [
        TeamRow(rank=rank, team=team, figures=Figures.of(tallies.get(str(team.pk))))
        for rank, team in enumerate(teams[:limit], start=1)
    ]
