"""Aid API under /api/v1/aid. Public: programmes, running notices, objections (rate-limited, see
``aid.throttle``). Staff (``aid_auth``: signed in, an aid role, TOTP enrolled and used in this session —
401 / 403 otherwise, as the staff pages): cases through ``selectors.visible_cases`` only — masked by
default; personal data only from ``POST /cases/{number}/personal`` with a reason, which writes the access log.

A case outside the caller's scope is 404 (its existence is not confirmed); a case in scope but an action
the caller's role may not take is 403; a refused action is 400 naming the field.
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from gongyi.aid import selectors, services
from gongyi.aid.access import AccessRefused, export_beneficiary, reveal_case
from gongyi.aid.calculator import CalculationRefused, CaseFacts, Deductions, ParamsError, calculate
from gongyi.aid.calculator import Invoice as InvoiceLine
from gongyi.aid.models import AidCase, AidProgramme, CaseStatus, Objection
from gongyi.aid.throttle import consume_objection
from gongyi.core.mfa import MFASessionAuth
from gongyi.orgs.models import Region

router = Router(tags=["aid"])


class AidAuth(MFASessionAuth):
    """Session auth (CSRF on writes) for the staff operations, as the staff pages (``gongyi.core.mfa``): 401
    signed out; 403 without an aid role, without TOTP, or in a session that never used it."""

    def __init__(self, csrf: bool = True) -> None:
        super().__init__(
            selectors.scope_of,
            attr="aid_scope",
            no_access_message="没有救助工作权限",
            mfa_message="救助工作需要两步验证：请先在网页上启用身份验证器，并用密码和验证码登录",
            csrf=csrf,
        )


aid_auth = AidAuth()


class ErrorOut(Schema):
    message: str
    errors: list[dict]


def _error(status: int, field: str, message: str) -> Status:
    return Status(
        status,
        {"message": f"{field}: {message}" if field else message, "errors": [{"field": field, "message": message}]},
    )


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def _scoped(request):
    """The caller's scope; 403 if signed in without any aid role."""
    scope = selectors.scope_of(request.user)
    if scope.is_empty:
        raise HttpError(403, "没有救助工作权限")
    return scope


def _case(request, case_number: str) -> AidCase:
    _scoped(request)
    case = selectors.visible_case(request.user, case_number)
    if case is None:
        raise HttpError(404, "案件不存在")
    return case


def _forbid_unless(allowed: bool, message: str = "无权办理") -> None:
    if not allowed:
        raise HttpError(403, message)


# --- public -------------------------------------------------------------------------------------------


class StepOut(Schema):
    position: int
    level: str
    role: str
    name: str


class ProgrammeOut(Schema):
    code: str
    name: str
    project_id: int
    standards: str
    notice_length: str
    notice_length_label: str
    per_case_cap_fen: int | None
    per_year_cap_fen: int | None
    calculator: dict
    required_documents: list[str]
    complaint_channel: str
    steps: list[StepOut]


@router.get("/programmes", response=list[ProgrammeOut], summary="救助项目、标准与审核流程（公开）")
def programmes(request):
    return [
        {
            "code": p.code,
            "name": p.name,
            "project_id": p.project_id,
            "standards": p.standards,
            "notice_length": p.notice_length,
            "notice_length_label": p.get_notice_length_display(),
            "per_case_cap_fen": p.per_case_cap_fen,
            "per_year_cap_fen": p.per_year_cap_fen,
            "calculator": p.calculator,
            "required_documents": p.required_documents,
            "complaint_channel": p.complaint_channel,
            "steps": [
                {"position": s.position, "level": s.level, "role": s.role, "name": s.name} for s in p.steps.all()
            ],
        }
        for p in AidProgramme.objects.filter(is_active=True).prefetch_related("steps")
    ]


class NoticeOut(Schema):
    id: int
    programme: str
    programme_code: str
    case_number: str
    name: str
    place: str
    amount_fen: int
    starts_on: date
    ends_on: date
    paused: bool
    complaint_channel: str


def _notice(n) -> dict:
    return {
        "id": n.pk,
        "programme": n.programme.name,
        "programme_code": n.programme.code,
        "case_number": n.case.case_number,
        "name": n.masked_name,
        "place": n.place,
        "amount_fen": n.amount_fen,
        "starts_on": n.starts_on,
        "ends_on": n.ends_on,
        "paused": n.status == "paused",
        "complaint_channel": n.programme.complaint_channel,
    }


@router.get("/notices", response=list[NoticeOut], summary="公示中的救助（姓名脱敏，不含身份证号）")
def notices(request, programme: str | None = None):
    chosen = None
    if programme:
        chosen = AidProgramme.objects.filter(code=programme).first()
        if chosen is None:
            raise HttpError(404, "救助项目不存在")
    return [
        _notice(n)
        for n in selectors.public_notices(today=timezone.localdate(), programme=chosen).select_related("case")
    ]


class ObjectionIn(Schema):
    text: str
    contact: str = ""


class ObjectionOut(Schema):
    tracking_number: str
    message: str


@router.post(
    "/notices/{notice_id}/objections",
    response={201: ObjectionOut, 429: ErrorOut, **ERRORS},
    summary="对公示提出异议（公开，按地址和公示限频）",
)
def object_to_notice(request, response: HttpResponse, notice_id: int, payload: ObjectionIn):
    refused = consume_objection(request, notice_id)
    if refused is not None:
        response["Retry-After"] = str(refused.retry_after)
        return Status(
            429,
            {
                "message": refused.message,
                "errors": [{"field": "", "message": refused.message, "limit": refused.limit.code}],
            },
        )
    try:
        objection = services.file_objection(notice_id=notice_id, text=payload.text, contact=payload.contact)
    except services.AidError as exc:
        return _error(404 if isinstance(exc, services.NotFound) else 400, exc.field, exc.message)
    return Status(201, {"tracking_number": objection.tracking_number, "message": "已受理，该案件暂停办理，核查后答复"})


# --- staff: reads ----------------------------------------------------------------------------------------


class CaseRowOut(Schema):
    case_number: str
    programme: str
    name: str
    village: str
    status: str
    status_label: str
    current_step: str | None
    calculated_fen: int | None
    approved_fen: int | None
    disbursed_fen: int
    created_at: datetime


def _row(c: AidCase) -> dict:
    return {
        "case_number": c.case_number,
        "programme": c.programme.code,
        "name": c.beneficiary.masked_name,
        "village": c.region.name,
        "status": c.status,
        "status_label": c.get_status_display(),
        "current_step": c.current_step.name if c.current_step else None,
        "calculated_fen": c.calculated_fen,
        "approved_fen": c.approved_fen,
        "disbursed_fen": c.disbursed_fen,
        "created_at": c.created_at,
    }


class CaseFilter(Schema):
    status: str | None = None
    programme: str | None = None
    village: str | None = None


@router.get("/cases", response=list[CaseRowOut], auth=aid_auth, summary="本辖区的救助案件（脱敏）")
def cases(request, filters: Query[CaseFilter]):
    _scoped(request)
    qs = selectors.visible_cases(request.user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.programme:
        qs = qs.filter(programme__code=filters.programme)
    if filters.village:
        qs = qs.filter(region_id=filters.village)
    return [_row(c) for c in qs.order_by("-id")[:500]]


class CaseOut(CaseRowOut):
    hardship_class: str
    applicant_under_14: bool
    total_cost_fen: int
    deductions_fen: dict
    calculation: dict | None
    consents: list[dict]
    invoices: list[dict]
    documents: list[dict]
    reviews: list[dict]
    notices: list[dict]
    disbursements: list[dict]
    follow_ups: list[dict]
    events: list[dict]
    can: dict


def case_permissions(user, case: AidCase) -> dict:
    return {
        "review": selectors.can_review(user, case),
        "edit": selectors.can(user, selectors.INTAKE_ROLES, case) and case.status in ("draft", "returned"),
        "disburse": selectors.can(user, selectors.DISBURSE_ROLES, case) and case.status == CaseStatus.APPROVED,
        "follow_up": selectors.can(user, selectors.FOLLOW_UP_ROLES, case),
        "resolve": selectors.can(user, selectors.RESOLVE_ROLES, case),
        "close": selectors.can(user, selectors.CLOSE_ROLES, case) and case.status == CaseStatus.DISBURSED,
        "export": selectors.can(user, selectors.EXPORT_ROLES, case),
    }


def _detail(user, c: AidCase) -> dict:
    data = _row(c)
    data.update(
        {
            "hardship_class": c.hardship_class,
            "applicant_under_14": c.applicant_under_14,
            "total_cost_fen": c.total_cost_fen,
            "deductions_fen": {f: getattr(c, f) for f in services.DEDUCTION_FIELDS},
            "calculation": c.calculation,
            "consents": [
                {
                    "kind": x.kind,
                    "signer": x.signer,
                    "recorded_at": x.recorded_at.isoformat(),
                    "withdrawn": x.withdrawn_at is not None,
                }
                for x in c.consents.all()
            ],
            "invoices": [
                {
                    "id": i.pk,
                    "label": i.label,
                    "amount_fen": i.amount_fen,
                    "issued_on": i.issued_on.isoformat(),
                    "released": i.released,
                }
                for i in c.invoices.all()
            ],
            "documents": [
                {"id": d.pk, "kind": d.kind, "content_type": d.content_type, "size_bytes": d.size_bytes}
                for d in c.documents.filter(deleted_at__isnull=True)
            ],
            "reviews": [
                {
                    "step": r.step.name,
                    "round": r.review_round,
                    "decision": r.decision,
                    "reviewer": r.reviewer.username,
                    "at": r.at.isoformat(),
                    "amount_fen": r.amount_fen,
                }
                for r in c.reviews.select_related("step", "reviewer")
            ],
            "notices": [
                {"id": n.pk, "starts_on": n.starts_on.isoformat(), "ends_on": n.ends_on.isoformat(), "status": n.status}
                for n in c.notices.all()
            ],
            "disbursements": [
                {
                    "id": d.pk,
                    "amount_fen": d.amount_fen,
                    "method": d.method,
                    "paid_on": d.paid_on.isoformat(),
                    "account_last4": d.account_last4,
                    "hospital_name": d.hospital_name,
                    "entry_id": d.entry_id,
                }
                for d in c.disbursements.all()
            ],
            "follow_ups": [
                {"id": f.pk, "kind": f.kind, "on": f.on.isoformat(), "services": f.services} for f in c.follow_ups.all()
            ],
            "events": [{"kind": e.kind, "at": e.at.isoformat(), "details": e.details} for e in c.events.all()],
            "can": case_permissions(user, c),
        }
    )
    return data


@router.get("/cases/{case_number}", response={200: CaseOut, **ERRORS}, auth=aid_auth, summary="案件详情（脱敏）")
def case_detail(request, case_number: str):
    return _detail(request.user, _case(request, case_number))


class RevealIn(Schema):
    reason: str
    note: str = ""


@router.post(
    "/cases/{case_number}/personal",
    response={200: dict, **ERRORS},
    auth=aid_auth,
    summary="查阅个人信息（记录访问日志）",
)
def case_personal(request, case_number: str, payload: RevealIn):
    case = _case(request, case_number)
    try:
        data = reveal_case(
            user=request.user, case=case, reason=payload.reason, note=payload.note, channel="api", path=request.path
        )
    except AccessRefused as exc:
        return _error(400, exc.field, exc.message)
    return data.as_dict()


@router.post(
    "/cases/{case_number}/export",
    response={200: dict, **ERRORS},
    auth=aid_auth,
    summary="导出受助人个人信息（本人请求）",
)
def case_export(request, case_number: str, payload: RevealIn):
    case = _case(request, case_number)
    _forbid_unless(selectors.can(request.user, selectors.EXPORT_ROLES, case))
    try:
        return export_beneficiary(
            user=request.user, beneficiary=case.beneficiary, note=payload.note, channel="api", path=request.path
        )
    except AccessRefused as exc:
        return _error(400, exc.field, exc.message)


class StationOut(Schema):
    id: int
    name: str
    level: str
    region: str
    is_active: bool
    staff: int


@router.get("/stations", response=list[StationOut], auth=aid_auth, summary="本辖区的服务站")
def stations(request):
    _scoped(request)
    return [
        {
            "id": s.pk,
            "name": s.name,
            "level": s.level,
            "region": s.region_id,
            "is_active": s.is_active,
            "staff": s.staff_roles.filter(is_active=True).count(),
        }
        for s in selectors.visible_stations(request.user)
    ]


class CoverageOut(Schema):
    villages: int
    with_station: int
    with_staff: int
    percent: int
    townships: list[dict]
    stations_by_level: dict


@router.get("/coverage", response=CoverageOut, auth=aid_auth, summary="服务站覆盖情况")
def coverage(request):
    _scoped(request)
    report = selectors.coverage_report(request.user)
    return {
        "villages": report.total.villages,
        "with_station": report.total.with_station,
        "with_staff": report.total.with_staff,
        "percent": report.total.percent,
        "townships": [
            {
                "code": r.region.code,
                "name": r.region.name,
                "villages": r.villages,
                "with_station": r.with_station,
                "with_staff": r.with_staff,
                "uncovered": [v.name for v in r.uncovered],
            }
            for r in report.by_township
        ],
        "stations_by_level": report.stations_by_level,
    }


class AccessLogOut(Schema):
    at: datetime
    user: str
    roles: str
    case_number: str | None
    fields: str
    reason: str
    note: str
    channel: str


@router.get("/access-log", response=list[AccessLogOut], auth=aid_auth, summary="个人信息访问日志（监管）")
def access_log(request, case_number: str | None = None, user: str | None = None):
    _scoped(request)
    _forbid_unless(selectors.can_browse_access_log(request.user), "只有监管部门和慈善总会可以查看访问日志")
    qs = selectors.access_log(request.user)
    if case_number:
        qs = qs.filter(case__case_number=case_number)
    if user:
        qs = qs.filter(user__username=user)
    return [
        {
            "at": a.at,
            "user": a.user.username,
            "roles": a.roles,
            "case_number": a.case.case_number if a.case else None,
            "fields": a.fields,
            "reason": a.reason,
            "note": a.note,
            "channel": a.channel,
        }
        for a in qs[:1000]
    ]


# --- staff: writes ---------------------------------------------------------------------------------------


class CaseIn(Schema):
    programme: str
    village: str
    name: str
    id_number: str
    phone: str = ""
    address: str = ""
    household: str = ""
    hardship_class: str
    diagnosis: str = ""
    hospital: str = ""
    situation: str = ""
    guardian_name: str = ""
    guardian_id_number: str = ""
    guardian_relation: str = ""
    guardian_phone: str = ""
    basic_insurance_fen: int = 0
    critical_illness_insurance_fen: int = 0
    medical_assistance_fen: int = 0
    commercial_insurance_fen: int = 0
    employer_fen: int = 0
    other_charity_fen: int = 0


@router.post("/cases", response={201: CaseRowOut, **ERRORS}, auth=aid_auth, summary="受理救助申请")
def create_case(request, payload: CaseIn):
    scope = _scoped(request)
    programme = AidProgramme.objects.filter(code=payload.programme).first()
    if programme is None:
        return _error(400, "programme", "救助项目不存在")
    region = Region.objects.filter(pk=payload.village).first()
    if region is None:
        return _error(400, "village", "村（社区）不存在")
    if scope.read_only or not scope.covers(selectors.region_path_of(region), selectors.INTAKE_ROLES):
        raise HttpError(403, "只能受理本辖区村（社区）的申请")
    guardian = None
    if payload.guardian_name or payload.guardian_id_number:
        guardian = services.GuardianInput(
            payload.guardian_name, payload.guardian_id_number, payload.guardian_relation, payload.guardian_phone
        )
    try:
        case = services.open_case(
            actor=request.user,
            programme=programme,
            region=region,
            person=services.PersonInput(
                payload.name, payload.id_number, payload.phone, payload.address, payload.household
            ),
            hardship_class=payload.hardship_class,
            diagnosis=payload.diagnosis,
            hospital=payload.hospital,
            situation=payload.situation,
            guardian=guardian,
            deductions={f: getattr(payload, f) for f in services.DEDUCTION_FIELDS},
        )
    except services.AidError as exc:
        return _error(400, exc.field, exc.message)
    case = selectors.visible_case(request.user, case.case_number)
    return Status(201, _row(case))


def _act(request, case_number: str, roles, call):
    case = _case(request, case_number)
    scope = selectors.scope_of(request.user)
    if scope.read_only or (roles is not None and not scope.covers(case.region_path, roles)):
        raise HttpError(403, "无权办理")
    try:
        call(case)
    except services.AidError as exc:
        if exc.field == "actor":
            raise HttpError(403, exc.message) from None
        return _error(400, exc.field, exc.message)
    return Status(200, _detail(request.user, selectors.visible_case(request.user, case_number)))


class InvoiceIn(Schema):
    code: str = ""
    number: str
    amount_fen: int
    issued_on: date


@router.post(
    "/cases/{case_number}/invoices", response={200: CaseOut, **ERRORS}, auth=aid_auth, summary="登记医疗费用票据"
)
def add_invoice(request, case_number: str, payload: InvoiceIn):
    return _act(
        request,
        case_number,
        selectors.INTAKE_ROLES,
        lambda case: services.add_invoice(
            actor=request.user,
            case=case,
            code=payload.code,
            number=payload.number,
            amount_fen=payload.amount_fen,
            issued_on=payload.issued_on,
        ),
    )


class ConsentIn(Schema):
    kind: str
    signer: str
    text_version: str = "2026-01"


@router.post("/cases/{case_number}/consents", response={200: CaseOut, **ERRORS}, auth=aid_auth, summary="记录单独同意")
def add_consent(request, case_number: str, payload: ConsentIn):
    return _act(
        request,
        case_number,
        selectors.INTAKE_ROLES,
        lambda case: services.record_consent(
            actor=request.user, case=case, kind=payload.kind, signer=payload.signer, text_version=payload.text_version
        ),
    )


@router.post("/cases/{case_number}/submit", response={200: CaseOut, **ERRORS}, auth=aid_auth, summary="提交审核")
def submit(request, case_number: str):
    return _act(
        request, case_number, selectors.INTAKE_ROLES, lambda case: services.submit_case(actor=request.user, case=case)
    )


class ReviewIn(Schema):
    decision: str
    opinion: str = ""
    no_conflict_declared: bool = False
    home_visit_on: date | None = None
    amount_fen: int | None = None


@router.post("/cases/{case_number}/reviews", response={200: CaseOut, **ERRORS}, auth=aid_auth, summary="审核")
def review(request, case_number: str, payload: ReviewIn):
    case = _case(request, case_number)
    if not selectors.can_review(request.user, case):
        raise HttpError(403, "不是本环节的审核人")
    return _act(
        request,
        case_number,
        None,
        lambda case: services.review_case(
            actor=request.user,
            case=case,
            decision=payload.decision,
            opinion=payload.opinion,
            no_conflict_declared=payload.no_conflict_declared,
            home_visit_on=payload.home_visit_on,
            amount_fen=payload.amount_fen,
        ),
    )


class DisbursementIn(Schema):
    amount_fen: int
    method: str
    paid_on: date | None = None
    account_holder: str = ""
    bank_name: str = ""
    account_number: str = ""
    hospital_name: str = ""
    request_key: str = ""


@router.post(
    "/cases/{case_number}/disbursements", response={200: CaseOut, **ERRORS}, auth=aid_auth, summary="拨付救助款"
)
def disburse(request, case_number: str, payload: DisbursementIn):
    return _act(
        request,
        case_number,
        selectors.DISBURSE_ROLES,
        lambda case: services.disburse(actor=request.user, case=case, **payload.dict()),
    )


class FollowUpIn(Schema):
    kind: str
    on: date
    services: str = ""
    notes: str
    volunteers: str = ""


@router.post(
    "/cases/{case_number}/follow-ups", response={200: CaseOut, **ERRORS}, auth=aid_auth, summary="登记跟踪服务"
)
def follow_up(request, case_number: str, payload: FollowUpIn):
    return _act(
        request,
        case_number,
        selectors.FOLLOW_UP_ROLES,
        lambda case: services.record_follow_up(actor=request.user, case=case, **payload.dict()),
    )


@router.post("/cases/{case_number}/close", response={200: CaseOut, **ERRORS}, auth=aid_auth, summary="结案")
def close(request, case_number: str):
    return _act(
        request, case_number, selectors.CLOSE_ROLES, lambda case: services.close_case(actor=request.user, case=case)
    )


class ResolutionIn(Schema):
    upheld: bool
    resolution: str
    public_answer: str = ""


@router.post(
    "/objections/{objection_id}/resolution", response={200: dict, **ERRORS}, auth=aid_auth, summary="处理公示异议"
)
def resolve(request, objection_id: int, payload: ResolutionIn):
    _scoped(request)
    objection = Objection.objects.filter(pk=objection_id, case__in=selectors.visible_cases(request.user)).first()
    if objection is None:
        raise HttpError(404, "异议不存在")
    scope = selectors.scope_of(request.user)
    if scope.read_only or not scope.covers(objection.case.region_path, selectors.RESOLVE_ROLES):
        raise HttpError(403, "只有市级工作人员或慈善总会工作人员可以处理异议")
    try:
        result = services.resolve_objection(
            actor=request.user,
            objection=objection,
            upheld=payload.upheld,
            resolution=payload.resolution,
            public_answer=payload.public_answer,
        )
    except services.AidError as exc:
        return _error(400, exc.field, exc.message)
    return {"tracking_number": result.tracking_number, "status": result.status}


class CalculateIn(Schema):
    programme: str
    hardship_class: str
    invoices: list[dict] = []
    basic_insurance_fen: int = 0
    critical_illness_insurance_fen: int = 0
    medical_assistance_fen: int = 0
    commercial_insurance_fen: int = 0
    employer_fen: int = 0
    other_charity_fen: int = 0
    received_this_year_fen: int = 0


@router.post("/calculate", response={200: dict, **ERRORS}, auth=aid_auth, summary="救助金额测算（不保存）")
def calculate_preview(request, payload: CalculateIn):
    _scoped(request)
    programme = AidProgramme.objects.filter(code=payload.programme).first()
    if programme is None:
        return _error(400, "programme", "救助项目不存在")
    try:
        invoices = tuple(
            InvoiceLine(
                str(i.get("number", index)),
                f"#{index + 1}",
                int(i["amount_fen"]),
                date.fromisoformat(str(i["issued_on"])),
            )
            for index, i in enumerate(payload.invoices)
        )
    except (KeyError, TypeError, ValueError):
        return _error(400, "invoices", "每张票据须有 amount_fen（整数）和 issued_on（YYYY-MM-DD）")
    facts = CaseFacts(
        hardship_class=payload.hardship_class,
        applied_on=timezone.localdate(),
        invoices=invoices,
        deductions=Deductions(**{f: getattr(payload, f) for f in services.DEDUCTION_FIELDS}),
        received_this_year_fen=payload.received_this_year_fen,
    )
    try:
        return calculate(programme.params(), facts).as_dict()
    except (CalculationRefused, ParamsError) as exc:
        first = exc.problems[0]
        return _error(400, first.field, "；".join(p.message for p in exc.problems))
