"""What ``gongyi demo`` prints about the dashboard: where the demo festival's 大屏 is."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def dashboard_demo_lines() -> list[str]:
    """The demo festival's dashboard page and its JSON (the seed's campaign slug)."""
    from gongyi.demo.data import CAMPAIGN

    base = settings.GONGYI["PUBLIC_BASE_URL"]
    slug = CAMPAIGN["slug"]
    return [
        f"大屏 dashboard: {base}{reverse('dashboard-festival', args=[slug])}  (1920×1080, refreshes itself)",
        f"大屏 JSON: {base}{reverse('api-v1:dashboard_festival', args=[slug])}  (or: gongyi dashboard_snapshot {slug})",
    ]
