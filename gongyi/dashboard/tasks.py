"""Periodic dashboard work: keep the open festivals' snapshots warm in a shared cache."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def refresh_dashboards() -> None:
    from django.core.cache import caches
    from django.core.cache.backends.dummy import DummyCache
    from django.core.cache.backends.locmem import LocMemCache

    from gongyi.dashboard.services import refresh_open_dashboards

    # The worker's own memory is not the web processes' memory: warming it would help no reader.
    if isinstance(caches["default"], LocMemCache | DummyCache):
        return
    refresh_open_dashboards()
