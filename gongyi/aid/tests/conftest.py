"""The aid tests share the ``network`` fixture: districts, townships and villages with their stations and staff."""

from gongyi.aid.tests.fixtures import network  # noqa: F401 - the shared fixture
