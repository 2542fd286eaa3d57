"""The fund-flow trace of a gift, first in, first out, on a hand-computed case with matched funds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gongyi.giving.services import refund_gift
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.spending.selectors import accounts_for_project, fund_flow, gift_trace, project_allocation
from gongyi.spending.services import approve_expenditure, record_expenditure, reverse_expenditure
from gongyi.spending.tests.helpers import give, make_pool
from gongyi.testing import make_campaign, make_project

pytestmark = pytest.mark.django_db


def spend(project, clerk, approvers, fen: int, category: str, purpose: str):
    expenditure = record_expenditure(
        project=project,
        category=category,
        amount_fen=fen,
        payee="收款单位",
        purpose=purpose,
        spent_on=timezone.localdate() - timedelta(days=1),
        recorded_by=clerk,
    )
    approve_expenditure(expenditure=expenditure, approver=approvers[0])
    approve_expenditure(expenditure=expenditure, approver=approvers[1])
    expenditure.refresh_from_db()
    return expenditure


def summary(trace) -> list[tuple[str, int, int]]:
    return [(line.spend.expenditure.purpose, line.from_gift_fen, line.from_match_fen) for line in trace.lines]


@pytest.fixture
def case(clerk, approvers):
    """Gifts ¥100, ¥60, ¥40 each matched 50%; then spending ¥120, ¥70, ¥50 — in that order."""
    first = make_project(title="配捐方")
    campaign = make_campaign(first.organisation)
    make_pool(campaign, ratio_bp=5_000)
    project = make_project(title="先进先出", campaign=campaign)
    gifts = [give(project, fen, donor=f"d{fen}") for fen in (10_000, 6_000, 4_000)]
    assert [g.matched_fen for g in gifts] == [5_000, 3_000, 2_000]
    spends = [
        spend(project, clerk, approvers, 12_000, "materials", "e1 物资"),
        spend(project, clerk, approvers, 7_000, "services", "e2 服务"),
        spend(project, clerk, approvers, 5_000, "aid", "e3 救助"),
    ]
    return project, gifts, spends


def test_fifo_trace_exact_values(case):
    # Lots end to end: g1 [0,10000) m1 [10000,15000) g2 [15000,21000) m2 [21000,24000) g3 [24000,28000)
    # m3 [28000,30000); spending: e1 [0,12000) e2 [12000,19000) e3 [19000,24000).
    project, (g1, g2, g3), _ = case
    t1 = gift_trace(g1)
    assert summary(t1) == [("e1 物资", 10_000, 2_000), ("e2 服务", 0, 3_000)]
    assert (t1.gift_unspent_fen, t1.match_unspent_fen, t1.ahead_fen) == (0, 0, 0)
    t2 = gift_trace(g2)
    assert summary(t2) == [("e2 服务", 4_000, 0), ("e3 救助", 2_000, 3_000)]
    assert (t2.gift_unspent_fen, t2.match_unspent_fen, t2.ahead_fen) == (0, 0, 15_000)
    t3 = gift_trace(g3)
    assert summary(t3) == []
    assert (t3.gift_fen, t3.match_fen, t3.gift_unspent_fen, t3.match_unspent_fen) == (4_000, 2_000, 4_000, 2_000)
    assert (t3.ahead_fen, t3.project_spent_fen, t3.spent_before_reaching_fen) == (24_000, 24_000, 0)

    # The per-gift traces are exactly the project's whole allocation.
    whole = project_allocation(project)
    assert sum(a.fen for a in whole) == 24_000
    assert sum(t.gift_spent_fen + t.match_spent_fen for t in (t1, t2, t3)) == 24_000
    assert accounts_for_project(project).balance_fen == 6_000


def test_trace_page_and_api_show_the_same_numbers(case):
    _, (g1, g2, _), _ = case
    body = Client().get(f"/api/v1/accounts/gifts/{g2.certificate_no}").json()
    assert [(line["purpose"], line["from_gift_fen"], line["from_match_fen"]) for line in body["lines"]] == [
        ("e2 服务", 4_000, 0),
        ("e3 救助", 2_000, 3_000),
    ]
    assert (body["gift_fen"], body["match_fen"], body["gift_unspent_fen"], body["refunded"]) == (
        6_000,
        3_000,
        0,
        False,
    )
    html = Client().get(f"/accounts/gifts/{g2.certificate_no}/").content.decode()
    assert "您的捐款 <b>¥40.00</b>" in html and "配捐 <b>¥30.00</b>" in html
    assert Client().get(f"/accounts/gifts/?no={g1.certificate_no.lower()}").status_code == 302


def test_a_refund_after_spending_moves_the_spending_onto_later_money(case):
    project, (g1, g2, g3), _ = case
    refund_gift(gift=g1, reason="捐赠人申请退款")  # the gift and its match leave the queue
    g1.refresh_from_db()
    # Lots now: g2 [0,6000) m2 [6000,9000) g3 [9000,13000) m3 [13000,15000); spending still 24,000.
    assert gift_trace(g1).refunded and gift_trace(g1).lines == []
    assert summary(gift_trace(g2)) == [("e1 物资", 6_000, 3_000)]
    assert summary(gift_trace(g3)) == [("e1 物资", 3_000, 0), ("e2 服务", 1_000, 2_000)]
    figures = accounts_for_project(project)
    assert (figures.income_fen, figures.spent_fen, figures.balance_fen) == (15_000, 24_000, -9_000)
    flow = fund_flow(project, figures)
    assert {"source": "待补足（退款后超支）", "target": "项目资金", "value": 9_000} in flow["links"]
    assert find_ledger_problems() == []


def test_a_reversed_expenditure_leaves_the_queue(case, approvers):
    _, (g1, g2, g3), (_, e2, _) = case
    reverse_expenditure(expenditure=e2, actor=approvers[2], reason="登记错误")
    # Spending now: e1 [0,12000) e3 [12000,17000).
    assert summary(gift_trace(g1)) == [("e1 物资", 10_000, 2_000), ("e3 救助", 0, 3_000)]
    assert summary(gift_trace(g2)) == [("e3 救助", 2_000, 0)]
    assert summary(gift_trace(g3)) == []
