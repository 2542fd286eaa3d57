"""The shared cache: Redis when ``GONGYI_REDIS_URL`` is set (rate limits and used TOTP codes seen by every
process), and a deploy check when production runs with a per-process cache."""

from __future__ import annotations

import dataclasses
import socket
import uuid

import pytest
from django.core.cache.backends.redis import RedisCache
from django.test import override_settings

from gongyi.config import Config
from gongyi.core.checks import shared_cache_check

REDIS_URL = "redis://127.0.0.1:6379/15"
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}


def config(*, production: bool) -> Config:
    return dataclasses.replace(Config.from_environment(), production=production)


def test_the_redis_url_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("GONGYI_REDIS_URL", " redis://cache.internal:6379/0 ")
    assert Config.from_environment().redis_url == "redis://cache.internal:6379/0"
    monkeypatch.delenv("GONGYI_REDIS_URL")
    assert Config.from_environment().redis_url == ""


def test_production_with_a_per_process_cache_is_warned():
    with override_settings(CONFIG=config(production=True), CACHES=LOCMEM):
        assert [w.id for w in shared_cache_check(None)] == ["core.W001"]
    with override_settings(CONFIG=config(production=True), CACHES=REDIS):
        assert shared_cache_check(None) == []
    with override_settings(CONFIG=config(production=False), CACHES=LOCMEM):
        assert shared_cache_check(None) == []


def test_two_processes_share_one_redis_cache():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    # Two cache objects stand for two server processes: a counter one raises, the other sees.
    first, second = RedisCache(REDIS_URL, {"KEY_PREFIX": "gongyi"}), RedisCache(REDIS_URL, {"KEY_PREFIX": "gongyi"})
    key = f"test-rate-limit-{uuid.uuid4().hex}"
    assert first.add(key, 1, timeout=30)
    first.incr(key)
    assert second.get(key) == 2 and not second.add(key, 1)
    second.delete(key)
    assert first.get(key) is None
