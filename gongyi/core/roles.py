"""Who is the regulator and who is federation staff: the one place the whole platform asks.

* **The regulator** (民政局, read-only oversight): an active user in the Django group ``regulator`` (made by
  the oversight app's migration ``0003``), or holding an active aid role ``regulator``. The regulator reads
  everything and changes nothing; ``gongyi.oversight.middleware`` refuses every unsafe request of a user who
  is the regulator and not also federation staff.
* **Federation staff** (市慈善总会): an active superuser, a user holding ``backoffice.see_all``, or a member
  of the group ``federation_staff``.

A user may be both (a federation officer who also has the regulator's view); such a user is treated as
federation staff for writes. Nothing here is cached on the user, so a role granted or withdrawn takes effect
on the next request.
"""

from __future__ import annotations

REGULATOR_GROUP = "regulator"
FEDERATION_STAFF_GROUP = "federation_staff"
SEE_ALL_PERMISSION = "backoffice.see_all"


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _in_group(user, name: str) -> bool:
    return user.groups.filter(name=name).exists()


def holds_aid_regulator_role(user) -> bool:
    """Whether the user holds an active aid ``regulator`` role."""
    if not _active(user):
        return False
    from gongyi.aid.models import AidRole, Role

    return AidRole.objects.filter(user_id=user.pk, role=Role.REGULATOR, is_active=True).exists()


def is_regulator(user) -> bool:
    """The regulator's read-only role: group ``regulator`` or an active aid ``regulator`` role."""
    if not _active(user):
        return False
    return _in_group(user, REGULATOR_GROUP) or holds_aid_regulator_role(user)


def is_federation_staff(user) -> bool:
    """Federation staff: superuser, ``backoffice.see_all``, or group ``federation_staff``."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return user.has_perm(SEE_ALL_PERMISSION) or _in_group(user, FEDERATION_STAFF_GROUP)


def is_read_only(user) -> bool:
    """The regulator and nothing more: every write of this user is refused."""
    return is_regulator(user) and not is_federation_staff(user)


def can_oversee(user) -> bool:
    """May read the oversight pages (the regulator's dashboard, the audit trail, finance controls)."""
    return is_regulator(user) or is_federation_staff(user)
