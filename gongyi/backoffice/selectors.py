"""Reads for the back office, every one scoped to what the caller may see (see ``models`` for the rule).

Views and the API never query domain models directly: they ask here with an ``OfficeScope`` and get only the
caller's objects. ``..._for(scope, id)`` answers None for an id outside the scope, which pages and the API
turn into 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from gongyi.backoffice.models import OrganisationMembership, OrgRole, ProgressUpdate, UnitMembership
from gongyi.giving.models import Gift
from gongyi.orgs.models import Organisation
from gongyi.projects.models import Project, ProjectStatus

SEE_ALL = "backoffice.see_all"
FEDERATION_STAFF_GROUP = "federation_staff"
REVIEW = "backoffice.review_projects"

# What each role may do on its organisation's data.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    OrgRole.MANAGER: frozenset({"view", "view_names", "edit", "submit", "post_update", "record_spending", "export"}),
    OrgRole.EDITOR: frozenset({"view", "edit", "submit", "post_update", "record_spending"}),
    OrgRole.VIEWER: frozenset({"view"}),
}


@dataclass(frozen=True)
class OfficeScope:
    """What one user may see and do in the back office."""

    user_id: int | None
    roles: dict[int, str]  # organisation id → role
    unit_ids: frozenset[int]
    sees_all: bool = False
    reviews: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.roles or self.unit_ids or self.sees_all)

    def can(self, action: str, organisation_id: int) -> bool:
        """Whether the user may do ``action`` on this organisation's data (federation staff: view only)."""
        role = self.roles.get(organisation_id)
        if role is not None and action in ROLE_ACTIONS[role]:
            return True
        return self.sees_all and action in {"view", "view_names"}

    def sees_organisation(self, organisation_id: int) -> bool:
        return self.sees_all or organisation_id in self.roles

    def sees_unit(self, unit_id: int) -> bool:
        return self.sees_all or unit_id in self.unit_ids

    @property
    def writable_organisation_ids(self) -> list[int]:
        return [org for org, role in self.roles.items() if "edit" in ROLE_ACTIONS[role]]


NO_SCOPE = OfficeScope(user_id=None, roles={}, unit_ids=frozenset())


def scope_for(user) -> OfficeScope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_SCOPE
    roles = dict(OrganisationMembership.objects.filter(user_id=user.pk).values_list("organisation_id", "role"))
    units = frozenset(UnitMembership.objects.filter(user_id=user.pk).values_list("unit_id", flat=True))
    return OfficeScope(
        user_id=user.pk,
        roles=roles,
        unit_ids=units,
        # Federation staff, as ``gongyi.core.roles.is_federation_staff`` defines them: superusers, holders of
        # ``backoffice.see_all``, members of the group ``federation_staff``.
        sees_all=user.has_perm(SEE_ALL) or user.groups.filter(name=FEDERATION_STAFF_GROUP).exists(),
        reviews=user.has_perm(REVIEW),
    )


# --- organisations and projects -----------------------------------------------------------------------------


def organisations(scope: OfficeScope) -> QuerySet[Organisation]:
    qs = Organisation.objects.all() if scope.sees_all else Organisation.objects.filter(pk__in=list(scope.roles))
    return qs.order_by("name")


def organisation_for(scope: OfficeScope, organisation_id: int) -> Organisation | None:
    return organisations(scope).filter(pk=organisation_id).first()


def projects(scope: OfficeScope, *, status: str | None = None) -> QuerySet[Project]:
    qs = Project.objects.select_related("organisation", "campaign")
    if not scope.sees_all:
        qs = qs.filter(organisation_id__in=list(scope.roles))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")


def project_for(scope: OfficeScope, project_id: int) -> Project | None:
    return projects(scope).filter(pk=project_id).first()


def projects_in_review(scope: OfficeScope) -> QuerySet[Project]:
    return projects(scope, status=ProjectStatus.IN_REVIEW) if scope.reviews else Project.objects.none()


# --- gifts ----------------------------------------------------------------------------------------------------


def gifts(scope: OfficeScope, *, project: Project | None = None, organisation_id: int | None = None) -> QuerySet[Gift]:
    qs = Gift.objects.select_related("project", "order")
    if not scope.sees_all:
        qs = qs.filter(project__organisation_id__in=list(scope.roles))
    if project is not None:
        qs = qs.filter(project=project)
    if organisation_id is not None:
        qs = qs.filter(project__organisation_id=organisation_id)
    return qs.order_by("-paid_at", "-id")


def credits_by_gift(gift_ids) -> dict[int, object]:
    from gongyi.drives.models import GiftCredit

    return {c.gift_id: c for c in GiftCredit.objects.filter(gift_id__in=list(gift_ids)).select_related("unit", "team")}


# --- progress updates -----------------------------------------------------------------------------------------


def updates(scope: OfficeScope, *, project: Project | None = None) -> QuerySet[ProgressUpdate]:
    qs = ProgressUpdate.objects.select_related("project", "created_by").prefetch_related("photos")
    if not scope.sees_all:
        qs = qs.filter(project__organisation_id__in=list(scope.roles))
    if project is not None:
        qs = qs.filter(project=project)
    return qs


def update_for(scope: OfficeScope, update_id: int) -> ProgressUpdate | None:
    return updates(scope).filter(pk=update_id).first()


def public_updates(project: Project, *, limit: int = 20) -> list[ProgressUpdate]:
    """Updates shown on the project's public page: not withdrawn, of a public project, newest first."""
    if project.status not in (ProjectStatus.PUBLISHED, ProjectStatus.CLOSED):
        return []
    return list(
        ProgressUpdate.objects.filter(project=project, withdrawn_at__isnull=True).prefetch_related("photos")[:limit]
    )


def public_update(update_id: int) -> ProgressUpdate | None:
    return (
        ProgressUpdate.objects.select_related("project")
        .filter(
            pk=update_id,
            withdrawn_at__isnull=True,
            project__status__in=[ProjectStatus.PUBLISHED, ProjectStatus.CLOSED],
        )
        .first()
    )


# --- spending (the spending app's records, scoped) ------------------------------------------------------------


def expenditures(scope: OfficeScope, *, project: Project | None = None):
    from gongyi.spending.models import Expenditure

    qs = Expenditure.objects.select_related("project")
    if not scope.sees_all:
        qs = qs.filter(project__organisation_id__in=list(scope.roles))
    if project is not None:
        qs = qs.filter(project=project)
    return qs.order_by("-spent_on", "-id")


def expenditure_for(scope: OfficeScope, expenditure_id: int):
    return (
        expenditures(scope).select_related("recorded_by", "entry", "reversal_entry").filter(pk=expenditure_id).first()
    )


def voucher_for(scope: OfficeScope, voucher_id: int):
    from gongyi.spending.models import Voucher

    qs = Voucher.objects.select_related("expenditure", "expenditure__project")
    if not scope.sees_all:
        qs = qs.filter(expenditure__project__organisation_id__in=list(scope.roles))
    return qs.filter(pk=voucher_id).first()


# --- work units -------------------------------------------------------------------------------------------------


def units(scope: OfficeScope):
    from gongyi.drives.models import Unit

    qs = Unit.objects.select_related("district")
    if not scope.sees_all:
        qs = qs.filter(pk__in=list(scope.unit_ids))
    return qs.order_by("name")


def unit_for(scope: OfficeScope, unit_id: int):
    return units(scope).filter(pk=unit_id).first()


def unit_credits(scope: OfficeScope, unit):
    """The gifts credited to a unit the caller may see (live and reversed), newest first."""
    from gongyi.drives.models import GiftCredit

    if not scope.sees_unit(unit.pk):
        return GiftCredit.objects.none()
    return (
        GiftCredit.objects.filter(unit=unit)
        .select_related("gift", "gift__order", "gift__project", "team")
        .order_by("-id")
    )


def unit_receipts(scope: OfficeScope, unit):
    from gongyi.drives.models import ReceiptRequest

    if not scope.sees_unit(unit.pk):
        return ReceiptRequest.objects.none()
    return ReceiptRequest.objects.filter(unit=unit).order_by("-id")


def member_user_ids(organisation_id: int) -> list[int]:
    return list(
        OrganisationMembership.objects.filter(organisation_id=organisation_id).values_list("user_id", flat=True)
    )


def staff_of(scope: OfficeScope, organisation: Organisation) -> QuerySet[OrganisationMembership]:
    if not scope.can("view", organisation.pk):
        return OrganisationMembership.objects.none()
    return OrganisationMembership.objects.filter(organisation=organisation).select_related("user")


def needs_office_mfa(user) -> bool:
    """Back-office people (members, unit contacts, federation staff) must sign in with TOTP."""
    return not scope_for(user).is_empty
