"""我的公益 and the back office on a phone: Debian's chromium at 375×812, no sideways scrolling.

A donor signs in with the phone they left when giving (the code read from the SMS outbox) and sees that
gift; an organisation's manager signs in with password and TOTP and opens their project.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

from gongyi.backoffice.models import OrganisationMembership
from gongyi.donors.tests.helpers import RecordingSmsSender, make_gift, make_user
from gongyi.testing import make_project

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
ARTIFACTS = Path(os.environ.get("GONGYI_ARTIFACTS", Path(__file__).resolve().parents[3] / "test-artifacts"))
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_donor_signs_in_with_their_phone_and_sees_their_gift_at_375px(live_server, phone_page, sms_outbox):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    project = make_project(title="鄂州市慈善大病救助")
    gift = make_gift(project, phone="13800138000", fen=8_800, donor_name="陈晓", message="早日康复")
    page = phone_page

    page.goto(f"{live_server.url}/me/")
    no_sideways_scroll(page)
    page.click("#phone-login")
    page.fill("#id_phone", "138 0013 8000")
    page.click("#request-code button[type=submit]")
    page.wait_for_selector("#confirm-code")
    no_sideways_scroll(page)
    page.fill("#id_code", RecordingSmsSender.last_code("+8613800138000"))
    page.click("#confirm-code button[type=submit]")
    page.wait_for_selector("#gifts")

    assert gift.certificate_no in page.content() and "¥88.00" in page.inner_text("#totals")
    no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "me-375.png"), full_page=True)
    page.click(f"a[href='/me/gifts/{gift.certificate_no}/']")
    page.wait_for_selector("#receipt")
    no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "me-gift-375.png"), full_page=True)


def test_a_manager_signs_in_with_totp_and_opens_their_project_at_375px(live_server, phone_page):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    project = make_project(title="童享阳光", org_name="鄂州市华容区社会工作服务中心")
    make_gift(project, donor_name="王小明")
    manager = make_user("manager", password="a-Long-demo-pass-1")
    TOTP.activate(manager, SECRET)
    OrganisationMembership.objects.create(user=manager, organisation=project.organisation, role="manager")
    page = phone_page

    page.goto(f"{live_server.url}/office/")
    page.fill("#id_login", "manager")
    page.fill("#id_password", "a-Long-demo-pass-1")
    page.click("#staff-login button[type=submit]")
    page.wait_for_selector("#mfa-code")
    page.fill("#id_code", format_hotp_value(hotp_value(SECRET, int(time.time()) // 30)))
    page.click("#mfa-code button[type=submit]")
    page.wait_for_selector("h1:has-text('机构后台')")
    no_sideways_scroll(page)
    page.click(f"a[href='/office/projects/{project.pk}/']")
    page.wait_for_selector("#updates")
    no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "office-project-375.png"), full_page=True)
