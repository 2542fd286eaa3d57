"""Aid disbursements on the project's public accounts (``/accounts/projects/<id>/``): masked lines — date,
programme, case number, the name as the notice showed it, amount — whose total is the ledger's, already in
the figures as aid spending; never a name, ID number, diagnosis or account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongyi.aid import services
from gongyi.aid.models import Disbursement
from gongyi.aid.selectors import public_disbursements
from gongyi.aid.tests.fixtures import PERSON_ID, SECRET_DIAGNOSIS, SECRET_NAME, approve_all, fund, ready_case
from gongyi.ledger.models import EntryKind
from gongyi.ledger.services import reverse_entry
from gongyi.spending.models import Category, PayeeKind
from gongyi.spending.selectors import accounts_for_project, public_expenditures
from gongyi.spending.services import approve_expenditure, record_expenditure
from gongyi.spending.tests.helpers import make_user

pytestmark = pytest.mark.django_db

ACCOUNT_NUMBER = "6228480000001234"


@pytest.fixture
def paid(network):
    """A case approved ten days ago, its notice over, paid in two parts: ¥5,000 to the hospital, the rest to the
    person's own account."""
    fund(network.project, 100_000 * 100)
    today = timezone.localdate()
    case = services.submit_case(actor=network.users["village"], case=ready_case(network))
    case = approve_all(network, case, today=today - timedelta(days=10))
    services.complete_due_notices(today=today)
    case.refresh_from_db()
    federation = network.users["federation"]  # the city gave the final approval: four eyes
    services.disburse(
        actor=federation,
        case=case,
        amount_fen=500_000,
        method="hospital",
        hospital_name="鄂州市中心医院",
        paid_on=today - timedelta(days=1),
    )
    services.disburse(
        actor=federation,
        case=case,
        amount_fen=case.approved_fen - 500_000,
        method="beneficiary_account",
        account_holder=SECRET_NAME,
        bank_name="中国农业银行鄂州分行",
        account_number=ACCOUNT_NUMBER,
    )
    case.refresh_from_db()
    return case


def page(project) -> str:
    response = Client().get(f"/accounts/projects/{project.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_disbursements_are_listed_masked_and_add_up_to_the_ledger(network, paid, django_user_model):
    project = network.project
    clerk = make_user(django_user_model, "clerk", "spending.add_expenditure", "spending.approve_expenditure")
    approvers = [make_user(django_user_model, f"approver{i}", "spending.approve_expenditure") for i in (1, 2)]
    expenditure = record_expenditure(
        project=project,
        recorded_by=clerk,
        category=Category.AID,
        amount_fen=30_000,
        payee="李四",
        payee_kind=PayeeKind.PERSON,
        purpose="临时救助",
        spent_on=timezone.localdate(),
        aid_case_ref="LS-1",
    )
    for approver in approvers[: expenditure.required_approvals]:
        approve_expenditure(expenditure=expenditure, approver=approver)

    html = page(project)
    lines = public_disbursements(project)
    assert [(d.amount_fen, d.method) for d in lines] == [
        (paid.approved_fen - 500_000, "beneficiary_account"),
        (500_000, "hospital"),
    ]
    assert {d.name for d in lines} == {"测**"} and {d.programme for d in lines} == {"大病救助"}
    assert all(d.case_number == paid.case_number and not d.reversed for d in lines)

    # The figures already counted them (the aid app posts to project:<id>:spending:aid); the list completes them.
    figures = accounts_for_project(project)
    listed_expenditures = sum(e.amount_fen for e in public_expenditures(project))
    assert figures.spent_by_category[Category.AID] == paid.disbursed_fen + 30_000
    assert figures.spent_fen == listed_expenditures + sum(d.amount_fen for d in lines) == paid.disbursed_fen + 30_000

    section = html[html.index('id="aid-disbursements"') :]
    section = section[: section.index("</section>")]
    assert f'id="aid-disbursed">¥{paid.disbursed_fen / 100:,.2f}<' in section
    assert section.count(f'data-case="{paid.case_number}"') == 2
    assert "受助人 测**" in section and "大病救助" in section and "直接支付给医院" in section
    assert timezone.localdate().strftime("%Y年%-m月%-d日") in section
    for secret in (SECRET_NAME, PERSON_ID, SECRET_DIAGNOSIS, ACCOUNT_NUMBER, "中国农业银行", "13800001111"):
        assert secret not in html, secret


def test_a_reversed_disbursement_is_shown_as_reversed_and_leaves_the_total(network, paid):
    disbursement = Disbursement.objects.filter(case=paid, method="hospital").get()
    reverse_entry(
        entry=disbursement.entry,
        kind=EntryKind.DISBURSEMENT_REVERSAL,
        idempotency_key=f"test-reversal:{disbursement.pk}",
        memo=f"救助款拨付冲回 {paid.case_number}",
        occurred_at=timezone.now(),
    )
    lines = public_disbursements(network.project)
    assert [d.reversed for d in lines] == [False, True]
    standing = sum(d.amount_fen for d in lines if not d.reversed)
    assert accounts_for_project(network.project).spent_by_category[Category.AID] == standing
    html = page(network.project)
    assert f'id="aid-disbursed">¥{standing / 100:,.2f}<' in html and "已冲回" in html


def test_a_project_without_aid_has_no_section_and_the_list_is_one_query(network, paid):
    from gongyi.testing import make_project

    other = make_project(title="助学项目")
    assert public_disbursements(other) == []
    assert 'id="aid-disbursements"' not in page(other)
    with CaptureQueriesContext(connection) as queries:
        lines = public_disbursements(network.project)
    assert len(lines) == 2 and len(queries) == 1
    sql = queries[0]["sql"]
    assert "account_number" not in sql and "account_holder" not in sql  # sealed columns are not even fetched
