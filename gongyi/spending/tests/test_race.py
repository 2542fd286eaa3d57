"""Concurrent approvals post exactly once, and concurrent last approvals never overspend (real transactions)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from gongyi.ledger.models import EntryKind, JournalEntry
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.spending.models import Expenditure, ExpenditureApproval, ExpenditureStatus
from gongyi.spending.selectors import accounts_for_project
from gongyi.spending.services import SpendingError, approve_expenditure, record_expenditure
from gongyi.spending.tests.helpers import give
from gongyi.testing import make_project

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.race]


def record(project, clerk, fen: int) -> Expenditure:
    return record_expenditure(
        project=project,
        category="materials",
        amount_fen=fen,
        payee="供应商",
        purpose="采购",
        spent_on=timezone.localdate() - timedelta(days=1),
        recorded_by=clerk,
    )


def run_together(calls):
    """Run the calls in threads released at the same moment; return each one's outcome or refusal field."""
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        try:
            return call()
        except SpendingError as exc:
            return exc.field
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.mark.parametrize("round_", range(3))
def test_two_approvers_at_the_same_moment_post_once(clerk, approvers, round_):
    project = make_project(title=f"并发审批 {round_}")
    give(project, 10_000)
    expenditure = record(project, clerk, 4_000)
    outcomes = run_together(
        [lambda a=a: approve_expenditure(expenditure=expenditure, approver=a) for a in approvers[:2]]
    )
    assert sorted(o.posted for o in outcomes) == [False, True]
    assert sorted(o.approvals for o in outcomes) == [1, 2]
    assert JournalEntry.objects.filter(kind=EntryKind.EXPENDITURE).count() == 1
    assert Expenditure.objects.get(pk=expenditure.pk).status == ExpenditureStatus.POSTED
    assert accounts_for_project(project).spent_fen == 4_000
    assert find_ledger_problems() == []


def test_four_approvers_for_two_places_two_approve_and_one_entry(clerk, approvers):
    project = make_project(title="四人抢审")
    give(project, 10_000)
    expenditure = record(project, clerk, 4_000)
    outcomes = run_together([lambda a=a: approve_expenditure(expenditure=expenditure, approver=a) for a in approvers])
    posted = [o for o in outcomes if not isinstance(o, str)]
    assert len(posted) == 2 and sum(o.posted for o in posted) == 1
    assert sorted(o for o in outcomes if isinstance(o, str)) == ["status", "status"]
    assert ExpenditureApproval.objects.filter(expenditure=expenditure).count() == 2
    assert JournalEntry.objects.filter(kind=EntryKind.EXPENDITURE).count() == 1


def test_concurrent_last_approvals_never_overspend(clerk, approvers):
    project = make_project(title="并发超支")
    give(project, 10_000)
    pending = [record(project, clerk, 3_000) for _ in range(6)]  # 18,000 wanted of 10,000
    for expenditure in pending:
        approve_expenditure(expenditure=expenditure, approver=approvers[0])
    outcomes = run_together([lambda e=e: approve_expenditure(expenditure=e, approver=approvers[1]) for e in pending])
    assert sum(1 for o in outcomes if not isinstance(o, str) and o.posted) == 3
    assert sorted(o for o in outcomes if isinstance(o, str)) == ["amount_fen"] * 3
    figures = accounts_for_project(project)
    assert (figures.spent_fen, figures.balance_fen) == (9_000, 1_000)
    assert JournalEntry.objects.filter(kind=EntryKind.EXPENDITURE).count() == 3
    assert find_ledger_problems() == []
