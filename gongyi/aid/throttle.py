"""Rate limits of the public objection form (异议, ``/aid/notices/<id>/objection/`` and its API twin).

Sliding windows kept in Django's cache, the way allauth keeps its login limits: each key holds the times of
the accepted attempts in its window; an attempt is let through only if every limit has room, and is then
recorded in all of them (a refused attempt records nothing). The page and the API share the counters.

* per client address: ``OBJECTION_LIMITS[0]`` — 5 attempts per 10 minutes (the address as allauth's adapter
  reads it, so ``ALLAUTH_TRUSTED_PROXY_COUNT`` / ``ALLAUTH_TRUSTED_CLIENT_IP_HEADER`` apply; IPv6 by /64);
* per notice: ``OBJECTION_LIMITS[1]`` — 50 attempts per day, whoever sends them.

Every attempt that reaches the form counts (also one refused afterwards for a too-short text or a filled
honeypot), so a bot cannot probe for free. With several server processes the cache must be shared (database
or Redis cache, as for allauth's limits), or each process counts on its own.
"""

from __future__ import annotations

import hashlib
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from django.core.cache import cache

from gongyi.core.clientip import client_network


@dataclass(frozen=True)
class Limit:
    per: str  # "ip" | "notice"
    amount: int
    seconds: int
    message: str

    @property
    def code(self) -> str:
        """``5/600s/ip``: named in refusals and in the cache key."""
        return f"{self.amount}/{self.seconds}s/{self.per}"


OBJECTION_LIMITS = (
    Limit("ip", 5, 10 * 60, "同一网络地址 10 分钟内最多提交 5 次异议，请稍后再试；也可拨打公示上的监督电话"),
    Limit("notice", 50, 24 * 60 * 60, "该公示今天已收到 50 次异议提交，请明天再试，或拨打公示上的监督电话"),
)

LOCK_SECONDS = 10
LOCK_WAIT_SECONDS = 1.0


def client_address(request) -> str:
    """The caller's address (trusted proxies included), IPv6 cut to its /64."""
    return client_network(request)


def _key(limit: Limit, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"gongyi:aid:objection:{limit.code}:{digest}"


@contextmanager
def _lock(key: str):
    """``cache.add`` as a short lock around one read-modify-write (gives up after a second: refused)."""
    lock_key = f"{key}:lock"
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = 0.01
    while not cache.add(lock_key, 1, timeout=LOCK_SECONDS):
        if time.monotonic() >= deadline:
            yield False
            return
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
    try:
        yield True
    finally:
        cache.delete(lock_key)


@dataclass(frozen=True)
class Refused:
    limit: Limit
    retry_after: int  # seconds until the oldest counted attempt leaves the window

    @property
    def message(self) -> str:
        return self.limit.message


def consume_objection(request, notice_id: int, *, limits: tuple[Limit, ...] = OBJECTION_LIMITS) -> Refused | None:
    """Record one objection attempt, or return the first limit it would break (and record nothing)."""
    values = {"ip": client_address(request), "notice": str(notice_id)}
    keyed = [(limit, _key(limit, values[limit.per])) for limit in limits]
    now = time.time()
    with ExitStack() as stack:
        for limit, key in sorted(keyed, key=lambda pair: pair[1]):
            if not stack.enter_context(_lock(key)):
                return Refused(limit, 1)
        histories = []
        for limit, key in keyed:
            history = [t for t in cache.get(key, []) if t > now - limit.seconds]
            if len(history) >= limit.amount:
                return Refused(limit, max(1, int(min(history) + limit.seconds - now) + 1))
            histories.append((limit, key, history))
        for limit, key, history in histories:
            cache.set(key, [now, *history], limit.seconds)
    return None
