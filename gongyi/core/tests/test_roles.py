"""Who is the regulator and who is federation staff (gongyi.core.roles)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission

from gongyi.core.roles import (
    FEDERATION_STAFF_GROUP,
    REGULATOR_GROUP,
    can_oversee,
    is_federation_staff,
    is_read_only,
    is_regulator,
)

pytestmark = pytest.mark.django_db


def user(django_user_model, name: str, *groups: str, **fields):
    made = django_user_model.objects.create_user(name, password=None, **fields)
    for group in groups:
        made.groups.add(Group.objects.get_or_create(name=group)[0])
    return django_user_model.objects.get(pk=made.pk)


def test_the_regulator_is_the_group_and_is_read_only(django_user_model):
    regulator = user(django_user_model, "mzj", REGULATOR_GROUP)
    assert is_regulator(regulator) and not is_federation_staff(regulator)
    assert is_read_only(regulator) and can_oversee(regulator)


def test_plain_users_staff_and_anonymous_are_neither(django_user_model):
    for someone in (
        AnonymousUser(),
        None,
        user(django_user_model, "donor"),
        user(django_user_model, "clerk", is_staff=True),
    ):
        assert not is_regulator(someone) and not is_federation_staff(someone)
        assert not is_read_only(someone) and not can_oversee(someone)


def test_federation_staff_is_superuser_see_all_or_the_group(django_user_model):
    superuser = user(django_user_model, "root", is_superuser=True, is_staff=True)
    grouped = user(django_user_model, "officer", FEDERATION_STAFF_GROUP)
    see_all = django_user_model.objects.create_user("seeall", password=None)
    see_all.user_permissions.add(Permission.objects.get(codename="see_all", content_type__app_label="backoffice"))
    see_all = django_user_model.objects.get(pk=see_all.pk)
    for person in (superuser, grouped, see_all):
        assert is_federation_staff(person) and can_oversee(person) and not is_regulator(person)


def test_a_regulator_who_is_also_federation_staff_may_write(django_user_model):
    both = user(django_user_model, "both", REGULATOR_GROUP, FEDERATION_STAFF_GROUP)
    assert is_regulator(both) and is_federation_staff(both) and not is_read_only(both)


def test_roles_end_with_the_account_and_follow_group_changes(django_user_model):
    regulator = user(django_user_model, "gone", REGULATOR_GROUP, is_active=False)
    assert not is_regulator(regulator) and not is_read_only(regulator)
    active = user(django_user_model, "moved", REGULATOR_GROUP)
    active.groups.clear()
    assert not is_regulator(active)  # nothing cached on the user


def test_an_active_aid_regulator_role_makes_the_regulator(django_user_model):
    from gongyi.aid.models import AidRole, Role

    person = user(django_user_model, "aidreg")
    role = AidRole.objects.create(user=person, role=Role.REGULATOR)
    assert is_regulator(person) and is_read_only(person)
    AidRole.objects.filter(pk=role.pk).update(is_active=False)
    assert not is_regulator(person)
    AidRole.objects.create(user=person, role=Role.FEDERATION_STAFF)
    assert not is_regulator(person)
