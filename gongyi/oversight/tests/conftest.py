"""Fixtures for oversight tests: a private media root, complaint handlers, the regulator, federation staff."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from gongyi.core.roles import FEDERATION_STAFF_GROUP, REGULATOR_GROUP


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def make_user(django_user_model, username: str, *permissions: str, groups=(), **fields):
    user = django_user_model.objects.create_user(username=username, password=None, **fields)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return django_user_model.objects.get(pk=user.pk)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def handler(django_user_model):
    return make_user(django_user_model, "handler", "oversight.handle_complaint", is_staff=True)


@pytest.fixture
def second_handler(django_user_model):
    return make_user(django_user_model, "handler2", "oversight.handle_complaint", is_staff=True)


@pytest.fixture
def regulator(django_user_model):
    return make_user(django_user_model, "mzj", groups=[REGULATOR_GROUP])


@pytest.fixture
def federation(django_user_model):
    return make_user(django_user_model, "federation", groups=[FEDERATION_STAFF_GROUP], is_staff=True)
