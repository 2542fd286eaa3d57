"""Public accounts pages and API: ledger figures, masked payees, only vouchers an approver published."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from gongyi.ledger.selectors import project_totals
from gongyi.projects.models import ProjectStatus
from gongyi.spending.models import Category, EventKind, ExpenditureEvent, PayeeKind, Publication
from gongyi.spending.selectors import accounts_for_project
from gongyi.spending.services import (
    add_voucher,
    approve_expenditure,
    record_expenditure,
    set_voucher_publication,
)
from gongyi.spending.tests.helpers import give, make_unit, pdf_bytes, png_bytes, upload
from gongyi.testing import make_campaign, make_project

pytestmark = pytest.mark.django_db
YESTERDAY = timezone.localdate() - timedelta(days=1)


def exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 23.0, 0.0), 3: "E", 4: (114.0, 53.0, 0.0)}  # GPSInfo
    return exif.tobytes()


def post(project, clerk, approvers, **fields):
    defaults = {
        "category": Category.MATERIALS,
        "amount_fen": 2_000,
        "payee": "鄂州市惠民物资供应有限公司",
        "purpose": "采购米面油",
        "spent_on": YESTERDAY,
    }
    defaults.update(fields)
    expenditure = record_expenditure(project=project, recorded_by=clerk, **defaults)
    return expenditure


def approve_all(expenditure, approvers):
    for approver in approvers[: expenditure.required_approvals]:
        approve_expenditure(expenditure=expenditure, approver=approver)
    expenditure.refresh_from_db()
    return expenditure


@pytest.fixture
def world(clerk, approvers):
    """A campaign with two projects; an aid disbursement to a person with four vouchers of each kind of fate."""
    first = make_project(title="大病救助")
    campaign = make_campaign(first.organisation)
    project = make_project(title="大病救助 · 活动", campaign=campaign)
    other = make_project(title="助学 · 活动", campaign=campaign)
    give(project, 10_000, name="王小明", unit_code=make_unit().code)
    give(project, 5_000, name="李四")
    give(other, 3_000)

    aid = post(
        project,
        clerk,
        approvers,
        category=Category.AID,
        amount_fen=6_000,
        payee="张明华",
        payee_kind=PayeeKind.PERSON,
        purpose="大病救助金拨付",
        aid_case_ref="DB-2025-017",
    )
    private = add_voucher(
        expenditure=aid, file=upload("list.png", png_bytes("red")), kind="handover_list", uploaded_by=clerk
    )
    redacted = add_voucher(
        expenditure=aid,
        file=upload("list-full.png", png_bytes("red")),
        redacted_file=upload("list-masked.png", png_bytes("blue")),
        kind="handover_list",
        uploaded_by=clerk,
    )
    invoice = add_voucher(expenditure=aid, file=upload("invoice.pdf", pdf_bytes()), kind="invoice", uploaded_by=clerk)
    photo = add_voucher(
        expenditure=aid,
        file=upload("photo.jpg", png_bytes("green", exif=exif_with_gps(), fmt="JPEG")),
        kind="photo",
        uploaded_by=clerk,
    )
    set_voucher_publication(voucher=redacted, publication=Publication.REDACTED, actor=approvers[0])
    set_voucher_publication(voucher=invoice, publication=Publication.ORIGINAL, actor=approvers[0])
    set_voucher_publication(voucher=photo, publication=Publication.ORIGINAL, actor=approvers[0])
    approve_all(aid, approvers)

    pending = post(project, clerk, approvers, amount_fen=1_000, purpose="待审批的采购")
    pending_voucher = add_voucher(
        expenditure=pending, file=upload("p.pdf", pdf_bytes()), kind="invoice", uploaded_by=clerk
    )
    set_voucher_publication(voucher=pending_voucher, publication=Publication.ORIGINAL, actor=approvers[0])
    spent_other = approve_all(post(other, clerk, approvers, amount_fen=500, category=Category.MANAGEMENT), approvers)
    return {
        "campaign": campaign,
        "project": project,
        "other": other,
        "aid": aid,
        "pending": pending,
        "private": private,
        "redacted": redacted,
        "invoice": invoice,
        "photo": photo,
        "pending_voucher": pending_voucher,
        "spent_other": spent_other,
    }


def test_project_account_page_shows_ledger_figures_and_masks_people(world):
    project = world["project"]
    response = Client().get(f"/accounts/projects/{project.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    totals = project_totals(project)
    figures = accounts_for_project(project)
    assert totals["raised_fen"] == figures.raised_fen == 15_000
    assert (figures.unit_fen, figures.spent_fen, figures.balance_fen) == (10_000, 6_000, 9_000)
    for element, text in [
        ("acct-raised", "¥150.00"),
        ("acct-unit", "¥100.00"),
        ("acct-spent", "¥60.00"),
        ("acct-balance", "¥90.00"),
        ("acct-income", "¥150.00"),
    ]:
        assert f'id="{element}">{text}<' in html
    assert "张**" in html and "张明华" not in html
    assert "王小明" not in html and "李四" not in html
    assert "DB-2025-017" in html
    for public in ("redacted", "invoice", "photo"):
        assert f"/accounts/vouchers/{world[public].pk}/" in html
    assert f"/accounts/vouchers/{world['private'].pk}/" not in html
    assert "另有 1 份凭证含个人信息" in html
    assert "待审批的采购" not in html  # pending spending is not in the account
    assert 'id="flow-data"' in html and "echarts.min.js" in html


def test_vouchers_are_served_only_when_published_and_posted(world):
    client = Client()
    assert client.get(f"/accounts/vouchers/{world['private'].pk}/").status_code == 404
    assert client.get(f"/accounts/vouchers/{world['pending_voucher'].pk}/").status_code == 404
    assert client.get("/accounts/vouchers/999999/").status_code == 404
    # The raw file is not reachable under MEDIA_URL either.
    assert client.get("/media/" + world["private"].file.name).status_code == 404

    redacted = client.get(f"/accounts/vouchers/{world['redacted'].pk}/")
    assert redacted.status_code == 200 and redacted["Content-Type"] == "image/png"
    assert Image.open(BytesIO(redacted.content)).getpixel((0, 0)) == (0, 0, 255)  # the blue copy, not the red

    invoice = client.get(f"/accounts/vouchers/{world['invoice'].pk}/")
    assert invoice["Content-Type"] == "application/pdf"
    assert b"".join(invoice.streaming_content) == world["invoice"].file.open("rb").read()
    assert invoice["X-Content-Type-Options"] == "nosniff"

    photo = client.get(f"/accounts/vouchers/{world['photo'].pk}/")
    served = Image.open(BytesIO(photo.content))
    assert photo["Content-Type"] == "image/jpeg"
    assert dict(served.getexif()) == {}  # GPS position and camera make removed
    assert dict(Image.open(world["photo"].file.open("rb")).getexif())  # the original keeps them, privately


def test_staff_see_originals_only_with_permission_and_each_opening_is_logged(world, approvers, django_user_model):
    url = f"/accounts/staff/vouchers/{world['private'].pk}/original/"
    assert Client().get(url).status_code == 302  # to the login page
    plain = django_user_model.objects.create_user("plain", password=None, is_staff=True)
    client = Client()
    client.force_login(plain)
    assert client.get(url).status_code == 403
    client.force_login(approvers[2])
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    viewed = ExpenditureEvent.objects.filter(kind=EventKind.VOUCHER_VIEWED).get()
    assert (viewed.actor, viewed.details) == (approvers[2], {"voucher": world["private"].pk, "which": "original"})


def test_api_returns_the_page_figures(world):
    project = world["project"]
    body = Client().get(f"/api/v1/accounts/projects/{project.pk}").json()
    figures = body["figures"]
    assert figures == {
        "raised_fen": 15_000,
        "individual_fen": 5_000,
        "unit_fen": 10_000,
        "matched_fen": 0,
        "incentive_fen": 0,
        "fund_grant_fen": 0,
        "income_fen": 15_000,
        "spent_fen": 6_000,
        "balance_fen": 9_000,
        "spent_by_category": [{"category": "aid", "label": "救助款拨付", "fen": 6_000}],
    }
    [expenditure] = body["expenditures"]
    assert expenditure["payee"] == "张**" and expenditure["private_vouchers"] == 1
    assert {v["id"] for v in expenditure["vouchers"]} == {world[k].pk for k in ("redacted", "invoice", "photo")}
    assert "张明华" not in str(body)
    assert body["flow"]["links"] == [
        {"source": "个人捐赠", "target": "项目资金", "value": 5_000},
        {"source": "单位捐赠（一日捐）", "target": "项目资金", "value": 10_000},
        {"source": "项目资金", "target": "救助款拨付", "value": 6_000},
        {"source": "救助款拨付", "target": "救助案件 DB-2025-017", "value": 6_000},
        {"source": "项目资金", "target": "结余", "value": 9_000},
    ]
    assert Client().get(f"/api/v1/accounts/projects/{project.pk}/flow").json() == body["flow"]


def test_campaign_and_organisation_roll_up_their_projects(world):
    campaign, project, other = world["campaign"], world["project"], world["other"]
    body = Client().get(f"/api/v1/accounts/campaigns/{campaign.slug}").json()
    assert body["figures"]["raised_fen"] == 18_000
    assert body["figures"]["spent_fen"] == 6_500
    assert body["figures"]["balance_fen"] == 11_500
    assert [c["category"] for c in body["figures"]["spent_by_category"]] == ["aid", "management"]
    assert {row["project"]["id"]: row["figures"]["balance_fen"] for row in body["projects"]} == {
        project.pk: 9_000,
        other.pk: 2_500,
    }
    assert body["flow"]["links"] == [
        {"source": "个人捐赠", "target": "项目资金", "value": 8_000},
        {"source": "单位捐赠（一日捐）", "target": "项目资金", "value": 10_000},
        {"source": "项目资金", "target": "救助款拨付", "value": 6_000},
        {"source": "项目资金", "target": "管理费用", "value": 500},
        {"source": "项目资金", "target": "结余", "value": 11_500},
    ]
    page = Client().get(f"/accounts/campaigns/{campaign.slug}/").content.decode()
    assert 'id="acct-balance">¥115.00<' in page and 'id="flow-data"' in page

    organisation = project.organisation
    org_body = Client().get(f"/api/v1/accounts/organisations/{organisation.pk}").json()
    assert org_body["figures"]["income_fen"] == 18_000  # the campaign-less first project has no money
    org_page = Client().get(f"/accounts/organisations/{organisation.pk}/")
    assert org_page.status_code == 200 and 'id="acct-spent">¥65.00<' in org_page.content.decode()


def test_project_page_summary_snippet_links_to_the_account(world):
    project = world["project"]
    html = Client().get(f"/projects/{project.pk}/").content.decode()
    assert 'id="summary-balance">¥90.00<' in html
    assert f'href="/accounts/projects/{project.pk}/"' in html


def test_unpublished_things_are_not_found(world, clerk):
    draft = make_project(title="草稿项目", status=ProjectStatus.DRAFT)
    client = Client()
    assert client.get(f"/accounts/projects/{draft.pk}/").status_code == 404
    assert client.get(f"/api/v1/accounts/projects/{draft.pk}").status_code == 404
    assert client.get("/accounts/campaigns/nope/").status_code == 404
    assert client.get("/api/v1/accounts/gifts/ZSNOPE").status_code == 404
    assert client.get("/accounts/gifts/?no=ZSNOPE").status_code == 404


def test_account_page_queries_do_not_grow_with_expenditures(world, clerk, approvers, django_assert_max_num_queries):
    project = world["project"]
    Client().get(f"/accounts/projects/{project.pk}/")  # warm caches (content types, sessions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        Client().get(f"/accounts/projects/{project.pk}/")
    for index in range(4):
        expenditure = post(project, clerk, approvers, amount_fen=100, purpose=f"采购 {index}")
        add_voucher(expenditure=expenditure, file=upload("i.pdf", pdf_bytes()), kind="invoice", uploaded_by=clerk)
        approve_all(expenditure, approvers)
    with CaptureQueriesContext(connection) as five:
        Client().get(f"/accounts/projects/{project.pk}/")
    assert len(five) == len(one)
    assert len(one) <= 25
