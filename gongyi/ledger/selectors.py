"""Reads of the ledger: balances from lines, checks that every invariant holds."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from gongyi.ledger.models import Account, AccountKind, JournalEntry, JournalLine


@dataclass(frozen=True)
class LedgerProblem:
    what: str
    detail: str


def project_totals(project) -> dict[str, int]:
    """Raised, matched and incentive fen of a project, read from its ledger accounts."""
    totals = {"raised_fen": 0, "matched_fen": 0, "incentive_fen": 0}
    names = {
        AccountKind.PROJECT_DONATIONS: "raised_fen",
        AccountKind.PROJECT_MATCHING: "matched_fen",
        AccountKind.PROJECT_INCENTIVES: "incentive_fen",
    }
    for account in Account.objects.filter(project=project, kind__in=list(names)):
        totals[names[account.kind]] = account.balance_fen
    return totals


def totals_by_project(project_ids) -> dict[int, dict[str, int]]:
    """The same as project_totals for many projects in one query."""
    result = {pid: {"raised_fen": 0, "matched_fen": 0, "incentive_fen": 0} for pid in project_ids}
    names = {
        AccountKind.PROJECT_DONATIONS: "raised_fen",
        AccountKind.PROJECT_MATCHING: "matched_fen",
        AccountKind.PROJECT_INCENTIVES: "incentive_fen",
    }
    for account in Account.objects.filter(project_id__in=list(project_ids), kind__in=list(names)):
        result[account.project_id][names[account.kind]] = account.balance_fen
    return result


def account_balance_from_lines(account: Account) -> int:
    raw = (
        JournalLine.objects.filter(account=account, entry__is_posted=True).aggregate(s=Sum("amount_fen"))["s"]
        or 0
    )
    return raw


def find_ledger_problems() -> list[LedgerProblem]:
    """Every entry balanced and posted, every account's totals equal to the sum of its lines."""
    problems: list[LedgerProblem] = []
    unbalanced = (
        JournalEntry.objects.annotate(total=Sum("lines__amount_fen"), n=Count("lines"))
        .filter(Q(total__isnull=True) | ~Q(total=0) | Q(n__lt=2) | Q(is_posted=False))
        .values_list("pk", "total", "n", "is_posted")
    )
    for pk, total, n, posted in unbalanced:
        problems.append(LedgerProblem("entry", f"entry {pk}: sum={total} lines={n} posted={posted}"))
    sums = {
        row["account_id"]: row
        for row in JournalLine.objects.filter(entry__is_posted=True)
        .values("account_id")
        .annotate(
            debits=Sum("amount_fen", filter=Q(amount_fen__gt=0)),
            credits=Sum("amount_fen", filter=Q(amount_fen__lt=0)),
        )
    }
    for account in Account.objects.all():
        row = sums.get(account.pk, {})
        debits = row.get("debits") or 0
        credits = -(row.get("credits") or 0)
        if (debits, credits) != (account.debits_fen, account.credits_fen):
            problems.append(
                LedgerProblem(
                    "account",
                    f"{account.code}: stored {account.debits_fen}/{account.credits_fen}, lines {debits}/{credits}",
                )
            )
    return problems
