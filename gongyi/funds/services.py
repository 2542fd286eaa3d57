"""Writes for named funds: create a fund, contributions (offline gifts, transfers, income), grants to projects.

Each public service is one transaction and writes a ``FundEvent``. Lock order, shared with the offline
and in-kind apps: the offline gift row, then the receiving organisation's row (guards its general fund),
then the grant row, then the fund row (guards the fund's balances), then the ledger's account rows
(ascending primary key, inside ``post_entry``). Every service that can lower a fund's balance holds the
fund row while it reads the balance and posts, so two grants can never overdraw it.

Ledger shapes (credit-normal accounts read positive):

* contribution by an offline gift: ``bank:main`` (or ``cash:main``) Dr / ``fund:<id>:principal`` or
  ``fund:<id>:available`` Cr, kind ``gift``;
* transfer from unrestricted gifts: ``org:<id>:general_fund`` Dr / fund Cr, kind ``fund_transfer``;
* income on kept principal: ``bank:main`` Dr / ``fund:<id>:available`` Cr, kind ``fund_income``;
* grant: ``fund:<id>:available`` Dr / ``project:<id>:fund_grants`` Cr, kind ``fund_grant``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from gongyi.core.checkdigits import normalize_uscc
from gongyi.core.money import MAX_GIFT_FEN, format_yuan
from gongyi.core.text import NUL_MESSAGE, has_nul
from gongyi.funds import accounts
from gongyi.funds.models import (
    ContributionSource,
    ContributionStatus,
    FounderKind,
    FundContribution,
    FundEvent,
    FundEventKind,
    FundGrant,
    FundKind,
    FundStatus,
    GrantStatus,
    NamedFund,
)
from gongyi.ledger.models import Account, EntryKind, JournalEntry
from gongyi.ledger.services import Leg, post_entry, reverse_entry
from gongyi.orgs.models import Organisation
from gongyi.projects.models import Project, ProjectStatus

CREATE_PERMISSION = "funds.add_namedfund"
CONTRIBUTE_PERMISSION = "funds.add_fundcontribution"
PROPOSE_PERMISSION = "funds.add_fundgrant"
APPROVE_PERMISSION = "funds.approve_fundgrant"

# Defaults when a fund does not set its own (regulation §8: minimums range from ¥3,000 to ¥3M by place;
# 河南 2025 asks 20% of the initial fund each year for 3 years). Overridden by the settings below.
DEFAULT_MINIMUM_FEN = 200_000_00
DEFAULT_YEARLY_PERCENT = 20
DEFAULT_COMMITMENT_YEARS = 3
GRANTABLE_PROJECT_STATUSES = (ProjectStatus.PUBLISHED, ProjectStatus.CLOSED)


class FundError(ValueError):
    """A refused fund action, naming the field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Commitments:
    minimum_fen: int
    yearly_commitment_fen: int
    commitment_years: int


def default_commitments() -> Commitments:
    """The defaults for a new fund, read now from ``GONGYI_NAMED_FUND_MINIMUM_FEN``,
    ``GONGYI_NAMED_FUND_YEARLY_PERCENT`` (of the minimum) and ``GONGYI_NAMED_FUND_COMMITMENT_YEARS``."""
    minimum = int(getattr(settings, "GONGYI_NAMED_FUND_MINIMUM_FEN", DEFAULT_MINIMUM_FEN))
    percent = int(getattr(settings, "GONGYI_NAMED_FUND_YEARLY_PERCENT", DEFAULT_YEARLY_PERCENT))
    years = int(getattr(settings, "GONGYI_NAMED_FUND_COMMITMENT_YEARS", DEFAULT_COMMITMENT_YEARS))
    return Commitments(
        minimum_fen=max(0, minimum),
        yearly_commitment_fen=max(0, minimum * percent // 100),
        commitment_years=max(0, years),
    )


def _atomic():
    # Outermost when called from a view or a task; nested inside a caller's (or a test's) transaction.
    return transaction.atomic(durable=not transaction.get_connection().in_atomic_block)


def _event(fund: NamedFund, event_kind: str, actor=None, **details) -> None:
    FundEvent.objects.create(fund=fund, kind=event_kind, actor=actor, details=details)


def _require(actor, permission: str, message: str) -> None:
    if actor is None or not (actor.is_active and actor.is_staff and actor.has_perm(permission)):
        raise FundError("actor", message)


def _check_fen(value, field: str = "amount_fen") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise FundError(field, "金额必须大于0")
    if value > MAX_GIFT_FEN:
        raise FundError(field, f"单笔金额不能超过 {MAX_GIFT_FEN // 100:,} 元")
    return value


def noon(day: date) -> datetime:
    """A day's business time for the ledger: 12:00 local, or now when that is still ahead."""
    moment = timezone.make_aware(datetime.combine(day, time(12)))
    return min(moment, timezone.now())


def create_named_fund(
    *,
    name: str,
    founder_kind: str,
    founder_name: str,
    kind: str,
    purpose: str,
    agreement_signed_on: date,
    actor,
    organisation: Organisation | None = None,
    founder_uscc: str = "",
    minimum_fen: int | None = None,
    yearly_commitment_fen: int | None = None,
    commitment_years: int | None = None,
) -> NamedFund:
    """Register a named fund after its agreement is signed; it is *pledged* until contributions reach its minimum.

    Minimum, yearly commitment and years default to ``default_commitments()`` (read now).
    """
    _require(actor, CREATE_PERMISSION, "没有设立冠名基金的权限")
    name, founder_name, purpose = (name or "").strip(), (founder_name or "").strip(), (purpose or "").strip()
    if not name:
        raise FundError("name", "请填写基金名称")
    if len(name) > 100:
        raise FundError("name", "基金名称不能超过100字")
    if founder_kind not in FounderKind.values:
        raise FundError("founder_kind", "请选择冠名方类型")
    if not founder_name or len(founder_name) > 100:
        raise FundError("founder_name", "请填写冠名方（不超过100字）")
    if kind not in FundKind.values:
        raise FundError("kind", "请选择基金类型")
    if not purpose or len(purpose) > 300:
        raise FundError("purpose", "请填写资助方向（不超过300字）")
    if agreement_signed_on > timezone.localdate():
        raise FundError("agreement_signed_on", "协议签订日期不能晚于今天")
    uscc = normalize_uscc(founder_uscc) if founder_uscc else ""
    if uscc and len(uscc) != 18:
        raise FundError("founder_uscc", "统一社会信用代码应为18位")
    defaults = default_commitments()
    values = {
        "minimum_fen": defaults.minimum_fen if minimum_fen is None else minimum_fen,
        "yearly_commitment_fen": defaults.yearly_commitment_fen
        if yearly_commitment_fen is None
        else yearly_commitment_fen,
        "commitment_years": defaults.commitment_years if commitment_years is None else commitment_years,
    }
    for field, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise FundError(field, "应为不小于0的整数")
    organisation = organisation or accounts.default_federation()
    if organisation is None:
        raise FundError("organisation", "请先登记慈善总会（组织类型“慈善总会”）")
    with _atomic():
        if NamedFund.objects.filter(name=name).exists():
            raise FundError("name", "已有同名冠名基金")
        fund = NamedFund.objects.create(
            name=name,
            founder_kind=founder_kind,
            founder_name=founder_name,
            founder_uscc=uscc,
            organisation=organisation,
            kind=kind,
            purpose=purpose,
            agreement_signed_on=agreement_signed_on,
            created_by=actor,
            **values,
        )
        _event(fund, FundEventKind.CREATED, actor, kind=kind, **values)
    return fund


def lock_fund(fund: NamedFund) -> NamedFund:
    return NamedFund.objects.select_for_update().get(pk=fund.pk)


def available_fen(fund: NamedFund) -> int:
    """What the fund may grant now: the balance of ``fund:<id>:available`` (read under the fund's lock)."""
    account = Account.objects.filter(code=f"fund:{fund.pk}:available").first()
    return account.balance_fen if account is not None else 0


def principal_fen(fund: NamedFund) -> int:
    account = Account.objects.filter(code=f"fund:{fund.pk}:principal").first()
    return account.balance_fen if account is not None else 0


def _contributed_fen(fund: NamedFund) -> int:
    return (
        FundContribution.objects.filter(fund=fund, status=ContributionStatus.LIVE)
        .exclude(source=ContributionSource.INCOME)
        .aggregate(s=Sum("amount_fen"))["s"]
        or 0
    )


def record_contribution(
    *,
    fund: NamedFund,
    amount_fen: int,
    to_principal: bool,
    source: str,
    debit_account: Account,
    idempotency_key: str,
    contributed_on: date,
    actor,
    reference: str = "",
    memo: str = "",
) -> FundContribution:
    """Post money into the fund (``debit_account`` Dr / the fund's principal or available Cr) and record it.

    For callers that already checked permissions (the offline app's confirmation, the services below);
    runs in the caller's transaction and takes the fund row lock. A spend-type fund keeps no principal;
    income never counts as principal. The fund becomes *active* when its live contributions (income
    aside) reach its minimum.
    """
    _check_fen(amount_fen)
    if source not in ContributionSource.values:
        raise FundError("source", "未知的注资来源")
    if to_principal and fund.kind != FundKind.KEEP_PRINCIPAL:
        raise FundError("to_principal", "动本冠名基金不设留本本金")
    if to_principal and source == ContributionSource.INCOME:
        raise FundError("to_principal", "收益不计入本金")
    kinds = {
        ContributionSource.OFFLINE_GIFT: EntryKind.GIFT,
        ContributionSource.TRANSFER: EntryKind.FUND_TRANSFER,
        ContributionSource.INCOME: EntryKind.FUND_INCOME,
    }
    with transaction.atomic():
        locked = lock_fund(fund)
        if locked.status == FundStatus.CLOSED:
            raise FundError("fund", "该冠名基金已终止")
        target = accounts.fund_principal_account(locked) if to_principal else accounts.fund_available_account(locked)
        entry = post_entry(
            kind=kinds[source],
            idempotency_key=idempotency_key,
            memo=memo or f"{ContributionSource(source).label} → 冠名基金 #{locked.pk}",
            occurred_at=noon(contributed_on),
            legs=[Leg(debit_account, amount_fen), Leg(target, -amount_fen)],
        )
        contribution = FundContribution.objects.create(
            fund=locked,
            amount_fen=amount_fen,
            to_principal=to_principal,
            source=source,
            reference=reference[:64],
            contributed_on=contributed_on,
            entry=entry,
            recorded_by=actor,
        )
        _event(
            locked,
            FundEventKind.INCOME if source == ContributionSource.INCOME else FundEventKind.CONTRIBUTED,
            actor,
            contribution=contribution.pk,
            amount_fen=amount_fen,
            to_principal=to_principal,
            source=source,
            reference=reference[:64],
        )
        if locked.status == FundStatus.PLEDGED and _contributed_fen(locked) >= locked.minimum_fen:
            NamedFund.objects.filter(pk=locked.pk, status=FundStatus.PLEDGED).update(
                status=FundStatus.ACTIVE, established_on=contributed_on
            )
            _event(locked, FundEventKind.ESTABLISHED, actor, established_on=contributed_on.isoformat())
    return contribution


def reverse_contribution(*, contribution: FundContribution, reason: str, actor, idempotency_key: str) -> JournalEntry:
    """Take a contribution back out of the fund (a voided offline gift): refused once it has been granted on.

    Runs in the caller's transaction under the fund row lock; the reversal mirrors the contribution's entry.
    """
    with transaction.atomic():
        locked = lock_fund(contribution.fund)
        current = FundContribution.objects.select_for_update().get(pk=contribution.pk)
        if current.status != ContributionStatus.LIVE:
            raise FundError("status", "该笔注资已冲回")
        balance = principal_fen(locked) if current.to_principal else available_fen(locked)
        if balance < current.amount_fen:
            raise FundError(
                "amount_fen",
                f"冠名基金余额不足以冲回（余额 {format_yuan(balance)}，本笔 {format_yuan(current.amount_fen)}）",
            )
        entry = reverse_entry(
            entry=current.entry,
            kind=EntryKind.GIFT_REVERSAL if current.source == ContributionSource.OFFLINE_GIFT else EntryKind.ADJUSTMENT,
            idempotency_key=idempotency_key,
            memo=f"冲回冠名基金 #{locked.pk} 注资（{reason[:60]}）",
            occurred_at=timezone.now(),
        )
        FundContribution.objects.filter(pk=current.pk).update(status=ContributionStatus.REVERSED)
        _event(locked, FundEventKind.CONTRIBUTION_REVERSED, actor, contribution=current.pk, reason=reason[:200])
    return entry


def transfer_to_fund(
    *, fund: NamedFund, amount_fen: int, actor, to_principal: bool = False, note: str = ""
) -> FundContribution:
    """Move unrestricted gifts of the fund's organisation into the fund; refused beyond that general fund."""
    _require(actor, CONTRIBUTE_PERMISSION, "没有录入冠名基金注资的权限")
    _check_fen(amount_fen)
    with _atomic():
        organisation = Organisation.objects.select_for_update().get(pk=fund.organisation_id)
        general = accounts.general_fund_account(organisation)
        balance = Account.objects.get(pk=general.pk).balance_fen
        if amount_fen > balance:
            raise FundError(
                "amount_fen",
                f"超出非限定性捐赠余额：余额 {format_yuan(balance)}，本次 {format_yuan(amount_fen)}",
            )
        return record_contribution(
            fund=fund,
            amount_fen=amount_fen,
            to_principal=to_principal,
            source=ContributionSource.TRANSFER,
            debit_account=general,
            idempotency_key=f"fund-transfer:{fund.pk}:{secrets.token_hex(8)}",
            contributed_on=timezone.localdate(),
            actor=actor,
            reference=(note or "")[:64],
            memo=f"非限定性捐赠划入冠名基金 #{fund.pk}",
        )


def record_fund_income(
    *, fund: NamedFund, amount_fen: int, received_on: date, actor, note: str = ""
) -> FundContribution:
    """Income earned on the fund's money (bank interest): bank Dr / the fund's available Cr."""
    _require(actor, CONTRIBUTE_PERMISSION, "没有录入冠名基金注资的权限")
    _check_fen(amount_fen)
    if received_on > timezone.localdate():
        raise FundError("received_on", "到账日期不能晚于今天")
    with _atomic():
        return record_contribution(
            fund=fund,
            amount_fen=amount_fen,
            to_principal=False,
            source=ContributionSource.INCOME,
            debit_account=accounts.bank_account(),
            idempotency_key=f"fund-income:{fund.pk}:{secrets.token_hex(8)}",
            contributed_on=received_on,
            actor=actor,
            reference=(note or "")[:64],
            memo=f"冠名基金 #{fund.pk} 收益",
        )


def propose_fund_grant(*, fund: NamedFund, project: Project, amount_fen: int, purpose: str, actor) -> FundGrant:
    """A project asks to draw on the fund; refused when the fund is not active or the amount is over what
    it has available now (an early warning: the approval checks again)."""
    _require(actor, PROPOSE_PERMISSION, "没有申请冠名基金拨款的权限")
    _check_fen(amount_fen)
    purpose = (purpose or "").strip()
    if not purpose or len(purpose) > 200:
        raise FundError("purpose", "请填写用途（不超过200字）")
    if project.status not in GRANTABLE_PROJECT_STATUSES:
        raise FundError("project", "只能拨付给已发布的项目")
    with _atomic():
        fund = NamedFund.objects.get(pk=fund.pk)
        if fund.status != FundStatus.ACTIVE:
            raise FundError("fund", f"冠名基金{fund.get_status_display()}，不能拨款")
        available = available_fen(fund)
        if amount_fen > available:
            raise FundError(
                "amount_fen", f"超出冠名基金可用余额：可用 {format_yuan(available)}，申请 {format_yuan(amount_fen)}"
            )
        grant = FundGrant.objects.create(
            fund=fund, project=project, amount_fen=amount_fen, purpose=purpose, proposed_by=actor
        )
        _event(fund, FundEventKind.GRANT_PROPOSED, actor, grant=grant.pk, project=project.pk, amount_fen=amount_fen)
    return grant


def approve_fund_grant(*, grant: FundGrant, approver, note: str = "") -> FundGrant:
    """A second person approves a proposed grant: post it (fund available Dr / project fund grants Cr).

    Refused for the proposer (also by the database), a grant already decided, a fund not active, or an
    amount over the fund's available balance at this moment; nothing is written then.
    """
    _require(approver, APPROVE_PERMISSION, "没有审批冠名基金拨款的权限")
    if has_nul(note):
        raise FundError("note", NUL_MESSAGE)
    with _atomic():
        current = FundGrant.objects.select_for_update().get(pk=grant.pk)
        if current.proposed_by_id == approver.pk:
            raise FundError("approver", "不能审批自己提出的拨款")
        if current.status != GrantStatus.PROPOSED:
            raise FundError("status", f"该拨款{current.get_status_display()}")
        fund = lock_fund(current.fund)
        if fund.status != FundStatus.ACTIVE:
            raise FundError("fund", f"冠名基金{fund.get_status_display()}，不能拨款")
        available = available_fen(fund)
        if current.amount_fen > available:
            raise FundError(
                "amount_fen",
                f"超出冠名基金可用余额：可用 {format_yuan(available)}，拨款 {format_yuan(current.amount_fen)}",
            )
        project = Project.objects.get(pk=current.project_id)
        entry = post_entry(
            kind=EntryKind.FUND_GRANT,
            idempotency_key=f"fund-grant:{current.pk}",
            memo=f"冠名基金 #{fund.pk} 拨付项目 #{project.pk}",
            occurred_at=timezone.now(),
            legs=[
                Leg(accounts.fund_available_account(fund), current.amount_fen),
                Leg(accounts.project_fund_grants_account(project), -current.amount_fen),
            ],
            project=project,
        )
        FundGrant.objects.filter(pk=current.pk, status=GrantStatus.PROPOSED).update(
            status=GrantStatus.POSTED,
            decided_by=approver,
            decided_at=timezone.now(),
            decision_note=(note or "")[:200],
            entry=entry,
        )
        _event(fund, FundEventKind.GRANT_POSTED, approver, grant=current.pk, entry=entry.pk)
    grant.refresh_from_db()
    return grant


def reject_fund_grant(*, grant: FundGrant, approver, reason: str) -> FundGrant:
    _require(approver, APPROVE_PERMISSION, "没有审批冠名基金拨款的权限")
    reason = (reason or "").strip()
    if not reason:
        raise FundError("reason", "请填写理由")
    if has_nul(reason):
        raise FundError("reason", NUL_MESSAGE)
    with _atomic():
        current = FundGrant.objects.select_for_update().get(pk=grant.pk)
        if current.status != GrantStatus.PROPOSED:
            raise FundError("status", f"该拨款{current.get_status_display()}")
        if current.proposed_by_id == approver.pk:
            raise FundError("approver", "不能审批自己提出的拨款")
        FundGrant.objects.filter(pk=current.pk).update(
            status=GrantStatus.REJECTED, decided_by=approver, decided_at=timezone.now(), decision_note=reason[:200]
        )
        _event(current.fund, FundEventKind.GRANT_REJECTED, approver, grant=current.pk, reason=reason[:200])
    grant.refresh_from_db()
    return grant
