"""An organisation records its own spending in the back office; federation finance approves it into the ledger.

The role rules for every page and API operation (other organisations' ids are 404, viewers 403) are in
``test_role_matrix``; here: the whole way from the form to the public accounts, and the refusals a person meets.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from gongyi.donors.tests.helpers import office_login
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.spending.models import EventKind, Expenditure, ExpenditureStatus, Voucher
from gongyi.spending.selectors import accounts_for_project, public_expenditures
from gongyi.spending.services import approve_expenditure
from gongyi.spending.tests.helpers import make_user, pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


def form(**overrides) -> dict:
    return {
        "category": "materials",
        "amount": "12.50",
        "payee": "鄂城区文具批发部",
        "payee_kind": "organisation",
        "purpose": "为受助学生购买书包和文具",
        "spent_on": timezone.localdate().isoformat(),
        "aid_case_ref": "",
        **overrides,
    }


@pytest.fixture
def finance(django_user_model):
    """Two federation finance officers who approve (Django staff with the permission)."""
    return [make_user(django_user_model, f"finance{i}", "spending.approve_expenditure") for i in (1, 2)]


def test_an_editor_records_with_a_voucher_and_finance_posts_it_to_the_public_accounts(client, world, finance):
    office_login(client, world.a_editor)
    spending_page = client.get(reverse("office-project-spending", args=[world.project_a.pk])).content.decode()
    assert reverse("office-expenditure-new", args=[world.project_a.pk]) in spending_page
    response = client.post(
        reverse("office-expenditure-new", args=[world.project_a.pk]),
        {**form(), "voucher-kind": "invoice", "voucher-file": upload("fp.pdf", pdf_bytes(), "application/pdf")},
    )
    assert response.status_code == 302
    expenditure = Expenditure.objects.get(payee="鄂城区文具批发部")
    assert response["Location"] == reverse("office-expenditure", args=[expenditure.pk])
    assert (expenditure.project, expenditure.amount_fen, expenditure.status) == (world.project_a, 1_250, "pending")
    assert expenditure.recorded_by == world.a_editor
    assert expenditure.vouchers.get().kind == "invoice"
    detail = client.get(response["Location"]).content.decode()
    assert "待审批" in detail or "pending" in detail
    assert "0/2" in detail and "撤回这笔支出" in detail

    before = accounts_for_project(world.project_a).spent_fen
    # The organisation cannot approve its own spending; the federation's finance officers do.
    with pytest.raises(Exception, match="approver"):
        approve_expenditure(expenditure=expenditure, approver=world.a_manager)
    approve_expenditure(expenditure=expenditure, approver=finance[0])
    outcome = approve_expenditure(expenditure=expenditure, approver=finance[1])
    assert outcome.posted
    assert accounts_for_project(world.project_a).spent_fen == before + 1_250
    assert expenditure in public_expenditures(world.project_a)
    assert find_ledger_problems() == []
    detail = client.get(reverse("office-expenditure", args=[expenditure.pk])).content.decode()
    assert "2/2" in detail and "撤回这笔支出" not in detail


def test_bad_input_names_the_field_and_writes_nothing(client, world):
    office_login(client, world.a_manager)
    url = reverse("office-expenditure-new", args=[world.project_a.pk])
    count = Expenditure.objects.count()
    cases = [
        (form(amount="abc"), "amount"),
        (form(amount="0"), "amount"),
        (form(amount="99999.00"), "amount"),  # more than the project's balance
        (form(payee=""), "payee"),
        (form(category="bribes"), "category"),
        (form(spent_on="2999-01-01"), "spent_on"),
        (form(aid_case_ref="AID-1"), "aid_case_ref"),  # only for aid disbursements
    ]
    for data, field in cases:
        response = client.post(url, data)
        assert response.status_code == 400, (data, response.status_code)
        assert f'id="{field}-error"' in response.content.decode(), field
    bad_voucher = client.post(url, {**form(), "voucher-kind": "invoice", "voucher-file": upload("x.exe", b"MZ\x90")})
    assert bad_voucher.status_code == 400 and 'id="voucher-file-error"' in bad_voucher.content.decode()
    assert Expenditure.objects.count() == count


def test_a_draft_project_has_no_spending_to_record(client, world):
    office_login(client, world.a_manager)
    response = client.post(reverse("office-expenditure-new", args=[world.draft_a.pk]), form())
    assert response.status_code == 400 and "只有已发布或已结束的项目" in response.content.decode()
    page = client.get(reverse("office-project-spending", args=[world.draft_a.pk])).content.decode()
    assert reverse("office-expenditure-new", args=[world.draft_a.pk]) not in page


def test_only_the_recorder_withdraws_and_only_while_pending(client, world):
    office_login(client, world.a_editor)
    url = reverse("office-expenditure-withdraw", args=[world.expenditure_a.pk])  # recorded by A's manager
    assert client.post(url, {"reason": "录错了"}).status_code == 403
    office_login(client, world.a_manager)
    assert client.post(url, {"reason": ""}).status_code == 302
    world.expenditure_a.refresh_from_db()
    assert world.expenditure_a.status == ExpenditureStatus.PENDING  # a reason is required
    assert client.post(url, {"reason": "录错了"}).status_code == 302
    world.expenditure_a.refresh_from_db()
    assert (world.expenditure_a.status, world.expenditure_a.rejection_reason) == ("rejected", "录错了")
    assert world.expenditure_a.rejected_by == world.a_manager


def test_vouchers_are_added_later_and_every_opening_is_logged(client, world):
    office_login(client, world.a_editor)
    added = client.post(
        reverse("office-expenditure-voucher-add", args=[world.expenditure_a.pk]),
        {
            "voucher-kind": "photo",
            "voucher-file": upload("p.png", png_bytes(), "image/png"),
            "voucher-redacted_file": upload("r.png", png_bytes("blue"), "image/png"),
        },
    )
    assert added.status_code == 302
    voucher = Voucher.objects.get(expenditure=world.expenditure_a, kind="photo")
    assert voucher.publication == "private" and voucher.uploaded_by == world.a_editor
    original = client.get(reverse("office-voucher-original", args=[voucher.pk]))
    assert original.status_code == 200 and original["Content-Type"] == "image/png"
    assert original["Cache-Control"] == "private, no-store"
    assert client.get(reverse("office-voucher-redacted", args=[voucher.pk])).status_code == 200
    assert client.get(reverse("office-voucher-redacted", args=[world.voucher_a.pk])).status_code == 404  # none
    opened = world.expenditure_a.events.filter(kind=EventKind.VOUCHER_VIEWED, actor=world.a_editor)
    assert sorted(e.details["which"] for e in opened) == ["original", "redacted"]


# --- the API ------------------------------------------------------------------------------------------------


def api_form(**overrides) -> dict:
    return {
        "category": "services",
        "amount_fen": 2_000,
        "payee": "张小红",
        "payee_kind": "person",
        "purpose": "心理辅导服务费",
        "spent_on": timezone.localdate().isoformat(),
        **overrides,
    }


def test_the_api_records_uploads_and_withdraws(client, world):
    office_login(client, world.a_editor)
    url = f"/api/v1/office/projects/{world.project_a.pk}/expenditures"
    created = client.post(url, api_form(), content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["amount_fen"], body["status"], body["required_approvals"], body["vouchers"]) == (
        2_000,
        "pending",
        2,
        [],
    )
    assert body["public_payee"] == "张**"  # a person paid is masked in public
    listed = [e["id"] for e in client.get(url).json()]
    assert listed[0] == body["id"] and world.expenditure_a.pk in listed and world.expenditure_b.pk not in listed

    upload_url = f"/api/v1/office/expenditures/{body['id']}/vouchers"
    uploaded = client.post(upload_url, {"kind": "receipt", "file": upload("r.pdf", pdf_bytes(), "application/pdf")})
    assert uploaded.status_code == 201, uploaded.content
    assert [v["kind"] for v in uploaded.json()["vouchers"]] == ["receipt"]
    refused = client.post(upload_url, {"kind": "receipt", "file": upload("r.txt", b"hello", "text/plain")})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "file"

    withdrawn = client.post(
        f"/api/v1/office/expenditures/{body['id']}/withdraw", {"reason": "重复登记"}, content_type="application/json"
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "rejected"
    again = client.post(
        f"/api/v1/office/expenditures/{body['id']}/withdraw", {"reason": "重复登记"}, content_type="application/json"
    )
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "status"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_fen": 10**9}, "amount_fen"),
        ({"amount_fen": -5}, "amount_fen"),
        ({"amount_fen": "12.5"}, "amount_fen"),
        ({"category": "bribes"}, "category"),
        ({"payee": "  "}, "payee"),
        ({"spent_on": "not-a-date"}, "spent_on"),
        ({"payee_kind": "robot"}, "payee_kind"),
    ],
)
def test_the_api_names_the_field_of_bad_input(client, world, overrides, field):
    office_login(client, world.a_manager)
    count = Expenditure.objects.count()
    response = client.post(
        f"/api/v1/office/projects/{world.project_a.pk}/expenditures",
        api_form(**overrides),
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert Expenditure.objects.count() == count


def test_a_viewer_reads_spending_but_records_nothing(client, world):
    office_login(client, world.a_viewer)
    url = f"/api/v1/office/projects/{world.project_a.pk}/expenditures"
    assert client.get(url).status_code == 200
    assert client.post(url, api_form(), content_type="application/json").status_code == 403
    assert client.get(reverse("office-expenditure-new", args=[world.project_a.pk])).status_code == 403
    detail = client.get(reverse("office-expenditure", args=[world.expenditure_a.pk])).content.decode()
    assert (
        'id="voucher-form"' not in detail
        and reverse("office-voucher-original", args=[world.voucher_a.pk]) not in detail
    )
