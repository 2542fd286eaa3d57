"""The public accounts on a phone (Debian's chromium, 375×812): the Sankey draws, nothing is wider than the
screen, and no personal data reaches the page."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from gongyi.oversight.services import file_disclosure_report
from gongyi.spending.models import Publication
from gongyi.spending.services import add_voucher, approve_expenditure, record_expenditure, set_voucher_publication
from gongyi.spending.tests.helpers import give, make_pool, make_unit, pdf_bytes, png_bytes, upload
from gongyi.testing import make_campaign, make_project

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
ARTIFACTS = Path(os.environ.get("GONGYI_ARTIFACTS", Path(__file__).resolve().parents[3] / "test-artifacts"))
PERSONAL = ("张明华", "王小明", "李四", "420704199001011234")


def spend(project, clerk, approvers, **fields):
    expenditure = record_expenditure(
        project=project, recorded_by=clerk, spent_on=timezone.localdate() - timedelta(days=1), **fields
    )
    return expenditure


def test_accounts_pages_on_a_phone(live_server, phone_page, clerk, approvers, django_user_model):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    host = make_project(title="主办")
    campaign = make_campaign(host.organisation)
    make_pool(campaign, ratio_bp=5_000)
    project = make_project(title="鄂州市慈善大病救助", campaign=campaign)
    gift = give(project, 20_000, name="王小明", donor="w")
    give(project, 8_800, name="李四", donor="l", unit_code=make_unit().code)
    aid = spend(
        project,
        clerk,
        approvers,
        category="aid",
        amount_fen=12_000,
        payee="张明华",
        payee_kind="person",
        purpose="大病救助金拨付（经四级审核并公示）",
        aid_case_ref="DB-2025-017",
    )
    hidden = add_voucher(
        expenditure=aid, file=upload("签收表-张明华.png", png_bytes("red")), kind="handover_list", uploaded_by=clerk
    )
    shown = add_voucher(
        expenditure=aid,
        file=upload("list.png", png_bytes("red", size=(600, 400))),
        redacted_file=upload("list-masked.png", png_bytes("blue", size=(600, 400))),
        kind="handover_list",
        description="签收表（已脱敏）",
        uploaded_by=clerk,
    )
    set_voucher_publication(voucher=shown, publication=Publication.REDACTED, actor=approvers[0])
    for approver in approvers[:2]:
        approve_expenditure(expenditure=aid, approver=approver)
    materials = spend(
        project,
        clerk,
        approvers,
        category="materials",
        amount_fen=6_000,
        payee="鄂州市惠民物资供应有限公司",
        purpose="采购营养品",
    )
    invoice = add_voucher(expenditure=materials, file=upload("i.pdf", pdf_bytes()), kind="invoice", uploaded_by=clerk)
    set_voucher_publication(voucher=invoice, publication=Publication.ORIGINAL, actor=approvers[0])
    for approver in approvers[:2]:
        approve_expenditure(expenditure=materials, approver=approver)
    officer = django_user_model.objects.get(pk=clerk.pk)
    officer.is_superuser = True
    officer.save()
    file_disclosure_report(project=project, title="第一期救助进展", body="已拨付首批救助金。", filed_by=officer)

    page = phone_page
    page.goto(f"{live_server.url}/accounts/projects/{project.pk}/")
    page.wait_for_selector("#flow-chart[data-ready='1'] svg", timeout=15000)
    assert page.inner_text("#acct-balance") == "¥252.00"  # 200 + 88 + matched 144 − 120 − 60, in yuan
    assert "张**" in page.inner_text("#expenditures")
    assert page.evaluate("document.querySelector('#expenditures img').naturalWidth") == 600
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    content = page.content()
    for text in PERSONAL:
        assert text not in content
    assert f"/accounts/vouchers/{hidden.pk}/" not in content
    page.screenshot(path=str(ARTIFACTS / "accounts-project-375.png"), full_page=True)

    page.goto(f"{live_server.url}/accounts/gifts/{gift.certificate_no}/")
    assert "您的捐款 ¥120.00" in page.inner_text("#trace-lines")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert "王小明" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "accounts-gift-375.png"), full_page=True)

    page.goto(f"{live_server.url}/accounts/campaigns/{campaign.slug}/")
    assert page.inner_text("#acct-balance") == "¥252.00"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "accounts-campaign-375.png"), full_page=True)

    page.goto(f"{live_server.url}/projects/{project.pk}/")
    assert page.inner_text("#summary-balance") == "¥252.00"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
