"""The aid tests share the ``network`` fixture: districts, townships and villages with their stations and staff.

The cache holds the objection form's rate limits (and allauth's): every test starts with an empty one."""

import pytest
from django.core.cache import cache

from gongyi.aid.tests.fixtures import network  # noqa: F401 - the shared fixture


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()
