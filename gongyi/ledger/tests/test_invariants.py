"""The database itself refuses unbalanced, edited or deleted ledger records."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from gongyi.ledger.models import AccountKind, JournalEntry, JournalLine
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.ledger.services import Leg, UnbalancedEntry, get_account, post_entry, reverse_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts():
    return (
        get_account(code="clearing:test", name="clearing", kind=AccountKind.PROVIDER_CLEARING),
        get_account(code="fund:test", name="fund", kind=AccountKind.PROJECT_DONATIONS),
    )


def post(accounts, amount=500, key="k1"):
    clearing, fund = accounts
    return post_entry(
        kind="gift",
        idempotency_key=key,
        memo="test",
        occurred_at=timezone.now(),
        legs=[Leg(clearing, amount), Leg(fund, -amount)],
    )


def test_posting_moves_balances(accounts):
    post(accounts)
    clearing, fund = (a.__class__.objects.get(pk=a.pk) for a in accounts)
    assert (clearing.debits_fen, clearing.credits_fen, clearing.balance_fen) == (500, 0, 500)
    assert (fund.debits_fen, fund.credits_fen, fund.balance_fen) == (0, 500, 500)
    assert find_ledger_problems() == []


def test_service_refuses_unbalanced_legs(accounts):
    clearing, fund = accounts
    with pytest.raises(UnbalancedEntry):
        post_entry(
            kind="gift",
            idempotency_key="bad",
            memo="x",
            occurred_at=timezone.now(),
            legs=[Leg(clearing, 500), Leg(fund, -499)],
        )
    assert JournalEntry.objects.count() == 0


def test_database_refuses_to_post_an_unbalanced_entry(accounts):
    clearing, fund = accounts
    with pytest.raises(DatabaseError, match="ledger"), transaction.atomic():
        entry = JournalEntry.objects.create(
            kind="gift", idempotency_key="raw", memo="x", occurred_at=timezone.now()
        )
        JournalLine.objects.create(entry=entry, account=clearing, amount_fen=500)
        JournalLine.objects.create(entry=entry, account=fund, amount_fen=-400)
        JournalEntry.objects.filter(pk=entry.pk).update(is_posted=True)
    assert JournalEntry.objects.count() == 0


def test_database_refuses_to_post_an_entry_without_lines(accounts):
    with pytest.raises(DatabaseError, match="ledger"), transaction.atomic():
        entry = JournalEntry.objects.create(
            kind="gift", idempotency_key="one", memo="x", occurred_at=timezone.now()
        )
        JournalEntry.objects.filter(pk=entry.pk).update(is_posted=True)


def test_database_refuses_edits_and_deletes_of_posted_records(accounts):
    entry = post(accounts)
    line = entry.lines.first()
    for attempt in (
        lambda: JournalLine.objects.filter(pk=line.pk).update(amount_fen=999),
        lambda: JournalLine.objects.filter(pk=line.pk).delete(),
        lambda: JournalEntry.objects.filter(pk=entry.pk).update(memo="rewritten"),
        lambda: JournalEntry.objects.filter(pk=entry.pk).delete(),
        lambda: JournalLine.objects.create(entry=entry, account=line.account, amount_fen=1),
    ):
        with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
            attempt()
    assert sorted(entry.lines.values_list("amount_fen", flat=True)) == [-500, 500]
    assert JournalEntry.objects.get(pk=entry.pk).memo == "test"


def test_reversal_mirrors_and_only_once(accounts):
    entry = post(accounts)
    reversal = reverse_entry(
        entry=entry, kind="gift_reversal", idempotency_key="rev1", memo="refund", occurred_at=timezone.now()
    )
    assert sorted(reversal.lines.values_list("amount_fen", flat=True)) == [-500, 500]
    clearing, fund = (a.__class__.objects.get(pk=a.pk) for a in accounts)
    assert clearing.balance_fen == fund.balance_fen == 0
    with pytest.raises(IntegrityError), transaction.atomic():
        reverse_entry(
            entry=entry,
            kind="gift_reversal",
            idempotency_key="rev2",
            memo="again",
            occurred_at=timezone.now(),
        )
    assert find_ledger_problems() == []


def test_idempotency_key_is_unique(accounts):
    post(accounts, key="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        post(accounts, key="same")
