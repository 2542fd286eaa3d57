"""Writes for in-kind gifts: register, document, quality-check, accept into stock, hand out, move, void.

Each public service is one transaction and writes an ``InKindEvent``. Lock order: the gift row, then its
item rows (ascending id), then the stock rows, then the ledger's account rows (inside ``post_entry``).
A hand-out locks only its item row and then decrements the warehouse's stock row conditionally, so two
hand-outs of the same item serialise on the item and can never take the stock below zero.

Ledger shapes (no cash moves; debit-normal stock and hand-outs, credit-normal donations):

* acceptance: each passed item's ``inkind:item:<id>:stock`` Dr its valuation / in-kind donations Cr the
  total (``project:<id>:in_kind_donations``, or ``org:<id>:in_kind_donations`` for the organisation's own);
* hand-out of n units: in-kind hand-outs Dr / ``inkind:item:<id>:stock`` Cr at
  ``stock_value × n // in_stock`` — the hand-out emptying the stock takes the remainder, so the stock
  account of a fully handed-out item ends at exactly 0 (a hand-out worth under one fen posts nothing);
* voiding mirrors the entry and puts the quantity and value back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gongyi.core.checkdigits import normalize_uscc
from gongyi.core.text import NUL_MESSAGE, has_nul
from gongyi.funds import accounts as federation_accounts
from gongyi.funds.services import noon
from gongyi.inkind.models import (
    VALUATION_EVIDENCE,
    DocumentKind,
    DonorKind,
    EventKind,
    GiftStatus,
    Handout,
    HandoutStatus,
    InKindDocument,
    InKindEvent,
    InKindGift,
    InKindItem,
    QualityStatus,
    RecipientKind,
    Stock,
    ValuationBasis,
    Warehouse,
    new_handout_number,
)
from gongyi.ledger.models import Account, AccountKind, EntryKind
from gongyi.ledger.services import Leg, get_account, post_entry, reverse_entry
from gongyi.orgs.models import Organisation
from gongyi.projects.models import Project, ProjectStatus
from gongyi.spending.uploads import UploadRefused, check_upload

REGISTER_PERMISSION = "inkind.add_inkindgift"
QUALITY_PERMISSION = "inkind.check_quality"
ACCEPT_PERMISSION = "inkind.accept_inkindgift"
HANDOUT_PERMISSION = "inkind.add_handout"
VOID_HANDOUT_PERMISSION = "inkind.change_handout"
MAX_QUANTITY = 10**12
MAX_VALUATION_FEN = 10**13  # ¥100 billion: beyond any real gift of goods


class InKindError(ValueError):
    """A refused in-kind action, naming the field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ItemInput:
    name: str
    unit: str
    quantity: int
    valuation_fen: int
    valuation_basis: str
    spec: str = ""
    expires_on: date | None = None


@dataclass(frozen=True)
class DocumentUpload:
    kind: str
    file: object
    description: str = ""
    item_index: int | None = None  # which item of the gift it documents; None for the whole gift
    is_public: bool = False


def _atomic():
    return transaction.atomic(durable=not transaction.get_connection().in_atomic_block)


def _event(gift, event_kind: str, actor=None, **details) -> None:
    InKindEvent.objects.create(gift_id=gift.pk, kind=event_kind, actor=actor, details=details)


def _require(actor, permission: str, message: str) -> None:
    if actor is None or not (actor.is_active and actor.is_staff and actor.has_perm(permission)):
        raise InKindError("actor", message)


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _free_text(text: str | None, field: str) -> str:
    """A reason or note as posted (no form checked it): cleaned, and refused with a NUL in it."""
    text = _clean(text)
    if has_nul(text):
        raise InKindError(field, NUL_MESSAGE)
    return text


def _positive(value, field: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InKindError(field, "必须是正整数")
    if value > maximum:
        raise InKindError(field, "数值过大")
    return value


# --- accounts ------------------------------------------------------------------------------------------


def stock_account(item: InKindItem) -> Account:
    return get_account(
        code=f"inkind:item:{item.pk}:stock",
        name=f"物资库存 · {item.name}（{item.gift.number}）",
        kind=AccountKind.IN_KIND_STOCK,
        project=item.gift.project,
    )


def donations_account(gift: InKindGift) -> Account:
    if gift.project_id:
        project = gift.project
        return get_account(
            code=f"project:{project.pk}:in_kind_donations",
            name=f"{project.title} · 物资捐赠",
            kind=AccountKind.IN_KIND_DONATIONS,
            project=project,
        )
    organisation = gift.organisation
    return get_account(
        code=f"org:{organisation.pk}:in_kind_donations",
        name=f"{organisation.name} · 物资捐赠",
        kind=AccountKind.IN_KIND_DONATIONS,
    )


def handouts_account(gift: InKindGift) -> Account:
    if gift.project_id:
        project = gift.project
        return get_account(
            code=f"project:{project.pk}:in_kind_handouts",
            name=f"{project.title} · 物资发放",
            kind=AccountKind.IN_KIND_HANDOUTS,
            project=project,
        )
    organisation = gift.organisation
    return get_account(
        code=f"org:{organisation.pk}:in_kind_handouts",
        name=f"{organisation.name} · 物资发放",
        kind=AccountKind.IN_KIND_HANDOUTS,
    )


# --- registering ---------------------------------------------------------------------------------------


def register_warehouse(*, name: str, actor, address: str = "", keeper: str = "") -> Warehouse:
    _require(actor, "inkind.add_warehouse", "没有登记仓库的权限")
    name = _clean(name)
    if not name or len(name) > 100:
        raise InKindError("name", "请填写仓库名称（不超过100字）")
    try:
        with _atomic():
            return Warehouse.objects.create(name=name, address=_clean(address)[:200], keeper=_clean(keeper)[:40])
    except IntegrityError:
        raise InKindError("name", "已有同名仓库") from None


def _check_items(items: list[ItemInput]) -> None:
    if not items:
        raise InKindError("items", "请至少填写一项物资")
    for index, item in enumerate(items, start=1):
        if not _clean(item.name) or len(_clean(item.name)) > 100:
            raise InKindError("items", f"第{index}项：请填写物资名称（不超过100字）")
        if not _clean(item.unit) or len(_clean(item.unit)) > 16:
            raise InKindError("items", f"第{index}项：请填写计量单位")
        if len(_clean(item.spec)) > 100:
            raise InKindError("items", f"第{index}项：规格不能超过100字")
        try:
            _positive(item.quantity, "quantity", MAX_QUANTITY)
        except InKindError:
            raise InKindError("items", f"第{index}项：数量必须是正整数") from None
        try:
            _positive(item.valuation_fen, "valuation_fen", MAX_VALUATION_FEN)
        except InKindError:
            raise InKindError("items", f"第{index}项：估值必须大于0（无法估值的物资不计入捐赠收入）") from None
        if item.valuation_basis not in ValuationBasis.values:
            raise InKindError("items", f"第{index}项：请选择估值依据")


def register_inkind_gift(
    *,
    donor_kind: str,
    donor_name: str,
    received_on: date,
    items: list[ItemInput],
    entered_by,
    documents: list[DocumentUpload] = (),
    donor_uscc: str = "",
    donor_contact: str = "",
    anonymous: bool = False,
    organisation: Organisation | None = None,
    project: Project | None = None,
    description: str = "",
) -> InKindGift:
    """Register a gift of goods with its items and evidence; nothing is stocked or posted until it is accepted."""
    _require(entered_by, REGISTER_PERMISSION, "没有登记物资捐赠的权限")
    if donor_kind not in DonorKind.values:
        raise InKindError("donor_kind", "请选择捐赠人类型")
    donor_name, description = _clean(donor_name), _clean(description)
    if not donor_name or len(donor_name) > 100:
        raise InKindError("donor_name", "请填写捐赠人（不超过100字）")
    if received_on > timezone.localdate():
        raise InKindError("received_on", "接收日期不能晚于今天")
    if len(description) > 200:
        raise InKindError("description", "说明不能超过200字")
    uscc = normalize_uscc(donor_uscc) if donor_uscc else ""
    if uscc and len(uscc) != 18:
        raise InKindError("donor_uscc", "统一社会信用代码应为18位")
    if project is not None and project.status not in (ProjectStatus.PUBLISHED, ProjectStatus.CLOSED):
        raise InKindError("project", "只能捐入已发布的项目")
    _check_items(items)
    organisation = organisation or (project.organisation if project else federation_accounts.default_federation())
    if organisation is None:
        raise InKindError("organisation", "请先登记慈善总会（组织类型“慈善总会”）")
    checked = _check_documents(documents, len(items))
    with _atomic():
        gift = InKindGift.objects.create(
            donor_kind=donor_kind,
            donor_name=donor_name,
            donor_uscc=uscc,
            donor_contact=_clean(donor_contact)[:32],
            anonymous=anonymous,
            organisation=organisation,
            project=project,
            received_on=received_on,
            description=description,
            entered_by=entered_by,
        )
        made = [
            InKindItem.objects.create(
                gift=gift,
                name=_clean(item.name),
                spec=_clean(item.spec),
                unit=_clean(item.unit),
                quantity=item.quantity,
                valuation_fen=item.valuation_fen,
                valuation_basis=item.valuation_basis,
                expires_on=item.expires_on,
            )
            for item in items
        ]
        for document, upload in checked:
            item = made[document.item_index] if document.item_index is not None else None
            _store_document(gift, item, document, upload, entered_by)
        _event(
            gift,
            EventKind.REGISTERED,
            entered_by,
            items=len(made),
            valuation_fen=sum(item.valuation_fen for item in made),
            project=project.pk if project else None,
        )
    return gift


def _check_documents(documents, item_count: int) -> list:
    checked = []
    for document in documents:
        if document.kind not in DocumentKind.values:
            raise InKindError("documents", "未知的文件类型")
        if document.item_index is not None and not 0 <= document.item_index < item_count:
            raise InKindError("documents", "文件对应的物资不存在")
        try:
            checked.append((document, check_upload(document.file, field="documents")))
        except UploadRefused as exc:
            raise InKindError("documents", exc.message) from None
    return checked


def _store_document(gift, item, document: DocumentUpload, upload, actor) -> InKindDocument:
    stored = InKindDocument.objects.create(
        gift=gift,
        item=item,
        kind=document.kind,
        description=_clean(document.description)[:200],
        file=document.file,
        content_type=upload.content_type,
        size_bytes=upload.size_bytes,
        sha256=upload.sha256,
        original_name=(getattr(document.file, "name", "") or "")[-200:],
        is_public=document.is_public,
        uploaded_by=actor,
    )
    _event(gift, EventKind.DOCUMENT_ADDED, actor, document=stored.pk, kind=document.kind, sha256=upload.sha256)
    return stored


def add_inkind_document(
    *,
    gift: InKindGift,
    kind: str,
    file,
    actor,
    item: InKindItem | None = None,
    description: str = "",
    is_public: bool = False,
) -> InKindDocument:
    """Attach evidence (PDF, JPG, PNG or WebP, ≤ 10 MB) to a gift or one of its items."""
    if not actor.is_staff or not any(
        actor.has_perm(p) for p in (REGISTER_PERMISSION, QUALITY_PERMISSION, ACCEPT_PERMISSION, HANDOUT_PERMISSION)
    ):
        raise InKindError("actor", "没有上传文件的权限")
    if item is not None and item.gift_id != gift.pk:
        raise InKindError("item", "物资不属于该捐赠")
    if kind not in DocumentKind.values:
        raise InKindError("kind", "请选择文件类型")
    document = DocumentUpload(kind=kind, file=file, description=description, is_public=is_public)
    upload = _upload(file)
    with _atomic():
        current = InKindGift.objects.select_for_update().get(pk=gift.pk)
        if current.status in (GiftStatus.REJECTED, GiftStatus.VOIDED):
            raise InKindError("status", f"该捐赠{current.get_status_display()}")
        return _store_document(current, item, document, upload, actor)


def _upload(file):
    try:
        return check_upload(file, field="file")
    except UploadRefused as exc:
        raise InKindError(exc.field, exc.message) from None


def check_item_quality(*, item: InKindItem, passed: bool, checker, note: str = "") -> InKindItem:
    """Record an item's quality check (art. 36: use value, safety, hygiene), before the gift is accepted."""
    _require(checker, QUALITY_PERMISSION, "没有检验物资质量的权限")
    note = _free_text(note, "note")
    if not passed and not note:
        raise InKindError("note", "请写明不合格的原因")
    with _atomic():
        gift = InKindGift.objects.select_for_update().get(pk=item.gift_id)
        if gift.status != GiftStatus.REGISTERED:
            raise InKindError("status", f"该捐赠{gift.get_status_display()}，不能再检验")
        InKindItem.objects.filter(pk=item.pk).update(
            quality_status=QualityStatus.PASSED if passed else QualityStatus.FAILED,
            quality_checked_by=checker,
            quality_checked_at=timezone.now(),
            quality_note=note[:200],
        )
        _event(gift, EventKind.QUALITY_CHECKED, checker, item=item.pk, passed=passed, note=note[:200])
    item.refresh_from_db()
    return item


def accept_inkind_gift(*, gift: InKindGift, warehouse: Warehouse, actor) -> InKindGift:
    """A second person accepts the checked gift: passed items into the warehouse's stock, posted at valuation.

    Refused for the person who registered it (also by the database), a gift not waiting, an item not yet
    checked, no item passed (reject the gift instead), or a passed item without valuation evidence (an
    invoice, market-price document or appraisal, for the item or the whole gift).
    """
    _require(actor, ACCEPT_PERMISSION, "没有验收入库的权限")
    with _atomic():
        current = (
            InKindGift.objects.select_for_update(of=("self",)).select_related("project", "organisation").get(pk=gift.pk)
        )
        if current.entered_by_id == actor.pk:
            raise InKindError("actor", "不能验收自己登记的捐赠")
        if current.status != GiftStatus.REGISTERED:
            raise InKindError("status", f"该捐赠{current.get_status_display()}")
        if not warehouse.is_active:
            raise InKindError("warehouse", "该仓库已停用")
        items = list(InKindItem.objects.select_for_update().filter(gift=current).order_by("id"))
        if any(item.quality_status == QualityStatus.PENDING for item in items):
            raise InKindError("items", "还有物资未检验")
        passed = [item for item in items if item.quality_status == QualityStatus.PASSED]
        if not passed:
            raise InKindError("items", "没有检验合格的物资，请拒收")
        evidence = set(
            InKindDocument.objects.filter(gift=current, kind__in=VALUATION_EVIDENCE).values_list("item_id", flat=True)
        )
        for item in passed:
            if None not in evidence and item.pk not in evidence:
                raise InKindError("documents", f"“{item.name}”缺少估值依据（发票、市场价格证明或评估报告）")
        for item in passed:
            item.gift = current
            Stock.objects.create(item=item, warehouse=warehouse, quantity=item.quantity)
            InKindItem.objects.filter(pk=item.pk).update(
                in_stock_quantity=item.quantity, stock_value_fen=item.valuation_fen
            )
        total = sum(item.valuation_fen for item in passed)
        entry = post_entry(
            kind=EntryKind.IN_KIND_GIFT,
            idempotency_key=f"inkind-gift:{current.pk}",
            memo=f"物资捐赠 {current.number} 入库（{len(passed)} 项）",
            occurred_at=noon(current.received_on),
            legs=[
                *(Leg(stock_account(item), item.valuation_fen) for item in passed),
                Leg(donations_account(current), -total),
            ],
            project=current.project,
        )
        InKindGift.objects.filter(pk=current.pk, status=GiftStatus.REGISTERED).update(
            status=GiftStatus.ACCEPTED, accepted_by=actor, accepted_at=timezone.now(), entry=entry
        )
        _event(current, EventKind.ACCEPTED, actor, warehouse=warehouse.pk, entry=entry.pk, valuation_fen=total)
    gift.refresh_from_db()
    return gift


def reject_inkind_gift(*, gift: InKindGift, actor, reason: str) -> InKindGift:
    """Refuse goods that failed their checks (or were not delivered); nothing was stocked or posted."""
    _require(actor, ACCEPT_PERMISSION, "没有验收入库的权限")
    reason = _free_text(reason, "reason")
    if not reason:
        raise InKindError("reason", "请填写拒收理由")
    with _atomic():
        updated = InKindGift.objects.filter(pk=gift.pk, status=GiftStatus.REGISTERED).update(
            status=GiftStatus.REJECTED, closing_note=reason[:200]
        )
        if not updated:
            raise InKindError("status", "只有待验收的捐赠可以拒收")
        _event(gift, EventKind.REJECTED, actor, reason=reason[:200])
    gift.refresh_from_db()
    return gift


def void_inkind_gift(*, gift: InKindGift, actor, reason: str) -> InKindGift:
    """Void an accepted gift entered wrongly, before anything of it was handed out: stock back to zero, entry
    reversed."""
    _require(actor, ACCEPT_PERMISSION, "没有验收入库的权限")
    reason = _free_text(reason, "reason")
    if not reason:
        raise InKindError("reason", "请填写作废理由")
    with _atomic():
        current = InKindGift.objects.select_for_update().get(pk=gift.pk)
        if current.status != GiftStatus.ACCEPTED:
            raise InKindError("status", "只有已入库的捐赠可以作废")
        items = list(InKindItem.objects.select_for_update().filter(gift=current).order_by("id"))
        if any(item.handed_out_quantity for item in items):
            raise InKindError("status", "已有物资发放，不能作废；请先作废发放记录")
        for item in items:
            Stock.objects.filter(item=item).update(quantity=0)
            InKindItem.objects.filter(pk=item.pk).update(in_stock_quantity=0, stock_value_fen=0)
        reversal = reverse_entry(
            entry=current.entry,
            kind=EntryKind.IN_KIND_GIFT_REVERSAL,
            idempotency_key=f"inkind-gift-void:{current.pk}",
            memo=f"作废物资捐赠 {current.number}（{reason[:60]}）",
            occurred_at=timezone.now(),
        )
        InKindGift.objects.filter(pk=current.pk).update(
            status=GiftStatus.VOIDED, reversal_entry=reversal, closing_note=reason[:200]
        )
        _event(current, EventKind.VOIDED, actor, reason=reason[:200], entry=reversal.pk)
    gift.refresh_from_db()
    return gift


# --- stock ---------------------------------------------------------------------------------------------


def handout_value(*, stock_value_fen: int, in_stock_quantity: int, quantity: int) -> int:
    """The book value of ``quantity`` of ``in_stock_quantity`` units worth ``stock_value_fen`` (pure).

    Proportional, rounded down; taking the whole stock takes the whole value, so the last hand-out
    carries the remainder and the stock's value reaches exactly 0.
    """
    if not 0 < quantity <= in_stock_quantity:
        raise ValueError("quantity out of stock")
    if quantity == in_stock_quantity:
        return stock_value_fen
    return stock_value_fen * quantity // in_stock_quantity


def hand_out(
    *,
    item: InKindItem,
    warehouse: Warehouse,
    quantity: int,
    recipient_kind: str,
    recipient_name: str,
    purpose: str,
    handed_on: date,
    signed_record,
    actor,
    recipient_region=None,
) -> Handout:
    """Hand goods out of a warehouse to an institution or a person, with the record they signed.

    Refused (nothing written) when the warehouse holds fewer than ``quantity`` of the item: the item row
    is locked, and the stock row is decremented by ``UPDATE … WHERE quantity >= n`` (the CHECK
    ``stock_never_negative`` stands behind it).
    """
    _require(actor, HANDOUT_PERMISSION, "没有登记物资发放的权限")
    _positive(quantity, "quantity", MAX_QUANTITY)
    if recipient_kind not in RecipientKind.values:
        raise InKindError("recipient_kind", "请选择受赠方类型")
    recipient_name, purpose = _clean(recipient_name), _clean(purpose)
    if not recipient_name or len(recipient_name) > 100:
        raise InKindError("recipient_name", "请填写受赠方（不超过100字）")
    if not purpose or len(purpose) > 200:
        raise InKindError("purpose", "请填写用途（不超过200字）")
    if handed_on > timezone.localdate():
        raise InKindError("handed_on", "发放日期不能晚于今天")
    if signed_record is None:
        raise InKindError("signed_record", "请上传受赠方签收记录")
    try:
        upload = check_upload(signed_record, field="signed_record")
    except UploadRefused as exc:
        raise InKindError(exc.field, exc.message) from None
    with _atomic():
        locked = (
            InKindItem.objects.select_for_update(of=("self",))
            .select_related("gift", "gift__project", "gift__organisation")
            .get(pk=item.pk)
        )
        if locked.gift.status != GiftStatus.ACCEPTED:
            raise InKindError("status", "该物资尚未入库或已作废")
        taken = Stock.objects.filter(item=locked, warehouse=warehouse, quantity__gte=quantity).update(
            quantity=F("quantity") - quantity
        )
        if taken != 1:
            held = Stock.objects.filter(item=locked, warehouse=warehouse).values_list("quantity", flat=True).first()
            raise InKindError(
                "quantity", f"库存不足：{warehouse.name} 现有 {held or 0}{locked.unit}，发放 {quantity}{locked.unit}"
            )
        value = handout_value(
            stock_value_fen=locked.stock_value_fen, in_stock_quantity=locked.in_stock_quantity, quantity=quantity
        )
        moved = InKindItem.objects.filter(
            pk=locked.pk, in_stock_quantity__gte=quantity, stock_value_fen__gte=value
        ).update(
            in_stock_quantity=F("in_stock_quantity") - quantity,
            stock_value_fen=F("stock_value_fen") - value,
            handed_out_quantity=F("handed_out_quantity") + quantity,
            handed_out_value_fen=F("handed_out_value_fen") + value,
        )
        if moved != 1:  # cannot happen under the item lock; refuse rather than drift
            raise IntegrityError(f"in-kind item {locked.pk} changed under its lock")
        number = new_handout_number()
        entry = None
        if value > 0:
            entry = post_entry(
                kind=EntryKind.IN_KIND_HANDOUT,
                idempotency_key=f"inkind-handout:{number}",
                memo=f"物资发放 {number} · {locked.gift.number} · {locked.name} × {quantity}{locked.unit}",
                occurred_at=noon(handed_on),
                legs=[Leg(handouts_account(locked.gift), value), Leg(stock_account(locked), -value)],
                project=locked.gift.project,
            )
        handout = Handout.objects.create(
            number=number,
            item=locked,
            warehouse=warehouse,
            quantity=quantity,
            value_fen=value,
            recipient_kind=recipient_kind,
            recipient_name=recipient_name,
            recipient_region=recipient_region,
            purpose=purpose,
            handed_on=handed_on,
            signed_record=signed_record,
            signed_record_content_type=upload.content_type,
            signed_record_sha256=upload.sha256,
            entered_by=actor,
            entry=entry,
        )
        _event(
            locked.gift,
            EventKind.HANDED_OUT,
            actor,
            handout=handout.pk,
            item=locked.pk,
            warehouse=warehouse.pk,
            quantity=quantity,
            value_fen=value,
        )
    return handout


def void_handout(*, handout: Handout, actor, reason: str) -> Handout:
    """Void a hand-out entered wrongly: the quantity and its value go back into the same warehouse, once."""
    _require(actor, VOID_HANDOUT_PERMISSION, "没有作废物资发放的权限")
    reason = _free_text(reason, "reason")
    if not reason:
        raise InKindError("reason", "请填写作废理由")
    with _atomic():
        item = InKindItem.objects.select_for_update(of=("self",)).select_related("gift").get(pk=handout.item_id)
        current = Handout.objects.select_for_update().get(pk=handout.pk)
        if current.status != HandoutStatus.LIVE:
            raise InKindError("status", "该发放记录已作废")
        Stock.objects.filter(item=item, warehouse_id=current.warehouse_id).update(
            quantity=F("quantity") + current.quantity
        )
        InKindItem.objects.filter(pk=item.pk).update(
            in_stock_quantity=F("in_stock_quantity") + current.quantity,
            stock_value_fen=F("stock_value_fen") + current.value_fen,
            handed_out_quantity=F("handed_out_quantity") - current.quantity,
            handed_out_value_fen=F("handed_out_value_fen") - current.value_fen,
        )
        reversal = None
        if current.entry_id:
            reversal = reverse_entry(
                entry=current.entry,
                kind=EntryKind.IN_KIND_HANDOUT_REVERSAL,
                idempotency_key=f"inkind-handout-void:{current.number}",
                memo=f"作废物资发放 {current.number}（{reason[:60]}）",
                occurred_at=timezone.now(),
            )
        Handout.objects.filter(pk=current.pk).update(
            status=HandoutStatus.VOIDED,
            voided_by=actor,
            voided_at=timezone.now(),
            void_reason=reason[:200],
            reversal_entry=reversal,
        )
        _event(item.gift, EventKind.HANDOUT_VOIDED, actor, handout=current.pk, reason=reason[:200])
    handout.refresh_from_db()
    return handout


def move_stock(*, item: InKindItem, from_warehouse: Warehouse, to_warehouse: Warehouse, quantity: int, actor) -> None:
    """Move units of an item between warehouses (no ledger change: the value stays with the item)."""
    _require(actor, HANDOUT_PERMISSION, "没有移库的权限")
    _positive(quantity, "quantity", MAX_QUANTITY)
    if from_warehouse.pk == to_warehouse.pk:
        raise InKindError("to_warehouse", "请选择另一个仓库")
    if not to_warehouse.is_active:
        raise InKindError("to_warehouse", "该仓库已停用")
    with _atomic():
        locked = InKindItem.objects.select_for_update(of=("self",)).select_related("gift").get(pk=item.pk)
        if locked.gift.status != GiftStatus.ACCEPTED:
            raise InKindError("status", "该物资尚未入库或已作废")
        taken = Stock.objects.filter(item=locked, warehouse=from_warehouse, quantity__gte=quantity).update(
            quantity=F("quantity") - quantity
        )
        if taken != 1:
            raise InKindError("quantity", f"{from_warehouse.name} 库存不足")
        added = Stock.objects.filter(item=locked, warehouse=to_warehouse).update(quantity=F("quantity") + quantity)
        if not added:
            Stock.objects.create(item=locked, warehouse=to_warehouse, quantity=quantity)
        _event(
            locked.gift,
            EventKind.STOCK_MOVED,
            actor,
            item=locked.pk,
            from_warehouse=from_warehouse.pk,
            to_warehouse=to_warehouse.pk,
            quantity=quantity,
        )


def log_file_access(*, gift: InKindGift, actor, what: str, pk: int) -> None:
    _event(gift, EventKind.FILE_VIEWED, actor, what=what, id=pk)
