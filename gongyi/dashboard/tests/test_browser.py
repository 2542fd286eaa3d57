"""The dashboard in Debian's chromium: on a 1920×1080 screen and on a 375 px phone, charts drawn, totals right,
the figures refreshed by polling, and nothing wider than the phone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.utils import timezone

from gongyi.core.money import format_yuan
from gongyi.dashboard.selectors import festival_snapshot
from gongyi.dashboard.tests.helpers import give, make_festival

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
ARTIFACTS = Path(os.environ.get("GONGYI_ARTIFACTS", Path(__file__).resolve().parents[3] / "test-artifacts"))

# Painted pixels of each chart's canvas (ECharts draws on a transparent canvas).
PAINTED = """(selector) => {
  const canvas = document.querySelector(selector + " canvas");
  if (!canvas || !canvas.width || !canvas.height) { return 0; }
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i]) { painted++; } }
  return painted;
}"""
CHARTS = ("#chart-hours", "#chart-projects", "#chart-pool")


def _festival():
    festival = make_festival(units=3)
    names = ["王小明", "李四", "张三丰", "赵敏", "周芷若", "鄂州市某某科技有限责任公司工会委员会"]
    for n in range(18):
        give(
            festival.projects[n % 3],
            fen=(n + 1) * 1_234,
            payer=f"p{n}",
            unit=festival.units[n % 3] if n % 2 else None,
            donor_name=names[n % len(names)],
            anonymous=n % 5 == 0,
        )
    return festival


def _check_page(page, festival):
    page.wait_for_selector("#dashboard[data-ready='1']")
    snapshot = festival_snapshot(festival.campaign, now=timezone.now())
    assert page.inner_text("#dash-total") == format_yuan(snapshot.total_fen)
    assert page.inner_text("#dash-raised") == format_yuan(snapshot.raised_fen)
    assert page.inner_text("#dash-matched") == format_yuan(snapshot.matched_fen)
    assert page.inner_text("#dash-gifts") == str(snapshot.gifts)
    assert page.inner_text("#dash-donors") == str(snapshot.donors)
    for chart in CHARTS:
        assert page.locator(f"{chart} canvas").count() == 1, chart
        assert page.evaluate(PAINTED, chart) > 500, f"{chart} drew nothing"
    feed = page.inner_text("#gift-feed")
    assert "王小明" not in feed and "王**" in feed and "爱心人士" in feed


def test_the_dashboard_on_a_big_screen_and_on_a_phone(live_server, chromium_browser, phone_page, settings):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settings.GONGYI_DASHBOARD_TTL_SECONDS = 1
    festival = _festival()
    url = f"{live_server.url}/dashboard/{festival.campaign.slug}/"

    # the big screen: everything on one 1920×1080 screen, panels side by side
    context = chromium_browser.new_context(
        viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    screen = context.new_page()
    try:
        screen.goto(url)
        _check_page(screen, festival)
        assert screen.evaluate("document.querySelector('.dash').getBoundingClientRect().bottom") <= 1080
        pools, hours, units = (screen.locator(f"section.{name}").bounding_box() for name in ("pools", "hours", "units"))
        assert pools["x"] + pools["width"] <= hours["x"] and hours["x"] + hours["width"] <= units["x"]
        assert screen.evaluate("document.documentElement.scrollWidth") <= 1920
        screen.screenshot(path=str(ARTIFACTS / "dashboard-1920.png"))

        # a new gift reaches the screen by polling, without a reload
        give(festival.projects[2], fen=88_800, payer="late", donor_name="钱学森")
        expected = festival_snapshot(festival.campaign, now=timezone.now())
        screen.wait_for_function(
            "(n) => document.querySelector('#dash-gifts').textContent === String(n)", arg=expected.gifts, timeout=10_000
        )
        assert screen.inner_text("#dash-total") == format_yuan(expected.total_fen)
        assert screen.inner_text("#gift-feed").startswith(screen.inner_text("#gift-feed li:first-child"))
        assert "钱**" in screen.inner_text("#gift-feed li:first-child")
        assert "钱学森" not in screen.content()
    finally:
        context.close()

    # the phone: one column, no sideways scrolling, the charts still drawn
    phone_page.goto(url)
    _check_page(phone_page, festival)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    phone_page.screenshot(path=str(ARTIFACTS / "dashboard-375.png"), full_page=True)
