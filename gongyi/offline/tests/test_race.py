"""Checkers confirming the same offline gift at the same moment post it once (real transactions, threads)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from gongyi.giving.models import Gift
from gongyi.ledger.models import EntryKind, JournalEntry
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.offline.models import OfflineGift, Status
from gongyi.offline.services import OfflineError, confirm_offline_gift
from gongyi.offline.tests.helpers import CHECK, enter_transfer
from gongyi.projects.models import Project
from gongyi.spending.selectors import accounts_for_project
from gongyi.spending.tests.helpers import make_user
from gongyi.testing import make_project

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.race]


def run_together(calls):
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        try:
            return call()
        except OfflineError as exc:
            return exc.field
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.mark.parametrize("round_", range(3))
def test_four_checkers_at_once_post_one_gift(federation, offline_staff, django_user_model, round_):
    clerk, _ = offline_staff
    checkers = [make_user(django_user_model, f"checker{round_}_{i}", *CHECK) for i in range(4)]
    project = make_project(title=f"并发复核 {round_}")
    gift = enter_transfer(clerk, fen=8_888_00, project=project)

    outcomes = run_together([lambda c=c: confirm_offline_gift(gift=gift, checker=c) for c in checkers])

    assert sorted(o for o in outcomes if isinstance(o, str)) == ["status"] * 3
    assert OfflineGift.objects.get(pk=gift.pk).status == Status.CONFIRMED
    assert Gift.objects.filter(project=project).count() == 1
    assert JournalEntry.objects.filter(kind=EntryKind.SETTLEMENT, project=project).count() == 1
    assert accounts_for_project(project).raised_fen == 8_888_00
    assert Project.objects.get(pk=project.pk).gifts_count == 1
    assert find_ledger_problems() == []
