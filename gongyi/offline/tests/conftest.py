"""Fixtures: a private media root, the federation, staff who enter and staff who check."""

from __future__ import annotations

import pytest

from gongyi.offline.tests import helpers


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def federation(db):
    return helpers.make_federation()


@pytest.fixture
def offline_staff(django_user_model):
    """(clerk who enters, checker who checks) for offline gifts."""
    return helpers.clerk_and_checker(django_user_model, "offline", helpers.ENTER, helpers.CHECK)


@pytest.fixture
def goods_staff(django_user_model):
    """(clerk who registers and hands out, checker who accepts) for in-kind gifts."""
    return helpers.clerk_and_checker(django_user_model, "goods", helpers.IN_KIND_CLERK, helpers.IN_KIND_CHECKER)


@pytest.fixture
def fund_staff(django_user_model):
    """(clerk who creates funds and proposes grants, approver)."""
    return helpers.clerk_and_checker(django_user_model, "funds", helpers.FUND_CLERK, helpers.FUND_APPROVER)
