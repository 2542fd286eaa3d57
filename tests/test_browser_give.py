"""A donor on a phone gives ¥10 through the sandbox, in Debian's chromium at 375×812."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gongyi.giving.models import Gift
from gongyi.ledger.selectors import find_ledger_problems, project_totals
from gongyi.payments.models import SandboxTransaction
from gongyi.testing import make_project

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
ARTIFACTS = Path(
    os.environ.get("GONGYI_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts")
)


def test_give_ten_yuan_on_a_phone(live_server, phone_page):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    project = make_project(title="鄂州市慈善大病救助")
    page = phone_page

    page.goto(f"{live_server.url}/projects/{project.pk}/")
    assert page.locator("h1").inner_text() == "鄂州市慈善大病救助"
    assert "统一社会信用代码" in page.content()  # art. 25 disclosure on the page
    page.click("#give-button")

    page.click("button.preset[data-yuan='10']")
    page.fill("#id_donor", "李小红")
    page.fill("#id_message", "早日康复")
    page.click("#pay-button")

    page.wait_for_selector("#sandbox-pay")
    assert "¥10.00" in page.inner_text("h1")
    page.click("#sandbox-pay")

    page.wait_for_selector("img.certificate", timeout=15000)
    gift = Gift.objects.get()
    assert gift.amount_fen == 1000
    assert SandboxTransaction.objects.get().delivered  # the notification really went over HTTP
    assert page.evaluate("document.querySelector('img.certificate').naturalWidth") > 0
    page.screenshot(path=str(ARTIFACTS / "thanks-375.png"), full_page=True)

    page.goto(f"{live_server.url}/certificates/{gift.certificate_no}/")
    page.wait_for_function("document.querySelector('img.certificate').complete")
    page.screenshot(path=str(ARTIFACTS / "certificate-375.png"), full_page=True)

    page.goto(f"{live_server.url}/projects/{project.pk}/")
    assert page.inner_text("#raised") == "¥10.00"
    assert "李**" in page.inner_text(".gift-list")
    assert "早日康复" in page.inner_text(".gift-list")
    # Nothing wider than the phone: no horizontal scrolling at 375 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "project-375.png"), full_page=True)

    assert project_totals(project)["raised_fen"] == 1000
    assert find_ledger_problems() == []


def test_give_form_names_the_bad_field(live_server, phone_page):
    project = make_project()
    page = phone_page
    page.goto(f"{live_server.url}/projects/{project.pk}/give/")
    page.fill("#id_amount", "-5")
    page.click("#pay-button")
    assert "捐赠金额" in page.inner_text("#amount-error")
    page.fill("#id_amount", "1.005")
    page.click("#pay-button")
    assert "两位小数" in page.inner_text("#amount-error")
    assert Gift.objects.count() == 0
