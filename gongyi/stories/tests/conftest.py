"""Case stories read consents from the aid app. Until the lead adds ``gongyi.aid``, ``gongyi.stories`` and
``gongyi.reports`` to INSTALLED_APPS, run the stories tests with ``--ds=gongyi.reports.testsettings``; without
the stories app they are not collected, without the aid app the case-story tests are skipped."""

from django.conf import settings

if "gongyi.stories" not in settings.INSTALLED_APPS or "gongyi.reports" not in settings.INSTALLED_APPS:
    collect_ignore_glob = ["test_*.py"]
elif "gongyi.aid" in settings.INSTALLED_APPS:
    from gongyi.aid.tests.fixtures import network  # noqa: F401 - the aid app's shared fixture
