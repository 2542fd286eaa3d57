"""Writes for spending: record, attach vouchers, approve (posting on the last approval), reject, reverse.

Each public service is one transaction and writes an ``ExpenditureEvent``. Lock order: the expenditure
row, then the project row (so two expenditures of one project check the balance one after the other),
then the ledger's account rows (ascending primary key, inside ``post_entry``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from gongyi.core.money import format_yuan
from gongyi.ledger.models import Account, AccountKind, EntryKind, JournalEntry
from gongyi.ledger.services import Leg, get_account, post_entry, reverse_entry
from gongyi.projects.models import Project, ProjectStatus
from gongyi.spending.models import (
    Category,
    EventKind,
    Expenditure,
    ExpenditureApproval,
    ExpenditureEvent,
    ExpenditureStatus,
    PayeeKind,
    Publication,
    Voucher,
    VoucherKind,
)
from gongyi.spending.uploads import UploadRefused, check_upload

logger = logging.getLogger(__name__)

APPROVE_PERMISSION = "spending.approve_expenditure"
RECORD_PERMISSION = "spending.add_expenditure"
DEFAULT_APPROVALS = 2
SPENDABLE_STATUSES = (ProjectStatus.PUBLISHED, ProjectStatus.CLOSED)


class SpendingError(ValueError):
    """A refused spending action, naming the field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ApprovalOutcome:
    expenditure: Expenditure
    approvals: int
    posted: bool


def required_approvals() -> int:
    """How many approvals a new expenditure needs: ``GONGYI_EXPENDITURE_APPROVALS`` (default 2), at least 1."""
    return max(1, int(getattr(settings, "GONGYI_EXPENDITURE_APPROVALS", DEFAULT_APPROVALS)))


def spending_account(project: Project, category: str) -> Account:
    """The project's spending account for one category: ``project:<id>:spending:<category>``."""
    return get_account(
        code=f"project:{project.pk}:spending:{category}",
        name=f"{project.title} · 支出 · {Category(category).label}",
        kind=AccountKind.PROJECT_SPENDING,
        project=project,
    )


def payable_account(organisation) -> Account:
    """What the organisation owes payees for approved expenditures (paid out of its bank account)."""
    return get_account(
        code=f"org:{organisation.pk}:expenditure_payable",
        name=f"{organisation.name} · 应付项目支出款",
        kind=AccountKind.EXPENDITURE_PAYABLE,
    )


def may_record_spending(user, project: Project) -> bool:
    """Federation finance (Django staff with ``spending.add_expenditure``), or a manager or editor of the
    project's organisation in the back office (``backoffice.selectors.ROLE_ACTIONS``: ``record_spending``)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff and user.has_perm(RECORD_PERMISSION):
        return True
    from gongyi.backoffice.selectors import scope_for  # late: the back office reads spending's models

    return scope_for(user).can("record_spending", project.organisation_id)


def _atomic():
    # Outermost when called from a view or a task; nested inside a test's transaction otherwise.
    return transaction.atomic(durable=not transaction.get_connection().in_atomic_block)


def _event(expenditure: Expenditure, kind: str, actor=None, **details) -> None:
    ExpenditureEvent.objects.create(expenditure=expenditure, kind=kind, actor=actor, details=details)


def _check_balance(project: Project, amount_fen: int) -> None:
    from gongyi.spending.selectors import accounts_for_project

    figures = accounts_for_project(project)
    if amount_fen > figures.balance_fen:
        raise SpendingError(
            "amount_fen",
            f"支出超出项目结余（balance_fen）：结余 {format_yuan(figures.balance_fen)}，"
            f"本笔支出 {format_yuan(amount_fen)}",
        )


def record_expenditure(
    *,
    project: Project,
    category: str,
    amount_fen: int,
    payee: str,
    purpose: str,
    spent_on: date,
    recorded_by,
    payee_kind: str = PayeeKind.ORGANISATION,
    aid_case_ref: str = "",
) -> Expenditure:
    """Record an expenditure awaiting approval; refuse bad fields, and an amount over the current balance.

    The number of approvals it needs is read from the setting now and kept on the row.
    """
    if not may_record_spending(recorded_by, project):
        raise SpendingError("recorded_by", "没有登记该项目支出的权限")
    if category not in Category.values:
        raise SpendingError("category", "请选择支出类别")
    if payee_kind not in PayeeKind.values:
        raise SpendingError("payee_kind", "请选择收款方类型")
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise SpendingError("amount_fen", "支出金额必须大于0")
    payee, purpose, aid_case_ref = payee.strip(), purpose.strip(), aid_case_ref.strip()
    if not payee:
        raise SpendingError("payee", "请填写收款方")
    if len(payee) > Expenditure._meta.get_field("payee").max_length:
        raise SpendingError("payee", "收款方名称过长")
    if not purpose:
        raise SpendingError("purpose", "请填写用途")
    if len(purpose) > Expenditure._meta.get_field("purpose").max_length:
        raise SpendingError("purpose", "用途不能超过500字")
    if aid_case_ref and category != Category.AID:
        raise SpendingError("aid_case_ref", "只有救助款拨付可填写救助案件编号")
    if len(aid_case_ref) > Expenditure._meta.get_field("aid_case_ref").max_length:
        raise SpendingError("aid_case_ref", "案件编号过长")
    if spent_on > timezone.localdate():
        raise SpendingError("spent_on", "支出日期不能晚于今天")
    with _atomic():
        project = Project.objects.get(pk=project.pk)
        if project.status not in SPENDABLE_STATUSES:
            raise SpendingError("project", "只有已发布或已结束的项目可以登记支出")
        _check_balance(project, amount_fen)
        expenditure = Expenditure.objects.create(
            project=project,
            category=category,
            amount_fen=amount_fen,
            payee=payee,
            payee_kind=payee_kind,
            purpose=purpose,
            spent_on=spent_on,
            aid_case_ref=aid_case_ref,
            required_approvals=required_approvals(),
            recorded_by=recorded_by,
        )
        _event(expenditure, EventKind.RECORDED, recorded_by, amount_fen=amount_fen, category=category)
    return expenditure


def approve_expenditure(*, expenditure: Expenditure, approver, note: str = "") -> ApprovalOutcome:
    """Add one approval; the approval that reaches the required number posts the expenditure, once.

    Refused (nothing written): no ``spending.approve_expenditure`` permission, the approver recorded it,
    the approver already approved it, it is not pending, or — on the last approval — the amount is over
    the project's balance (raised + matched + incentives − spent).
    """
    if not (approver.is_active and approver.has_perm(APPROVE_PERMISSION)):
        raise SpendingError("approver", "没有审批项目支出的权限")
    with _atomic():
        current = Expenditure.objects.select_for_update().get(pk=expenditure.pk)
        if current.status != ExpenditureStatus.PENDING:
            raise SpendingError("status", f"该支出{current.get_status_display()}，不能审批")
        if current.recorded_by_id == approver.pk:
            raise SpendingError("approver", "不能审批自己登记的支出")
        try:
            with transaction.atomic():
                ExpenditureApproval.objects.create(
                    expenditure=current, approver=approver, recorded_by_id=current.recorded_by_id, note=note[:200]
                )
        except IntegrityError:
            raise SpendingError("approver", "您已审批过该支出") from None
        _event(current, EventKind.APPROVED, approver, note=note[:200])
        approvals = ExpenditureApproval.objects.filter(expenditure=current).count()
        posted = False
        if approvals >= current.required_approvals:
            _post(current, actor=approver)
            posted = True
        current.refresh_from_db()
    return ApprovalOutcome(expenditure=current, approvals=approvals, posted=posted)


def _post(expenditure: Expenditure, *, actor) -> JournalEntry:
    # Lock the project row only (not its organisation): two postings of one project check the balance in turn.
    project = (
        Project.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=expenditure.project_id)
    )
    _check_balance(project, expenditure.amount_fen)
    aid = expenditure.category == Category.AID
    entry = post_entry(
        kind=EntryKind.DISBURSEMENT if aid else EntryKind.EXPENDITURE,
        idempotency_key=f"expenditure:{expenditure.pk}",
        memo=f"{expenditure.get_category_display()} {expenditure.public_payee} · {project.title}",
        occurred_at=timezone.make_aware(datetime.combine(expenditure.spent_on, time(12))),
        legs=[
            Leg(spending_account(project, expenditure.category), expenditure.amount_fen),
            Leg(payable_account(project.organisation), -expenditure.amount_fen),
        ],
        project=project,
    )
    updated = Expenditure.objects.filter(pk=expenditure.pk, status=ExpenditureStatus.PENDING).update(
        status=ExpenditureStatus.POSTED, entry=entry, posted_at=timezone.now()
    )
    if updated != 1:  # cannot happen under the row lock; refuse rather than post twice
        raise IntegrityError(f"expenditure {expenditure.pk} changed under its lock")
    _event(expenditure, EventKind.POSTED, actor, entry=entry.pk)
    logger.info("expenditure %s posted as entry %s", expenditure.pk, entry.pk)
    return entry


def reject_expenditure(*, expenditure: Expenditure, actor, reason: str) -> Expenditure:
    """Reject a pending expenditure (an approver), or withdraw it (its recorder); nothing is posted."""
    if not reason.strip():
        raise SpendingError("reason", "请填写驳回理由")
    with _atomic():
        current = Expenditure.objects.select_for_update().get(pk=expenditure.pk)
        if not (actor.is_active and (actor.has_perm(APPROVE_PERMISSION) or actor.pk == current.recorded_by_id)):
            raise SpendingError("actor", "没有驳回该支出的权限")
        if current.status != ExpenditureStatus.PENDING:
            raise SpendingError("status", f"该支出{current.get_status_display()}，不能驳回")
        Expenditure.objects.filter(pk=current.pk).update(
            status=ExpenditureStatus.REJECTED,
            rejected_by=actor,
            rejected_at=timezone.now(),
            rejection_reason=reason.strip()[:200],
        )
        _event(current, EventKind.REJECTED, actor, reason=reason.strip()[:200])
        current.refresh_from_db()
    return current


def reverse_expenditure(*, expenditure: Expenditure, actor, reason: str) -> Expenditure:
    """Reverse a posted expenditure (e.g. recorded in error) by a mirror entry; the original stays."""
    if not (actor.is_active and actor.has_perm(APPROVE_PERMISSION)):
        raise SpendingError("actor", "没有冲回项目支出的权限")
    if not reason.strip():
        raise SpendingError("reason", "请填写冲回理由")
    with _atomic():
        current = Expenditure.objects.select_for_update().get(pk=expenditure.pk)
        if current.status != ExpenditureStatus.POSTED:
            raise SpendingError("status", f"该支出{current.get_status_display()}，不能冲回")
        aid = current.category == Category.AID
        reversal = reverse_entry(
            entry=current.entry,
            kind=EntryKind.DISBURSEMENT_REVERSAL if aid else EntryKind.EXPENDITURE_REVERSAL,
            idempotency_key=f"expenditure-reversal:{current.pk}",
            memo=f"冲回（{reason.strip()[:60]}） 支出 #{current.pk}",
            occurred_at=timezone.now(),
        )
        Expenditure.objects.filter(pk=current.pk, status=ExpenditureStatus.POSTED).update(
            status=ExpenditureStatus.REVERSED,
            reversal_entry=reversal,
            reversed_by=actor,
            reversed_at=timezone.now(),
            reversal_reason=reason.strip()[:200],
        )
        _event(current, EventKind.REVERSED, actor, reason=reason.strip()[:200], entry=reversal.pk)
        current.refresh_from_db()
    return current


def may_handle_vouchers(user, expenditure: Expenditure) -> bool:
    """Who may upload and open an expenditure's vouchers: finance staff who record or approve, or whoever may
    record spending for its project (the organisation's manager or editor)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff and (user.has_perm(RECORD_PERMISSION) or user.has_perm(APPROVE_PERMISSION)):
        return True
    return may_record_spending(user, expenditure.project)


def add_voucher(
    *,
    expenditure: Expenditure,
    file,
    kind: str,
    uploaded_by,
    description: str = "",
    redacted_file=None,
) -> Voucher:
    """Attach a voucher (PDF, JPG, PNG or WebP, ≤ 10 MB), optionally with a redacted copy; it starts private."""
    if not may_handle_vouchers(uploaded_by, expenditure):
        raise SpendingError("uploaded_by", "没有上传凭证的权限")
    if kind not in VoucherKind.values:
        raise SpendingError("kind", "请选择凭证类型")
    if len(description) > Voucher._meta.get_field("description").max_length:
        raise SpendingError("description", "说明不能超过200字")
    try:
        checked = check_upload(file, field="file")
        redacted = check_upload(redacted_file, field="redacted_file") if redacted_file else None
    except UploadRefused as exc:
        raise SpendingError(exc.field, exc.message) from None
    with _atomic():
        current = Expenditure.objects.select_for_update().get(pk=expenditure.pk)
        if current.status in (ExpenditureStatus.REJECTED, ExpenditureStatus.REVERSED):
            raise SpendingError("status", f"该支出{current.get_status_display()}，不能再上传凭证")
        voucher = Voucher(
            expenditure=current,
            kind=kind,
            description=description.strip(),
            file=file,
            content_type=checked.content_type,
            size_bytes=checked.size_bytes,
            sha256=checked.sha256,
            original_name=(getattr(file, "name", "") or "")[-200:],
            uploaded_by=uploaded_by,
        )
        if redacted is not None:
            voucher.redacted_file = redacted_file
            voucher.redacted_content_type = redacted.content_type
            voucher.redacted_sha256 = redacted.sha256
        voucher.save()
        _event(current, EventKind.VOUCHER_ADDED, uploaded_by, voucher=voucher.pk, sha256=checked.sha256)
    return voucher


def attach_redacted_copy(*, voucher: Voucher, file, actor) -> Voucher:
    """Give a voucher a (new) redacted copy; a copy already chosen for publication goes private again."""
    if not may_handle_vouchers(actor, voucher.expenditure):
        raise SpendingError("actor", "没有上传凭证的权限")
    try:
        checked = check_upload(file, field="redacted_file")
    except UploadRefused as exc:
        raise SpendingError(exc.field, exc.message) from None
    with _atomic():
        current = Voucher.objects.select_for_update().get(pk=voucher.pk)
        current.redacted_file = file
        current.redacted_content_type = checked.content_type
        current.redacted_sha256 = checked.sha256
        if current.publication == Publication.REDACTED:
            current.publication = Publication.PRIVATE
            current.published_by = None
        current.save()
        _event(current.expenditure, EventKind.VOUCHER_ADDED, actor, voucher=current.pk, redacted=checked.sha256)
    return current


def set_voucher_publication(*, voucher: Voucher, publication: str, actor) -> Voucher:
    """An approver (not the uploader) decides what the public sees: nothing, the original or the redacted copy."""
    if not (actor.is_active and actor.has_perm(APPROVE_PERMISSION)):
        raise SpendingError("actor", "没有决定凭证公开的权限")
    if publication not in Publication.values:
        raise SpendingError("publication", "请选择公开方式")
    with _atomic():
        current = Voucher.objects.select_for_update().get(pk=voucher.pk)
        if current.uploaded_by_id == actor.pk and publication != Publication.PRIVATE:
            raise SpendingError("actor", "凭证须由上传人以外的审批人确认不含个人信息后公开")
        if publication == Publication.REDACTED and not current.redacted_file:
            raise SpendingError("publication", "该凭证没有脱敏件")
        Voucher.objects.filter(pk=current.pk).update(
            publication=publication, published_by=None if publication == Publication.PRIVATE else actor
        )
        _event(current.expenditure, EventKind.VOUCHER_PUBLICATION, actor, voucher=current.pk, publication=publication)
        current.refresh_from_db()
    return current


def log_voucher_access(*, voucher: Voucher, actor, which: str) -> None:
    """Record that a staff user opened a voucher's original or redacted copy (personal data access log)."""
    with _atomic():
        _event(voucher.expenditure, EventKind.VOUCHER_VIEWED, actor, voucher=voucher.pk, which=which)
