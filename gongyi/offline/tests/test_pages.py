"""Offline gifts on the pages and the API: staff enter and check through the forms; the public sees masked donors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from gongyi.giving.models import Gift
from gongyi.offline.models import DonorKind, Method, OfflineGift, OfflineVoucher, ReceiptChoice, Status, VoucherKind
from gongyi.offline.services import VoucherUpload, confirm_offline_gift, record_offline_gift
from gongyi.offline.tests.helpers import COMPANY_USCC, confirmed_transfer, slip
from gongyi.spending.selectors import accounts_for_project
from gongyi.spending.tests.helpers import make_user
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db


def test_staff_enter_with_a_voucher_and_another_checks_on_the_pages(client, federation, offline_staff):
    clerk, checker = offline_staff
    project = make_project(title="美丽村湾")
    client.force_login(clerk)
    assert client.get(reverse("offline-staff-new")).status_code == 200
    response = client.post(
        reverse("offline-staff-new"),
        {
            "method": Method.BANK_TRANSFER,
            "donor_kind": DonorKind.ORGANISATION,
            "donor_name": "鄂州市华耀建材有限公司",
            "donor_uscc": COMPANY_USCC,
            "amount": "50000.00",
            "received_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "organisation": federation.pk,
            "project": project.pk,
            "bank_reference": "PAGE-REF-1",
            "payer_account_name": "鄂州市华耀建材有限公司",
            "receipt_choice": ReceiptChoice.WANTED,
            "voucher_kind": VoucherKind.BANK_SLIP,
            "voucher": slip(),
        },
    )
    gift = OfflineGift.objects.get(bank_reference="PAGE-REF-1")
    assert response.status_code == 302 and response["Location"] == reverse("offline-staff-gift", args=[gift.pk])
    assert gift.amount_fen == 50_000_00 and gift.status == Status.ENTERED
    page = client.get(reverse("offline-staff-gift", args=[gift.pk])).content.decode()
    assert "您是录入人，不能复核本笔捐赠" in page and 'id="confirm-button"' not in page

    client.post(reverse("offline-staff-confirm", args=[gift.pk]))  # the enterer cannot
    assert OfflineGift.objects.get(pk=gift.pk).status == Status.ENTERED

    client.force_login(checker)
    assert 'id="confirm-button"' in client.get(reverse("offline-staff-gift", args=[gift.pk])).content.decode()
    client.post(reverse("offline-staff-confirm", args=[gift.pk]), {"note": "核对无误"})
    gift.refresh_from_db()
    assert gift.status == Status.CONFIRMED and gift.checked_by == checker
    assert accounts_for_project(project).raised_fen == 50_000_00
    assert gift.receipts.count() == 1
    assert "已申请" in client.get(reverse("offline-staff")).content.decode()


def test_a_form_error_names_the_field(client, federation, offline_staff):
    clerk, _ = offline_staff
    client.force_login(clerk)
    response = client.post(
        reverse("offline-staff-new"),
        {
            "method": Method.BANK_TRANSFER,
            "donor_kind": DonorKind.ORGANISATION,
            "donor_name": "某公司",
            "amount": "100",
            "received_on": timezone.localdate().isoformat(),
            "receipt_choice": ReceiptChoice.WAIVED,
            "voucher_kind": VoucherKind.BANK_SLIP,
            "voucher": slip(),
        },
    )
    assert response.status_code == 400
    assert 'id="bank_reference-error"' in response.content.decode()
    assert not OfflineGift.objects.exists()


def test_staff_pages_need_the_permission(client, federation, django_user_model):
    nobody = make_user(django_user_model, "nobody")
    client.force_login(nobody)
    assert client.get(reverse("offline-staff-new")).status_code == 403
    assert client.get(reverse("offline-staff")).status_code == 200  # the worklist is read-only


def test_vouchers_are_staff_only_and_each_opening_is_logged(client, federation, offline_staff, django_user_model):
    clerk, checker = offline_staff
    gift = confirmed_transfer(clerk, checker)
    voucher = OfflineVoucher.objects.get(gift=gift)
    url = reverse("offline-staff-voucher", args=[voucher.pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(make_user(django_user_model, "plain"))
    assert client.get(url).status_code == 403
    client.force_login(checker)
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert gift.events.filter(kind="voucher_viewed", actor=checker).count() == 1


def person_cash(clerk, name: str, fen: int, **kwargs):
    return record_offline_gift(
        method=Method.CASH,
        donor_kind=DonorKind.PERSON,
        donor_name=name,
        amount_fen=fen,
        received_on=timezone.localdate(),
        receipt_choice=ReceiptChoice.WAIVED,
        vouchers=[VoucherUpload(kind=VoucherKind.CASH_RECEIPT, file=slip())],
        entered_by=clerk,
        **kwargs,
    )


def test_public_list_and_api_name_companies_and_mask_people(client, federation, offline_staff):
    clerk, checker = offline_staff
    project = make_project(title="扶您一把")
    confirmed_transfer(clerk, checker, fen=20_000_00)
    confirm_offline_gift(gift=person_cash(clerk, "王小明", 300_00, project=project), checker=checker)
    person_cash(clerk, "李未复", 100_00)  # not checked: not public

    page = client.get(reverse("offline-index")).content.decode()
    assert "鄂州市华耀建材有限公司" in page and "王**" in page
    assert "王小明" not in page and "李未复" not in page and "李*" not in page
    assert "¥20,300.00" in page  # two checked gifts
    assert 'id="general-fund">¥20,000.00' in page

    data = client.get("/api/v1/offline/gifts").json()
    assert (data["count"], data["fen"]) == (2, 20_300_00)
    assert sorted(g["donor"] for g in data["gifts"]) == ["王**", "鄂州市华耀建材有限公司"]
    assert "王小明" not in str(data)
    fund = client.get(f"/api/v1/offline/general-fund/{federation.pk}").json()
    assert fund["general_fund_fen"] == 20_000_00
    assert client.get("/api/v1/offline/general-fund/99999999999999999999").status_code == 422
    # The directed cash gift is a public gift of the project, masked there too.
    assert Gift.objects.get(project=project).public_name == "王**"


def test_the_public_list_costs_the_same_queries_whatever_the_number_of_gifts(client, federation, offline_staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clerk, checker = offline_staff
    project = make_project()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("offline-index")).status_code == 200
            assert client.get("/api/v1/offline/gifts").status_code == 200
        return len(queries)

    confirmed_transfer(clerk, checker, project=project)
    few = count()
    for _ in range(4):
        confirmed_transfer(clerk, checker, project=project)
        confirmed_transfer(clerk, checker)
    assert count() == few
