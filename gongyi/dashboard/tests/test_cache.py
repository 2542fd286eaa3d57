"""The cached snapshot: computed once per TTL, concurrent readers served the previous one, failures retried."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from gongyi.dashboard import services
from gongyi.dashboard.tests.helpers import give, make_festival

pytestmark = pytest.mark.django_db


class Clock:
    """A clock the test moves by hand (seconds since the epoch), near the real time so the window is open.

    It starts a minute ahead, so every gift the test makes is already paid by the clock's time, and away
    from the end of an hour, so a few seconds' moves never open a new hour on the gifts-per-hour line.
    """

    def __init__(self):
        self.now = time.time() + 60
        if self.now % 3600 > 3400:
            self.now += 300

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(services, "clock", fake)
    return fake


@pytest.fixture
def computations(monkeypatch):
    """Count the snapshots computed (and let a test slow them down)."""
    calls = []
    real = services.festival_snapshot

    def counting(campaign, *, now):
        calls.append(now)
        if getattr(counting, "delay", 0):
            time.sleep(counting.delay)
        return real(campaign, now=now)

    monkeypatch.setattr(services, "festival_snapshot", counting)
    counting.calls = calls
    return counting


def test_recomputed_once_per_ttl(settings, clock, computations):
    # given a TTL of 5 seconds and a festival with one gift
    settings.GONGYI_DASHBOARD_TTL_SECONDS = 5
    festival = make_festival()
    give(festival.projects[0], fen=1_000, payer="a")

    # when readers keep asking within the TTL
    first = services.cached_snapshot(festival.campaign)
    give(festival.projects[0], fen=2_000, payer="b")
    seen = []
    for offset in (0.5, 1.0, 2.0, 4.9):
        clock.now = first.computed_at + offset
        seen.append(services.cached_snapshot(festival.campaign))

    # then they all get the first snapshot, computed once, even though a gift arrived meanwhile
    assert len(computations.calls) == 1
    assert {s.etag for s in seen} == {first.etag}
    assert all(s.data["raised_fen"] == 1_000 for s in seen)

    # and once the TTL has passed, the next reader recomputes it, once
    clock.now = first.computed_at + 5.0
    second = services.cached_snapshot(festival.campaign)
    clock.now += 0.1
    services.cached_snapshot(festival.campaign)
    assert len(computations.calls) == 2
    assert second.data["raised_fen"] == 3_000
    assert second.etag != first.etag


def test_unchanged_figures_keep_their_etag(settings, clock, computations):
    settings.GONGYI_DASHBOARD_TTL_SECONDS = 5
    festival = make_festival()
    give(festival.projects[0], fen=1_000, payer="a")
    first = services.cached_snapshot(festival.campaign)
    clock.now += 6
    second = services.cached_snapshot(festival.campaign)
    assert len(computations.calls) == 2
    assert second.data["generated_at"] > first.data["generated_at"]
    assert second.etag == first.etag  # a proxy's copy stays valid while nothing changed


@pytest.mark.django_db(transaction=True)  # the readers' threads have their own connections
def test_a_stale_snapshot_is_served_while_another_reader_recomputes(settings, clock, computations):
    # given a snapshot past its TTL and a recomputation that takes a while
    settings.GONGYI_DASHBOARD_TTL_SECONDS = 5
    festival = make_festival()
    give(festival.projects[0], fen=1_000, payer="a")
    stale = services.cached_snapshot(festival.campaign)
    give(festival.projects[0], fen=2_000, payer="b")
    clock.now += 7
    computations.delay = 0.5
    results, errors = [], []

    def read():
        try:
            results.append(services.cached_snapshot(festival.campaign))
        except Exception as exc:  # shown by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    # when 16 readers ask at once
    threads = [threading.Thread(target=read) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then exactly one recomputed; the others got the previous snapshot at once
    assert errors == []
    assert len(computations.calls) == 2
    fresh = [r for r in results if r.data["raised_fen"] == 3_000]
    assert len(fresh) == 1
    assert all(r.etag == stale.etag for r in results if r is not fresh[0])


@pytest.mark.django_db(transaction=True)
def test_a_cold_cache_is_computed_once_for_concurrent_readers(settings, clock, computations):
    settings.GONGYI_DASHBOARD_TTL_SECONDS = 5
    festival = make_festival()
    give(festival.projects[0], fen=1_000, payer="a")
    computations.delay = 0.3
    results = []

    def read():
        try:
            results.append(services.cached_snapshot(festival.campaign))
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(computations.calls) == 1
    assert len({r.etag for r in results}) == 1
    assert len(results) == 8


def test_a_failed_computation_lets_the_next_reader_try_again(settings, clock, monkeypatch):
    settings.GONGYI_DASHBOARD_TTL_SECONDS = 5
    festival = make_festival()

    def broken(campaign, *, now):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "festival_snapshot", broken)
    with pytest.raises(RuntimeError):
        services.cached_snapshot(festival.campaign)
    monkeypatch.undo()
    monkeypatch.setattr(services, "clock", clock)  # same slot: the lock was released, not kept
    assert services.cached_snapshot(festival.campaign).data["slug"] == festival.campaign.slug


def test_the_ttl_comes_from_settings_or_the_environment(settings, monkeypatch):
    settings.GONGYI_DASHBOARD_TTL_SECONDS = 12
    assert services.ttl_seconds() == 12
    del settings.GONGYI_DASHBOARD_TTL_SECONDS
    monkeypatch.setenv("GONGYI_DASHBOARD_TTL_SECONDS", "3")
    assert services.ttl_seconds() == 3
    monkeypatch.delenv("GONGYI_DASHBOARD_TTL_SECONDS")
    assert services.ttl_seconds() == 5


def test_the_periodic_refresh_warms_open_festivals_only(settings, clock, computations):
    settings.GONGYI_DASHBOARD_TTL_SECONDS = 5
    festival = make_festival()
    assert services.refresh_open_dashboards() == 1
    assert services.refresh_open_dashboards() == 1
    assert len(computations.calls) == 1  # the second run found it fresh
    assert services.cached_snapshot(festival.campaign).computed_at == clock.now


def test_the_periodic_task_warms_only_a_shared_cache(settings, tmp_path, computations):
    from gongyi.dashboard.tasks import refresh_dashboards

    settings.GONGYI_DASHBOARD_TTL_SECONDS = 5
    make_festival()
    refresh_dashboards.call_local()  # the default per-process cache: nothing a web process could read
    assert computations.calls == []
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
    }
    refresh_dashboards.call_local()
    assert len(computations.calls) == 1
