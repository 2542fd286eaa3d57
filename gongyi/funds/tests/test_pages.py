"""The fund statement page and API show the ledger's numbers; staff create funds and approve grants on pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from gongyi.core.money import format_yuan
from gongyi.funds.models import FundGrant, FundKind, GrantStatus, NamedFund
from gongyi.funds.selectors import fund_statement
from gongyi.funds.services import approve_fund_grant, create_named_fund, propose_fund_grant
from gongyi.ledger.models import Account
from gongyi.offline.tests.helpers import confirmed_transfer
from gongyi.spending.tests.helpers import make_user
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(federation, offline_staff, fund_staff):
    enter, check = offline_staff
    clerk, approver = fund_staff
    fund = create_named_fund(
        name="同心实业冠名助学基金",
        founder_kind="organisation",
        founder_name="鄂州市同心实业有限公司",
        kind=FundKind.KEEP_PRINCIPAL,
        purpose="资助困难家庭学生",
        agreement_signed_on=timezone.localdate() - timedelta(days=10),
        minimum_fen=200_000_00,
        actor=clerk,
    )
    confirmed_transfer(enter, check, fen=200_000_00, fund=fund, to_principal=True)
    confirmed_transfer(enter, check, fen=100_000_00, fund=fund)
    project = make_project(title="鄂州高中慈善阳光班")
    grant = propose_fund_grant(fund=fund, project=project, amount_fen=80_000_00, purpose="阳光班学费", actor=clerk)
    approve_fund_grant(grant=grant, approver=approver)
    return fund, project


def test_statement_page_shows_the_ledger_balances(client, funded):
    fund, _project = funded
    page = client.get(reverse("funds-statement", args=[fund.pk])).content.decode()
    principal = Account.objects.get(code=f"fund:{fund.pk}:principal").balance_fen
    available = Account.objects.get(code=f"fund:{fund.pk}:available").balance_fen
    assert (principal, available) == (200_000_00, 20_000_00)
    assert f'id="fund-principal">{format_yuan(principal)}' in page
    assert f'id="fund-available">{format_yuan(available)}' in page
    assert f'id="closing-balance">{format_yuan(principal + available)}' in page
    assert "与账簿一致：是" in page
    assert len(re.findall(r'id="entry-\d+"', page)) == len(fund_statement(fund).lines) == 3
    assert "鄂州高中慈善阳光班" in page
    listing = client.get(reverse("funds-index")).content.decode()
    assert fund.name in listing and "¥220,000.00" in listing
    assert client.get(reverse("funds-statement", args=[999999])).status_code == 404


def test_statement_api_equals_the_ledger(client, funded):
    fund, _ = funded
    data = client.get(f"/api/v1/funds/{fund.pk}").json()
    assert data["agrees_with_ledger"] is True
    assert (data["fund"]["principal_fen"], data["fund"]["available_fen"], data["fund"]["granted_fen"]) == (
        200_000_00,
        20_000_00,
        80_000_00,
    )
    assert data["lines"][-1]["balance_fen"] == 220_000_00
    assert sum(line["principal_fen"] + line["available_fen"] for line in data["lines"]) == 220_000_00
    assert [f["name"] for f in client.get("/api/v1/funds").json()] == [fund.name]
    assert client.get("/api/v1/funds/0").status_code == 422
    assert client.get("/api/v1/funds/4242").status_code == 404


def test_project_accounts_snippet_shows_its_named_fund_income(funded):
    fund, project = funded
    html = render_to_string("funds/_project_goods_and_funds.html", {"project": project})
    assert 'id="project-fund-grants">¥80,000.00' in html and fund.name in html
    html = render_to_string("funds/_organisation_goods_and_funds.html", {"organisation": fund.organisation})
    assert fund.name in html and "¥220,000.00" in html


def test_staff_create_a_fund_and_a_second_person_approves_its_grant(client, federation, fund_staff, offline_staff):
    clerk, approver = fund_staff
    client.force_login(clerk)
    response = client.post(
        reverse("funds-staff-new"),
        {
            "name": "爱心冠名基金",
            "founder_kind": "person",
            "founder_name": "王小明",
            "kind": FundKind.SPEND,
            "purpose": "济困",
            "agreement_signed_on": timezone.localdate().isoformat(),
            "minimum": "0",
            "yearly_commitment": "",
        },
    )
    fund = NamedFund.objects.get(name="爱心冠名基金")
    assert response.status_code == 302 and fund.minimum_fen == 0 and fund.commitment_years == 3
    enter, check = offline_staff
    confirmed_transfer(enter, check, fen=5_000_00, fund=fund)
    project = make_project()
    client.post(
        reverse("funds-staff-grant-new", args=[fund.pk]),
        {"project": project.pk, "amount": "3000", "purpose": "临时救助"},
    )
    grant = FundGrant.objects.get(fund=fund)
    client.post(reverse("funds-staff-grant-approve", args=[grant.pk]))  # the proposer cannot
    assert FundGrant.objects.get(pk=grant.pk).status == GrantStatus.PROPOSED
    client.force_login(approver)
    page = client.get(reverse("funds-staff-fund", args=[fund.pk])).content.decode()
    assert "审批拨付" in page
    client.post(reverse("funds-staff-grant-approve", args=[grant.pk]), {"note": "同意"})
    assert FundGrant.objects.get(pk=grant.pk).status == GrantStatus.POSTED
    public = client.get(reverse("funds-index")).content.decode()
    assert "王**" in public and "王小明" not in public


def test_staff_pages_need_the_permission(client, federation, django_user_model):
    client.force_login(make_user(django_user_model, "nobody"))
    assert client.get(reverse("funds-staff-new")).status_code == 403
    assert client.get(reverse("funds-staff")).status_code == 200
