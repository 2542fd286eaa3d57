"""Approvals of grants racing for one fund never overdraw it (real transactions, threads)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from gongyi.funds.models import FundGrant, FundKind, GrantStatus
from gongyi.funds.services import FundError, approve_fund_grant, create_named_fund, propose_fund_grant
from gongyi.ledger.models import Account
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.offline.tests.helpers import FUND_APPROVER, confirmed_transfer
from gongyi.spending.tests.helpers import make_user
from gongyi.testing import make_project

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.race]


def run_together(calls):
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        try:
            return call()
        except FundError as exc:
            return exc.field
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.mark.parametrize("round_", range(3))
def test_eight_grants_for_five_places_post_five(federation, offline_staff, fund_staff, django_user_model, round_):
    enter, check = offline_staff
    clerk, _ = fund_staff
    approvers = [make_user(django_user_model, f"approver{round_}_{i}", *FUND_APPROVER) for i in range(8)]
    fund = create_named_fund(
        name=f"并发基金{round_}",
        founder_kind="organisation",
        founder_name="某公司",
        kind=FundKind.SPEND,
        purpose="助学",
        agreement_signed_on=timezone.localdate(),
        minimum_fen=0,
        actor=clerk,
    )
    confirmed_transfer(enter, check, fen=50_000_00, fund=fund)
    project = make_project(title=f"并发拨款 {round_}")
    grants = [
        propose_fund_grant(fund=fund, project=project, amount_fen=10_000_00, purpose=f"第{i}笔", actor=clerk)
        for i in range(8)
    ]

    outcomes = run_together(
        [lambda g=g, a=a: approve_fund_grant(grant=g, approver=a) for g, a in zip(grants, approvers, strict=True)]
    )

    assert sorted(o for o in outcomes if isinstance(o, str)) == ["amount_fen"] * 3
    assert FundGrant.objects.filter(fund=fund, status=GrantStatus.POSTED).count() == 5
    assert Account.objects.get(code=f"fund:{fund.pk}:available").balance_fen == 0
    assert Account.objects.get(code=f"project:{project.pk}:fund_grants").balance_fen == 50_000_00
    assert find_ledger_problems() == []
