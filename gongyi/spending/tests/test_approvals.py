"""Recording, approving, posting, rejecting and reversing expenditures: the rules and their ledger effects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gongyi.ledger.models import AccountKind, EntryKind, JournalEntry
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.projects.models import ProjectStatus
from gongyi.spending.models import (
    Category,
    EventKind,
    Expenditure,
    ExpenditureApproval,
    ExpenditureStatus,
    PayeeKind,
    Publication,
    Voucher,
)
from gongyi.spending.selectors import accounts_for_project
from gongyi.spending.services import (
    SpendingError,
    add_voucher,
    approve_expenditure,
    attach_redacted_copy,
    record_expenditure,
    reject_expenditure,
    reverse_expenditure,
    set_voucher_publication,
)
from gongyi.spending.tests.helpers import give, make_user, pdf_bytes, png_bytes, upload
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db
YESTERDAY = timezone.localdate() - timedelta(days=1)


@pytest.fixture
def project():
    project = make_project(title="助学项目")
    give(project, 10_000)
    return project


def record(project, clerk, fen=3_000, category=Category.MATERIALS, **kwargs) -> Expenditure:
    fields = {
        "payee": "鄂州市文体用品商行",
        "purpose": "采购学习用品",
        "spent_on": YESTERDAY,
    }
    fields.update(kwargs)
    return record_expenditure(project=project, category=category, amount_fen=fen, recorded_by=clerk, **fields)


def entries_of(kind: str):
    return JournalEntry.objects.filter(kind=kind)


def test_the_last_required_approval_posts_a_balanced_entry_once(project, clerk, approvers):
    expenditure = record(project, clerk)
    assert (expenditure.status, expenditure.required_approvals, expenditure.entry) == ("pending", 2, None)

    first = approve_expenditure(expenditure=expenditure, approver=approvers[0])
    assert (first.approvals, first.posted) == (1, False)
    assert not entries_of(EntryKind.EXPENDITURE).exists()
    assert accounts_for_project(project).spent_fen == 0

    second = approve_expenditure(expenditure=expenditure, approver=approvers[1], note="凭证齐全")
    assert (second.approvals, second.posted) == (2, True)
    expenditure.refresh_from_db()
    assert expenditure.status == ExpenditureStatus.POSTED
    entry = expenditure.entry
    assert entry.kind == EntryKind.EXPENDITURE and entry.is_posted and entry.project_id == project.pk
    legs = sorted((line.account.kind, line.account.code, line.amount_fen) for line in entry.lines.all())
    assert legs == [
        (AccountKind.EXPENDITURE_PAYABLE, f"org:{project.organisation_id}:expenditure_payable", -3_000),
        (AccountKind.PROJECT_SPENDING, f"project:{project.pk}:spending:materials", 3_000),
    ]
    figures = accounts_for_project(project)
    assert (figures.raised_fen, figures.spent_fen, figures.balance_fen) == (10_000, 3_000, 7_000)
    assert figures.spent_by_category == {"materials": 3_000}
    assert find_ledger_problems() == []

    with pytest.raises(SpendingError) as refused:
        approve_expenditure(expenditure=expenditure, approver=approvers[2])
    assert refused.value.field == "status"
    assert ExpenditureApproval.objects.filter(expenditure=expenditure).count() == 2
    assert entries_of(EntryKind.EXPENDITURE).count() == 1
    assert list(expenditure.events.values_list("kind", flat=True)) == [
        EventKind.RECORDED,
        EventKind.APPROVED,
        EventKind.APPROVED,
        EventKind.POSTED,
    ]


def test_nobody_approves_their_own_expenditure(project, clerk, approvers):
    expenditure = record(project, clerk)  # the clerk holds the approval permission too
    with pytest.raises(SpendingError) as refused:
        approve_expenditure(expenditure=expenditure, approver=clerk)
    assert refused.value.field == "approver"
    assert "自己" in refused.value.message
    assert not ExpenditureApproval.objects.exists()
    assert list(expenditure.events.values_list("kind", flat=True)) == [EventKind.RECORDED]


def test_the_database_refuses_a_self_approval(project, clerk):
    expenditure = record(project, clerk)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExpenditureApproval.objects.create(expenditure=expenditure, approver=clerk, recorded_by=clerk)


def test_approving_needs_the_permission_and_an_active_user(project, clerk, approvers, django_user_model):
    expenditure = record(project, clerk)
    plain_staff = make_user(django_user_model, "plain", staff=True)
    with pytest.raises(SpendingError) as refused:
        approve_expenditure(expenditure=expenditure, approver=plain_staff)
    assert refused.value.field == "approver"
    approvers[0].is_active = False
    approvers[0].save()
    with pytest.raises(SpendingError):
        approve_expenditure(expenditure=expenditure, approver=approvers[0])
    assert not ExpenditureApproval.objects.exists()


def test_one_approver_counts_once(project, clerk, approvers):
    expenditure = record(project, clerk)
    approve_expenditure(expenditure=expenditure, approver=approvers[0])
    with pytest.raises(SpendingError) as refused:
        approve_expenditure(expenditure=expenditure, approver=approvers[0])
    assert refused.value.field == "approver"
    expenditure.refresh_from_db()
    assert expenditure.status == ExpenditureStatus.PENDING
    assert ExpenditureApproval.objects.count() == 1


def test_the_number_of_approvals_is_read_from_the_setting_when_recorded(project, clerk, approvers, settings):
    settings.GONGYI_EXPENDITURE_APPROVALS = 3
    three = record(project, clerk, fen=1_000)
    settings.GONGYI_EXPENDITURE_APPROVALS = 1
    one = record(project, clerk, fen=1_000)
    assert (three.required_approvals, one.required_approvals) == (3, 1)

    assert approve_expenditure(expenditure=one, approver=approvers[0]).posted
    assert not approve_expenditure(expenditure=three, approver=approvers[0]).posted
    assert not approve_expenditure(expenditure=three, approver=approvers[1]).posted
    assert approve_expenditure(expenditure=three, approver=approvers[2]).posted
    assert accounts_for_project(project).spent_fen == 2_000


def test_recording_more_than_the_balance_is_refused_naming_the_field(project, clerk):
    with pytest.raises(SpendingError) as refused:
        record(project, clerk, fen=10_001)
    assert refused.value.field == "amount_fen"
    assert "balance_fen" in refused.value.message and "¥100.00" in refused.value.message
    assert not Expenditure.objects.exists()


def test_the_last_approval_is_refused_when_the_balance_no_longer_covers_it(project, clerk, approvers):
    first = record(project, clerk, fen=6_000)
    second = record(project, clerk, fen=6_000)  # each fits the balance alone
    approve_expenditure(expenditure=first, approver=approvers[0])
    approve_expenditure(expenditure=first, approver=approvers[1])
    approve_expenditure(expenditure=second, approver=approvers[0])
    entries_before = JournalEntry.objects.count()

    with pytest.raises(SpendingError) as refused:
        approve_expenditure(expenditure=second, approver=approvers[1])
    assert refused.value.field == "amount_fen"
    assert "结余 ¥40.00" in refused.value.message
    # Nothing of the refused approval stays: not the approval, not an entry, not an event.
    second.refresh_from_db()
    assert second.status == ExpenditureStatus.PENDING
    assert second.approvals.count() == 1
    assert JournalEntry.objects.count() == entries_before
    assert list(second.events.values_list("kind", flat=True)) == [EventKind.RECORDED, EventKind.APPROVED]

    give(project, 2_000)  # money arrives: the same approval now posts
    assert approve_expenditure(expenditure=second, approver=approvers[1]).posted
    assert accounts_for_project(project).balance_fen == 0
    assert find_ledger_problems() == []


def test_spending_counts_matched_and_incentive_money(clerk, approvers):
    from gongyi.ledger.services import Leg, get_account, post_entry, project_account

    project = make_project(title="有激励的项目")
    give(project, 1_000)
    sponsor = get_account(code="test:sponsor", name="配捐方", kind=AccountKind.SPONSOR_COMMITMENT)
    post_entry(
        kind=EntryKind.INCENTIVE,
        idempotency_key="test-incentive",
        memo="激励",
        occurred_at=timezone.now(),
        legs=[Leg(sponsor, 500), Leg(project_account(project, AccountKind.PROJECT_INCENTIVES), -500)],
        project=project,
    )
    expenditure = record(project, clerk, fen=1_500)
    approve_expenditure(expenditure=expenditure, approver=approvers[0])
    assert approve_expenditure(expenditure=expenditure, approver=approvers[1]).posted
    assert accounts_for_project(project).balance_fen == 0


def test_reversal_posts_a_mirror_entry_and_never_edits(project, clerk, approvers, django_user_model):
    expenditure = record(project, clerk)
    approve_expenditure(expenditure=expenditure, approver=approvers[0])
    approve_expenditure(expenditure=expenditure, approver=approvers[1])
    expenditure.refresh_from_db()
    original = expenditure.entry
    original_lines = sorted(original.lines.values_list("account_id", "amount_fen"))

    plain = make_user(django_user_model, "plain", staff=True)
    with pytest.raises(SpendingError):
        reverse_expenditure(expenditure=expenditure, actor=plain, reason="登记错误")
    with pytest.raises(SpendingError) as no_reason:
        reverse_expenditure(expenditure=expenditure, actor=approvers[2], reason=" ")
    assert no_reason.value.field == "reason"

    reversed_ = reverse_expenditure(expenditure=expenditure, actor=approvers[2], reason="登记错误")
    assert reversed_.status == ExpenditureStatus.REVERSED
    reversal = reversed_.reversal_entry
    assert reversal.kind == EntryKind.EXPENDITURE_REVERSAL and reversal.reverses_id == original.pk
    assert sorted(reversal.lines.values_list("account_id", "amount_fen")) == sorted(
        (account, -fen) for account, fen in original_lines
    )
    original.refresh_from_db()
    assert original.is_posted and sorted(original.lines.values_list("account_id", "amount_fen")) == original_lines
    figures = accounts_for_project(project)
    assert (figures.spent_fen, figures.balance_fen) == (0, 10_000)
    assert find_ledger_problems() == []

    with pytest.raises(SpendingError) as twice:
        reverse_expenditure(expenditure=reversed_, actor=approvers[2], reason="再次")
    assert twice.value.field == "status"
    assert JournalEntry.objects.filter(kind=EntryKind.EXPENDITURE_REVERSAL).count() == 1


def test_reject_and_withdraw(project, clerk, approvers, django_user_model):
    rejected = record(project, clerk)
    with pytest.raises(SpendingError) as no_reason:
        reject_expenditure(expenditure=rejected, actor=approvers[0], reason="")
    assert no_reason.value.field == "reason"
    reject_expenditure(expenditure=rejected, actor=approvers[0], reason="凭证不全")
    rejected.refresh_from_db()
    assert (rejected.status, rejected.rejection_reason, rejected.rejected_by) == ("rejected", "凭证不全", approvers[0])
    with pytest.raises(SpendingError):
        approve_expenditure(expenditure=rejected, approver=approvers[1])

    other_clerk = make_user(django_user_model, "clerk2", "spending.add_expenditure")
    withdrawn = record(project, other_clerk)
    reject_expenditure(expenditure=withdrawn, actor=other_clerk, reason="重复登记")  # the recorder withdraws
    assert Expenditure.objects.get(pk=withdrawn.pk).status == "rejected"
    stranger = make_user(django_user_model, "stranger", "spending.add_expenditure")
    third = record(project, other_clerk)
    with pytest.raises(SpendingError) as refused:
        reject_expenditure(expenditure=third, actor=stranger, reason="不行")
    assert refused.value.field == "actor"
    assert not JournalEntry.objects.filter(kind=EntryKind.EXPENDITURE).exists()


def test_aid_to_a_case_posts_as_a_disbursement(project, clerk, approvers):
    expenditure = record(
        project,
        clerk,
        fen=2_000,
        category=Category.AID,
        payee="张明华",
        payee_kind=PayeeKind.PERSON,
        aid_case_ref="DB-2025-017",
    )
    approve_expenditure(expenditure=expenditure, approver=approvers[0])
    approve_expenditure(expenditure=expenditure, approver=approvers[1])
    expenditure.refresh_from_db()
    assert expenditure.entry.kind == EntryKind.DISBURSEMENT
    assert expenditure.public_payee == "张**"
    assert "张明华" not in expenditure.entry.memo
    reversed_ = reverse_expenditure(expenditure=expenditure, actor=approvers[2], reason="重复拨付")
    assert reversed_.reversal_entry.kind == EntryKind.DISBURSEMENT_REVERSAL


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"fen": 0}, "amount_fen"),
        ({"category": "bribes"}, "category"),
        ({"payee": "  "}, "payee"),
        ({"purpose": ""}, "purpose"),
        ({"spent_on": timezone.localdate() + timedelta(days=1)}, "spent_on"),
        ({"aid_case_ref": "DB-1"}, "aid_case_ref"),
        ({"payee_kind": "robot"}, "payee_kind"),
    ],
)
def test_recording_refuses_bad_fields(project, clerk, changes, field):
    with pytest.raises(SpendingError) as refused:
        record(project, clerk, **changes)
    assert refused.value.field == field
    assert not Expenditure.objects.exists()


def test_recording_needs_the_permission_and_a_spendable_project(project, django_user_model, clerk):
    plain = make_user(django_user_model, "plain", staff=True)
    with pytest.raises(SpendingError) as refused:
        record(project, plain)
    assert refused.value.field == "recorded_by"
    draft = make_project(title="草稿", status=ProjectStatus.DRAFT)
    with pytest.raises(SpendingError) as not_public:
        record(draft, clerk, fen=1)
    assert not_public.value.field == "project"


def test_voucher_publication_rules(project, clerk, approvers):
    expenditure = record(project, clerk)
    voucher = add_voucher(
        expenditure=expenditure,
        file=upload("签收表-张明华.png", png_bytes()),
        kind="handover_list",
        uploaded_by=clerk,
    )
    assert voucher.publication == Publication.PRIVATE
    assert "张明华" not in voucher.file.name  # stored under a random name
    assert voucher.original_name == "签收表-张明华.png"

    with pytest.raises(SpendingError) as own:
        set_voucher_publication(voucher=voucher, publication=Publication.ORIGINAL, actor=clerk)
    assert own.value.field == "actor"
    with pytest.raises(SpendingError) as no_copy:
        set_voucher_publication(voucher=voucher, publication=Publication.REDACTED, actor=approvers[0])
    assert no_copy.value.field == "publication"

    attach_redacted_copy(voucher=voucher, file=upload("redacted.png", png_bytes("blue")), actor=clerk)
    voucher = set_voucher_publication(voucher=voucher, publication=Publication.REDACTED, actor=approvers[0])
    assert (voucher.publication, voucher.published_by) == (Publication.REDACTED, approvers[0])
    # A new redacted copy must be looked at again before the public sees it.
    voucher = attach_redacted_copy(voucher=voucher, file=upload("redacted2.png", png_bytes("green")), actor=clerk)
    assert voucher.publication == Publication.PRIVATE

    with pytest.raises(SpendingError) as bad_type:
        add_voucher(expenditure=expenditure, file=upload("x.pdf", b"<html>"), kind="invoice", uploaded_by=clerk)
    assert bad_type.value.field == "file"
    with pytest.raises(SpendingError) as bad_redacted:
        add_voucher(
            expenditure=expenditure,
            file=upload("x.pdf", pdf_bytes()),
            redacted_file=upload("r.gif", b"GIF89a"),
            kind="invoice",
            uploaded_by=clerk,
        )
    assert bad_redacted.value.field == "redacted_file"
    assert Voucher.objects.count() == 1
