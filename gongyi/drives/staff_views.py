"""Staff pages for drives (mounted under ``/drives/staff/``): registration review, Excel import with
progress, units' bank transfers with vouchers, receipt requests. Money and review need their permission."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongyi.drives.forms import ImportForm, OfflineGiftForm, ReceiptIssuedForm
from gongyi.drives.imports import FIELD_LABELS, start_unit_import, template_workbook
from gongyi.drives.models import (
    DriveEvent,
    ImportStatus,
    ReceiptRequest,
    ReceiptStatus,
    Unit,
    UnitImport,
    UnitOfflineGift,
    UnitStatus,
)
from gongyi.drives.selectors import current_drive, drive_projects, public_drives, unit_figures
from gongyi.drives.services import (
    DriveInputError,
    export_receipt_request,
    find_active_unit,
    record_offline_unit_gift,
    record_receipt_issued,
    reject_receipt_request,
    request_unit_receipts,
    review_unit,
    unit_gift_token,
    void_offline_unit_gift,
)
from gongyi.drives.views import public_url


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied(f"需要权限 {permission}")


@require_GET
@staff_member_required
def home(request):
    return render(
        request,
        "drives/staff_home.html",
        {
            "pending": Unit.objects.filter(status=UnitStatus.PENDING).select_related("district").order_by("created_at"),
            "imports": UnitImport.objects.select_related("created_by")[:5],
            "offline": UnitOfflineGift.objects.select_related("unit", "project")[:10],
            "open_receipts": ReceiptRequest.objects.filter(
                status__in=[ReceiptStatus.REQUESTED, ReceiptStatus.EXPORTED]
            ).count(),
            "drive": current_drive(),
            "drives": public_drives(),
        },
    )


@require_GET
@staff_member_required
def units(request):
    query = (request.GET.get("q") or "").strip()
    status = request.GET.get("status") or ""
    rows = Unit.objects.select_related("district", "parent").order_by("district_id", "name")
    if query:
        rows = rows.filter(Q(name__icontains=query) | Q(code=query.upper()) | Q(uscc=query.upper()))
    if status in UnitStatus.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "drives/staff_units.html",
        {"page": page, "q": query, "status": status, "statuses": UnitStatus.choices},
    )


@require_GET
@staff_member_required
def unit_detail(request, unit_id: int):
    unit = get_object_or_404(Unit.objects.select_related("district", "township", "parent", "reviewed_by"), pk=unit_id)
    drive = current_drive()
    gift_link = ""
    if unit.status == UnitStatus.APPROVED:
        gift_link = public_url(reverse("drives-unit", args=[unit.code])) + f"?as_unit={unit_gift_token(unit)}"
    return render(
        request,
        "drives/staff_unit.html",
        {
            "unit": unit,
            "drive": drive,
            "figures": unit_figures(drive, unit),
            "uscc_warning": "" if unit.uscc_check_ok or not unit.uscc else "统一社会信用代码校验未通过，请核对证书",
            "gift_link": gift_link,
            "offline": unit.offline_gifts.select_related("project", "entered_by"),
            "receipts": unit.receipt_requests.all(),
            "events": DriveEvent.objects.filter(unit=unit).select_related("actor").order_by("-id")[:30],
        },
    )


@require_POST
@staff_member_required
def review(request, unit_id: int):
    _require(request, "drives.change_unit")
    unit = get_object_or_404(Unit, pk=unit_id)
    approve = request.POST.get("decision") == "approve"
    try:
        review_unit(unit=unit, approve=approve, note=request.POST.get("note", ""), actor=request.user)
    except DriveInputError as error:
        messages.error(request, f"未能审核：{error.message}（{error.field}）")
    else:
        messages.success(
            request, f"「{unit.name}」{'已通过，单位代码 ' + unit.code + ' 生效' if approve else '未通过'}"
        )
    return redirect(_local_next(request) or reverse("drives-staff-unit", args=[unit.pk]))


def _local_next(request) -> str:
    """The form's ``next`` when it is a path on this site (the staff list posts one), else ''.

    ``redirect`` would take any other text for a URL name (an error page) or send staff to another site.
    """
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@require_http_methods(["GET", "POST"])
@staff_member_required
def import_units(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        _require(request, "drives.add_unit")
        if form.is_valid():
            unit_import = start_unit_import(upload=form.cleaned_data["file"], actor=request.user)
            return redirect("drives-staff-import", import_id=unit_import.pk)
    return render(
        request,
        "drives/staff_import.html",
        {"form": form, "imports": UnitImport.objects.select_related("created_by")[:20], "columns": FIELD_LABELS},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@staff_member_required
def import_template(request):
    response = HttpResponse(
        template_workbook(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="units-template.xlsx"'
    return response


@require_GET
@staff_member_required
def import_detail(request, import_id: int):
    unit_import = get_object_or_404(UnitImport, pk=import_id)
    return render(
        request,
        "drives/staff_import_detail.html",
        {"import": unit_import, "running": unit_import.status in (ImportStatus.QUEUED, ImportStatus.CHECKING)},
    )


@require_GET
@staff_member_required
def import_progress(request, import_id: int):
    unit_import = get_object_or_404(UnitImport, pk=import_id)
    return JsonResponse(
        {
            "status": unit_import.status,
            "status_label": unit_import.get_status_display(),
            "total_rows": unit_import.total_rows,
            "checked_rows": unit_import.checked_rows,
            "percent": unit_import.progress_percent,
            "created_units": unit_import.created_units,
            "errors": len(unit_import.errors),
            "done": unit_import.status in (ImportStatus.FAILED, ImportStatus.IMPORTED),
        }
    )


@require_http_methods(["GET", "POST"])
@staff_member_required
def offline_new(request):
    drive = current_drive()
    projects = drive_projects(drive)
    form = OfflineGiftForm(
        request.POST or None, request.FILES or None, projects=projects, initial={"unit": request.GET.get("unit", "")}
    )
    if request.method == "POST":
        _require(request, "drives.add_unitofflinegift")
        if form.is_valid():
            data = form.cleaned_data
            unit = find_active_unit(data["unit"])
            project = next((p for p in projects if p.pk == data["project"]), None)
            if unit is None:
                form.add_error("unit", "单位代码不存在或单位未通过审核")
            else:
                try:
                    gift = record_offline_unit_gift(
                        unit=unit,
                        project=project,
                        amount_fen=data["amount"],
                        received_on=data["received_on"],
                        bank_reference=data["bank_reference"],
                        payer_account_name=data["payer_account_name"],
                        voucher=data["voucher"],
                        note=data["note"],
                        actor=request.user,
                        drive=drive,
                    )
                except DriveInputError as error:
                    form.add_service_error(error)
                else:
                    messages.success(request, f"已录入「{unit.name}」转账 {gift.bank_reference}，并已记账")
                    return redirect("drives-staff-unit", unit_id=unit.pk)
    return render(
        request,
        "drives/staff_offline.html",
        {"form": form, "drive": drive},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@staff_member_required
def offline_void(request, gift_id: int):
    _require(request, "drives.change_unitofflinegift")
    gift = get_object_or_404(UnitOfflineGift, pk=gift_id)
    try:
        void_offline_unit_gift(gift=gift, reason=request.POST.get("reason", ""), actor=request.user)
    except DriveInputError as error:
        messages.error(request, f"未能作废：{error.message}（{error.field}）")
    else:
        messages.success(request, f"已作废 {gift.bank_reference}，记账已冲回")
    return redirect("drives-staff-unit", unit_id=gift.unit_id)


@require_GET
@staff_member_required
def offline_voucher(request, gift_id: int):
    gift = get_object_or_404(UnitOfflineGift, pk=gift_id)
    return FileResponse(gift.voucher.open("rb"), filename=Path(gift.voucher.name).name)


@require_POST
@staff_member_required
def unit_receipts(request, unit_id: int):
    _require(request, "drives.add_receiptrequest")
    unit = get_object_or_404(Unit, pk=unit_id)
    try:
        made = request_unit_receipts(unit=unit, actor=request.user)
    except DriveInputError as error:
        messages.error(request, f"未能申请：{error.message}")
    else:
        messages.success(request, "已生成票据申请：" + "、".join(f"{r.number}（{r.get_kind_display()}）" for r in made))
    return redirect("drives-staff-unit", unit_id=unit.pk)


@require_GET
@staff_member_required
def receipts(request):
    status = request.GET.get("status") or ""
    rows = ReceiptRequest.objects.select_related("unit").order_by("-id")
    if status in ReceiptStatus.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request, "drives/staff_receipts.html", {"page": page, "status": status, "statuses": ReceiptStatus.choices}
    )


@require_http_methods(["GET", "POST"])
@staff_member_required
def receipt_detail(request, receipt_id: int):
    receipt = get_object_or_404(ReceiptRequest.objects.select_related("unit"), pk=receipt_id)
    issued_form = ReceiptIssuedForm(request.POST if request.POST.get("action") == "issued" else None)
    if request.method == "POST":
        _require(request, "drives.change_receiptrequest")
        action = request.POST.get("action")
        try:
            if action == "export":
                export_receipt_request(request=receipt, actor=request.user)
                messages.success(request, "已导出，请将文件提交财政电子票据系统")
            elif action == "reject":
                reject_receipt_request(request=receipt, reason=request.POST.get("reason", ""), actor=request.user)
                messages.success(request, "已标记为未开具，明细中的捐赠可重新申请")
            elif action == "issued" and issued_form.is_valid():
                record_receipt_issued(request=receipt, actor=request.user, **issued_form.cleaned_data)
                messages.success(request, "已登记票据号码")
            elif action != "issued":
                messages.error(request, "未知操作")
        except DriveInputError as error:
            if action == "issued":
                issued_form.add_service_error(error)
            else:
                messages.error(request, f"{error.message}（{error.field}）")
        if not issued_form.errors:
            return redirect("drives-staff-receipt", receipt_id=receipt.pk)
    return render(
        request,
        "drives/staff_receipt.html",
        {
            "receipt": receipt,
            "lines": receipt.lines.all(),
            "issued_form": issued_form,
            "events": receipt.events.select_related("actor"),
        },
        status=400 if issued_form.errors else 200,
    )


@require_GET
@staff_member_required
def receipt_file(request, receipt_id: int):
    receipt = get_object_or_404(ReceiptRequest, pk=receipt_id)
    if not receipt.export_path:
        raise Http404("尚未导出")
    path = (Path(settings.MEDIA_ROOT) / receipt.export_path).resolve()
    if not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve()) or not path.exists():
        raise Http404("文件不存在")
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
