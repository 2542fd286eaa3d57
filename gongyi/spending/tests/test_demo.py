"""The transparency demo loads on top of the demo, once, through the services, with nothing personal shown."""

from __future__ import annotations

import pytest
from django.test import Client

from gongyi.ledger.selectors import find_ledger_problems
from gongyi.oversight.models import DisclosureItem, DisclosureReport
from gongyi.spending.demo import RECIPIENTS, load_transparency_demo
from gongyi.spending.models import Expenditure, ExpenditureStatus, Publication, Voucher
from gongyi.spending.selectors import accounts_for_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    from gongyi.demo.services import load_demo

    return load_demo()


@pytest.mark.parametrize("approvals", [2, 3])
def test_demo_adds_approved_expenditures_once(demo, settings, approvals):
    settings.GONGYI_EXPENDITURE_APPROVALS = approvals
    first = load_transparency_demo()
    assert first.expenditures_added == 4 and first.reports_added == 1
    again = load_transparency_demo()
    assert (again.expenditures_added, again.reports_added) == (0, 0)
    assert Expenditure.objects.filter(status=ExpenditureStatus.POSTED).count() == 4
    assert DisclosureReport.objects.count() == 1
    assert DisclosureItem.objects.exists()
    assert find_ledger_problems() == []
    assert Voucher.objects.filter(publication=Publication.REDACTED).count() == 3
    assert not Voucher.objects.filter(publication=Publication.PRIVATE).exists()

    client = Client()
    for project_id in Expenditure.objects.values_list("project_id", flat=True).distinct():
        project_figures = accounts_for_project(Expenditure.objects.filter(project_id=project_id).first().project)
        assert project_figures.balance_fen >= 0
        html = client.get(f"/accounts/projects/{project_id}/").content.decode()
        for name, id_number in RECIPIENTS:
            assert name not in html and id_number not in html
    for voucher in Voucher.objects.all():
        response = client.get(f"/accounts/vouchers/{voucher.pk}/")
        assert response.status_code == 200
