"""The goods-and-funds public pages on a phone (Debian's chromium, 375×812): nothing wider than the screen,
the demo's figures as the ledger has them, and no personal data on the page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gongyi.demo.services import load_demo
from gongyi.funds.demo import BOX, load_goods_and_funds_demo
from gongyi.funds.models import NamedFund
from gongyi.inkind.models import InKindGift

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
ARTIFACTS = Path(os.environ.get("GONGYI_ARTIFACTS", Path(__file__).resolve().parents[3] / "test-artifacts"))


def test_goods_and_funds_pages_on_a_phone(live_server, phone_page):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    load_demo(with_gifts=False)
    load_goods_and_funds_demo()
    gift = InKindGift.objects.get()
    fund = NamedFund.objects.get()
    counters = BOX[4]
    page = phone_page
    pages = [
        ("/inkind/", "goods-inkind-375.png", "#in-kind-totals .in-kind-received", "¥103,000.00"),
        (f"/inkind/gifts/{gift.number}/", "goods-inkind-gift-375.png", "#items", "次氯酸消毒液"),
        ("/offline/", "goods-offline-375.png", "#offline-total", "¥371,286.50"),
        ("/funds/", "goods-funds-375.png", "#funds", fund.name),
        (f"/funds/{fund.pk}/", "goods-fund-statement-375.png", "#fund-balance", "¥223,600.00"),
    ]
    for path, shot, selector, expected in pages:
        page.goto(f"{live_server.url}{path}")
        assert expected in page.inner_text(selector), path
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        content = page.content()
        for name in counters:
            assert name not in content, path
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
