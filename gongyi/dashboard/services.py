"""The dashboard's cached snapshot: computed at most once per TTL, whatever the number of screens watching.

Each campaign's snapshot lives in Django's cache as plain data (``FestivalSnapshot.as_dict()``) with the time
it was computed and its ETag. A reader gets it while it is younger than ``GONGYI_DASHBOARD_TTL_SECONDS``
(default 5). When it is older, the first reader of the TTL slot (``floor(now / ttl)``) wins a short lock
taken with ``cache.add`` — atomic on every cache backend — and recomputes; every other reader meanwhile
serves the previous snapshot. Only with no snapshot at all (a cold cache) do the others wait briefly for the
winner, and compute it themselves as a last resort, so nobody waits on a crashed winner.

With the default per-process ``LocMemCache`` the promise holds per process; with a shared cache (Redis,
memcached) it holds for the whole fleet, and the Huey task ``refresh_open_dashboards`` keeps it warm.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder

from gongyi.campaigns.models import Campaign
from gongyi.dashboard.selectors import festival_snapshot

logger = logging.getLogger(__name__)

# Bump when the snapshot's shape changes, so a deploy never serves the previous code's shape.
CACHE_VERSION = 1
DEFAULT_TTL_SECONDS = 5
# How long a cold reader waits for the winner's snapshot before computing its own.
COLD_WAIT_SECONDS = 3.0
COLD_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class CachedSnapshot:
    data: dict  # FestivalSnapshot.as_dict()
    etag: str  # weak: the figures, not the moment they were computed
    computed_at: float  # seconds since the epoch


def ttl_seconds() -> int:
    """``GONGYI_DASHBOARD_TTL_SECONDS`` from settings, else the environment, else 5; never below 1."""
    value = getattr(settings, "GONGYI_DASHBOARD_TTL_SECONDS", None)
    if value is None:
        value = os.environ.get("GONGYI_DASHBOARD_TTL_SECONDS", DEFAULT_TTL_SECONDS)
    return max(1, int(value))


def clock() -> float:
    """The time the cache judges freshness by (tests replace it)."""
    return time.time()


def snapshot_key(campaign_id: int) -> str:
    return f"gongyi:dashboard:v{CACHE_VERSION}:snapshot:{campaign_id}"


def _lock_key(campaign_id: int, slot: int) -> str:
    return f"gongyi:dashboard:v{CACHE_VERSION}:lock:{campaign_id}:{slot}"


def snapshot_json(data: dict, **kwargs) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, **kwargs)


def etag_for(data: dict) -> str:
    """A weak ETag of the figures: the same figures give the same tag whenever they were computed."""
    figures = {key: value for key, value in data.items() if key != "generated_at"}
    digest = hashlib.sha256(snapshot_json(figures, sort_keys=True).encode()).hexdigest()[:32]
    return f'W/"{digest}"'


def refresh_snapshot(campaign: Campaign, *, at: float | None = None) -> CachedSnapshot:
    """Compute the campaign's snapshot now and store it in the cache (kept well past its TTL as a fallback)."""
    at = clock() if at is None else at
    snapshot = festival_snapshot(campaign, now=datetime.fromtimestamp(at, UTC))
    data = snapshot.as_dict()
    cached = CachedSnapshot(data=data, etag=etag_for(data), computed_at=at)
    cache.set(
        snapshot_key(campaign.pk),
        {"data": cached.data, "etag": cached.etag, "computed_at": cached.computed_at},
        timeout=max(ttl_seconds() * 60, 300),
    )
    return cached


def _stored(campaign_id: int) -> CachedSnapshot | None:
    entry = cache.get(snapshot_key(campaign_id))
    if not isinstance(entry, dict):
        return None
    return CachedSnapshot(data=entry["data"], etag=entry["etag"], computed_at=entry["computed_at"])


def cached_snapshot(campaign: Campaign) -> CachedSnapshot:
    """The campaign's snapshot, recomputed at most once per TTL slot however many readers ask at once."""
    ttl = ttl_seconds()
    now = clock()
    stored = _stored(campaign.pk)
    if stored is not None and 0 <= now - stored.computed_at < ttl:
        return stored
    lock = _lock_key(campaign.pk, int(now // ttl))
    # The lock outlives its slot a little so a slow winner is not joined by a second one.
    if cache.add(lock, 1, timeout=ttl * 2):
        try:
            return refresh_snapshot(campaign, at=now)
        except Exception:
            cache.delete(lock)  # let the next reader try again rather than wait for the next slot
            raise
    if stored is not None:
        return stored
    deadline = time.monotonic() + COLD_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(COLD_POLL_SECONDS)
        stored = _stored(campaign.pk)
        if stored is not None:
            return stored
    logger.warning("dashboard of campaign %s: no snapshot after %ss, computing", campaign.pk, COLD_WAIT_SECONDS)
    return refresh_snapshot(campaign, at=now)


def refresh_open_dashboards() -> int:
    """Bring the snapshot of every public campaign open now up to date; return how many campaigns.

    Goes through ``cached_snapshot``, so the periodic task takes the same per-slot lock as the readers and
    never adds a second computation to a slot.
    """
    from gongyi.campaigns.selectors import public_campaigns

    now = datetime.fromtimestamp(clock(), UTC)
    campaigns = list(public_campaigns().filter(starts_at__lte=now, ends_at__gt=now))
    for campaign in campaigns:
        cached_snapshot(campaign)
    return len(campaigns)
