"""Complaints and the regulator's pages on a phone (Debian's chromium, 375×812): the form names the bad field,
the tracking page shows the status, nothing is wider than the screen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.test import Client

from gongyi.oversight.complaints import flag_overdue_complaints
from gongyi.oversight.models import Complaint
from gongyi.oversight.tests.conftest import make_user
from gongyi.testing import make_project

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
ARTIFACTS = Path(os.environ.get("GONGYI_ARTIFACTS", Path(__file__).resolve().parents[3] / "test-artifacts"))


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 375


def test_filing_and_following_a_complaint_and_the_regulators_pages_on_a_phone(
    live_server, phone_page, django_user_model
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    project = make_project(title="童享阳光")
    page = phone_page
    page.goto(f"{live_server.url}/oversight/complaints/new/?kind=project&ref={project.pk}")
    assert fits(page)
    page.fill("#id_text", "太短")
    page.click("#submit-complaint")
    assert "举报内容：" in page.inner_text("#error-text")
    page.screenshot(path=str(ARTIFACTS / "oversight-complaint-form-375.png"), full_page=True)
    page.fill("#id_text", "项目点发放的学习用品数量与公示清单不一致，请核实。")
    page.fill("#id_contact", "13900001111")
    page.click("#submit-complaint")
    page.wait_for_selector("#filed-notice")
    complaint = Complaint.objects.get()
    assert page.inner_text("#tracking-number") == complaint.tracking_number
    assert "已收到" in page.inner_text("#status") and "13900001111" not in page.content()
    assert fits(page)
    page.screenshot(path=str(ARTIFACTS / "oversight-complaint-track-375.png"), full_page=True)

    Complaint.objects.filter(pk=complaint.pk).update(answer_due_on=complaint.answer_due_on.replace(year=2000))
    flag_overdue_complaints()
    regulator = make_user(django_user_model, "mzj", groups=["regulator"])
    client = Client()
    client.force_login(regulator)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    for path, name in (
        ("/oversight/regulator/", "dashboard"),
        ("/oversight/regulator/trail/", "trail"),
        ("/oversight/finance/", "finance"),
        ("/oversight/staff/complaints/", "complaints"),
    ):
        page.goto(live_server.url + path)
        assert fits(page), path
        page.screenshot(path=str(ARTIFACTS / f"oversight-regulator-{name}-375.png"), full_page=True)
    page.goto(live_server.url + "/oversight/regulator/")
    assert complaint.tracking_number in page.inner_text("#overdue-complaints")
