"""Named funds: the public list and statements, and the staff pages (create, contribute, grant, approve)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongyi.funds import selectors
from gongyi.funds.forms import AmountForm, GrantForm, NamedFundForm
from gongyi.funds.models import FundGrant, GrantStatus, NamedFund
from gongyi.funds.services import (
    APPROVE_PERMISSION,
    CONTRIBUTE_PERMISSION,
    CREATE_PERMISSION,
    PROPOSE_PERMISSION,
    FundError,
    approve_fund_grant,
    create_named_fund,
    default_commitments,
    propose_fund_grant,
    record_fund_income,
    reject_fund_grant,
    transfer_to_fund,
)


@require_GET
def public_list(request):
    return render(request, "funds/public_list.html", {"summaries": selectors.fund_summaries(selectors.public_funds())})


@require_GET
def statement(request, fund_id: int):
    """A fund's statement: every movement from the ledger, running balances, commitments and grants."""
    fund = get_object_or_404(selectors.public_funds(), pk=fund_id)
    return render(request, "funds/statement.html", {"fund": fund, "statement": selectors.fund_statement(fund)})


def _staff_context(request) -> dict:
    user = request.user
    return {
        "can_create": user.has_perm(CREATE_PERMISSION),
        "can_contribute": user.has_perm(CONTRIBUTE_PERMISSION),
        "can_propose": user.has_perm(PROPOSE_PERMISSION),
        "can_approve": user.has_perm(APPROVE_PERMISSION),
    }


@require_GET
@staff_member_required
def staff_list(request):
    return render(
        request,
        "funds/staff_list.html",
        {
            "summaries": selectors.fund_summaries(NamedFund.objects.order_by("id")),
            "proposed": list(
                FundGrant.objects.filter(status=GrantStatus.PROPOSED).select_related("fund", "project", "proposed_by")
            ),
            **_staff_context(request),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_member_required
def staff_new(request):
    if not request.user.has_perm(CREATE_PERMISSION):
        raise PermissionDenied("没有设立冠名基金的权限")
    form = NamedFundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            fund = create_named_fund(
                name=data["name"],
                founder_kind=data["founder_kind"],
                founder_name=data["founder_name"],
                founder_uscc=data["founder_uscc"],
                kind=data["kind"],
                purpose=data["purpose"],
                agreement_signed_on=data["agreement_signed_on"],
                minimum_fen=data["minimum"],
                yearly_commitment_fen=data["yearly_commitment"],
                commitment_years=data["commitment_years"],
                actor=request.user,
            )
        except FundError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已设立登记“{fund.name}”，注资达到起设金额后即可拨款")
            return redirect("funds-staff-fund", fund_id=fund.pk)
    return render(
        request,
        "funds/staff_new.html",
        {"form": form, "defaults": default_commitments(), **_staff_context(request)},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@staff_member_required
def staff_fund(request, fund_id: int):
    fund = get_object_or_404(NamedFund.objects.select_related("organisation", "created_by"), pk=fund_id)
    return render(
        request,
        "funds/staff_fund.html",
        {
            "fund": fund,
            "statement": selectors.fund_statement(fund),
            "grants": list(fund.grants.select_related("project", "proposed_by", "decided_by").order_by("-id")),
            "events": list(fund.events.select_related("actor")),
            "amount_form": AmountForm(),
            "grant_form": GrantForm(),
            **_staff_context(request),
        },
    )


def _back(fund_id: int):
    return redirect("funds-staff-fund", fund_id=fund_id)


def _act(request, fund_id: int, action, success: str):
    try:
        action()
    except FundError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return _back(fund_id)


@require_POST
@staff_member_required
def staff_transfer(request, fund_id: int):
    fund = get_object_or_404(NamedFund, pk=fund_id)
    form = AmountForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写正确的金额")
        return _back(fund_id)
    data = form.cleaned_data
    return _act(
        request,
        fund_id,
        lambda: transfer_to_fund(
            fund=fund,
            amount_fen=data["amount"],
            to_principal=data["to_principal"],
            note=data["note"],
            actor=request.user,
        ),
        "已从非限定性捐赠划入",
    )


@require_POST
@staff_member_required
def staff_income(request, fund_id: int):
    fund = get_object_or_404(NamedFund, pk=fund_id)
    form = AmountForm(request.POST)
    if not form.is_valid() or not form.cleaned_data.get("received_on"):
        messages.error(request, "请填写正确的金额和到账日期")
        return _back(fund_id)
    data = form.cleaned_data
    return _act(
        request,
        fund_id,
        lambda: record_fund_income(
            fund=fund, amount_fen=data["amount"], received_on=data["received_on"], note=data["note"], actor=request.user
        ),
        "已记录收益",
    )


@require_POST
@staff_member_required
def staff_propose_grant(request, fund_id: int):
    fund = get_object_or_404(NamedFund, pk=fund_id)
    form = GrantForm(request.POST)
    if not form.is_valid():
        messages.error(request, "拨款申请未保存：" + "；".join(e for errors in form.errors.values() for e in errors))
        return _back(fund_id)
    data = form.cleaned_data
    return _act(
        request,
        fund_id,
        lambda: propose_fund_grant(
            fund=fund, project=data["project"], amount_fen=data["amount"], purpose=data["purpose"], actor=request.user
        ),
        "已提出拨款申请，等待另一位工作人员审批",
    )


@require_POST
@staff_member_required
def staff_approve_grant(request, grant_id: int):
    grant = get_object_or_404(FundGrant, pk=grant_id)
    note = request.POST.get("note", "")
    return _act(
        request,
        grant.fund_id,
        lambda: approve_fund_grant(grant=grant, approver=request.user, note=note),
        "拨款已审批入账",
    )


@require_POST
@staff_member_required
def staff_reject_grant(request, grant_id: int):
    grant = get_object_or_404(FundGrant, pk=grant_id)
    reason = request.POST.get("reason", "")
    return _act(
        request,
        grant.fund_id,
        lambda: reject_fund_grant(grant=grant, approver=request.user, reason=reason),
        "拨款未批准",
    )
