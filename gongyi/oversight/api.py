"""Oversight API under /api/v1/oversight.

Public: a project's disclosure schedule and reports; filing a complaint (anonymous allowed, rate-limited by
address; attachments only through the page), following it by its tracking number, complaint statistics.
Signed in: the disclosure worklist (staff and the regulator); complaints for handlers (list, triage,
investigate, answer, close, reject, merge) and for the regulator and federation staff (list); the audit
trail and finance controls (the regulator and federation staff; finance controls also staff).
"""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from gongyi.core.clientip import client_ip
from gongyi.core.paging import MAX_OFFSET
from gongyi.core.roles import can_oversee
from gongyi.oversight import complaints
from gongyi.oversight.models import Complaint, ComplaintStatus, ComplaintSubject
from gongyi.oversight.selectors import (
    complaint_list,
    complaint_stats,
    disclosure_worklist,
    finance_controls,
    public_complaint,
    public_reports,
    scoped_items,
)
from gongyi.oversight.trail import SOURCES, TrailFilter, TrailPage
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
    if not (request.user.is_staff or can_oversee(request.user)):
        raise HttpError(403, "仅限工作人员和监管部门")
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


# --- complaints -------------------------------------------------------------------------------------------------


class ErrorOut(Schema):
    message: str
    errors: list[dict]


def _error(status: int, field: str, message: str) -> Status:
    return Status(status, {"message": f"{field}: {message}", "errors": [{"field": field, "message": message}]})


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


class ComplaintIn(Schema):
    subject_kind: str = Field(description="project / organisation / aid_case / unit / other")
    subject_ref: str = Field("", description="项目编号或名称、组织名称、救助案件编号、单位代码")
    text: str
    is_anonymous: bool = True
    name: str = ""
    contact: str = Field("", description="仅承办人员可见")
    website: str = Field("", description="留空（防机器人）")


class ComplaintFiledOut(Schema):
    tracking_number: str
    answer_due_on: date
    url: str
    message: str


class TimelineOut(Schema):
    at: datetime
    label: str


class PublicComplaintOut(Schema):
    tracking_number: str
    subject_kind: str
    subject: str
    received_on: date
    answer_due_on: date
    status: str
    status_label: str
    overdue: bool
    replied: bool
    outcome: str
    answer: str
    answer_withheld: bool
    answered_on: date | None
    answered_late: bool
    merged_answer: str
    timeline: list[TimelineOut]


@router.post("/complaints", response={201: ComplaintFiledOut, **ERRORS}, summary="举报投诉（公开，可匿名）")
def file_complaint(request, payload: ComplaintIn):
    try:
        complaint = complaints.file_complaint(
            subject_kind=payload.subject_kind,
            subject_ref=payload.subject_ref,
            text=payload.text,
            is_anonymous=payload.is_anonymous,
            name=payload.name,
            contact=payload.contact,
            ip=client_ip(request),
            honeypot=payload.website,
        )
    except complaints.ComplaintError as exc:
        return _error(429 if exc.field == "rate_limit" else 400, exc.field, exc.message)
    return Status(
        201,
        {
            "tracking_number": complaint.tracking_number,
            "answer_due_on": complaint.answer_due_on,
            "url": reverse("oversight-complaint", args=[complaint.tracking_number]),
            "message": "已收到，请记下查询编号",
        },
    )


class SubjectOutcomeOut(Schema):
    subject_kind: str
    subject: str
    outcome: str
    outcome_label: str
    count: int


class ComplaintStatsOut(Schema):
    total: int
    replied: int
    replied_on_time: int
    open_overdue: int
    ever_flagged: int
    by_status: dict[str, int]
    by_subject: dict[str, int]
    by_outcome: dict[str, int]
    table: list[SubjectOutcomeOut]


@router.get("/complaints/stats", response=ComplaintStatsOut, summary="举报投诉统计（公开）")
def complaint_statistics(request):
    stats = complaint_stats(today=timezone.localdate())
    subjects, outcomes = dict(stats.subjects), dict(stats.outcomes)
    return {
        "total": stats.total,
        "replied": stats.replied,
        "replied_on_time": stats.replied_on_time,
        "open_overdue": stats.open_overdue,
        "ever_flagged": stats.ever_flagged,
        "by_status": {value: n for value, _label, n in stats.by_status},
        "by_subject": stats.subject_totals,
        "by_outcome": {value or "pending": n for value, n in stats.outcome_totals.items()},
        "table": [
            {
                "subject_kind": subject,
                "subject": str(subjects.get(subject, subject)),
                "outcome": outcome or "pending",
                "outcome_label": str(outcomes.get(outcome, outcome)),
                "count": n,
            }
            for (subject, outcome), n in sorted(stats.table.items())
        ],
    }


@router.get(
    "/complaints/{tracking_number}", response={200: PublicComplaintOut, 404: ErrorOut}, summary="举报办理进度（公开）"
)
def track_complaint(request, tracking_number: str):
    number = complaints.normalise_tracking_number(tracking_number)
    view = public_complaint(number, today=timezone.localdate()) if complaints.TRACKING_PATTERN.match(number) else None
    if view is None:
        return _error(404, "tracking_number", "没有这个编号的举报")
    return {
        "tracking_number": view.tracking_number,
        "subject_kind": view.subject_kind_label,
        "subject": view.subject_label,
        "received_on": view.received_on,
        "answer_due_on": view.answer_due_on,
        "status": view.status,
        "status_label": view.status_label,
        "overdue": view.is_overdue,
        "replied": view.is_replied,
        "outcome": view.outcome_label,
        "answer": view.answer,
        "answer_withheld": view.answer_withheld,
        "answered_on": view.answered_on,
        "answered_late": view.answered_late,
        "merged_answer": view.merged_answer,
        "timeline": [{"at": step.at, "label": step.label} for step in view.timeline],
    }


# --- complaints: handlers, the regulator ----------------------------------------------------------------------


def _reader(request) -> None:
    if not (complaints.can_handle(request.user) or can_oversee(request.user)):
        raise HttpError(403, "仅限承办人员、慈善总会工作人员和监管部门")


class StaffComplaintOut(Schema):
    tracking_number: str
    subject_kind: str
    subject_ref: str
    subject: str
    project_id: int | None
    organisation_id: int | None
    status: str
    received_at: datetime
    answer_due_on: date
    overdue: bool
    overdue_flagged_at: datetime | None
    handler: str | None
    outcome: str
    answered_at: datetime | None
    answered_late: bool
    answer: str
    answer_is_public: bool
    is_anonymous: bool
    contact_hint: str
    attachments: int


class ComplaintQuery(Schema):
    status: str | None = None
    subject_kind: str | None = None
    overdue: bool = False
    flagged: bool = False
    q: str = ""
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def _staff_complaint(c, today: date) -> dict:
    return {
        "tracking_number": c.tracking_number,
        "subject_kind": c.subject_kind,
        "subject_ref": c.subject_ref,
        "subject": c.subject_label,
        "project_id": c.project_id,
        "organisation_id": c.organisation_id,
        "status": c.status,
        "received_at": c.received_at,
        "answer_due_on": c.answer_due_on,
        "overdue": c.is_overdue(today),
        "overdue_flagged_at": c.overdue_flagged_at,
        "handler": c.handler.get_username() if c.handler_id else None,
        "outcome": c.outcome,
        "answered_at": c.answered_at,
        "answered_late": c.answered_late,
        "answer": c.answer,
        "answer_is_public": c.answer_is_public,
        "is_anonymous": c.is_anonymous,
        "contact_hint": c.contact_hint,
        "attachments": getattr(c, "attachment_count", 0),
    }


@router.get(
    "/staff/complaints", response=list[StaffComplaintOut], auth=django_auth, summary="举报投诉列表（承办、监管）"
)
def staff_complaints(request, query: Query[ComplaintQuery]):
    _reader(request)
    today = timezone.localdate()
    qs = complaint_list(
        today=today,
        status=query.status if query.status in ComplaintStatus.values else None,
        subject_kind=query.subject_kind if query.subject_kind in ComplaintSubject.values else None,
        overdue_only=query.overdue,
        flagged_only=query.flagged,
        query=query.q.strip()[:40],
    )
    return [_staff_complaint(c, today) for c in qs[query.offset : query.offset + query.limit]]


class NoteIn(Schema):
    note: str = ""


class TriageIn(NoteIn):
    handler: str | None = Field(None, description="承办人用户名；不填为本人")


class AnswerIn(Schema):
    answer: str
    outcome: str
    is_public: bool = True
    private_reason: str = ""


class RejectIn(Schema):
    reason: str
    is_public: bool = True
    private_reason: str = ""


class DuplicateIn(Schema):
    original: str = Field(description="合并至的举报编号")
    note: str = ""


def _handled(request, tracking_number: str, act):
    if not complaints.can_handle(request.user):
        return _error(403, "actor", "没有处理举报投诉的权限")
    complaint = Complaint.objects.filter(tracking_number=complaints.normalise_tracking_number(tracking_number)).first()
    if complaint is None:
        return _error(404, "tracking_number", "没有这个编号的举报")
    try:
        complaint = act(complaint)
    except complaints.ComplaintError as exc:
        return _error(400, exc.field, exc.message)
    return _staff_complaint(complaint, timezone.localdate())


HANDLER_RESPONSES = {200: StaffComplaintOut, **ERRORS}


@router.post(
    "/staff/complaints/{tracking_number}/triage", response=HANDLER_RESPONSES, auth=django_auth, summary="受理举报"
)
def triage(request, tracking_number: str, payload: TriageIn):
    def act(complaint):
        handler = None
        if payload.handler:
            handler = get_user_model().objects.filter(username=payload.handler).first()
            if handler is None:
                raise complaints.ComplaintError("handler", "没有这个用户")
        return complaints.triage_complaint(complaint=complaint, actor=request.user, handler=handler, note=payload.note)

    return _handled(request, tracking_number, act)


@router.post(
    "/staff/complaints/{tracking_number}/investigate",
    response=HANDLER_RESPONSES,
    auth=django_auth,
    summary="开始调查",
)
def investigate(request, tracking_number: str, payload: NoteIn):
    return _handled(
        request,
        tracking_number,
        lambda c: complaints.start_investigation(complaint=c, actor=request.user, note=payload.note),
    )


@router.post(
    "/staff/complaints/{tracking_number}/answer", response=HANDLER_RESPONSES, auth=django_auth, summary="答复举报"
)
def answer(request, tracking_number: str, payload: AnswerIn):
    return _handled(
        request,
        tracking_number,
        lambda c: complaints.answer_complaint(
            complaint=c,
            actor=request.user,
            answer=payload.answer,
            outcome=payload.outcome,
            is_public=payload.is_public,
            private_reason=payload.private_reason,
        ),
    )


@router.post(
    "/staff/complaints/{tracking_number}/close", response=HANDLER_RESPONSES, auth=django_auth, summary="办结举报"
)
def close(request, tracking_number: str, payload: NoteIn):
    return _handled(
        request,
        tracking_number,
        lambda c: complaints.close_complaint(complaint=c, actor=request.user, note=payload.note),
    )


@router.post(
    "/staff/complaints/{tracking_number}/reject", response=HANDLER_RESPONSES, auth=django_auth, summary="不予受理"
)
def reject(request, tracking_number: str, payload: RejectIn):
    return _handled(
        request,
        tracking_number,
        lambda c: complaints.reject_complaint(
            complaint=c,
            actor=request.user,
            reason=payload.reason,
            is_public=payload.is_public,
            private_reason=payload.private_reason,
        ),
    )


@router.post(
    "/staff/complaints/{tracking_number}/duplicate",
    response=HANDLER_RESPONSES,
    auth=django_auth,
    summary="合并至其他举报",
)
def duplicate(request, tracking_number: str, payload: DuplicateIn):
    def act(complaint):
        original = Complaint.objects.filter(
            tracking_number=complaints.normalise_tracking_number(payload.original)
        ).first()
        if original is None:
            raise complaints.ComplaintError("original", "没有这个编号的举报")
        return complaints.mark_duplicate(complaint=complaint, actor=request.user, original=original, note=payload.note)

    return _handled(request, tracking_number, act)


# --- the regulator: audit trail, finance controls ---------------------------------------------------------------


def _overseer(request) -> None:
    if not can_oversee(request.user):
        raise HttpError(403, "仅限监管部门和慈善总会工作人员")


class TrailQuery(Schema):
    source: list[str] = Field(default_factory=list, description=", ".join(s.key for s in SOURCES))
    actor: str = ""
    since: date | None = None
    until: date | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class TrailRowOut(Schema):
    source: str
    source_label: str
    at: datetime
    actor: str
    subject: str
    action: str
    before: str
    after: str
    note: str


class TrailOut(Schema):
    count: int
    rows: list[TrailRowOut]


@router.get("/regulator/trail", response=TrailOut, auth=django_auth, summary="审计记录（监管）")
def audit_trail(request, query: Query[TrailQuery]):
    _overseer(request)
    keys = {s.key for s in SOURCES}
    filters = TrailFilter(
        sources=tuple(k for k in query.source if k in keys),
        actor=query.actor.strip()[:40],
        since=query.since,
        until=query.until,
    )
    page = TrailPage(filters)
    rows = page[query.offset : query.offset + query.limit]
    return {"count": page.count(), "rows": [row.__dict__ for row in rows]}


class CheckOut(Schema):
    key: str
    label: str
    bound: str
    numerator_fen: int
    denominator_fen: int
    ratio_bp: int | None
    limit_bp: int | None
    status: str
    message: str
    room_fen: int | None


class FinanceOut(Schema):
    organisation_id: int
    organisation: str
    kind: str
    year: int
    in_progress: bool
    status: str
    income_fen: int
    donations_fen: int
    offline_fen: int
    in_kind_fen: int
    matched_fen: int
    incentive_fen: int
    prior_income_fen: int
    three_year_average_fen: int | None
    basis_fen: int
    basis: str
    charity_spending_fen: int
    management_fen: int
    fundraising_fen: int
    other_spending_fen: int
    total_spending_fen: int
    checks: list[CheckOut]


@router.get("/regulator/finance", response=list[FinanceOut], auth=django_auth, summary="财务控制（监管、工作人员）")
def finance_figures(request, year: int | None = None):
    if not (can_oversee(request.user) or request.user.is_staff):
        raise HttpError(403, "仅限监管部门和工作人员")
    today = timezone.localdate()
    year = year if year is not None and 2000 <= year <= today.year + 1 else today.year
    result = []
    for row in finance_controls(year=year, today=today):
        a, f = row.assessment, row.assessment.figures
        result.append(
            {
                "organisation_id": row.organisation.pk,
                "organisation": row.organisation.name,
                "kind": row.organisation.kind,
                "year": year,
                "in_progress": a.in_progress,
                "status": a.status,
                "income_fen": f.income_fen,
                "donations_fen": f.donations_fen,
                "offline_fen": f.offline_fen,
                "in_kind_fen": f.in_kind_fen,
                "matched_fen": f.matched_fen,
                "incentive_fen": f.incentive_fen,
                "prior_income_fen": a.prior_income_fen,
                "three_year_average_fen": a.three_year_average_fen,
                "basis_fen": a.basis_fen,
                "basis": a.basis_label,
                "charity_spending_fen": f.charity_spending_fen,
                "management_fen": f.management_fen,
                "fundraising_fen": f.fundraising_fen,
                "other_spending_fen": f.other_fen,
                "total_spending_fen": f.total_spending_fen,
                "checks": [c.__dict__ for c in a.checks],
            }
        )
    return result
