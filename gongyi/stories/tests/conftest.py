"""Case stories read consents from the aid app: its ``network`` fixture gives stations and caseworkers."""

from gongyi.aid.tests.fixtures import network  # noqa: F401 - the aid app's shared fixture
