"""Writes to the ledger: posting balanced entries and reversing them. Nothing else edits the ledger."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gongyi.ledger.models import Account, AccountKind, EntryKind, JournalEntry, JournalLine
from gongyi.ledger.translog.live import append_entry_leaf


class UnbalancedEntry(ValueError):
    """Lines that do not sum to zero, or fewer than two of them."""


@dataclass(frozen=True)
class Leg:
    account: Account
    amount_fen: int  # positive debit, negative credit


def get_account(*, code: str, name: str, kind: str, project=None) -> Account:
    """Return the account with this code, creating it on first use (safe under concurrency)."""
    account, _ = Account.objects.get_or_create(
        code=code, defaults={"name": name, "kind": kind, "project": project}
    )
    return account


def provider_clearing_account(provider: str) -> Account:
    return get_account(
        code=f"clearing:{provider}", name=f"{provider} 待清算", kind=AccountKind.PROVIDER_CLEARING
    )


def project_account(project, kind: str) -> Account:
    labels = {
        AccountKind.PROJECT_DONATIONS: "公众捐赠",
        AccountKind.PROJECT_MATCHING: "配捐",
        AccountKind.PROJECT_INCENTIVES: "激励",
    }
    return get_account(
        code=f"project:{project.pk}:{kind}",
        name=f"{project.title} · {labels[kind]}",
        kind=kind,
        project=project,
    )


def post_entry(
    *,
    kind: str,
    idempotency_key: str,
    memo: str,
    occurred_at: datetime,
    legs: Sequence[Leg],
    gift=None,
    project=None,
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Post one balanced entry and move its accounts' totals, all in the caller's transaction.

    Raises UnbalancedEntry before touching the database when the legs do not balance; the database
    triggers refuse the same thing if this check is ever bypassed.
    """
    if kind not in EntryKind.values:
        raise ValueError(f"unknown entry kind {kind!r}")
    if len(legs) < 2 or sum(leg.amount_fen for leg in legs) != 0 or any(leg.amount_fen == 0 for leg in legs):
        raise UnbalancedEntry(f"entry {idempotency_key} does not balance")
    with transaction.atomic():
        entry = JournalEntry.objects.create(
            kind=kind,
            idempotency_key=idempotency_key,
            memo=memo[:200],
            occurred_at=occurred_at,
            gift=gift,
            project=project,
            reverses=reverses,
        )
        JournalLine.objects.bulk_create(
            [JournalLine(entry=entry, account=leg.account, amount_fen=leg.amount_fen) for leg in legs]
        )
        JournalEntry.objects.filter(pk=entry.pk).update(is_posted=True, posted_at=timezone.now())
        entry.is_posted = True
        _move_account_totals(legs)
        append_entry_leaf(entry=entry, legs=legs)
    return entry


def reverse_entry(
    *, entry: JournalEntry, kind: str, idempotency_key: str, memo: str, occurred_at: datetime
) -> JournalEntry:
    """Post the mirror image of a posted entry; an entry can be reversed once (unique ``reverses``)."""
    legs = [Leg(line.account, -line.amount_fen) for line in entry.lines.select_related("account")]
    return post_entry(
        kind=kind,
        idempotency_key=idempotency_key,
        memo=memo,
        occurred_at=occurred_at,
        legs=legs,
        gift=entry.gift,
        project=entry.project,
        reverses=entry,
    )


def _move_account_totals(legs: Sequence[Leg]) -> None:
    debits: dict[int, int] = defaultdict(int)
    credits: dict[int, int] = defaultdict(int)
    for leg in legs:
        if leg.amount_fen > 0:
            debits[leg.account.pk] += leg.amount_fen
        else:
            credits[leg.account.pk] -= leg.amount_fen
    # Ascending primary key: the one lock order for account rows (see docs/architecture.md).
    for account_id in sorted(set(debits) | set(credits)):
        Account.objects.filter(pk=account_id).update(
            debits_fen=F("debits_fen") + debits.get(account_id, 0),
            credits_fen=F("credits_fen") + credits.get(account_id, 0),
        )
