"""Writes for offline gifts: enter with vouchers, check by a second person (then post), reject, void, receipts.

Each public service is one transaction and writes an ``OfflineEvent``. Lock order: the offline gift row,
then the receiving organisation's row (unrestricted gifts: its general fund), then the fund row (fund
gifts), then — inside ``confirm_payment`` — the order row, then the ledger's account rows.

Directed gifts go through ``giving.services.confirm_payment`` with gateway ``offline``: the one path that
creates a Gift, so they count in the project's raised amount, gift and donor counts, the public log and
the FIFO trace exactly like online gifts. The order is created and paid in the same transaction, so no
offline order is ever pending (the stuck-order sweep, which would ask a gateway about it, never sees one).
Voiding such a gift uses the refund path (``record_refund_result``), so every counter moves back as a
refund's would.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from gongyi.core.checkdigits import normalize_uscc
from gongyi.core.money import MAX_GIFT_FEN, format_yuan
from gongyi.core.text import NUL_MESSAGE, has_nul
from gongyi.funds import accounts
from gongyi.funds.models import ContributionSource, FundContribution, FundStatus, NamedFund
from gongyi.funds.services import FundError, noon, record_contribution, reverse_contribution
from gongyi.ledger.models import Account, EntryKind, JournalEntry
from gongyi.ledger.services import Leg, post_entry, provider_clearing_account, reverse_entry
from gongyi.offline.models import (
    REQUIRED_VOUCHER,
    DonationBox,
    DonorKind,
    EventKind,
    Method,
    OfflineEvent,
    OfflineGift,
    OfflineReceipt,
    OfflineVoucher,
    ReceiptChoice,
    ReceiptKind,
    ReceiptStatus,
    Status,
    VoucherKind,
)
from gongyi.orgs.models import Organisation
from gongyi.projects.models import Project, ProjectStatus
from gongyi.spending.uploads import UploadRefused, check_upload

GATEWAY = "offline"
ENTER_PERMISSION = "offline.add_offlinegift"
CHECK_PERMISSION = "offline.check_offlinegift"
VOID_PERMISSION = "offline.void_offlinegift"
RECEIPT_PERMISSION = "offline.change_offlinereceipt"
GIVABLE_PROJECT_STATUSES = (ProjectStatus.PUBLISHED, ProjectStatus.CLOSED)


class OfflineError(ValueError):
    """A refused offline-gift action, naming the field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class VoucherUpload:
    kind: str
    file: object


def _atomic():
    # Outermost when called from a view; nested inside a caller's (or a test's) transaction.
    return transaction.atomic(durable=not transaction.get_connection().in_atomic_block)


def _event(gift: OfflineGift, event_kind: str, actor=None, **details) -> None:
    OfflineEvent.objects.create(gift=gift, kind=event_kind, actor=actor, details=details)


def _require(actor, permission: str, message: str) -> None:
    if actor is None or not (actor.is_active and actor.is_staff and actor.has_perm(permission)):
        raise OfflineError("actor", message)


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _free_text(text: str | None, field: str) -> str:
    """A reason or note as posted (no form checked it): cleaned, and refused with a NUL in it."""
    text = _clean(text)
    if has_nul(text):
        raise OfflineError(field, NUL_MESSAGE)
    return text


# --- entering ------------------------------------------------------------------------------------------


def register_donation_box(
    *, code: str, location: str, actor, project: Project | None = None, placed_on: date | None = None
) -> DonationBox:
    """Register a donation box (一张纸献爱心) where it is placed, optionally for one project."""
    _require(actor, ENTER_PERMISSION, "没有登记捐赠箱的权限")
    code, location = _clean(code).upper(), _clean(location)
    if not code or len(code) > 32:
        raise OfflineError("code", "请填写箱号（不超过32字）")
    if not location or len(location) > 200:
        raise OfflineError("location", "请填写放置地点")
    if project is not None and project.status not in GIVABLE_PROJECT_STATUSES:
        raise OfflineError("project", "只能为已发布的项目放置捐赠箱")
    try:
        with _atomic():
            return DonationBox.objects.create(code=code, location=location, project=project, placed_on=placed_on)
    except IntegrityError:
        raise OfflineError("code", f"箱号 {code} 已登记") from None


def record_offline_gift(
    *,
    method: str,
    donor_kind: str,
    amount_fen: int,
    received_on: date,
    entered_by,
    vouchers: list[VoucherUpload],
    receipt_choice: str,
    donor_name: str = "",
    donor_uscc: str = "",
    donor_contact: str = "",
    anonymous: bool = False,
    organisation: Organisation | None = None,
    project: Project | None = None,
    fund: NamedFund | None = None,
    to_principal: bool = False,
    bank_reference: str = "",
    payer_account_name: str = "",
    box: DonationBox | None = None,
    counted_by: tuple[str, str] = ("", ""),
    note: str = "",
) -> OfflineGift:
    """Enter an offline gift with its vouchers; it waits for a second person's check before any money moves.

    Bank transfers need a bank slip and a bank reference not entered before (here or as a unit's transfer
    in the drives app); cash needs a cash receipt; a box opening needs the box, the record signed by the
    two different people who opened and counted it. A gift goes to one project, one named fund, or — with
    neither — to the organisation's unrestricted general fund.
    """
    _require(entered_by, ENTER_PERMISSION, "没有录入线下捐赠的权限")
    if method not in Method.values:
        raise OfflineError("method", "请选择捐赠方式")
    if donor_kind not in DonorKind.values:
        raise OfflineError("donor_kind", "请选择捐赠人类型")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise OfflineError("amount_fen", "金额必须大于0")
    if amount_fen > MAX_GIFT_FEN:
        raise OfflineError("amount_fen", f"单笔金额不能超过 {MAX_GIFT_FEN // 100:,} 元")
    if received_on > timezone.localdate():
        raise OfflineError("received_on", "到账日期不能晚于今天")
    donor_name, donor_contact = _clean(donor_name), _clean(donor_contact)
    bank_reference, payer_account_name = _clean(bank_reference), _clean(payer_account_name)
    first, second = (_clean(name) for name in counted_by)
    uscc = normalize_uscc(donor_uscc) if donor_uscc else ""
    if uscc and len(uscc) != 18:
        raise OfflineError("donor_uscc", "统一社会信用代码应为18位")
    if len(donor_name) > 100:
        raise OfflineError("donor_name", "捐赠人名称不能超过100字")
    if len(donor_contact) > 32 or (donor_contact and not all(ch.isdigit() or ch in "-+ " for ch in donor_contact)):
        raise OfflineError("donor_contact", "联系电话格式不正确")
    if receipt_choice not in ReceiptChoice.values:
        raise OfflineError("receipt_choice", "请选择是否需要捐赠票据")
    if method == Method.DONATION_BOX:
        if donor_kind != DonorKind.PUBLIC:
            raise OfflineError("donor_kind", "捐赠箱的捐赠人为社会公众")
        if box is None:
            raise OfflineError("box", "请选择捐赠箱")
        if not first or not second:
            raise OfflineError("counted_by", "开箱须由两人清点并签字，请填写两位清点人")
        if first == second:
            raise OfflineError("counted_by", "两位清点人不能是同一人")
        if len(first) > 40 or len(second) > 40:
            raise OfflineError("counted_by", "清点人姓名过长")
        if project is None and fund is None and box.project_id:
            project = box.project
        receipt_choice = ReceiptChoice.ANONYMOUS
    else:
        if donor_kind == DonorKind.PUBLIC:
            raise OfflineError("donor_kind", "只有捐赠箱的捐赠人为社会公众")
        if box is not None or first or second:
            raise OfflineError("box", "只有捐赠箱开箱填写箱号和清点人")
        if not donor_name and not anonymous:
            raise OfflineError("donor_name", "请填写捐赠人，或选择匿名")
    if method == Method.BANK_TRANSFER:
        if not bank_reference:
            raise OfflineError("bank_reference", "请填写银行流水号")
        if len(bank_reference) > 64:
            raise OfflineError("bank_reference", "银行流水号过长")
        if not payer_account_name:
            raise OfflineError("payer_account_name", "请填写付款户名")
    elif bank_reference:
        raise OfflineError("bank_reference", "只有银行转账填写银行流水号")
    if receipt_choice == ReceiptChoice.WANTED and (anonymous or not donor_name):
        raise OfflineError("receipt_choice", "匿名捐赠无法开具票据")
    if project is not None and fund is not None:
        raise OfflineError("fund", "一笔捐赠只能定向一个项目或一个冠名基金")
    if project is not None and project.status not in GIVABLE_PROJECT_STATUSES:
        raise OfflineError("project", "只能捐入已发布的项目")
    if fund is not None and fund.status == FundStatus.CLOSED:
        raise OfflineError("fund", "该冠名基金已终止")
    if to_principal and (fund is None or not fund.keeps_principal):
        raise OfflineError("to_principal", "只有留本冠名基金可计入本金")
    if fund is not None:
        organisation = fund.organisation
    organisation = organisation or accounts.default_federation()
    if organisation is None:
        raise OfflineError("organisation", "请先登记慈善总会（组织类型“慈善总会”）")
    required = REQUIRED_VOUCHER[method]
    if not any(v.kind == required for v in vouchers):
        raise OfflineError("vouchers", f"请上传{VoucherKind(required).label}")
    checked = []
    for voucher in vouchers:
        if voucher.kind not in VoucherKind.values:
            raise OfflineError("vouchers", "未知的凭证类型")
        try:
            checked.append((voucher, check_upload(voucher.file, field="vouchers")))
        except UploadRefused as exc:
            raise OfflineError("vouchers", exc.message) from None
    if bank_reference and _reference_taken(bank_reference):
        raise OfflineError("bank_reference", f"银行流水号 {bank_reference} 已录入过")
    try:
        with _atomic():
            gift = OfflineGift.objects.create(
                method=method,
                donor_kind=donor_kind,
                donor_name=donor_name,
                donor_uscc=uscc,
                donor_contact=donor_contact,
                anonymous=anonymous,
                organisation=organisation,
                project=project,
                fund=fund,
                to_principal=to_principal,
                amount_fen=amount_fen,
                received_on=received_on,
                bank_reference=bank_reference,
                payer_account_name=payer_account_name,
                box=box,
                counted_by_first=first,
                counted_by_second=second,
                note=_clean(note)[:200],
                receipt_choice=receipt_choice,
                entered_by=entered_by,
            )
            for voucher, upload in checked:
                _store_voucher(gift, voucher.kind, voucher.file, upload, entered_by)
            _event(
                gift,
                EventKind.ENTERED,
                entered_by,
                method=method,
                amount_fen=amount_fen,
                project=project.pk if project else None,
                fund=fund.pk if fund else None,
                vouchers=len(checked),
            )
    except IntegrityError:
        if bank_reference and _reference_taken(bank_reference):
            raise OfflineError("bank_reference", f"银行流水号 {bank_reference} 已录入过") from None
        raise
    return gift


def _reference_taken(reference: str) -> bool:
    from gongyi.drives.models import OfflineGiftStatus, UnitOfflineGift

    if OfflineGift.objects.filter(bank_reference=reference, status__in=[Status.ENTERED, Status.CONFIRMED]).exists():
        return True
    # A unit's own transfer entered in the drives app is the same money: never count it twice.
    return UnitOfflineGift.objects.filter(bank_reference=reference, status=OfflineGiftStatus.LIVE).exists()


def _store_voucher(gift: OfflineGift, kind: str, file, upload, actor) -> OfflineVoucher:
    voucher = OfflineVoucher.objects.create(
        gift=gift,
        kind=kind,
        file=file,
        content_type=upload.content_type,
        size_bytes=upload.size_bytes,
        sha256=upload.sha256,
        original_name=(getattr(file, "name", "") or "")[-200:],
        uploaded_by=actor,
    )
    _event(gift, EventKind.VOUCHER_ADDED, actor, voucher=voucher.pk, kind=kind, sha256=upload.sha256)
    return voucher


def add_offline_voucher(*, gift: OfflineGift, kind: str, file, actor) -> OfflineVoucher:
    """Attach another voucher (PDF, JPG, PNG or WebP, ≤ 10 MB) to a gift not rejected or voided."""
    if not (actor.has_perm(ENTER_PERMISSION) or actor.has_perm(CHECK_PERMISSION)) or not actor.is_staff:
        raise OfflineError("actor", "没有上传凭证的权限")
    if kind not in VoucherKind.values:
        raise OfflineError("kind", "请选择凭证类型")
    try:
        upload = check_upload(file, field="file")
    except UploadRefused as exc:
        raise OfflineError(exc.field, exc.message) from None
    with _atomic():
        current = OfflineGift.objects.select_for_update().get(pk=gift.pk)
        if current.status in (Status.REJECTED, Status.VOIDED):
            raise OfflineError("status", f"该笔{current.get_status_display()}，不能再上传凭证")
        return _store_voucher(current, kind, file, upload, actor)


def log_voucher_access(*, voucher: OfflineVoucher, actor) -> None:
    _event(voucher.gift, EventKind.VOUCHER_VIEWED, actor, voucher=voucher.pk)


# --- checking (and posting) ------------------------------------------------------------------------------


def payer_key(gift: OfflineGift) -> str:
    """Who gave, as the giving app's donor key (``offline:<key>``): stable for a company or person, never
    their name in clear; a donation box counts as one donor per box."""
    if gift.method == Method.DONATION_BOX:
        return f"box:{gift.box_id}"
    if gift.donor_kind == DonorKind.ORGANISATION and gift.donor_uscc:
        return f"org:{gift.donor_uscc}"
    if gift.anonymous or not gift.donor_name:
        return f"anonymous:{gift.number}"
    digest = hashlib.sha256(f"{gift.donor_kind}|{gift.donor_name}|{gift.donor_contact}".encode()).hexdigest()
    return f"{gift.donor_kind}:{digest[:24]}"


def _debit_account(gift: OfflineGift) -> Account:
    return accounts.bank_account() if gift.method == Method.BANK_TRANSFER else accounts.cash_account()


def confirm_offline_gift(*, gift: OfflineGift, checker, note: str = "") -> OfflineGift:
    """A second person checks an entered gift against its vouchers; the gift is then posted, all in one
    transaction. Refused for the person who entered it (also by the database), a gift not waiting for a
    check, or one missing its required voucher; nothing is written then.
    """
    _require(checker, CHECK_PERMISSION, "没有复核线下捐赠的权限")
    with _atomic():
        current = OfflineGift.objects.select_for_update().get(pk=gift.pk)
        if current.entered_by_id == checker.pk:
            raise OfflineError("checker", "不能复核自己录入的捐赠")
        if current.status != Status.ENTERED:
            raise OfflineError("status", f"该笔{current.get_status_display()}")
        if not current.vouchers.filter(kind=REQUIRED_VOUCHER[current.method]).exists():
            raise OfflineError("vouchers", f"缺少{VoucherKind(REQUIRED_VOUCHER[current.method]).label}")
        if current.project_id:
            entry, settlement, made_gift = _post_directed(current)
        elif current.fund_id:
            entry, settlement, made_gift = _post_to_fund(current, checker), None, None
        else:
            entry, settlement, made_gift = _post_unrestricted(current), None, None
        updated = OfflineGift.objects.filter(pk=current.pk, status=Status.ENTERED).update(
            status=Status.CONFIRMED,
            checked_by=checker,
            checked_at=timezone.now(),
            check_note=_clean(note)[:200],
            entry=entry,
            settlement_entry=settlement,
            gift=made_gift,
        )
        if updated != 1:  # cannot happen under the row lock; refuse rather than post twice
            raise IntegrityError(f"offline gift {current.pk} changed under its lock")
        _event(current, EventKind.CONFIRMED, checker, entry=entry.pk, giving_gift=made_gift.pk if made_gift else None)
        current.refresh_from_db()
        if current.receipt_choice == ReceiptChoice.WANTED:
            _create_receipt(current, actor=checker)
    gift.refresh_from_db()
    return gift


def _post_directed(gift: OfflineGift):
    """A real Order and Gift through ``confirm_payment`` (gateway offline), then the bank/cash settlement."""
    from gongyi.giving.services import confirm_payment
    from gongyi.payments.interface import VerifiedPayment
    from gongyi.payments.models import Order

    paid_at = noon(gift.received_on)
    order = Order.objects.create(
        out_trade_no="XX" + timezone.localtime().strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10**8):08d}",
        project_id=gift.project_id,
        amount_fen=gift.amount_fen,
        gateway=GATEWAY,
        channel=gift.method[:16],
        donor_name="" if gift.donor_kind == DonorKind.PUBLIC else gift.donor_name[:40],
        anonymous=gift.anonymous or gift.donor_kind == DonorKind.PUBLIC,
    )
    confirmation = confirm_payment(
        gateway=GATEWAY,
        payment=VerifiedPayment(
            out_trade_no=order.out_trade_no,
            provider_txn_id=gift.number,
            amount_fen=gift.amount_fen,
            payer=payer_key(gift),
            paid_at=paid_at,
        ),
        raw_body=json.dumps(
            {"offline_gift": gift.number, "method": gift.method, "amount_fen": gift.amount_fen}, sort_keys=True
        ),
    )
    made = confirmation.gift
    entry = JournalEntry.objects.get(idempotency_key=f"gift:{made.pk}")
    settlement = post_entry(
        kind=EntryKind.SETTLEMENT,
        idempotency_key=f"offline-settlement:{gift.pk}",
        memo=f"线下捐赠 {gift.number} 到账（{gift.get_method_display()}）",
        occurred_at=paid_at,
        legs=[
            Leg(_debit_account(gift), gift.amount_fen),
            Leg(provider_clearing_account(GATEWAY), -gift.amount_fen),
        ],
        project=made.project,
    )
    return entry, settlement, made


def _post_unrestricted(gift: OfflineGift) -> JournalEntry:
    organisation = Organisation.objects.select_for_update().get(pk=gift.organisation_id)
    return post_entry(
        kind=EntryKind.GIFT,
        idempotency_key=f"offline-gift:{gift.pk}",
        memo=f"线下捐赠 {gift.number}（{gift.get_method_display()}）→ 非限定性捐赠",
        occurred_at=noon(gift.received_on),
        legs=[
            Leg(_debit_account(gift), gift.amount_fen),
            Leg(accounts.general_fund_account(organisation), -gift.amount_fen),
        ],
    )


def _post_to_fund(gift: OfflineGift, checker) -> JournalEntry:
    try:
        contribution = record_contribution(
            fund=gift.fund,
            amount_fen=gift.amount_fen,
            to_principal=gift.to_principal,
            source=ContributionSource.OFFLINE_GIFT,
            debit_account=_debit_account(gift),
            idempotency_key=f"offline-gift:{gift.pk}",
            contributed_on=gift.received_on,
            actor=checker,
            reference=gift.number,
            memo=f"线下捐赠 {gift.number}（{gift.get_method_display()}）→ 冠名基金 #{gift.fund_id}",
        )
    except FundError as exc:
        raise OfflineError(exc.field, exc.message) from None
    return contribution.entry


def reject_offline_gift(*, gift: OfflineGift, checker, reason: str) -> OfflineGift:
    """The checker sends an entered gift back (wrong amount, unreadable slip); no money moved, none moves."""
    _require(checker, CHECK_PERMISSION, "没有复核线下捐赠的权限")
    reason = _free_text(reason, "reason")
    if not reason:
        raise OfflineError("reason", "请填写退回理由")
    with _atomic():
        current = OfflineGift.objects.select_for_update().get(pk=gift.pk)
        if current.entered_by_id == checker.pk:
            raise OfflineError("checker", "不能复核自己录入的捐赠")
        if current.status != Status.ENTERED:
            raise OfflineError("status", f"该笔{current.get_status_display()}")
        OfflineGift.objects.filter(pk=current.pk).update(
            status=Status.REJECTED, checked_by=checker, checked_at=timezone.now(), check_note=reason[:200]
        )
        _event(current, EventKind.REJECTED, checker, reason=reason[:200])
    gift.refresh_from_db()
    return gift


def void_offline_gift(*, gift: OfflineGift, actor, reason: str) -> OfflineGift:
    """Void a confirmed gift entered wrongly: post the reversals, once. Refused while a receipt for it is
    requested or issued, and for a fund gift whose money the fund has already granted on."""
    _require(actor, VOID_PERMISSION, "没有作废线下捐赠的权限")
    reason = _free_text(reason, "reason")
    if not reason:
        raise OfflineError("reason", "请填写作废理由")
    with _atomic():
        current = OfflineGift.objects.select_for_update().get(pk=gift.pk)
        if current.status != Status.CONFIRMED:
            raise OfflineError("status", f"只有已入账的捐赠可以作废（当前：{current.get_status_display()}）")
        if current.receipts.exclude(status=ReceiptStatus.REJECTED).exists():
            raise OfflineError("status", "该笔已申请或开具票据，请先处理票据")
        now = timezone.now()
        if current.gift_id:
            _void_directed(current, reason, actor)
        elif current.fund_id:
            contribution = FundContribution.objects.get(entry_id=current.entry_id)
            try:
                reverse_contribution(
                    contribution=contribution,
                    reason=reason,
                    actor=actor,
                    idempotency_key=f"offline-gift-void:{current.pk}",
                )
            except FundError as exc:
                raise OfflineError(exc.field, exc.message) from None
        else:
            organisation = Organisation.objects.select_for_update().get(pk=current.organisation_id)
            general = Account.objects.get(pk=accounts.general_fund_account(organisation).pk)
            if general.balance_fen < current.amount_fen:
                raise OfflineError(
                    "amount_fen",
                    f"非限定性捐赠余额不足以冲回（余额 {format_yuan(general.balance_fen)}，"
                    f"本笔 {format_yuan(current.amount_fen)}）",
                )
            reverse_entry(
                entry=current.entry,
                kind=EntryKind.GIFT_REVERSAL,
                idempotency_key=f"offline-gift-void:{current.pk}",
                memo=f"作废线下捐赠 {current.number}（{reason[:60]}）",
                occurred_at=now,
            )
        OfflineGift.objects.filter(pk=current.pk, status=Status.CONFIRMED).update(
            status=Status.VOIDED, voided_by=actor, voided_at=now, void_reason=reason[:200]
        )
        _event(current, EventKind.VOIDED, actor, reason=reason[:200])
    gift.refresh_from_db()
    return gift


def _void_directed(gift: OfflineGift, reason: str, actor) -> None:
    """The refund path: the gift reversal, any match taken back, counters and unit credit moved back; then the
    settlement reversed. All in the caller's transaction, so the refund request is never seen pending."""
    from gongyi.giving.models import Gift
    from gongyi.giving.services import record_refund_result
    from gongyi.payments.interface import RefundState, VerifiedRefund
    from gongyi.payments.services import RefundInProgress, open_refund_request

    made = Gift.objects.select_related("order").get(pk=gift.gift_id)
    try:
        refund = open_refund_request(
            order=made.order, amount_fen=made.amount_fen, reason=f"作废线下捐赠：{reason}"[:200], actor=actor
        )
    except RefundInProgress:
        raise OfflineError("status", "该笔已有退款在处理中") from None
    record_refund_result(
        gateway=GATEWAY,
        result=VerifiedRefund(
            out_trade_no=made.order.out_trade_no,
            refund_no=refund.refund_no,
            provider_refund_id=f"VOID-{gift.number}",
            amount_fen=made.amount_fen,
            state=RefundState.SUCCEEDED,
            finished_at=timezone.now(),
        ),
        raw_body=json.dumps({"offline_gift_void": gift.number}),
        actor=actor,
    )
    reverse_entry(
        entry=gift.settlement_entry,
        kind=EntryKind.SETTLEMENT,
        idempotency_key=f"offline-settlement-void:{gift.pk}",
        memo=f"作废线下捐赠 {gift.number} 到账",
        occurred_at=timezone.now(),
    )


# --- receipts ------------------------------------------------------------------------------------------


def _create_receipt(gift: OfflineGift, *, actor, payer_name: str = "", payer_uscc: str = "", contact_phone: str = ""):
    kind = ReceiptKind.ORGANISATION if gift.donor_kind == DonorKind.ORGANISATION else ReceiptKind.INDIVIDUAL
    try:
        with transaction.atomic():
            receipt = OfflineReceipt.objects.create(
                gift=gift,
                kind=kind,
                payer_name=(payer_name or gift.donor_name)[:100],
                payer_uscc=payer_uscc or gift.donor_uscc,
                contact_phone=contact_phone or gift.donor_contact,
                total_fen=gift.amount_fen,
                requested_by=actor,
            )
    except IntegrityError:
        raise OfflineError("receipt", "该笔捐赠已申请过票据") from None
    _event(gift, EventKind.RECEIPT_REQUESTED, actor, receipt=receipt.number)
    return receipt


def request_offline_receipt(
    *, gift: OfflineGift, actor, payer_name: str = "", contact_phone: str = ""
) -> OfflineReceipt:
    """Ask for a receipt for a confirmed gift (one live request per gift); never before the money arrived."""
    _require(actor, RECEIPT_PERMISSION, "没有处理票据的权限")
    with _atomic():
        current = OfflineGift.objects.select_for_update().get(pk=gift.pk)
        if current.status != Status.CONFIRMED:
            raise OfflineError("status", "只有已复核入账的捐赠可以开具票据")
        if current.donor_kind == DonorKind.PUBLIC or (current.anonymous and not payer_name):
            raise OfflineError("receipt", "匿名捐赠无法开具票据")
        if not (payer_name or current.donor_name):
            raise OfflineError("payer_name", "请填写交款人")
        if current.receipt_choice != ReceiptChoice.WANTED:
            OfflineGift.objects.filter(pk=current.pk).update(receipt_choice=ReceiptChoice.WANTED)
        return _create_receipt(current, actor=actor, payer_name=_clean(payer_name), contact_phone=_clean(contact_phone))


@dataclass(frozen=True)
class ReceiptLineView:
    """The one line of an offline receipt, in the shape the drives app's ``ReceiptIssuer`` reads."""

    name_on_list: str
    amount_fen: int
    paid_at: object
    reference: str


def export_offline_receipt(*, receipt: OfflineReceipt, actor, issuer=None) -> OfflineReceipt:
    """Hand a requested receipt to the e-receipt system through the drives app's adapter; requested → exported."""
    from gongyi.drives.receipts import get_receipt_issuer

    _require(actor, RECEIPT_PERMISSION, "没有处理票据的权限")
    issuer = issuer or get_receipt_issuer()
    with _atomic():
        locked = OfflineReceipt.objects.select_for_update(of=("self",)).select_related("gift").get(pk=receipt.pk)
        if locked.status != ReceiptStatus.REQUESTED:
            raise OfflineError("status", f"只有“已申请”的票据可以提交（当前：{locked.get_status_display()}）")
        gift = locked.gift
        line = ReceiptLineView(
            name_on_list=locked.payer_name,
            amount_fen=locked.total_fen,
            paid_at=noon(gift.received_on),
            reference=gift.bank_reference or gift.number,
        )
        result = issuer.submit(locked, [line])
        OfflineReceipt.objects.filter(pk=locked.pk).update(
            status=ReceiptStatus.EXPORTED, exported_at=timezone.now(), issuer=issuer.name, export_path=result.path
        )
        _event(gift, EventKind.RECEIPT_EXPORTED, actor, receipt=locked.number, path=result.path)
    receipt.refresh_from_db()
    return receipt


def record_offline_receipt_issued(
    *, receipt: OfflineReceipt, receipt_no: str, check_code: str, verify_url: str = "", actor
) -> OfflineReceipt:
    """Copy the finance bureau's answer onto the request: exported → issued."""
    _require(actor, RECEIPT_PERMISSION, "没有处理票据的权限")
    receipt_no, check_code = _clean(receipt_no), _clean(check_code)
    if not receipt_no:
        raise OfflineError("receipt_no", "请填写票据号码")
    if not check_code:
        raise OfflineError("check_code", "请填写校验码")
    with _atomic():
        updated = OfflineReceipt.objects.filter(pk=receipt.pk, status=ReceiptStatus.EXPORTED).update(
            status=ReceiptStatus.ISSUED,
            receipt_no=receipt_no[:40],
            check_code=check_code[:40],
            verify_url=(verify_url or "")[:200],
            decided_at=timezone.now(),
        )
        if not updated:
            raise OfflineError("status", "只有已提交的票据申请可以登记开具结果")
        _event(receipt.gift, EventKind.RECEIPT_ISSUED, actor, receipt=receipt.number, receipt_no=receipt_no)
    receipt.refresh_from_db()
    return receipt


def reject_offline_receipt(*, receipt: OfflineReceipt, reason: str, actor) -> OfflineReceipt:
    """Close a request without a receipt; the gift may be requested again."""
    _require(actor, RECEIPT_PERMISSION, "没有处理票据的权限")
    reason = _free_text(reason, "reason")
    if not reason:
        raise OfflineError("reason", "请填写未开具的原因")
    with _atomic():
        updated = OfflineReceipt.objects.filter(
            pk=receipt.pk, status__in=[ReceiptStatus.REQUESTED, ReceiptStatus.EXPORTED]
        ).update(status=ReceiptStatus.REJECTED, reject_reason=reason[:200], decided_at=timezone.now())
        if not updated:
            raise OfflineError("status", "该票据申请已处理完毕")
        _event(receipt.gift, EventKind.RECEIPT_REJECTED, actor, receipt=receipt.number, reason=reason[:200])
    receipt.refresh_from_db()
    return receipt
