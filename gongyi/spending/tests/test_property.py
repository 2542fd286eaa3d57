"""Property: after any sequence of gifts, refunds, spending and reversals, the accounts page and API show
exactly the ledger, to the fen, and the FIFO allocation accounts for every fen spent."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gongyi.core.money import format_yuan
from gongyi.giving.models import Gift, GiftStatus
from gongyi.giving.services import refund_gift
from gongyi.ledger.models import AccountKind, JournalLine
from gongyi.ledger.selectors import find_ledger_problems, project_totals
from gongyi.spending.models import Category, Expenditure, ExpenditureStatus
from gongyi.spending.selectors import (
    INCOME_KINDS,
    _standing,
    accounts_for_project,
    gift_trace,
    project_allocation,
    project_lots,
)
from gongyi.spending.services import SpendingError, approve_expenditure, record_expenditure, reverse_expenditure
from gongyi.spending.tests.helpers import give, make_pool, make_unit
from gongyi.testing import make_campaign, make_project

pytestmark = pytest.mark.django_db

operations = st.lists(
    st.one_of(
        st.tuples(st.just("gift"), st.integers(100, 50_000), st.booleans()),
        st.tuples(st.just("refund"), st.integers(0, 30)),
        # spend a share (in %) of the balance at that moment: over 100 must be refused
        st.tuples(st.just("spend"), st.integers(1, 120), st.sampled_from(Category.values)),
        st.tuples(st.just("reverse"), st.integers(0, 30)),
    ),
    min_size=1,
    max_size=14,
)


def ledger_sum(project, kind: str) -> int:
    """The sum of the posted lines on the project's accounts of one kind, in the account's normal direction."""
    raw = (
        JournalLine.objects.filter(account__project=project, account__kind=kind, entry__is_posted=True).aggregate(
            s=Sum("amount_fen")
        )["s"]
        or 0
    )
    return raw if kind == AccountKind.PROJECT_SPENDING else -raw


def shown(html: str, element: str) -> str:
    match = re.search(rf'id="{element}">([^<]*)<', html)
    return match.group(1) if match else ""


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations, ratio_bp=st.sampled_from([None, 3_333, 10_000]))
def test_accounts_equal_the_ledger_after_any_sequence(clerk, approvers, ops, ratio_bp):
    with transaction.atomic():
        host = make_project(title="host")
        campaign = make_campaign(host.organisation)
        if ratio_bp:
            make_pool(campaign, ratio_bp=ratio_bp, total_fen=200_000)
        project = make_project(title="性质测试", campaign=campaign)
        unit = make_unit()
        gifts: list[Gift] = []
        posted: list[Expenditure] = []
        for op in ops:
            if op[0] == "gift":
                gifts.append(give(project, op[1], donor=f"d{len(gifts) % 3}", unit_code=unit.code if op[2] else ""))
            elif op[0] == "refund" and gifts:
                gift = gifts[op[1] % len(gifts)]
                if Gift.objects.get(pk=gift.pk).status == GiftStatus.CONFIRMED:
                    refund_gift(gift=gift, reason="测试退款")
            elif op[0] == "spend":
                balance = accounts_for_project(project).balance_fen
                amount = max(1, balance * op[1] // 100)
                try:
                    expenditure = record_expenditure(
                        project=project,
                        category=op[2],
                        amount_fen=amount,
                        payee="收款方",
                        purpose="性质测试支出",
                        spent_on=timezone.localdate() - timedelta(days=1),
                        recorded_by=clerk,
                    )
                    approve_expenditure(expenditure=expenditure, approver=approvers[0])
                    approve_expenditure(expenditure=expenditure, approver=approvers[1])
                except SpendingError as exc:
                    assert exc.field == "amount_fen" and amount > balance
                else:
                    assert amount <= balance
                    posted.append(expenditure)
            elif op[0] == "reverse" and posted:
                expenditure = Expenditure.objects.get(pk=posted[op[1] % len(posted)].pk)
                if expenditure.status == ExpenditureStatus.POSTED:
                    reverse_expenditure(expenditure=expenditure, actor=approvers[2], reason="测试冲回")

        figures = accounts_for_project(project)
        event(f"spent: {figures.spent_fen > 0}")
        event(f"refunded: {Gift.objects.filter(status='refunded').exists()}")
        event(f"reversed: {Expenditure.objects.filter(status='reversed').exists()}")
        event(f"negative balance: {figures.balance_fen < 0}")
        confirmed = Gift.objects.filter(project=project, status=GiftStatus.CONFIRMED)
        counted = Expenditure.objects.filter(project=project, status=ExpenditureStatus.POSTED)
        # The figures are the ledger: account balances, the sums of the lines, and the domain rows agree.
        assert figures.raised_fen == project_totals(project)["raised_fen"] == ledger_sum(project, "project_donations")
        assert figures.raised_fen == (confirmed.aggregate(s=Sum("amount_fen"))["s"] or 0)
        assert figures.unit_fen == (confirmed.exclude(order__unit_code="").aggregate(s=Sum("amount_fen"))["s"] or 0)
        assert figures.matched_fen == ledger_sum(project, "project_matching")
        assert figures.matched_fen == (confirmed.aggregate(s=Sum("matched_fen"))["s"] or 0)
        assert figures.spent_fen == ledger_sum(project, "project_spending")
        assert figures.spent_fen == (counted.aggregate(s=Sum("amount_fen"))["s"] or 0)
        assert figures.balance_fen == figures.income_fen - figures.spent_fen
        assert find_ledger_problems() == []

        api = Client().get(f"/api/v1/accounts/projects/{project.pk}").json()["figures"]
        assert api == figures.as_dict()
        html = Client().get(f"/accounts/projects/{project.pk}/").content.decode()
        for element, fen in [
            ("acct-raised", figures.raised_fen),
            ("acct-matched", figures.matched_fen),
            ("acct-income", figures.income_fen),
            ("acct-spent", figures.spent_fen),
            ("acct-balance", figures.balance_fen),
        ]:
            assert shown(html, element) == format_yuan(fen)
        campaign_api = Client().get(f"/api/v1/accounts/campaigns/{campaign.slug}").json()["figures"]
        assert campaign_api == figures.as_dict()  # the host project holds no money

        # FIFO: lots are whole gifts and matches; every fen spent is paid once while the lots last.
        lots = project_lots(project)
        assert all(fen > 0 for _, fen in _standing(project, INCOME_KINDS))
        assert sum(lot.fen for lot in lots) == figures.income_fen
        whole = project_allocation(project)
        assert sum(a.fen for a in whole) == min(figures.income_fen, figures.spent_fen)
        for gift in Gift.objects.filter(project=project):
            trace = gift_trace(gift)
            for line in trace.lines:
                entry = line.spend.entry_id
                assert line.from_gift_fen == sum(
                    a.fen for a in whole if a.spend == entry and a.lot == _entry_id(f"gift:{gift.pk}")
                )
            if gift.status == GiftStatus.REFUNDED:
                assert trace.lines == [] and trace.gift_fen == 0
        transaction.set_rollback(True)


def _entry_id(key: str) -> int | None:
    from gongyi.ledger.models import JournalEntry

    return JournalEntry.objects.filter(idempotency_key=key).values_list("pk", flat=True).first()
