"""Named funds: commitments from settings, establishment at the minimum, grants approved by a second person and
never beyond what is available, and a statement that is the ledger's, line for line."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gongyi.funds.models import FundEvent, FundGrant, FundKind, FundStatus, GrantStatus, NamedFund
from gongyi.funds.selectors import add_years, fund_grants_for_projects, fund_statement, fund_summaries
from gongyi.funds.services import (
    FundError,
    approve_fund_grant,
    create_named_fund,
    default_commitments,
    propose_fund_grant,
    record_fund_income,
    reject_fund_grant,
    transfer_to_fund,
)
from gongyi.ledger.models import Account, EntryKind, JournalEntry, JournalLine
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.offline.services import void_offline_gift
from gongyi.offline.tests.helpers import confirmed_transfer
from gongyi.spending.tests.helpers import make_user
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db


def new_fund(actor, *, kind=FundKind.KEEP_PRINCIPAL, name="同心助学基金", **kwargs) -> NamedFund:
    values = {
        "name": name,
        "founder_kind": "organisation",
        "founder_name": "鄂州市同心实业有限公司",
        "kind": kind,
        "purpose": "资助困难家庭学生",
        "agreement_signed_on": timezone.localdate() - timedelta(days=30),
        "actor": actor,
    }
    values.update(kwargs)
    return create_named_fund(**values)


def balance(code: str) -> int:
    account = Account.objects.filter(code=code).first()
    return account.balance_fen if account else 0


@pytest.fixture
def everyone(federation, offline_staff, fund_staff):
    """(offline clerk, offline checker, fund clerk, fund approver)."""
    return (*offline_staff, *fund_staff)


def test_commitments_default_to_the_settings_read_when_the_fund_is_created(federation, fund_staff, settings):
    clerk, _ = fund_staff
    assert default_commitments().minimum_fen == 200_000_00
    settings.GONGYI_NAMED_FUND_MINIMUM_FEN = 1_000_000_00
    settings.GONGYI_NAMED_FUND_YEARLY_PERCENT = 20
    settings.GONGYI_NAMED_FUND_COMMITMENT_YEARS = 3
    fund = new_fund(clerk)
    assert (fund.minimum_fen, fund.yearly_commitment_fen, fund.commitment_years) == (1_000_000_00, 200_000_00, 3)
    assert fund.organisation == federation and fund.status == FundStatus.PLEDGED
    settings.GONGYI_NAMED_FUND_MINIMUM_FEN = 3_000_00
    own = new_fund(clerk, name="小额冠名基金", minimum_fen=20_000_00, yearly_commitment_fen=0, commitment_years=0)
    assert (own.minimum_fen, own.yearly_commitment_fen, own.commitment_years) == (20_000_00, 0, 0)
    assert FundEvent.objects.filter(fund=own, kind="created").count() == 1
    with pytest.raises(FundError) as refused:
        new_fund(clerk)
    assert refused.value.field == "name"


def test_creating_a_fund_needs_the_permission(federation, offline_staff):
    clerk, _ = offline_staff
    with pytest.raises(FundError) as refused:
        new_fund(clerk)
    assert refused.value.field == "actor"


def test_a_grant_is_proposed_by_one_person_and_posted_by_another(everyone):
    enter, check, clerk, approver = everyone
    fund = new_fund(clerk, minimum_fen=100_000_00)
    confirmed_transfer(enter, check, fen=100_000_00, fund=fund, to_principal=True)
    confirmed_transfer(enter, check, fen=50_000_00, fund=fund)
    fund.refresh_from_db()
    assert fund.status == FundStatus.ACTIVE and fund.established_on is not None
    project = make_project(title="鄂州高中慈善阳光班")

    grant = propose_fund_grant(fund=fund, project=project, amount_fen=30_000_00, purpose="学费补助", actor=clerk)
    assert grant.status == GrantStatus.PROPOSED and JournalEntry.objects.filter(kind=EntryKind.FUND_GRANT).count() == 0
    with pytest.raises(FundError) as refused:
        approve_fund_grant(grant=grant, approver=clerk)  # no approval permission, and the proposer besides
    assert refused.value.field == "actor"
    both = make_user(type(clerk), "both", "funds.add_fundgrant", "funds.approve_fundgrant")
    own = propose_fund_grant(fund=fund, project=project, amount_fen=1_00, purpose="自批", actor=both)
    with pytest.raises(FundError) as refused:
        approve_fund_grant(grant=own, approver=both)
    assert refused.value.field == "approver"
    with pytest.raises(IntegrityError), transaction.atomic():
        FundGrant.objects.filter(pk=own.pk).update(decided_by=both)

    grant = approve_fund_grant(grant=grant, approver=approver, note="符合资助方向")

    assert grant.status == GrantStatus.POSTED and grant.decided_by == approver
    assert list(grant.entry.lines.order_by("id").values_list("account__code", "amount_fen")) == [
        (f"fund:{fund.pk}:available", 30_000_00),
        (f"project:{project.pk}:fund_grants", -30_000_00),
    ]
    assert balance(f"fund:{fund.pk}:available") == 20_000_00
    assert balance(f"fund:{fund.pk}:principal") == 100_000_00
    assert fund_grants_for_projects([project.pk]) == {project.pk: 30_000_00}
    with pytest.raises(FundError):
        approve_fund_grant(grant=grant, approver=approver)  # once
    assert find_ledger_problems() == []


def test_a_grant_beyond_what_is_available_is_refused_and_writes_nothing(everyone):
    enter, check, clerk, approver = everyone
    fund = new_fund(clerk, minimum_fen=0)
    confirmed_transfer(enter, check, fen=100_000_00, fund=fund, to_principal=True)
    confirmed_transfer(enter, check, fen=10_000_00, fund=fund)
    project = make_project()
    with pytest.raises(FundError) as refused:
        propose_fund_grant(fund=fund, project=project, amount_fen=10_000_01, purpose="超额", actor=clerk)
    assert refused.value.field == "amount_fen"
    first = propose_fund_grant(fund=fund, project=project, amount_fen=6_000_00, purpose="一", actor=clerk)
    second = propose_fund_grant(fund=fund, project=project, amount_fen=6_000_00, purpose="二", actor=clerk)
    approve_fund_grant(grant=first, approver=approver)
    entries = JournalEntry.objects.count()
    with pytest.raises(FundError) as refused:
        approve_fund_grant(grant=second, approver=approver)
    assert refused.value.field == "amount_fen"
    assert JournalEntry.objects.count() == entries
    assert FundGrant.objects.get(pk=second.pk).status == GrantStatus.PROPOSED
    reject_fund_grant(grant=second, approver=approver, reason="超出可用余额")
    assert FundGrant.objects.get(pk=second.pk).status == GrantStatus.REJECTED
    assert balance(f"fund:{fund.pk}:available") == 4_000_00 and balance(f"fund:{fund.pk}:principal") == 100_000_00


def test_a_pledged_fund_cannot_grant(everyone):
    enter, check, clerk, _ = everyone
    fund = new_fund(clerk, minimum_fen=500_000_00, kind=FundKind.SPEND)
    confirmed_transfer(enter, check, fen=100_000_00, fund=fund)
    with pytest.raises(FundError) as refused:
        propose_fund_grant(fund=fund, project=make_project(), amount_fen=1_00, purpose="x", actor=clerk)
    assert refused.value.field == "fund"


def test_principal_kept_funds_spend_income_and_transfers_come_from_the_general_fund(everyone, federation):
    enter, check, clerk, approver = everyone
    fund = new_fund(clerk, minimum_fen=100_000_00)
    confirmed_transfer(enter, check, fen=100_000_00, fund=fund, to_principal=True)
    assert balance(f"fund:{fund.pk}:available") == 0
    income = record_fund_income(fund=fund, amount_fen=3_600_00, received_on=timezone.localdate(), actor=clerk)
    assert income.entry.kind == EntryKind.FUND_INCOME
    assert balance(f"fund:{fund.pk}:available") == 3_600_00

    with pytest.raises(FundError) as refused:  # the general fund is empty
        transfer_to_fund(fund=fund, amount_fen=1_00, actor=clerk)
    assert refused.value.field == "amount_fen"
    confirmed_transfer(enter, check, fen=5_000_00)  # unrestricted
    transfer_to_fund(fund=fund, amount_fen=5_000_00, actor=clerk, note="理事会决议")
    assert balance(f"org:{federation.pk}:general_fund") == 0
    assert balance(f"fund:{fund.pk}:available") == 8_600_00

    grant = propose_fund_grant(fund=fund, project=make_project(), amount_fen=8_600_00, purpose="全部可用", actor=clerk)
    approve_fund_grant(grant=grant, approver=approver)
    assert balance(f"fund:{fund.pk}:available") == 0 and balance(f"fund:{fund.pk}:principal") == 100_000_00


def test_a_fund_gift_already_granted_on_cannot_be_voided(everyone):
    enter, check, clerk, approver = everyone
    fund = new_fund(clerk, kind=FundKind.SPEND, minimum_fen=0)
    gift = confirmed_transfer(enter, check, fen=10_000_00, fund=fund)
    grant = propose_fund_grant(fund=fund, project=make_project(), amount_fen=5_000_00, purpose="x", actor=clerk)
    approve_fund_grant(grant=grant, approver=approver)
    with pytest.raises(Exception) as refused:
        void_offline_gift(gift=gift, actor=check, reason="录入错误")
    assert getattr(refused.value, "field", "") == "amount_fen"
    other = confirmed_transfer(enter, check, fen=2_000_00, fund=fund)
    void_offline_gift(gift=other, actor=check, reason="录入错误")
    assert balance(f"fund:{fund.pk}:available") == 5_000_00


# --- the statement equals the ledger ----------------------------------------------------------------------


def test_the_statement_is_every_posted_line_of_the_fund_and_ends_at_the_ledger_balances(everyone, federation):
    enter, check, clerk, approver = everyone
    fund = new_fund(clerk, minimum_fen=100_000_00)
    project = make_project(title="鄂州高中慈善阳光班")
    confirmed_transfer(enter, check, fen=100_000_00, fund=fund, to_principal=True)
    voided = confirmed_transfer(enter, check, fen=7_777_77, fund=fund)
    void_offline_gift(gift=voided, actor=check, reason="重复")
    confirmed_transfer(enter, check, fen=50_000_00, fund=fund)
    record_fund_income(fund=fund, amount_fen=1_234_56, received_on=timezone.localdate(), actor=clerk)
    confirmed_transfer(enter, check, fen=3_000_00)
    transfer_to_fund(fund=fund, amount_fen=3_000_00, actor=clerk)
    for fen in (20_000_00, 11_111_11):
        approve_fund_grant(
            grant=propose_fund_grant(fund=fund, project=project, amount_fen=fen, purpose="资助", actor=clerk),
            approver=approver,
        )
    other = new_fund(clerk, name="另一只基金", kind=FundKind.SPEND, minimum_fen=0)
    confirmed_transfer(enter, check, fen=9_000_00, fund=other)  # never on this fund's statement

    statement = fund_statement(fund)

    codes = [f"fund:{fund.pk}:principal", f"fund:{fund.pk}:available"]
    lines = JournalLine.objects.filter(account__code__in=codes, entry__is_posted=True)
    assert [line.entry_id for line in statement.lines] == sorted({line.entry_id for line in lines})
    assert sum(line.change_fen for line in statement.lines) == -sum(line.amount_fen for line in lines)
    accounts = {a.code: a.balance_fen for a in Account.objects.filter(code__in=codes)}
    assert (statement.principal_fen, statement.available_fen) == (accounts[codes[0]], accounts[codes[1]])
    assert (statement.ledger_principal_fen, statement.ledger_available_fen) == (100_000_00, 23_123_45)
    assert statement.agrees_with_ledger
    assert statement.balance_fen == 123_123_45
    assert statement.contributed_fen == 153_000_00  # 100,000 + 7,777.77 − 7,777.77 + 50,000 + 3,000
    assert statement.income_fen == 1_234_56
    assert statement.granted_fen == 31_111_11
    running = 0
    for line in statement.lines:
        running += line.change_fen
        assert line.balance_fen == running
    assert [line.kind for line in statement.lines] == [
        EntryKind.GIFT,
        EntryKind.GIFT,
        EntryKind.GIFT_REVERSAL,
        EntryKind.GIFT,
        EntryKind.FUND_INCOME,
        EntryKind.FUND_TRANSFER,
        EntryKind.FUND_GRANT,
        EntryKind.FUND_GRANT,
    ]
    assert statement.lines[-1].project_id == project.pk
    assert statement.lines[2].reference == voided.number  # a reversal carries its gift's number
    (summary,) = fund_summaries([fund])
    assert (summary.principal_fen, summary.available_fen, summary.granted_fen) == (100_000_00, 23_123_45, 31_111_11)


def test_commitments_are_counted_by_agreement_year(everyone):
    enter, check, clerk, _ = everyone
    signed = timezone.localdate() - timedelta(days=400)
    fund = new_fund(
        clerk, agreement_signed_on=signed, minimum_fen=100_000_00, yearly_commitment_fen=20_000_00, commitment_years=2
    )
    confirmed_transfer(enter, check, fen=100_000_00, fund=fund, received_on=signed + timedelta(days=10))
    confirmed_transfer(enter, check, fen=15_000_00, fund=fund, received_on=signed + timedelta(days=380))
    rows = fund_statement(fund).commitments
    assert [(r.committed_fen, r.contributed_fen, r.shortfall_fen) for r in rows] == [
        (100_000_00, 100_000_00, 0),
        (20_000_00, 15_000_00, 5_000_00),
        (20_000_00, 0, 20_000_00),
    ]
    assert rows[1].starts_on == add_years(signed, 1)


def test_add_years_keeps_the_day_or_falls_back_to_28_february():
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 5, 20), 2) == date(2026, 5, 20)
