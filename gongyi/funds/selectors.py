"""Reads for named funds: the statement (every movement from the ledger), lists, project grant figures.

A fund's balance is never counted separately: the statement walks the posted lines of its two accounts
in posting order, and its closing balances equal those accounts' balances (a test holds it to that).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Sum

from gongyi.funds.models import (
    ContributionSource,
    ContributionStatus,
    FundContribution,
    FundGrant,
    FundStatus,
    GrantStatus,
    NamedFund,
)
from gongyi.ledger.models import Account, AccountKind, EntryKind, JournalLine

ENTRY_LABELS = {
    EntryKind.GIFT: "捐赠注资",
    EntryKind.GIFT_REVERSAL: "注资冲回",
    EntryKind.FUND_TRANSFER: "非限定性捐赠划入",
    EntryKind.FUND_INCOME: "本金收益",
    EntryKind.FUND_GRANT: "拨付项目",
    EntryKind.ADJUSTMENT: "调整",
}


def fund_account_codes(fund_id: int) -> tuple[str, str]:
    return f"fund:{fund_id}:principal", f"fund:{fund_id}:available"


@dataclass(frozen=True)
class StatementLine:
    """One posted entry touching the fund, in posting order, with the running balances after it."""

    entry_id: int
    occurred_at: datetime
    kind: str
    label: str
    principal_fen: int  # signed change of the principal (+ in)
    available_fen: int  # signed change of what is available (+ in)
    principal_balance_fen: int
    available_balance_fen: int
    project_id: int | None = None
    project_title: str = ""
    reference: str = ""
    reverses_id: int | None = None

    @property
    def change_fen(self) -> int:
        return self.principal_fen + self.available_fen

    @property
    def balance_fen(self) -> int:
        return self.principal_balance_fen + self.available_balance_fen


@dataclass(frozen=True)
class CommitmentYear:
    label: str
    starts_on: date
    ends_on: date  # exclusive
    committed_fen: int
    contributed_fen: int

    @property
    def shortfall_fen(self) -> int:
        return max(0, self.committed_fen - self.contributed_fen)


@dataclass(frozen=True)
class FundStatement:
    fund: NamedFund
    lines: list[StatementLine]
    ledger_principal_fen: int  # the accounts' balances as the ledger holds them
    ledger_available_fen: int
    commitments: list[CommitmentYear] = field(default_factory=list)

    @property
    def principal_fen(self) -> int:
        return self.lines[-1].principal_balance_fen if self.lines else 0

    @property
    def available_fen(self) -> int:
        return self.lines[-1].available_balance_fen if self.lines else 0

    @property
    def balance_fen(self) -> int:
        return self.principal_fen + self.available_fen

    @property
    def contributed_fen(self) -> int:
        return sum(
            line.change_fen
            for line in self.lines
            if line.kind in (EntryKind.GIFT, EntryKind.GIFT_REVERSAL, EntryKind.FUND_TRANSFER)
        )

    @property
    def income_fen(self) -> int:
        return sum(line.change_fen for line in self.lines if line.kind == EntryKind.FUND_INCOME)

    @property
    def granted_fen(self) -> int:
        return -sum(line.change_fen for line in self.lines if line.kind == EntryKind.FUND_GRANT)

    @property
    def agrees_with_ledger(self) -> bool:
        return (self.principal_fen, self.available_fen) == (self.ledger_principal_fen, self.ledger_available_fen)


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def commitment_years(fund: NamedFund) -> list[CommitmentYear]:
    """The initial fund due in the agreement's first year, then the yearly commitment for each following year.

    Year k covers [signed + k years, signed + k+1 years); contributed = live contributions (income aside)
    received in it.
    """
    contributions = list(
        FundContribution.objects.filter(fund=fund, status=ContributionStatus.LIVE)
        .exclude(source=ContributionSource.INCOME)
        .values_list("contributed_on", "amount_fen")
    )
    rows = []
    for k in range(fund.commitment_years + 1):
        starts, ends = add_years(fund.agreement_signed_on, k), add_years(fund.agreement_signed_on, k + 1)
        rows.append(
            CommitmentYear(
                label="设立年度（起设金额）" if k == 0 else f"第{k + 1}年度",
                starts_on=starts,
                ends_on=ends,
                committed_fen=fund.minimum_fen if k == 0 else fund.yearly_commitment_fen,
                contributed_fen=sum(fen for on, fen in contributions if starts <= on < ends),
            )
        )
    return rows


def fund_statement(fund: NamedFund) -> FundStatement:
    """Every movement of the fund straight from the ledger, with running balances (three queries)."""
    principal_code, available_code = fund_account_codes(fund.pk)
    lines = (
        JournalLine.objects.filter(account__code__in=[principal_code, available_code], entry__is_posted=True)
        .select_related("entry", "entry__project", "account")
        .order_by("entry_id", "id")
    )
    per_entry: dict[int, dict] = {}
    for line in lines:
        row = per_entry.setdefault(line.entry_id, {"entry": line.entry, "principal": 0, "available": 0})
        # Both accounts are credit-normal: a credit (negative line) adds to the fund.
        row["principal" if line.account.code == principal_code else "available"] -= line.amount_fen
    references = dict(FundContribution.objects.filter(fund=fund).values_list("entry_id", "reference"))
    result: list[StatementLine] = []
    principal = available = 0
    for entry_id, row in per_entry.items():
        entry = row["entry"]
        principal += row["principal"]
        available += row["available"]
        result.append(
            StatementLine(
                entry_id=entry_id,
                occurred_at=entry.occurred_at,
                kind=entry.kind,
                label=ENTRY_LABELS.get(entry.kind, entry.get_kind_display()),
                principal_fen=row["principal"],
                available_fen=row["available"],
                principal_balance_fen=principal,
                available_balance_fen=available,
                project_id=entry.project_id,
                project_title=entry.project.title if entry.project_id else "",
                reference=references.get(entry_id) or references.get(entry.reverses_id, ""),
                reverses_id=entry.reverses_id,
            )
        )
    balances = {
        code: (debits, credits)
        for code, debits, credits in Account.objects.filter(code__in=[principal_code, available_code]).values_list(
            "code", "debits_fen", "credits_fen"
        )
    }

    def ledger(code: str) -> int:
        debits, credits = balances.get(code, (0, 0))
        return credits - debits

    return FundStatement(
        fund=fund,
        lines=result,
        ledger_principal_fen=ledger(principal_code),
        ledger_available_fen=ledger(available_code),
        commitments=commitment_years(fund),
    )


@dataclass(frozen=True)
class FundSummary:
    fund: NamedFund
    principal_fen: int
    available_fen: int
    granted_fen: int

    @property
    def balance_fen(self) -> int:
        return self.principal_fen + self.available_fen


def fund_summaries(funds: Iterable[NamedFund]) -> list[FundSummary]:
    """Each fund's balances from its two accounts, and what it granted (posted grants), in two queries."""
    funds = list(funds)
    codes = [code for fund in funds for code in fund_account_codes(fund.pk)]
    balances = {
        code: credits - debits
        for code, debits, credits in Account.objects.filter(code__in=codes).values_list(
            "code", "debits_fen", "credits_fen"
        )
    }
    granted = dict(
        FundGrant.objects.filter(fund__in=funds, status=GrantStatus.POSTED)
        .values("fund_id")
        .annotate(total=Sum("amount_fen"))
        .values_list("fund_id", "total")
    )
    summaries = []
    for fund in funds:
        principal_code, available_code = fund_account_codes(fund.pk)
        summaries.append(
            FundSummary(
                fund=fund,
                principal_fen=balances.get(principal_code, 0),
                available_fen=balances.get(available_code, 0),
                granted_fen=granted.get(fund.pk, 0),
            )
        )
    return summaries


def public_funds():
    """Every fund, pledged, active or closed: a fund's existence and its money are public."""
    return NamedFund.objects.select_related("organisation").order_by("id")


def organisation_fund_summaries(organisation) -> list[FundSummary]:
    return fund_summaries(public_funds().filter(organisation=organisation).exclude(status=FundStatus.CLOSED))


def fund_grants_for_projects(project_ids: Iterable[int]) -> dict[int, int]:
    """Each project's income from named funds: the balance of ``project:<id>:fund_grants`` (one query)."""
    ids = list(project_ids)
    result: dict[int, int] = defaultdict(int)
    for project_id, debits, credits in Account.objects.filter(
        project_id__in=ids, kind=AccountKind.PROJECT_FUND_GRANTS
    ).values_list("project_id", "debits_fen", "credits_fen"):
        result[project_id] += credits - debits
    return {pid: result.get(pid, 0) for pid in ids}


def project_grants(project) -> list[FundGrant]:
    """Posted grants to a project, newest first, with their funds."""
    return list(
        FundGrant.objects.filter(project=project, status=GrantStatus.POSTED)
        .select_related("fund")
        .order_by("-decided_at", "-id")
    )
