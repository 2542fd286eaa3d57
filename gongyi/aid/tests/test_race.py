"""Concurrent disbursements (real transactions, threads released together): never more than approved for a
case, never more than the project's balance, every entry balanced."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from gongyi.aid import services
from gongyi.aid.models import AidCase, CaseStatus, Disbursement
from gongyi.aid.tests.fixtures import approve_all, fund, ready_case
from gongyi.core.checkdigits import id_check_char
from gongyi.ledger.models import EntryKind, JournalEntry
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.spending.selectors import accounts_for_project

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.race]


def run_together(calls):
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        try:
            return call()
        except services.AidError as exc:
            return exc.field
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def approved_case(network, index: int):
    first17 = f"42070319750101{index:03d}"
    case = ready_case(
        network,
        id_number=first17 + id_check_char(first17),
        name=f"并发{index}",
        invoice_numbers=(f"R{index}1", f"R{index}2"),
    )
    case = approve_all(
        network,
        services.submit_case(actor=network.users["village"], case=case),
        today=timezone.localdate() - timedelta(days=10),
    )
    services.complete_due_notices()
    return AidCase.objects.get(pk=case.pk)


def pay(network, case, fen):
    return lambda: services.disburse(
        actor=network.users["federation"], case=case, amount_fen=fen, method="hospital", hospital_name="鄂州市中心医院"
    )


def test_eight_payments_of_a_quarter_pay_exactly_the_approved_amount(network):
    fund(network.project, 100_000 * 100)
    case = approved_case(network, 1)
    quarter = case.approved_fen // 4
    outcomes = run_together([pay(network, case, quarter) for _ in range(8)])
    assert sum(isinstance(o, Disbursement) for o in outcomes) == 4
    # The late ones are refused: over the unpaid amount, or the case is already fully paid.
    assert all(o in ("amount_fen", "status") for o in outcomes if isinstance(o, str))
    case.refresh_from_db()
    assert case.disbursed_fen == case.approved_fen and case.status == CaseStatus.DISBURSED
    assert JournalEntry.objects.filter(kind=EntryKind.DISBURSEMENT).count() == 4
    assert find_ledger_problems() == []


def test_cases_racing_for_a_small_project_never_overspend_it(network):
    fund(network.project, 30_000 * 100)  # ¥30,000 against two cases of ¥17,500 each
    cases = [approved_case(network, 2), approved_case(network, 3)]
    outcomes = run_together([pay(network, c, c.approved_fen) for c in cases for _ in range(2)])
    paid = [o for o in outcomes if isinstance(o, Disbursement)]
    assert len(paid) == 1 and sum(p.amount_fen for p in paid) <= 30_000 * 100
    figures = accounts_for_project(network.project)
    assert figures.balance_fen >= 0 and figures.spent_fen == 17_500 * 100
    assert find_ledger_problems() == []
