"""Public pages: Simplified Chinese first, English available, times shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gongyi.giving.services import confirm_payment
from gongyi.payments.interface import VerifiedPayment
from gongyi.payments.models import Order
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db


def test_pages_are_chinese_by_default_and_english_on_request(client):
    project = make_project()
    chinese = client.get(f"/projects/{project.pk}/").content.decode()
    assert "我要捐款" in chinese and 'lang="zh-Hans"' in chinese
    english = client.get(f"/projects/{project.pk}/", headers={"accept-language": "en"}).content.decode()
    assert "Give now" in english and "Fundraising disclosure" in english and 'lang="en"' in english
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Give now" in client.get(f"/projects/{project.pk}/").content.decode()


def test_times_are_stored_utc_and_shown_in_shanghai(client):
    project = make_project()
    order = Order.objects.create(out_trade_no="GYTIME1", project=project, amount_fen=500, gateway="sandbox")
    paid_at = datetime(2026, 5, 20, 2, 5, tzinfo=UTC)  # 10:05 in Shanghai
    gift = confirm_payment(gateway="sandbox", payment=VerifiedPayment(
        out_trade_no=order.out_trade_no, provider_txn_id="T-TIME-1", amount_fen=500, payer="p", paid_at=paid_at)).gift
    gift.refresh_from_db()
    assert gift.paid_at == paid_at and gift.paid_at.utcoffset().total_seconds() == 0
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert "5月20日 10:05" in page


def test_the_project_page_leads_to_a_complaint_about_that_project(client):
    project = make_project()
    page = client.get(f"/projects/{project.pk}/").content.decode()
    link = f"/oversight/complaints/new/?kind=project&amp;ref={project.pk}"
    assert link in page
    form = client.get(link.replace("&amp;", "&")).content.decode()
    assert 'value="project" selected' in form and f'value="{project.pk}"' in form
    english = client.get(f"/projects/{project.pk}/", headers={"accept-language": "en"}).content.decode()
    assert "Questions about this project? File a complaint" in english
