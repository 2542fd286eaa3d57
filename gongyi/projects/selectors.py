"""Reads of projects for public pages and the API: always only what the public may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from gongyi.giving.models import Gift, GiftStatus
from gongyi.ledger.selectors import project_totals, totals_by_project
from gongyi.projects.models import Project, ProjectStatus

PUBLIC_STATUSES = (ProjectStatus.PUBLISHED, ProjectStatus.CLOSED)


@dataclass(frozen=True)
class ProjectFigures:
    raised_fen: int
    matched_fen: int
    incentive_fen: int
    donors: int
    gifts: int
    target_fen: int

    @property
    def total_fen(self) -> int:
        return self.raised_fen + self.matched_fen + self.incentive_fen

    @property
    def progress_percent(self) -> int:
        if self.target_fen <= 0:
            return 0
        return min(100, (self.raised_fen + self.matched_fen) * 100 // self.target_fen)


def public_projects(*, campaign=None, domain: str | None = None) -> QuerySet[Project]:
    qs = Project.objects.filter(status__in=PUBLIC_STATUSES).select_related("organisation", "campaign")
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if domain:
        qs = qs.filter(domain=domain)
    return qs.order_by("status", "id")


def public_project(project_id: int) -> Project | None:
    return public_projects().filter(pk=project_id).first()


def figures_for(project: Project) -> ProjectFigures:
    totals = project_totals(project)
    return ProjectFigures(
        donors=project.donors_count, gifts=project.gifts_count, target_fen=project.target_fen, **totals
    )


def figures_for_many(projects) -> dict[int, ProjectFigures]:
    projects = list(projects)
    totals = totals_by_project([p.pk for p in projects])
    return {
        p.pk: ProjectFigures(
            donors=p.donors_count, gifts=p.gifts_count, target_fen=p.target_fen, **totals[p.pk]
        )
        for p in projects
    }


def latest_gifts(project: Project, limit: int = 20) -> list[Gift]:
    return list(Gift.objects.filter(project=project, status=GiftStatus.CONFIRMED).order_by("-id")[:limit])
