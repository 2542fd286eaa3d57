"""Fixtures for spending tests: users with and without the approval permission, a private media root."""

from __future__ import annotations

import pytest

from gongyi.spending.tests.helpers import make_user


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def clerk(django_user_model):
    """Records expenditures (and may approve others' expenditures, never their own)."""
    return make_user(django_user_model, "clerk", "spending.add_expenditure", "spending.approve_expenditure")


@pytest.fixture
def approvers(django_user_model):
    return [make_user(django_user_model, f"approver{i}", "spending.approve_expenditure") for i in range(1, 5)]
