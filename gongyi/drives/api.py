"""The drives API (``/api/v1/drives``): unit search for the give page, league tables, units and teams."""

from __future__ import annotations

from ninja import Router, Schema
from ninja.errors import HttpError

from gongyi.drives.selectors import (
    BOARDS,
    Figures,
    current_drive,
    league,
    public_drives,
    public_team,
    public_unit,
    search_units,
    team_figures,
    team_ranking,
    unit_figures,
)
from gongyi.projects.selectors import public_project

router = Router(tags=["drives"])


class UnitBriefOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    district: str


class FiguresOut(Schema):
    givers: int
    gifts: int
    amount_fen: int
    unit_gifts: int
    unit_amount_fen: int
    total_fen: int


class UnitOut(UnitBriefOut):
    headcount: int | None
    participation_percent: float | None
    drive: str | None
    figures: FiguresOut


class LeagueRowOut(Schema):
    rank: int
    key: str
    label: str
    detail: str
    figures: FiguresOut
    participation_percent: float | None


class LeagueOut(Schema):
    drive: str
    drive_name: str
    by: str
    rows: list[LeagueRowOut]


class TeamOut(Schema):
    id: int
    name: str
    slogan: str
    project: int
    goal_fen: int
    figures: FiguresOut


def _brief(unit) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "kind_label": unit.get_kind_display(),
        "district": unit.district.name,
    }


def _figures(figures: Figures) -> dict:
    return figures.__dict__


@router.get("/units", response=list[UnitBriefOut], summary="Search approved units by name or code")
def get_units(request, q: str = ""):
    if len(q) > 100:
        raise HttpError(422, "q: 不能超过100个字")
    return [_brief(unit) for unit in search_units(q)]


@router.get("/units/{code}", response=UnitOut, summary="A unit and its figures in the current drive")
def get_unit(request, code: str):
    unit = public_unit(code)
    if unit is None:
        raise HttpError(404, "code: 单位不存在或尚未通过审核")
    drive = current_drive()
    figures = unit_figures(drive, unit)
    return {
        **_brief(unit),
        "headcount": unit.headcount,
        "participation_percent": round(figures.givers * 100 / unit.headcount, 1) if unit.headcount else None,
        "drive": drive.slug if drive else None,
        "figures": _figures(figures),
    }


@router.get("/league", response=LeagueOut, summary="A league table: by unit, district or kind")
def get_league(request, by: str = "unit", drive: str = "", limit: int = 100):
    if by not in BOARDS:
        raise HttpError(422, "by: 应为 unit、district 或 kind")
    if not 1 <= limit <= 500:
        raise HttpError(422, "limit: 应在 1 到 500 之间")
    found = public_drives().filter(slug=drive).first() if drive else current_drive()
    if found is None:
        raise HttpError(404, "drive: 一日捐活动不存在")
    return {
        "drive": found.slug,
        "drive_name": found.name,
        "by": by,
        "rows": [
            {
                "rank": row.rank,
                "key": row.key,
                "label": row.label,
                "detail": row.detail,
                "figures": _figures(row.figures),
                "participation_percent": row.participation_percent,
            }
            for row in league(found, by, limit=limit)
        ],
    }


@router.get("/teams/{team_id}", response=TeamOut, summary="A 一起捐 team and its figures")
def get_team(request, team_id: int):
    team = public_team(team_id)
    if team is None:
        raise HttpError(404, "team_id: 团队不存在")
    return _team(team, team_figures(team))


def _team(team, figures) -> dict:
    return {
        "id": team.pk,
        "name": team.name,
        "slogan": team.slogan,
        "project": team.project_id,
        "goal_fen": team.goal_fen,
        "figures": _figures(figures),
    }


@router.get("/projects/{project_id}/teams", response=list[TeamOut], summary="A project's team ranking")
def get_project_teams(request, project_id: int):
    project = public_project(project_id)
    if project is None:
        raise HttpError(404, "project_id: 项目不存在或未公开")
    return [_team(row.team, row.figures) for row in team_ranking(project)]
