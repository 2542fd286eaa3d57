"""Reads for the disclosure schedule: staff (and, later, the regulator) worklists, public report lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q, QuerySet

from gongyi.oversight.models import OPEN_STATUSES, DisclosureItem, DisclosureReport, ItemStatus


@dataclass(frozen=True)
class Worklist:
    today: date
    overdue: list[DisclosureItem]
    due_soon: list[DisclosureItem]
    recently_done: list[DisclosureItem]


def region_prefix(code: str) -> str:
    """GB/T 2260 levels are pairs of digits: 420700 (a city) covers every code starting 4207."""
    code = code.strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def scoped_items(*, organisation=None, region_code: str | None = None, project=None) -> QuerySet[DisclosureItem]:
    """Items, narrowed to one organisation, one region (GB/T 2260 prefix) or one project when given.

    The regulator's read-only view will call this with its region; staff pages call it unscoped.
    """
    qs = DisclosureItem.objects.select_related("project", "project__organisation", "report")
    if organisation is not None:
        qs = qs.filter(project__organisation=organisation)
    if region_code:
        qs = qs.filter(project__organisation__region__code__startswith=region_prefix(region_code))
    if project is not None:
        qs = qs.filter(project=project)
    return qs


def disclosure_worklist(
    *, today: date, horizon_days: int = 30, done_days: int = 30, organisation=None, region_code: str | None = None
) -> Worklist:
    """Overdue items (the last day has passed, whether or not the task has marked them yet), items due within
    ``horizon_days``, and items done in the last ``done_days``."""
    items = scoped_items(organisation=organisation, region_code=region_code)
    overdue = items.filter(Q(status=ItemStatus.OVERDUE) | Q(status=ItemStatus.PENDING, due_on__lt=today))
    due_soon = items.filter(status=ItemStatus.PENDING, due_on__gte=today, due_on__lte=today + timedelta(horizon_days))
    done = items.filter(status=ItemStatus.DONE, done_on__gte=today - timedelta(done_days))
    return Worklist(
        today=today,
        overdue=list(overdue.order_by("due_on", "id")),
        due_soon=list(due_soon.order_by("due_on", "id")),
        recently_done=list(done.order_by("-done_on", "-id")),
    )


def open_items(project) -> list[DisclosureItem]:
    return list(DisclosureItem.objects.filter(project=project, status__in=OPEN_STATUSES).order_by("due_on", "id"))


@dataclass(frozen=True)
class ProjectDisclosure:
    """What the public sees of a project's disclosure duty: reports, the next deadline, what is overdue."""

    reports: list[DisclosureReport]
    next_item: DisclosureItem | None
    overdue: list[DisclosureItem]


def project_disclosure(project, *, today: date) -> ProjectDisclosure:
    items = open_items(project)
    return ProjectDisclosure(
        reports=public_reports(project),
        next_item=next((i for i in items if i.due_on >= today), None),
        overdue=[i for i in items if i.due_on < today],
    )


def public_reports(project) -> list[DisclosureReport]:
    return list(DisclosureReport.objects.filter(project=project).prefetch_related("items").order_by("-published_at"))


def public_report(report_id: int) -> DisclosureReport | None:
    from gongyi.projects.selectors import PUBLIC_STATUSES

    return DisclosureReport.objects.filter(pk=report_id, project__status__in=PUBLIC_STATUSES).first()
