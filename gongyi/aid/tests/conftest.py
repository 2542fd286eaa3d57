"""The aid tests need the aid app installed. Until the lead adds ``gongyi.aid`` to INSTALLED_APPS, run
them with ``--ds=gongyi.aid.testsettings``; under settings without the app only the pure tests
(crypto, calculator, notice periods) are collected, so the rest of the suite is not disturbed."""

from django.conf import settings

if "gongyi.aid" in settings.INSTALLED_APPS:
    from gongyi.aid.tests.fixtures import network  # noqa: F401 - the shared fixture
else:
    collect_ignore = [
        "test_demo.py",
        "test_fields.py",
        "test_flow.py",
        "test_matrix.py",
        "test_pages.py",
        "test_race.py",
        "fixtures.py",
    ]
