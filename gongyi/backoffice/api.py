"""The back-office API under ``/api/v1/office`` (session + TOTP, CSRF on writes), scoped like the pages.

An id outside the caller's scope is 404; a visible object the caller's role may not change is 403.
"""

from __future__ import annotations

from datetime import date, datetime

from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from gongyi.backoffice import selectors, services
from gongyi.backoffice.access import office_auth
from gongyi.backoffice.exports import unit_list_name
from gongyi.backoffice.services import OfficeForbidden, OfficeInputError
from gongyi.backoffice.views import _gift_name
from gongyi.core.api_errors import field_error
from gongyi.spending.models import Category, ExpenditureStatus, PayeeKind, VoucherKind
from gongyi.spending.services import SpendingError, add_voucher, record_expenditure, reject_expenditure

router = Router(tags=["office"], auth=office_auth)

ERRORS = {401: dict, 403: dict, 404: dict, 422: dict}


class ProjectOut(Schema):
    id: int
    title: str
    organisation_id: int
    organisation: str
    status: str
    status_label: str
    target_fen: int
    filing_number: str
    gifts: int
    donors: int


class ProjectDetailOut(ProjectOut):
    raised_fen: int
    matched_fen: int
    fundraising_starts_on: date
    fundraising_ends_on: date


class GiftOut(Schema):
    certificate_no: str
    out_trade_no: str
    paid_at: datetime
    amount_fen: int
    matched_fen: int
    name: str
    status: str


class UpdateIn(Schema):
    title: str
    text: str


class UpdateOut(Schema):
    id: int
    project_id: int
    title: str
    text: str
    published_at: datetime
    withdrawn: bool
    photos: list[str]


class UnitOut(Schema):
    id: int
    code: str
    name: str
    givers: int
    gifts: int
    amount_fen: int
    total_fen: int


class UnitGiftOut(Schema):
    certificate_no: str
    paid_at: datetime
    amount_fen: int
    name: str
    as_unit: bool
    status: str


def _project_out(project) -> dict:
    return {
        "id": project.pk,
        "title": project.title,
        "organisation_id": project.organisation_id,
        "organisation": project.organisation.name,
        "status": project.status,
        "status_label": str(project.get_status_display()),
        "target_fen": project.target_fen,
        "filing_number": project.filing_number,
        "gifts": project.gifts_count,
        "donors": project.donors_count,
    }


def _project(request, project_id: int):
    project = selectors.project_for(request.office_scope, project_id)
    if project is None:
        raise HttpError(404, "项目不存在")
    return project


def _update_out(update) -> dict:
    return {
        "id": update.pk,
        "project_id": update.project_id,
        "title": update.title,
        "text": update.text,
        "published_at": update.published_at,
        "withdrawn": update.withdrawn_at is not None,
        "photos": [p.image.url for p in update.photos.all()],
    }


@router.get("/projects", response=list[ProjectOut], summary="我能看到的项目")
def list_projects(request):
    return [_project_out(p) for p in selectors.projects(request.office_scope)[:500]]


@router.get("/projects/{project_id}", response={200: ProjectDetailOut, **ERRORS}, summary="项目详情")
def get_project(request, project_id: int):
    from gongyi.projects.selectors import figures_for

    project = _project(request, project_id)
    figures = figures_for(project)
    return {
        **_project_out(project),
        "raised_fen": figures.raised_fen,
        "matched_fen": figures.matched_fen,
        "fundraising_starts_on": project.fundraising_starts_on,
        "fundraising_ends_on": project.fundraising_ends_on,
    }


@router.post("/projects/{project_id}/submit", response={200: ProjectOut, **ERRORS}, summary="草稿提交审核")
def submit_project(request, project_id: int):
    project = _project(request, project_id)
    try:
        moved = services.submit_project(scope=request.office_scope, project=project, actor=request.user)
    except OfficeForbidden:
        raise HttpError(403, "您的角色不能提交审核") from None
    except OfficeInputError as exc:
        return field_error(422, exc.field, exc.message)
    return _project_out(moved)


@router.get("/projects/{project_id}/gifts", response={200: list[GiftOut], **ERRORS}, summary="项目的捐赠")
def project_gifts(request, project_id: int, limit: int = 200):
    scope = request.office_scope
    project = _project(request, project_id)
    with_names = scope.can("view_names", project.organisation_id)
    return [
        {
            "certificate_no": g.certificate_no,
            "out_trade_no": g.order.out_trade_no,
            "paid_at": g.paid_at,
            "amount_fen": g.amount_fen,
            "matched_fen": g.matched_fen,
            "name": _gift_name(g, with_names),
            "status": g.status,
        }
        for g in selectors.gifts(scope, project=project)[: max(1, min(limit, 1000))]
    ]


@router.get("/projects/{project_id}/updates", response={200: list[UpdateOut], **ERRORS}, summary="项目进展")
def project_updates(request, project_id: int):
    project = _project(request, project_id)
    return [_update_out(u) for u in selectors.updates(request.office_scope, project=project)]


@router.post("/projects/{project_id}/updates", response={201: UpdateOut, **ERRORS}, summary="发布进展（无照片）")
def post_update(request, project_id: int, payload: UpdateIn):
    project = _project(request, project_id)
    try:
        update = services.post_progress_update(
            scope=request.office_scope,
            project=project,
            title=payload.title,
            text=payload.text,
            photos=[],
            actor=request.user,
        )
    except OfficeForbidden:
        raise HttpError(403, "您的角色不能发布进展") from None
    except OfficeInputError as exc:
        return field_error(422, exc.field, exc.message)
    return Status(201, _update_out(update))


@router.get("/units/{unit_id}", response={200: UnitOut, **ERRORS}, summary="单位的一日捐")
def get_unit(request, unit_id: int):
    from gongyi.drives.selectors import current_drive, unit_figures

    unit = selectors.unit_for(request.office_scope, unit_id)
    if unit is None:
        raise HttpError(404, "单位不存在")
    figures = unit_figures(current_drive(), unit)
    return {
        "id": unit.pk,
        "code": unit.code,
        "name": unit.name,
        "givers": figures.givers,
        "gifts": figures.gifts,
        "amount_fen": figures.amount_fen,
        "total_fen": figures.total_fen,
    }


@router.get("/units/{unit_id}/gifts", response={200: list[UnitGiftOut], **ERRORS}, summary="计入单位的捐赠")
def unit_gifts(request, unit_id: int):
    scope = request.office_scope
    unit = selectors.unit_for(scope, unit_id)
    if unit is None:
        raise HttpError(404, "单位不存在")
    return [
        {
            "certificate_no": c.gift.certificate_no,
            "paid_at": c.gift.paid_at,
            "amount_fen": c.amount_fen,
            "name": unit_list_name(c),
            "as_unit": c.as_unit,
            "status": c.status,
        }
        for c in selectors.unit_credits(scope, unit)[:1000]
    ]


# --- spending: an organisation records, federation finance approves -------------------------------------------


class ExpenditureIn(Schema):
    category: Category
    amount_fen: int
    payee: str
    payee_kind: PayeeKind = PayeeKind.ORGANISATION
    purpose: str
    spent_on: date
    aid_case_ref: str = ""


class VoucherOut(Schema):
    id: int
    kind: str
    description: str
    sha256: str
    has_redacted_copy: bool
    publication: str


class ExpenditureOut(Schema):
    id: int
    project_id: int
    category: str
    amount_fen: int
    payee: str
    public_payee: str
    payee_kind: str
    purpose: str
    spent_on: date
    aid_case_ref: str
    status: str
    status_label: str
    approvals: int
    required_approvals: int
    recorded_at: datetime
    posted_at: datetime | None
    vouchers: list[VoucherOut]


class ReasonIn(Schema):
    reason: str


def _expenditure_out(expenditure) -> dict:
    return {
        "id": expenditure.pk,
        "project_id": expenditure.project_id,
        "category": expenditure.category,
        "amount_fen": expenditure.amount_fen,
        "payee": expenditure.payee,
        "public_payee": expenditure.public_payee,
        "payee_kind": expenditure.payee_kind,
        "purpose": expenditure.purpose,
        "spent_on": expenditure.spent_on,
        "aid_case_ref": expenditure.aid_case_ref,
        "status": expenditure.status,
        "status_label": str(expenditure.get_status_display()),
        "approvals": expenditure.approvals.count(),
        "required_approvals": expenditure.required_approvals,
        "recorded_at": expenditure.recorded_at,
        "posted_at": expenditure.posted_at,
        "vouchers": [
            {
                "id": v.pk,
                "kind": v.kind,
                "description": v.description,
                "sha256": v.sha256,
                "has_redacted_copy": bool(v.redacted_file),
                "publication": v.publication,
            }
            for v in expenditure.vouchers.all()
        ],
    }


def _expenditure(request, expenditure_id: int):
    expenditure = selectors.expenditure_for(request.office_scope, expenditure_id)
    if expenditure is None:
        raise HttpError(404, "支出不存在")
    return expenditure


def _may_record(request, organisation_id: int) -> None:
    if not request.office_scope.can("record_spending", organisation_id):
        raise HttpError(403, "您的角色不能登记支出")


@router.get("/projects/{project_id}/expenditures", response={200: list[ExpenditureOut], **ERRORS}, summary="项目的支出")
def project_expenditures(request, project_id: int):
    project = _project(request, project_id)
    qs = selectors.expenditures(request.office_scope, project=project).prefetch_related("vouchers")
    return [_expenditure_out(e) for e in qs[:500]]


@router.post(
    "/projects/{project_id}/expenditures",
    response={201: ExpenditureOut, **ERRORS},
    summary="登记支出（待市慈善总会财务审批）",
)
def create_expenditure(request, project_id: int, payload: ExpenditureIn):
    project = _project(request, project_id)
    _may_record(request, project.organisation_id)
    try:
        expenditure = record_expenditure(
            project=project,
            category=payload.category,
            amount_fen=payload.amount_fen,
            payee=payload.payee,
            payee_kind=payload.payee_kind,
            purpose=payload.purpose,
            spent_on=payload.spent_on,
            aid_case_ref=payload.aid_case_ref,
            recorded_by=request.user,
        )
    except SpendingError as exc:
        return field_error(422, exc.field, exc.message)
    return Status(201, _expenditure_out(expenditure))


@router.get("/expenditures/{expenditure_id}", response={200: ExpenditureOut, **ERRORS}, summary="支出详情")
def get_expenditure(request, expenditure_id: int):
    return _expenditure_out(_expenditure(request, expenditure_id))


@router.post(
    "/expenditures/{expenditure_id}/vouchers",
    response={201: ExpenditureOut, **ERRORS},
    summary="上传凭证（multipart：file，可选 redacted_file）",
)
def upload_voucher(
    request,
    expenditure_id: int,
    kind: Form[VoucherKind],
    file: File[UploadedFile],
    description: Form[str] = "",
    redacted_file: File[UploadedFile] | None = None,
):
    expenditure = _expenditure(request, expenditure_id)
    _may_record(request, expenditure.project.organisation_id)
    try:
        add_voucher(
            expenditure=expenditure,
            file=file,
            redacted_file=redacted_file,
            kind=kind,
            description=description,
            uploaded_by=request.user,
        )
    except SpendingError as exc:
        return field_error(422, exc.field, exc.message)
    return Status(201, _expenditure_out(expenditure))


@router.post(
    "/expenditures/{expenditure_id}/withdraw",
    response={200: ExpenditureOut, **ERRORS},
    summary="登记人撤回待审批的支出",
)
def withdraw_expenditure(request, expenditure_id: int, payload: ReasonIn):
    expenditure = _expenditure(request, expenditure_id)
    _may_record(request, expenditure.project.organisation_id)
    if expenditure.recorded_by_id != request.user.pk:
        raise HttpError(403, "只有登记人可以撤回这笔支出")
    if expenditure.status != ExpenditureStatus.PENDING:
        return field_error(422, "status", f"该支出{expenditure.get_status_display()}，不能撤回")
    try:
        withdrawn = reject_expenditure(expenditure=expenditure, actor=request.user, reason=payload.reason)
    except SpendingError as exc:
        return field_error(422, exc.field, exc.message)
    return _expenditure_out(withdrawn)
