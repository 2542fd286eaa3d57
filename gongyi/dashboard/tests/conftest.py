"""Every dashboard test starts with an empty cache: snapshots must never leak from one test into the next."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()
