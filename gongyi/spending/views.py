"""Public accounts pages (公开账目) and the staff pages for recording and approving expenditures."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongyi.campaigns.selectors import public_campaigns
from gongyi.giving.selectors import gift_by_certificate_no
from gongyi.orgs.models import Organisation
from gongyi.oversight.selectors import project_disclosure
from gongyi.projects.selectors import public_project, public_projects
from gongyi.spending import selectors
from gongyi.spending.files import file_response
from gongyi.spending.forms import ApprovalForm, ExpenditureForm, PublicationForm, ReasonForm, VoucherForm
from gongyi.spending.models import Expenditure, ExpenditureStatus, Publication, Voucher
from gongyi.spending.services import (
    APPROVE_PERMISSION,
    RECORD_PERMISSION,
    SpendingError,
    add_voucher,
    approve_expenditure,
    log_voucher_access,
    record_expenditure,
    reject_expenditure,
    required_approvals,
    reverse_expenditure,
    set_voucher_publication,
)

# --- public pages ------------------------------------------------------------------------------------


@require_GET
def project_accounts(request, project_id: int):
    """A project's account: income by source, spending by category, balance, expenditures, flow, reports."""
    project = public_project(project_id)
    if project is None:
        raise Http404("项目不存在或未公开")
    figures = selectors.accounts_for_project(project)
    aid_disbursements = selectors.public_aid_disbursements(project)
    return render(
        request,
        "spending/project_accounts.html",
        {
            "project": project,
            "organisation": project.organisation,
            "accounts": figures,
            "expenditures": selectors.public_expenditures(project),
            "aid_disbursements": aid_disbursements,
            "aid_disbursed_fen": sum(d.amount_fen for d in aid_disbursements if not d.reversed),
            "flow": selectors.fund_flow(project, figures),
            "disclosure": project_disclosure(project, today=timezone.localdate()),
        },
    )


@require_GET
def organisation_accounts(request, organisation_id: int):
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    if not public_projects().filter(organisation=organisation).exists():
        raise Http404("该组织没有公开的项目")
    rollup = selectors.organisation_rollup(organisation)
    return render(
        request,
        "spending/rollup_accounts.html",
        {
            "heading": organisation.name,
            "kind_label": "组织",
            "organisation": organisation,
            "rollup": rollup,
            "flow": selectors.fund_flow(None, rollup.total),
        },
    )


@require_GET
def campaign_accounts(request, slug: str):
    campaign = public_campaigns().filter(slug=slug).first()
    if campaign is None:
        raise Http404("活动不存在")
    rollup = selectors.campaign_rollup(campaign)
    return render(
        request,
        "spending/rollup_accounts.html",
        {
            "heading": campaign.name,
            "kind_label": "活动",
            "campaign": campaign,
            "rollup": rollup,
            "flow": selectors.fund_flow(None, rollup.total),
        },
    )


@require_GET
def gift_trace(request, certificate_no: str):
    """Where one gift went (Charity Law art. 42): the project's spending it paid, first in, first out."""
    gift = gift_by_certificate_no(certificate_no)
    if gift is None or public_project(gift.project_id) is None:
        raise Http404("捐赠证书不存在")
    return render(request, "spending/gift_trace.html", {"trace": selectors.gift_trace(gift), "gift": gift})


@require_GET
def gift_lookup(request):
    number = (request.GET.get("no") or "").strip().upper()
    if number and gift_by_certificate_no(number) is not None:
        return redirect("accounts-gift", certificate_no=number)
    return render(
        request,
        "spending/gift_lookup.html",
        {"number": number, "not_found": bool(number)},
        status=404 if number else 200,
    )


@require_GET
def public_voucher_file(request, voucher_id: int):
    """A voucher an approver chose to publish (original or redacted copy); anything else is 404."""
    voucher = selectors.public_voucher(voucher_id)
    if voucher is None:
        raise Http404("凭证不存在或未公开")
    if voucher.publication == Publication.REDACTED:
        return file_response(
            voucher.redacted_file, voucher.redacted_content_type, name=f"voucher-{voucher.pk}", public=True
        )
    return file_response(voucher.file, voucher.content_type, name=f"voucher-{voucher.pk}", public=True)


# --- staff pages -------------------------------------------------------------------------------------


def _staff_context(request) -> dict:
    user = request.user
    return {"can_record": user.has_perm(RECORD_PERMISSION), "can_approve": user.has_perm(APPROVE_PERMISSION)}


@require_GET
@staff_member_required
def staff_expenditures(request):
    """Expenditures awaiting approval first, then the latest others."""
    base = Expenditure.objects.select_related("project", "recorded_by").prefetch_related("approvals")
    return render(
        request,
        "spending/staff_list.html",
        {
            "pending": list(base.filter(status=ExpenditureStatus.PENDING).order_by("recorded_at", "id")),
            "recent": list(base.exclude(status=ExpenditureStatus.PENDING).order_by("-recorded_at", "-id")[:50]),
            **_staff_context(request),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_member_required
def staff_new_expenditure(request):
    if not request.user.has_perm(RECORD_PERMISSION):
        raise PermissionDenied("没有登记项目支出的权限")
    form = ExpenditureForm(request.POST or None)
    voucher_form = VoucherForm(request.POST or None, request.FILES or None, prefix="voucher")
    if request.method == "POST":
        expenditure = record_from_forms(request, form, voucher_form)
        if expenditure is not None:
            messages.success(request, f"已登记支出 #{expenditure.pk}，等待 {expenditure.required_approvals} 人审批")
            return redirect("spending-staff-detail", expenditure_id=expenditure.pk)
    return render(
        request,
        "spending/staff_new.html",
        {
            "form": form,
            "voucher_form": voucher_form,
            "required_approvals": required_approvals(),
            **_staff_context(request),
        },
        status=400 if request.method == "POST" else 200,
    )


def record_from_forms(request, form, voucher_form, *, project=None) -> Expenditure | None:
    """Record from a bound expenditure form (its ``project``, or the one given) and, when a file came with it,
    its voucher form; refusals land on the form's fields. The staff pages and the back office share this."""
    wants_voucher = bool(request.FILES.get(voucher_form.add_prefix("file")))
    if not form.is_valid() or (wants_voucher and not voucher_form.is_valid()):
        return None
    data = form.cleaned_data
    try:
        expenditure = record_expenditure(
            project=project or data["project"],
            category=data["category"],
            amount_fen=data["amount"],
            payee=data["payee"],
            payee_kind=data["payee_kind"],
            purpose=data["purpose"],
            spent_on=data["spent_on"],
            aid_case_ref=data["aid_case_ref"],
            recorded_by=request.user,
        )
    except SpendingError as exc:
        field = "amount" if exc.field == "amount_fen" else exc.field
        form.add_error(field if field in form.fields else None, exc.message)
        return None
    if wants_voucher:
        add_voucher_from_form(request, expenditure, voucher_form.cleaned_data)
    return expenditure


def add_voucher_from_form(request, expenditure: Expenditure, data: dict) -> bool:
    try:
        add_voucher(
            expenditure=expenditure,
            file=data["file"],
            redacted_file=data.get("redacted_file") or None,
            kind=data["kind"],
            description=data.get("description", ""),
            uploaded_by=request.user,
        )
    except SpendingError as exc:
        messages.error(request, f"凭证未保存：{exc.message}")
        return False
    messages.success(request, "凭证已上传（默认不公开）")
    return True


@require_GET
@staff_member_required
def staff_expenditure(request, expenditure_id: int):
    expenditure = get_object_or_404(
        Expenditure.objects.select_related("project", "recorded_by", "entry", "reversal_entry"), pk=expenditure_id
    )
    return render(
        request,
        "spending/staff_detail.html",
        {
            "expenditure": expenditure,
            "approvals": list(expenditure.approvals.select_related("approver")),
            "vouchers": list(expenditure.vouchers.select_related("uploaded_by", "published_by")),
            "events": list(expenditure.events.select_related("actor")),
            "voucher_form": VoucherForm(prefix="voucher"),
            "publications": Publication.choices,
            "is_recorder": expenditure.recorded_by_id == request.user.pk,
            **_staff_context(request),
        },
    )


def _back(expenditure_id: int):
    return redirect(reverse("spending-staff-detail", args=[expenditure_id]))


@require_POST
@staff_member_required
def staff_approve(request, expenditure_id: int):
    expenditure = get_object_or_404(Expenditure, pk=expenditure_id)
    form = ApprovalForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        outcome = approve_expenditure(expenditure=expenditure, approver=request.user, note=note)
    except SpendingError as exc:
        messages.error(request, exc.message)
    else:
        if outcome.posted:
            messages.success(request, "审批通过，已入账")
        else:
            messages.success(request, f"审批通过（{outcome.approvals}/{outcome.expenditure.required_approvals}）")
    return _back(expenditure_id)


@require_POST
@staff_member_required
def staff_reject(request, expenditure_id: int):
    expenditure = get_object_or_404(Expenditure, pk=expenditure_id)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise SpendingError("reason", "请填写驳回理由")
        reject_expenditure(expenditure=expenditure, actor=request.user, reason=form.cleaned_data["reason"])
    except SpendingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已驳回")
    return _back(expenditure_id)


@require_POST
@staff_member_required
def staff_reverse(request, expenditure_id: int):
    expenditure = get_object_or_404(Expenditure, pk=expenditure_id)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise SpendingError("reason", "请填写冲回理由")
        reverse_expenditure(expenditure=expenditure, actor=request.user, reason=form.cleaned_data["reason"])
    except SpendingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已冲回（原分录保留，另记一笔冲回分录）")
    return _back(expenditure_id)


@require_POST
@staff_member_required
def staff_add_voucher(request, expenditure_id: int):
    expenditure = get_object_or_404(Expenditure, pk=expenditure_id)
    form = VoucherForm(request.POST, request.FILES, prefix="voucher")
    if form.is_valid():
        add_voucher_from_form(request, expenditure, form.cleaned_data)
    else:
        messages.error(request, "凭证未保存：" + "；".join(e for errors in form.errors.values() for e in errors))
    return _back(expenditure_id)


@require_POST
@staff_member_required
def staff_voucher_publication(request, voucher_id: int):
    voucher = get_object_or_404(Voucher, pk=voucher_id)
    form = PublicationForm(request.POST)
    try:
        if not form.is_valid():
            raise SpendingError("publication", "请选择公开方式")
        set_voucher_publication(voucher=voucher, publication=form.cleaned_data["publication"], actor=request.user)
    except SpendingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "凭证公开方式已更新")
    return _back(voucher.expenditure_id)


@require_GET
@staff_member_required
def staff_voucher_file(request, voucher_id: int, which: str):
    """The original or redacted copy for staff who record or approve; every opening is logged."""
    user = request.user
    if not (user.has_perm(RECORD_PERMISSION) or user.has_perm(APPROVE_PERMISSION)):
        raise PermissionDenied("没有查看凭证的权限")
    voucher = get_object_or_404(Voucher, pk=voucher_id)
    if which == "redacted":
        if not voucher.redacted_file:
            raise Http404("没有脱敏件")
        fieldfile, content_type = voucher.redacted_file, voucher.redacted_content_type
    elif which == "original":
        fieldfile, content_type = voucher.file, voucher.content_type
    else:
        raise Http404
    log_voucher_access(voucher=voucher, actor=user, which=which)
    return file_response(fieldfile, content_type, name=f"voucher-{voucher.pk}-{which}", public=False)
