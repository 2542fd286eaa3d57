"""Oversight API under /api/v1/oversight: a project's disclosure schedule and reports (public), the
staff worklist of due and overdue disclosures (signed-in staff; the regulator's role will reuse it)."""

from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from gongyi.oversight.selectors import disclosure_worklist, public_reports, scoped_items
from gongyi.projects.selectors import public_project

router = Router(tags=["oversight"])


class DisclosureItemOut(Schema):
    id: int
    project_id: int
    project: str
    organisation: str
    kind: str
    kind_label: str
    period_start: date
    period_end: date
    due_on: date
    status: str
    overdue: bool
    done_on: date | None
    filed_late: bool
    report_id: int | None


class DisclosureReportOut(Schema):
    id: int
    title: str
    body: str
    published_at: datetime
    period_start: date | None
    period_end: date | None
    attachment_url: str | None
    item_ids: list[int]


class DisclosureWorklistOut(Schema):
    today: date
    overdue: list[DisclosureItemOut]
    due_soon: list[DisclosureItemOut]
    recently_done: list[DisclosureItemOut]


class DisclosureWorklistQuery(Schema):
    organisation: int | None = None
    region: str | None = None
    horizon_days: int = 30


def _item(item, today: date) -> dict:
    return {
        "id": item.pk,
        "project_id": item.project_id,
        "project": item.project.title,
        "organisation": item.project.organisation.name,
        "kind": item.kind,
        "kind_label": item.get_kind_display(),
        "period_start": item.period_start,
        "period_end": item.period_end,
        "due_on": item.due_on,
        "status": item.status,
        "overdue": item.is_overdue(today),
        "done_on": item.done_on,
        "filed_late": item.filed_late,
        "report_id": item.report_id,
    }


@router.get("/projects/{project_id}/schedule", response=list[DisclosureItemOut], summary="项目信息公开计划")
def project_schedule(request, project_id: int):
    project = public_project(project_id)
    if project is None:
        raise HttpError(404, "项目不存在或未公开")
    today = timezone.localdate()
    return [_item(i, today) for i in scoped_items(project=project).exclude(status="withdrawn").order_by("due_on", "id")]


@router.get("/projects/{project_id}/reports", response=list[DisclosureReportOut], summary="项目信息公开报告")
def project_reports(request, project_id: int):
    project = public_project(project_id)
    if project is None:
        raise HttpError(404, "项目不存在或未公开")
    return [
        {
            "id": r.pk,
            "title": r.title,
            "body": r.body,
            "published_at": r.published_at,
            "period_start": r.period_start,
            "period_end": r.period_end,
            "attachment_url": reverse("oversight-report-attachment", args=[r.pk]) if r.attachment else None,
            "item_ids": [i.pk for i in r.items.all()],
        }
        for r in public_reports(project)
    ]


@router.get(
    "/disclosures", response=DisclosureWorklistOut, auth=django_auth, summary="到期与逾期的信息公开（工作人员）"
)
def worklist(request, query: Query[DisclosureWorklistQuery]):
    if not request.user.is_staff:
        raise HttpError(403, "仅限工作人员")
    from gongyi.orgs.models import Organisation

    organisation = None
    if query.organisation is not None:
        organisation = Organisation.objects.filter(pk=query.organisation).first()
        if organisation is None:
            raise HttpError(404, "组织不存在")
    today = timezone.localdate()
    result = disclosure_worklist(
        today=today,
        horizon_days=max(0, min(query.horizon_days, 366)),
        organisation=organisation,
        region_code=query.region,
    )
    return {
        "today": today,
        "overdue": [_item(i, today) for i in result.overdue],
        "due_soon": [_item(i, today) for i in result.due_soon],
        "recently_done": [_item(i, today) for i in result.recently_done],
    }
