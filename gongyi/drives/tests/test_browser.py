"""The league table page on a phone: Debian's chromium at 375×812, no sideways scrolling."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gongyi.drives.tests.helpers import give, load_regions, make_drive, make_unit
from gongyi.testing import make_project

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
ARTIFACTS = Path(os.environ.get("GONGYI_ARTIFACTS", Path(__file__).resolve().parents[3] / "test-artifacts"))


def test_league_page_at_375px(live_server, phone_page):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    load_regions()
    make_drive(name="2026年鄂州市“慈善一日捐”")
    project = make_project(title="鄂州市慈善大病救助")
    rows = [
        ("临空经济区某航空物流有限责任公司鄂州花湖机场配套服务分公司", "company", "420772", None),
        ("鄂州市中心医院", "hospital", "420704", 1850),
        ("鄂州市民政局", "agency", "420704", 86),
        ("华容区华容镇中心小学", "school", "420703", 88),
        ("梁子湖区某水产养殖有限公司", "company", "420702", 40),
    ]
    for index, (name, kind, district, headcount) in enumerate(rows):
        unit = make_unit(name, kind=kind, district=district, headcount=headcount)
        for person in range(index + 1):
            give(project, unit=unit, payer=f"u{index}-p{person}", fen=(5 - index) * 123_456)
    page = phone_page

    page.goto(f"{live_server.url}/drives/")
    assert page.locator("h1").inner_text() == "2026年鄂州市“慈善一日捐”"
    assert page.locator("ol.league > li").count() == 5
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "drives-375.png"), full_page=True)

    page.click("nav.tabs a:has-text('按区')")
    page.wait_for_url("**by=district")
    assert page.locator("ol.league > li").count() == 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.goto(f"{live_server.url}/drives/")
    page.click("ol.league > li:nth-child(2) .who a")
    page.wait_for_selector("#unit-name")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.wait_for_function("document.querySelector('img.qr').complete")
    assert page.evaluate("document.querySelector('img.qr').naturalWidth") > 0
