"""The staff pages drive the same services: record with a voucher, approve twice, publish, reverse."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gongyi.spending.models import Expenditure, ExpenditureStatus, Voucher
from gongyi.spending.tests.helpers import give, make_user, pdf_bytes, png_bytes, upload
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_record_approve_publish_and_reverse_through_the_pages(clerk, approvers):
    project = make_project(title="页面项目")
    give(project, 5_000)
    clerk_client = logged_in(clerk)
    assert clerk_client.get("/accounts/staff/new/").status_code == 200

    response = clerk_client.post(
        "/accounts/staff/new/",
        {
            "project": project.pk,
            "category": "materials",
            "amount": "20.50",
            "payee": "文具店",
            "payee_kind": "organisation",
            "purpose": "采购文具",
            "spent_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "aid_case_ref": "",
            "voucher-kind": "invoice",
            "voucher-description": "发票",
            "voucher-file": upload("invoice.pdf", pdf_bytes(), "application/pdf"),
        },
    )
    expenditure = Expenditure.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/accounts/staff/{expenditure.pk}/"
    assert (expenditure.amount_fen, expenditure.recorded_by) == (2_050, clerk)
    voucher = Voucher.objects.get()
    detail = clerk_client.get(f"/accounts/staff/{expenditure.pk}/").content.decode()
    assert "您是登记人，不能审批本笔支出" in detail

    # The recorder's own approval through the page is refused with a message; nothing changes.
    clerk_client.post(f"/accounts/staff/{expenditure.pk}/approve/")
    assert not expenditure.approvals.exists()

    first, second = logged_in(approvers[0]), logged_in(approvers[1])
    first.post(f"/accounts/staff/vouchers/{voucher.pk}/publication/", {"publication": "original"})
    assert Voucher.objects.get().publication == "original"
    first.post(f"/accounts/staff/{expenditure.pk}/approve/", {"note": "同意"})
    second.post(f"/accounts/staff/{expenditure.pk}/approve/")
    expenditure.refresh_from_db()
    assert expenditure.status == ExpenditureStatus.POSTED
    assert Client().get(f"/accounts/vouchers/{voucher.pk}/").status_code == 200

    second.post(
        f"/accounts/staff/{expenditure.pk}/vouchers/",
        {"voucher-kind": "photo", "voucher-file": upload("p.png", png_bytes(), "image/png")},
    )
    assert Voucher.objects.count() == 2

    second.post(f"/accounts/staff/{expenditure.pk}/reverse/", {"reason": "登记错误"})
    expenditure.refresh_from_db()
    assert expenditure.status == ExpenditureStatus.REVERSED
    listing = second.get("/accounts/staff/").content.decode()
    assert "已冲回" in listing


def test_form_errors_name_the_field(clerk):
    project = make_project(title="没钱的项目")
    response = logged_in(clerk).post(
        "/accounts/staff/new/",
        {
            "project": project.pk,
            "category": "materials",
            "amount": "10",
            "payee": "店",
            "payee_kind": "organisation",
            "purpose": "采购",
            "spent_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 400
    assert "balance_fen" in response.content.decode()
    assert not Expenditure.objects.exists()


def test_staff_pages_need_staff_and_the_recording_permission(django_user_model):
    assert Client().get("/accounts/staff/").status_code == 302
    plain = make_user(django_user_model, "plain", staff=True)
    client = logged_in(plain)
    assert client.get("/accounts/staff/").status_code == 200
    assert client.get("/accounts/staff/new/").status_code == 403
