"""Back-office pages under ``/office/``: an organisation's projects, updates, gifts and spending; a unit's drive.

Every view is ``@office_view`` (signed in, member, TOTP) and reads through ``selectors`` with the caller's
scope: an id outside it is 404. A visible object the caller's role may not change is 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongyi.backoffice import selectors, services
from gongyi.backoffice.access import office_view
from gongyi.backoffice.exports import gifts_workbook, unit_credits_workbook, unit_list_name
from gongyi.backoffice.forms import (
    OfficeExpenditureForm,
    ProgressUpdateForm,
    ProjectDraftForm,
    ReviewForm,
    SubmitForm,
    WithdrawForm,
)
from gongyi.backoffice.services import OfficeForbidden, OfficeInputError, PhotoInput
from gongyi.core.masking import ANONYMOUS_NAME, mask_name
from gongyi.projects.models import ProjectStatus
from gongyi.spending.files import file_response
from gongyi.spending.forms import VoucherForm
from gongyi.spending.models import ExpenditureStatus
from gongyi.spending.services import (
    SPENDABLE_STATUSES,
    SpendingError,
    log_voucher_access,
    may_handle_vouchers,
    reject_expenditure,
    required_approvals,
)
from gongyi.spending.views import add_voucher_from_form, record_from_forms

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _project_or_404(request, project_id: int):
    project = selectors.project_for(request.office_scope, project_id)
    if project is None:
        raise Http404("项目不存在")
    return project


def _forbid_unless(request, action: str, organisation_id: int) -> None:
    if not request.office_scope.can(action, organisation_id):
        raise PermissionDenied("您的角色不能执行此操作")


def _gift_name(gift, with_names: bool) -> str:
    if gift.anonymous or not gift.donor_name:
        return ANONYMOUS_NAME
    return gift.donor_name if with_names else mask_name(gift.donor_name)


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@office_view
def home(request):
    scope = request.office_scope
    return render(
        request,
        "backoffice/home.html",
        {
            "scope": scope,
            "organisations": list(selectors.organisations(scope)[:50]),
            "units": list(selectors.units(scope)[:50]),
            "drafts": list(selectors.projects(scope, status=ProjectStatus.DRAFT)[:20]),
            "in_review": list(selectors.projects_in_review(scope)[:50]),
            "recent_projects": list(selectors.projects(scope)[:10]),
        },
    )


@require_GET
@office_view
def project_list(request):
    scope = request.office_scope
    status = request.GET.get("status") or None
    if status not in ProjectStatus.values:
        status = None
    page = Paginator(selectors.projects(scope, status=status), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/projects.html",
        {"page": page, "status": status, "statuses": ProjectStatus.choices, "scope": scope},
    )


@require_http_methods(["GET", "POST"])
@office_view
def project_new(request):
    scope = request.office_scope
    writable = scope.writable_organisation_ids
    if not writable:
        raise PermissionDenied("您的角色不能起草项目")
    wanted = request.POST.get("organisation") or request.GET.get("organisation") or writable[0]
    try:
        organisation = selectors.organisation_for(scope, int(wanted))
    except (TypeError, ValueError):
        organisation = None
    if organisation is None:
        raise Http404("机构不存在")
    _forbid_unless(request, "edit", organisation.pk)
    form = ProjectDraftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.draft_project(
                scope=scope, organisation=organisation, fields=form.draft_fields(), actor=request.user
            )
        except OfficeInputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "草稿已保存。填好备案编号后可提交审核。")
            return redirect("office-project", project_id=project.pk)
    return render(
        request,
        "backoffice/project_form.html",
        {"form": form, "organisation": organisation, "project": None},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@office_view
def project_detail(request, project_id: int):
    from gongyi.projects.selectors import figures_for

    scope = request.office_scope
    project = _project_or_404(request, project_id)
    org_id = project.organisation_id
    with_names = scope.can("view_names", org_id)
    gifts = list(selectors.gifts(scope, project=project)[:10])
    return render(
        request,
        "backoffice/project_detail.html",
        {
            "project": project,
            "figures": figures_for(project),
            "history": list(project.status_changes.select_related("actor")),
            "gifts": [(g, _gift_name(g, with_names)) for g in gifts],
            "updates": list(selectors.updates(scope, project=project)),
            "can_edit": scope.can("edit", org_id) and project.status == ProjectStatus.DRAFT,
            "can_submit": scope.can("submit", org_id) and project.status == ProjectStatus.DRAFT,
            "can_review": scope.reviews and project.status == ProjectStatus.IN_REVIEW,
            "can_post_update": scope.can("post_update", org_id)
            and project.status in (ProjectStatus.PUBLISHED, ProjectStatus.CLOSED),
            "can_export": scope.can("export", org_id) or scope.sees_all,
            "is_public": project.status in (ProjectStatus.PUBLISHED, ProjectStatus.CLOSED),
            "submit_form": SubmitForm(),
            "review_form": ReviewForm(),
            "withdraw_form": WithdrawForm(),
        },
    )


@require_http_methods(["GET", "POST"])
@office_view
def project_edit(request, project_id: int):
    scope = request.office_scope
    project = _project_or_404(request, project_id)
    _forbid_unless(request, "edit", project.organisation_id)
    if project.status != ProjectStatus.DRAFT:
        messages.error(request, "只有草稿可以修改。")
        return redirect("office-project", project_id=project.pk)
    form = ProjectDraftForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_draft_project(scope=scope, project=project, fields=form.draft_fields(), actor=request.user)
        except OfficeInputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "草稿已保存。")
            return redirect("office-project", project_id=project.pk)
    return render(
        request,
        "backoffice/project_form.html",
        {"form": form, "organisation": project.organisation, "project": project},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@office_view
def project_submit(request, project_id: int):
    project = _project_or_404(request, project_id)
    _forbid_unless(request, "submit", project.organisation_id)
    form = SubmitForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.submit_project(scope=request.office_scope, project=project, actor=request.user, note=note)
    except OfficeInputError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已提交市慈善总会审核。")
    return redirect("office-project", project_id=project.pk)


@require_POST
@office_view
def project_review(request, project_id: int):
    scope = request.office_scope
    project = _project_or_404(request, project_id)
    if not scope.reviews:
        raise PermissionDenied("审核项目需要慈善总会的审核权限")
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择审核结果")
        return redirect("office-project", project_id=project.pk)
    try:
        services.review_project(
            scope=scope,
            project=project,
            approve=form.cleaned_data["decision"] == "approve",
            actor=request.user,
            note=form.cleaned_data["note"],
        )
    except OfficeInputError as exc:
        messages.error(request, exc.message)
    except OfficeForbidden:
        raise PermissionDenied("审核项目需要慈善总会的审核权限") from None
    else:
        messages.success(request, "审核结果已记录。")
    return redirect("office-project", project_id=project.pk)


@require_http_methods(["GET", "POST"])
@office_view
def update_new(request, project_id: int):
    project = _project_or_404(request, project_id)
    _forbid_unless(request, "post_update", project.organisation_id)
    form = ProgressUpdateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        caption = form.cleaned_data["caption"]
        try:
            services.post_progress_update(
                scope=request.office_scope,
                project=project,
                title=form.cleaned_data["title"],
                text=form.cleaned_data["text"],
                photos=[PhotoInput(file=f, caption=caption) for f in form.cleaned_data["photos"]],
                actor=request.user,
            )
        except OfficeInputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "进展已发布在项目页面，并将通知订阅了进展的捐赠人。")
            return redirect("office-project", project_id=project.pk)
    return render(
        request,
        "backoffice/update_form.html",
        {"form": form, "project": project},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@office_view
def update_withdraw(request, update_id: int):
    update = selectors.update_for(request.office_scope, update_id)
    if update is None:
        raise Http404("进展不存在")
    _forbid_unless(request, "post_update", update.project.organisation_id)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写撤回原因")
    else:
        try:
            services.withdraw_progress_update(
                scope=request.office_scope, update=update, reason=form.cleaned_data["reason"], actor=request.user
            )
        except OfficeInputError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "进展已撤回（记录保留）。")
    return redirect("office-project", project_id=update.project_id)


@require_GET
@office_view
def project_gifts(request, project_id: int):
    scope = request.office_scope
    project = _project_or_404(request, project_id)
    with_names = scope.can("view_names", project.organisation_id)
    page = Paginator(selectors.gifts(scope, project=project), 50).get_page(request.GET.get("page"))
    credits = selectors.credits_by_gift(g.pk for g in page)
    return render(
        request,
        "backoffice/gifts.html",
        {
            "project": project,
            "page": page,
            "rows": [(g, _gift_name(g, with_names), credits.get(g.pk)) for g in page],
            "can_export": scope.can("export", project.organisation_id) or scope.sees_all,
        },
    )


def _export_allowed(request, organisation_id: int) -> None:
    scope = request.office_scope
    if not (scope.can("export", organisation_id) or scope.sees_all):
        raise PermissionDenied("导出捐赠明细需要机构管理员角色")


@require_GET
@office_view
def project_gifts_export(request, project_id: int):
    scope = request.office_scope
    project = _project_or_404(request, project_id)
    _export_allowed(request, project.organisation_id)
    gifts = list(selectors.gifts(scope, project=project))
    content = gifts_workbook(gifts, selectors.credits_by_gift(g.pk for g in gifts), with_names=True)
    services.record_export(actor=request.user, rows=len(gifts), organisation=project.organisation, project=project)
    return _xlsx(content, f"gifts-project-{project.pk}-{timezone.localdate():%Y%m%d}.xlsx")


@require_GET
@office_view
def organisation_detail(request, organisation_id: int):
    scope = request.office_scope
    organisation = selectors.organisation_for(scope, organisation_id)
    if organisation is None:
        raise Http404("机构不存在")
    return render(
        request,
        "backoffice/organisation.html",
        {
            "organisation": organisation,
            "projects": list(selectors.projects(scope).filter(organisation=organisation)),
            "members": list(selectors.staff_of(scope, organisation)),
            "role": scope.roles.get(organisation.pk),
            "can_export": scope.can("export", organisation.pk) or scope.sees_all,
            "can_draft": scope.can("edit", organisation.pk),
        },
    )


@require_GET
@office_view
def organisation_gifts_export(request, organisation_id: int):
    scope = request.office_scope
    organisation = selectors.organisation_for(scope, organisation_id)
    if organisation is None:
        raise Http404("机构不存在")
    _export_allowed(request, organisation.pk)
    gifts = list(selectors.gifts(scope, organisation_id=organisation.pk))
    content = gifts_workbook(gifts, selectors.credits_by_gift(g.pk for g in gifts), with_names=True)
    services.record_export(actor=request.user, rows=len(gifts), organisation=organisation)
    return _xlsx(content, f"gifts-organisation-{organisation.pk}-{timezone.localdate():%Y%m%d}.xlsx")


@require_GET
@office_view
def project_spending(request, project_id: int):
    from gongyi.spending.selectors import accounts_for_project

    scope = request.office_scope
    project = _project_or_404(request, project_id)
    return render(
        request,
        "backoffice/spending.html",
        {
            "project": project,
            "accounts": accounts_for_project(project),
            "expenditures": list(selectors.expenditures(scope, project=project)[:100]),
            "can_record": scope.can("record_spending", project.organisation_id)
            and project.status in SPENDABLE_STATUSES,
        },
    )


@require_http_methods(["GET", "POST"])
@office_view
def expenditure_new(request, project_id: int):
    """An organisation records what it spent on its project, with vouchers; federation finance approves it."""
    from gongyi.spending.selectors import accounts_for_project

    project = _project_or_404(request, project_id)
    _forbid_unless(request, "record_spending", project.organisation_id)
    form = OfficeExpenditureForm(request.POST or None)
    voucher_form = VoucherForm(request.POST or None, request.FILES or None, prefix="voucher")
    if request.method == "POST":
        expenditure = record_from_forms(request, form, voucher_form, project=project)
        if expenditure is not None:
            messages.success(
                request,
                f"已登记支出 #{expenditure.pk}，等待市慈善总会财务 {expenditure.required_approvals} 人审批后入账公开。",
            )
            return redirect("office-expenditure", expenditure_id=expenditure.pk)
    return render(
        request,
        "backoffice/expenditure_form.html",
        {
            "form": form,
            "voucher_form": voucher_form,
            "project": project,
            "accounts": accounts_for_project(project),
            "required_approvals": required_approvals(),
        },
        status=400 if request.method == "POST" else 200,
    )


def _expenditure_or_404(request, expenditure_id: int):
    expenditure = selectors.expenditure_for(request.office_scope, expenditure_id)
    if expenditure is None:
        raise Http404("支出不存在")
    return expenditure


@require_GET
@office_view
def expenditure_detail(request, expenditure_id: int):
    expenditure = _expenditure_or_404(request, expenditure_id)
    can_record = request.office_scope.can("record_spending", expenditure.project.organisation_id)
    return render(
        request,
        "backoffice/expenditure.html",
        {
            "expenditure": expenditure,
            "approvals": list(expenditure.approvals.select_related("approver")),
            "vouchers": list(expenditure.vouchers.all()),
            "events": list(expenditure.events.select_related("actor")),
            "can_add_voucher": can_record
            and expenditure.status in (ExpenditureStatus.PENDING, ExpenditureStatus.POSTED),
            "can_open_vouchers": can_record,
            "can_withdraw": expenditure.status == ExpenditureStatus.PENDING
            and expenditure.recorded_by_id == request.user.pk,
            "voucher_form": VoucherForm(prefix="voucher"),
            "withdraw_form": WithdrawForm(),
        },
    )


@require_POST
@office_view
def expenditure_add_voucher(request, expenditure_id: int):
    expenditure = _expenditure_or_404(request, expenditure_id)
    _forbid_unless(request, "record_spending", expenditure.project.organisation_id)
    form = VoucherForm(request.POST, request.FILES, prefix="voucher")
    if form.is_valid():
        add_voucher_from_form(request, expenditure, form.cleaned_data)
    else:
        messages.error(request, "凭证未保存：" + "；".join(e for errors in form.errors.values() for e in errors))
    return redirect("office-expenditure", expenditure_id=expenditure.pk)


@require_POST
@office_view
def expenditure_withdraw(request, expenditure_id: int):
    """The person who recorded a pending expenditure takes it back (nothing was posted)."""
    expenditure = _expenditure_or_404(request, expenditure_id)
    _forbid_unless(request, "record_spending", expenditure.project.organisation_id)
    if expenditure.recorded_by_id != request.user.pk:
        raise PermissionDenied("只有登记人可以撤回这笔支出")
    form = WithdrawForm(request.POST)
    try:
        if not form.is_valid():
            raise SpendingError("reason", "请填写撤回原因")
        reject_expenditure(expenditure=expenditure, actor=request.user, reason=form.cleaned_data["reason"])
    except SpendingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "支出已撤回（记录保留）。")
    return redirect("office-expenditure", expenditure_id=expenditure.pk)


@require_GET
@office_view
def voucher_file(request, voucher_id: int, which: str):
    """A voucher's original or redacted copy for the organisation's recorders; every opening is logged."""
    voucher = selectors.voucher_for(request.office_scope, voucher_id)
    if voucher is None:
        raise Http404("凭证不存在")
    if not may_handle_vouchers(request.user, voucher.expenditure):
        raise PermissionDenied("您的角色不能查看凭证原件")
    if which == "redacted":
        if not voucher.redacted_file:
            raise Http404("没有脱敏件")
        fieldfile, content_type = voucher.redacted_file, voucher.redacted_content_type
    else:
        fieldfile, content_type = voucher.file, voucher.content_type
    log_voucher_access(voucher=voucher, actor=request.user, which=which)
    return file_response(fieldfile, content_type, name=f"voucher-{voucher.pk}-{which}", public=False)


@require_GET
@office_view
def unit_detail(request, unit_id: int):
    from gongyi.drives.selectors import current_drive, unit_figures

    scope = request.office_scope
    unit = selectors.unit_for(scope, unit_id)
    if unit is None:
        raise Http404("单位不存在")
    drive = current_drive()
    credits = list(selectors.unit_credits(scope, unit)[:100])
    return render(
        request,
        "backoffice/unit.html",
        {
            "unit": unit,
            "drive": drive,
            "figures": unit_figures(drive, unit),
            "rows": [(c, unit_list_name(c)) for c in credits],
            "receipts": list(selectors.unit_receipts(scope, unit)[:20]),
        },
    )


@require_GET
@office_view
def unit_gifts_export(request, unit_id: int):
    scope = request.office_scope
    unit = selectors.unit_for(scope, unit_id)
    if unit is None:
        raise Http404("单位不存在")
    credits = list(selectors.unit_credits(scope, unit))
    content = unit_credits_workbook(credits)
    services.record_export(actor=request.user, rows=len(credits), unit=unit)
    return _xlsx(content, f"gifts-unit-{unit.code}-{timezone.localdate():%Y%m%d}.xlsx")
