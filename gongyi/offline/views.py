"""Offline gifts: the public list (donors masked) and the staff pages to enter, check, void and receipt."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongyi.funds.accounts import default_federation
from gongyi.offline import selectors
from gongyi.offline.forms import (
    NoteForm,
    OfflineGiftForm,
    ReasonForm,
    ReceiptIssuedForm,
    ReceiptRequestForm,
    VoucherForm,
)
from gongyi.offline.models import OfflineGift, OfflineReceipt, OfflineVoucher, Status
from gongyi.offline.services import (
    CHECK_PERMISSION,
    ENTER_PERMISSION,
    RECEIPT_PERMISSION,
    VOID_PERMISSION,
    OfflineError,
    VoucherUpload,
    add_offline_voucher,
    confirm_offline_gift,
    export_offline_receipt,
    log_voucher_access,
    record_offline_gift,
    record_offline_receipt_issued,
    reject_offline_gift,
    reject_offline_receipt,
    request_offline_receipt,
    void_offline_gift,
)
from gongyi.spending.files import file_response


@require_GET
def public_list(request):
    """Every checked offline gift: date, way, donor (organisations named, people masked), amount, destination."""
    federation = default_federation()
    return render(
        request,
        "offline/public_list.html",
        {
            "gifts": selectors.public_offline_gifts(limit=200),
            "totals": selectors.public_offline_totals(),
            "federation": federation,
            "general_fund_fen": selectors.general_fund_fen(federation) if federation else 0,
        },
    )


def _staff_context(request) -> dict:
    user = request.user
    return {
        "can_enter": user.has_perm(ENTER_PERMISSION),
        "can_check": user.has_perm(CHECK_PERMISSION),
        "can_void": user.has_perm(VOID_PERMISSION),
        "can_receipt": user.has_perm(RECEIPT_PERMISSION),
    }


@require_GET
@staff_member_required
def staff_list(request):
    return render(request, "offline/staff_list.html", {**selectors.staff_worklist(), **_staff_context(request)})


@require_http_methods(["GET", "POST"])
@staff_member_required
def staff_new(request):
    if not request.user.has_perm(ENTER_PERMISSION):
        raise PermissionDenied("没有录入线下捐赠的权限")
    form = OfflineGiftForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        vouchers = [VoucherUpload(kind=data["voucher_kind"], file=data["voucher"])]
        if data.get("extra_voucher"):
            vouchers.append(VoucherUpload(kind=data["extra_voucher_kind"] or "other", file=data["extra_voucher"]))
        try:
            gift = record_offline_gift(
                method=data["method"],
                donor_kind=data["donor_kind"],
                donor_name=data["donor_name"],
                donor_uscc=data["donor_uscc"],
                donor_contact=data["donor_contact"],
                anonymous=data["anonymous"],
                amount_fen=data["amount"],
                received_on=data["received_on"],
                organisation=data["organisation"],
                project=data["project"],
                fund=data["fund"],
                to_principal=data["to_principal"],
                bank_reference=data["bank_reference"],
                payer_account_name=data["payer_account_name"],
                box=data["box"],
                counted_by=(data["counted_by_first"], data["counted_by_second"]),
                receipt_choice=data["receipt_choice"],
                note=data["note"],
                vouchers=vouchers,
                entered_by=request.user,
            )
        except OfflineError as exc:
            field = {"amount_fen": "amount", "vouchers": "voucher", "counted_by": "counted_by_first"}.get(
                exc.field, exc.field
            )
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已录入 {gift.number}，等待另一位工作人员复核后入账")
            return redirect("offline-staff-gift", gift_id=gift.pk)
    return render(
        request,
        "offline/staff_new.html",
        {"form": form, **_staff_context(request)},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@staff_member_required
def staff_gift(request, gift_id: int):
    gift = get_object_or_404(
        OfflineGift.objects.select_related(
            "project", "fund", "box", "organisation", "entered_by", "checked_by", "gift", "entry", "settlement_entry"
        ),
        pk=gift_id,
    )
    return render(
        request,
        "offline/staff_gift.html",
        {
            "gift": gift,
            "vouchers": list(gift.vouchers.select_related("uploaded_by")),
            "events": list(gift.events.select_related("actor")),
            "receipts": list(gift.receipts.all()),
            "voucher_form": VoucherForm(),
            "receipt_form": ReceiptRequestForm(),
            "issued_form": ReceiptIssuedForm(),
            "is_enterer": gift.entered_by_id == request.user.pk,
            "Status": Status,
            **_staff_context(request),
        },
    )


def _back(gift_id: int):
    return redirect("offline-staff-gift", gift_id=gift_id)


def _act(request, gift_id: int, action, success: str):
    try:
        action()
    except OfflineError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return _back(gift_id)


@require_POST
@staff_member_required
def staff_confirm(request, gift_id: int):
    gift = get_object_or_404(OfflineGift, pk=gift_id)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _act(
        request, gift_id, lambda: confirm_offline_gift(gift=gift, checker=request.user, note=note), "复核通过，已入账"
    )


@require_POST
@staff_member_required
def staff_reject(request, gift_id: int):
    gift = get_object_or_404(OfflineGift, pk=gift_id)
    reason = request.POST.get("reason", "")
    return _act(request, gift_id, lambda: reject_offline_gift(gift=gift, checker=request.user, reason=reason), "已退回")


@require_POST
@staff_member_required
def staff_void(request, gift_id: int):
    gift = get_object_or_404(OfflineGift, pk=gift_id)
    reason = request.POST.get("reason", "")
    return _act(
        request, gift_id, lambda: void_offline_gift(gift=gift, actor=request.user, reason=reason), "已作废并冲回"
    )


@require_POST
@staff_member_required
def staff_add_voucher(request, gift_id: int):
    gift = get_object_or_404(OfflineGift, pk=gift_id)
    form = VoucherForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "凭证未保存：" + "；".join(e for errors in form.errors.values() for e in errors))
        return _back(gift_id)
    data = form.cleaned_data
    return _act(
        request,
        gift_id,
        lambda: add_offline_voucher(gift=gift, kind=data["kind"], file=data["file"], actor=request.user),
        "凭证已上传",
    )


@require_GET
@staff_member_required
def staff_voucher_file(request, voucher_id: int):
    """A voucher's file for staff who enter or check offline gifts; every opening is logged."""
    user = request.user
    if not (user.has_perm(ENTER_PERMISSION) or user.has_perm(CHECK_PERMISSION)):
        raise PermissionDenied("没有查看凭证的权限")
    voucher = get_object_or_404(OfflineVoucher.objects.select_related("gift"), pk=voucher_id)
    log_voucher_access(voucher=voucher, actor=user)
    return file_response(voucher.file, voucher.content_type, name=f"offline-voucher-{voucher.pk}", public=False)


@require_POST
@staff_member_required
def staff_request_receipt(request, gift_id: int):
    gift = get_object_or_404(OfflineGift, pk=gift_id)
    form = ReceiptRequestForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {}
    return _act(
        request,
        gift_id,
        lambda: request_offline_receipt(
            gift=gift,
            actor=request.user,
            payer_name=data.get("payer_name", ""),
            contact_phone=data.get("contact_phone", ""),
        ),
        "已申请票据",
    )


@require_POST
@staff_member_required
def staff_export_receipt(request, receipt_id: int):
    receipt = get_object_or_404(OfflineReceipt, pk=receipt_id)
    return _act(
        request,
        receipt.gift_id,
        lambda: export_offline_receipt(receipt=receipt, actor=request.user),
        "已导出票据申请，请上传财政电子票据系统",
    )


@require_POST
@staff_member_required
def staff_receipt_issued(request, receipt_id: int):
    receipt = get_object_or_404(OfflineReceipt, pk=receipt_id)
    form = ReceiptIssuedForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {}
    return _act(
        request,
        receipt.gift_id,
        lambda: record_offline_receipt_issued(
            receipt=receipt,
            receipt_no=data.get("receipt_no", ""),
            check_code=data.get("check_code", ""),
            verify_url=data.get("verify_url", ""),
            actor=request.user,
        ),
        "已登记票据开具结果",
    )


@require_POST
@staff_member_required
def staff_reject_receipt(request, receipt_id: int):
    receipt = get_object_or_404(OfflineReceipt, pk=receipt_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request,
        receipt.gift_id,
        lambda: reject_offline_receipt(receipt=receipt, reason=reason, actor=request.user),
        "已登记未开具",
    )
