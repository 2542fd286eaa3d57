"""Test set-up shared by every app: database flushes under the ledger's triggers, the browser, markers."""

from __future__ import annotations

import os
import shutil

import pytest

os.environ.setdefault("GONGYI_SANDBOX_KEY", "test-sandbox-key")
# Playwright's sync API runs an event loop in the test thread; Django's ORM calls there are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DB_FIXTURES = {
    "db",
    "transactional_db",
    "live_server",
    "client",
    "admin_client",
    "django_db_setup",
    "django_user_model",
    "admin_user",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        uses_db = item.get_closest_marker("django_db") is not None or DB_FIXTURES & set(item.fixturenames)
        if not uses_db:
            item.add_marker(pytest.mark.pure)


def pytest_configure(config):
    config.addinivalue_line("markers", "pure: touches no database (run once, not again on PostgreSQL)")
    from django.core.management.commands import flush

    from gongyi.core.apps import ledger_maintenance

    original = flush.Command.handle
    if getattr(original, "_gongyi_wrapped", False):
        return

    def handle(self, *args, **kwargs):
        # Test teardown wipes tables; on SQLite the ledger triggers allow that only in maintenance mode.
        ledger_maintenance.active = True
        try:
            return original(self, *args, **kwargs)
        finally:
            ledger_maintenance.active = False

    handle._gongyi_wrapped = True
    flush.Command.handle = handle


CHROMIUM = os.environ.get("GONGYI_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium_browser():
    """Debian's chromium driven by Playwright; skipped (or failed with GONGYI_REQUIRE_BROWSER=1) if absent."""
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)):
        message = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("GONGYI_REQUIRE_BROWSER") == "1":
            pytest.fail(message + "; GONGYI_REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone_page(chromium_browser):
    context = chromium_browser.new_context(
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        user_agent=(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50"
        ),
    )
    page = context.new_page()
    yield page
    context.close()
