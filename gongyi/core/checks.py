"""System checks of the deployment as a whole."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def shared_cache_check(app_configs, **kwargs):
    production = getattr(getattr(settings, "CONFIG", None), "production", False)
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if production and backend.endswith("LocMemCache"):
        return [
            Warning(
                "the cache is per process: with several server processes, sign-in rate limits and used TOTP codes "
                "are counted by each process on its own",
                id="core.W001",
                hint="Set GONGYI_REDIS_URL (for example redis://127.0.0.1:6379/0) to share one Redis cache.",
            )
        ]
    return []
