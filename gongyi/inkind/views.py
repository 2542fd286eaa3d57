"""In-kind gifts: public pages (gifts, hand-outs with recipients masked, ledger figures) and staff pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongyi.core.money import format_yuan
from gongyi.funds.accounts import default_federation
from gongyi.inkind import selectors
from gongyi.inkind.forms import AcceptForm, DocumentForm, HandoutForm, InKindGiftForm, ItemFormSet, MoveForm
from gongyi.inkind.models import (
    GiftStatus,
    Handout,
    HandoutStatus,
    InKindDocument,
    InKindGift,
    InKindItem,
    Stock,
    Warehouse,
)
from gongyi.inkind.services import (
    ACCEPT_PERMISSION,
    HANDOUT_PERMISSION,
    QUALITY_PERMISSION,
    REGISTER_PERMISSION,
    VOID_HANDOUT_PERMISSION,
    DocumentUpload,
    InKindError,
    ItemInput,
    accept_inkind_gift,
    add_inkind_document,
    check_item_quality,
    hand_out,
    log_file_access,
    move_stock,
    register_inkind_gift,
    reject_inkind_gift,
    void_handout,
    void_inkind_gift,
)
from gongyi.spending.files import file_response

# --- public pages ------------------------------------------------------------------------------------


@require_GET
def public_index(request):
    """Every accepted gift of goods and every hand-out (people masked), with the ledger's figures."""
    federation = default_federation()
    return render(
        request,
        "inkind/public_index.html",
        {
            "figures": selectors.all_in_kind_figures(),
            "federation": federation,
            "federation_figures": selectors.organisation_in_kind_figures(federation) if federation else None,
            "gifts": selectors.public_gifts(limit=100),
            "handouts": selectors.public_handouts(limit=200),
        },
    )


@require_GET
def public_gift(request, number: str):
    gift = selectors.public_gift(number)
    if gift is None:
        raise Http404("物资捐赠不存在")
    return render(
        request,
        "inkind/public_gift.html",
        {
            "gift": gift,
            "handouts": selectors.public_handouts(gift=gift),
            "documents": list(InKindDocument.objects.filter(gift=gift, is_public=True).order_by("id")),
        },
    )


@require_GET
def public_document(request, document_id: int):
    """A document staff marked public (no personal data), of a public gift; images lose their metadata."""
    document = InKindDocument.objects.filter(
        pk=document_id, is_public=True, gift__status__in=selectors.PUBLIC_GIFT_STATUSES
    ).first()
    if document is None:
        raise Http404("文件不存在或未公开")
    return file_response(document.file, document.content_type, name=f"inkind-document-{document.pk}", public=True)


# --- staff pages -------------------------------------------------------------------------------------


def _staff_context(request) -> dict:
    user = request.user
    return {
        "can_register": user.has_perm(REGISTER_PERMISSION),
        "can_check": user.has_perm(QUALITY_PERMISSION),
        "can_accept": user.has_perm(ACCEPT_PERMISSION),
        "can_hand_out": user.has_perm(HANDOUT_PERMISSION),
        "can_void_handout": user.has_perm(VOID_HANDOUT_PERMISSION),
    }


@require_GET
@staff_member_required
def staff_list(request):
    base = InKindGift.objects.select_related("project", "entered_by").prefetch_related("items")
    return render(
        request,
        "inkind/staff_list.html",
        {
            "waiting": list(base.filter(status=GiftStatus.REGISTERED).order_by("entered_at", "id")),
            "recent": list(base.exclude(status=GiftStatus.REGISTERED).order_by("-entered_at", "-id")[:50]),
            **_staff_context(request),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_member_required
def staff_new(request):
    if not request.user.has_perm(REGISTER_PERMISSION):
        raise PermissionDenied("没有登记物资捐赠的权限")
    form = InKindGiftForm(request.POST or None, request.FILES or None)
    items = ItemFormSet(request.POST or None, prefix="items")
    if request.method == "POST" and form.is_valid() and items.is_valid():
        data = form.cleaned_data
        inputs = [
            ItemInput(
                name=row["name"],
                spec=row.get("spec", ""),
                unit=row["unit"],
                quantity=row["quantity"],
                valuation_fen=row["valuation"],
                valuation_basis=row["valuation_basis"],
                expires_on=row.get("expires_on"),
            )
            for row in items.cleaned_data
            if row
        ]
        documents = []
        if data.get("evidence"):
            documents.append(
                DocumentUpload(kind=data["evidence_kind"], file=data["evidence"], is_public=data["evidence_public"])
            )
        try:
            gift = register_inkind_gift(
                donor_kind=data["donor_kind"],
                donor_name=data["donor_name"],
                donor_uscc=data["donor_uscc"],
                donor_contact=data["donor_contact"],
                anonymous=data["anonymous"],
                received_on=data["received_on"],
                organisation=data["organisation"],
                project=data["project"],
                description=data["description"],
                items=inputs,
                documents=documents,
                entered_by=request.user,
            )
        except InKindError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已登记 {gift.number}，请检验后由另一位工作人员验收入库")
            return redirect("inkind-staff-gift", gift_id=gift.pk)
    return render(
        request,
        "inkind/staff_new.html",
        {"form": form, "items": items, **_staff_context(request)},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@staff_member_required
def staff_gift(request, gift_id: int):
    gift = get_object_or_404(
        InKindGift.objects.select_related("project", "organisation", "entered_by", "accepted_by", "entry"), pk=gift_id
    )
    items = list(gift.items.select_related("quality_checked_by").prefetch_related("stocks__warehouse"))
    return render(
        request,
        "inkind/staff_gift.html",
        {
            "gift": gift,
            "items": items,
            "documents": list(gift.documents.select_related("item", "uploaded_by")),
            "handouts": list(Handout.objects.filter(item__gift=gift).select_related("item", "warehouse", "entered_by")),
            "events": list(gift.events.select_related("actor")),
            "document_form": DocumentForm(items=items),
            "accept_form": AcceptForm(),
            "is_enterer": gift.entered_by_id == request.user.pk,
            "warehouses": list(Warehouse.objects.filter(is_active=True)),
            **_staff_context(request),
        },
    )


def _back(gift_id: int):
    return redirect("inkind-staff-gift", gift_id=gift_id)


def _act(request, gift_id: int, action, success: str):
    try:
        action()
    except InKindError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return _back(gift_id)


@require_POST
@staff_member_required
def staff_quality(request, item_id: int):
    item = get_object_or_404(InKindItem, pk=item_id)
    passed = request.POST.get("passed") == "1"
    note = request.POST.get("note", "")
    return _act(
        request,
        item.gift_id,
        lambda: check_item_quality(item=item, passed=passed, checker=request.user, note=note),
        "已记录检验结果",
    )


@require_POST
@staff_member_required
def staff_accept(request, gift_id: int):
    gift = get_object_or_404(InKindGift, pk=gift_id)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择入库仓库")
        return _back(gift_id)
    warehouse = form.cleaned_data["warehouse"]
    return _act(
        request,
        gift_id,
        lambda: accept_inkind_gift(gift=gift, warehouse=warehouse, actor=request.user),
        "已验收入库并按估值记账",
    )


@require_POST
@staff_member_required
def staff_reject(request, gift_id: int):
    gift = get_object_or_404(InKindGift, pk=gift_id)
    reason = request.POST.get("reason", "")
    return _act(request, gift_id, lambda: reject_inkind_gift(gift=gift, actor=request.user, reason=reason), "已拒收")


@require_POST
@staff_member_required
def staff_void(request, gift_id: int):
    gift = get_object_or_404(InKindGift, pk=gift_id)
    reason = request.POST.get("reason", "")
    return _act(
        request, gift_id, lambda: void_inkind_gift(gift=gift, actor=request.user, reason=reason), "已作废并冲回"
    )


@require_POST
@staff_member_required
def staff_add_document(request, gift_id: int):
    gift = get_object_or_404(InKindGift, pk=gift_id)
    items = list(gift.items.all())
    form = DocumentForm(request.POST, request.FILES, items=items)
    if not form.is_valid():
        messages.error(request, "文件未保存：" + "；".join(e for errors in form.errors.values() for e in errors))
        return _back(gift_id)
    data = form.cleaned_data
    item = next((i for i in items if i.pk == data["item"]), None)
    return _act(
        request,
        gift_id,
        lambda: add_inkind_document(
            gift=gift,
            kind=data["kind"],
            file=data["file"],
            item=item,
            description=data["description"],
            is_public=data["is_public"],
            actor=request.user,
        ),
        "文件已上传",
    )


@require_http_methods(["GET", "POST"])
@staff_member_required
def staff_handout(request, item_id: int):
    if not request.user.has_perm(HANDOUT_PERMISSION):
        raise PermissionDenied("没有登记物资发放的权限")
    item = get_object_or_404(InKindItem.objects.select_related("gift"), pk=item_id)
    warehouses = Warehouse.objects.filter(stocks__item=item, stocks__quantity__gt=0).distinct()
    form = HandoutForm(request.POST or None, request.FILES or None, warehouses=warehouses)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            handout = hand_out(
                item=item,
                warehouse=data["warehouse"],
                quantity=data["quantity"],
                recipient_kind=data["recipient_kind"],
                recipient_name=data["recipient_name"],
                recipient_region=data["recipient_region"],
                purpose=data["purpose"],
                handed_on=data["handed_on"],
                signed_record=data["signed_record"],
                actor=request.user,
            )
        except InKindError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, f"已登记发放 {handout.quantity}{item.unit}（价值 {format_yuan(handout.value_fen)}）"
            )
            return _back(item.gift_id)
    return render(
        request,
        "inkind/staff_handout.html",
        {
            "item": item,
            "form": form,
            "stocks": list(Stock.objects.filter(item=item, quantity__gt=0).select_related("warehouse")),
            "all_warehouses": list(Warehouse.objects.filter(is_active=True)),
            **_staff_context(request),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@staff_member_required
def staff_move(request, item_id: int):
    item = get_object_or_404(InKindItem, pk=item_id)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "移库未保存：请填写仓库和数量")
        return _back(item.gift_id)
    data = form.cleaned_data
    return _act(
        request,
        item.gift_id,
        lambda: move_stock(
            item=item,
            from_warehouse=data["from_warehouse"],
            to_warehouse=data["to_warehouse"],
            quantity=data["quantity"],
            actor=request.user,
        ),
        "已移库",
    )


@require_POST
@staff_member_required
def staff_void_handout(request, handout_id: int):
    handout = get_object_or_404(Handout.objects.select_related("item"), pk=handout_id)
    reason = request.POST.get("reason", "")
    return _act(
        request,
        handout.item.gift_id,
        lambda: void_handout(handout=handout, actor=request.user, reason=reason),
        "发放记录已作废，物资退回库存",
    )


@require_GET
@staff_member_required
def staff_file(request, what: str, pk: int):
    """A document or a signed hand-out record for staff of the in-kind work; every opening is logged."""
    user = request.user
    if not any(
        user.has_perm(p) for p in (REGISTER_PERMISSION, QUALITY_PERMISSION, ACCEPT_PERMISSION, HANDOUT_PERMISSION)
    ):
        raise PermissionDenied("没有查看文件的权限")
    if what == "document":
        document = get_object_or_404(InKindDocument, pk=pk)
        log_file_access(gift=document.gift, actor=user, what=what, pk=pk)
        return file_response(document.file, document.content_type, name=f"inkind-document-{pk}", public=False)
    if what == "record":
        handout = get_object_or_404(Handout.objects.select_related("item"), pk=pk)
        log_file_access(gift=handout.item.gift, actor=user, what=what, pk=pk)
        return file_response(
            handout.signed_record, handout.signed_record_content_type, name=f"inkind-record-{pk}", public=False
        )
    raise Http404


@require_GET
@staff_member_required
def staff_stock(request):
    return render(
        request,
        "inkind/staff_stock.html",
        {
            "stocks": selectors.stock_by_warehouse(),
            "problems": selectors.find_stock_problems(),
            "live": HandoutStatus.LIVE,
            **_staff_context(request),
        },
    )
