"""Reads for casework, always through the user's scope: which cases, stations, notices and logs a user may
see. Views and the API get every case through ``visible_cases`` / ``visible_case``; nothing else
decides visibility.

Scope: each active ``AidRole`` covers the region subtree under its region (a ``region_path`` prefix, from
the Region parent chain, so development zones and re-parented villages need no code convention);
federation staff and the regulator cover everything. A user with no active role sees nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from gongyi.aid.models import (
    ALL_REGION_ROLES,
    AccessLog,
    AidCase,
    AidRole,
    Disbursement,
    DisbursementMethod,
    Notice,
    NoticeStatus,
    Role,
    Station,
)
from gongyi.orgs.models import Region

# Which roles may do what (the regulator appears only where reading is enough).
READ_ROLES = frozenset(Role.values)
INTAKE_ROLES = frozenset({Role.STATION_STAFF, Role.DISTRICT_STAFF, Role.CITY_STAFF, Role.FEDERATION_STAFF})
FOLLOW_UP_ROLES = frozenset(
    {Role.SOCIAL_WORKER, Role.STATION_STAFF, Role.DISTRICT_STAFF, Role.CITY_STAFF, Role.FEDERATION_STAFF}
)
RESOLVE_ROLES = frozenset({Role.CITY_STAFF, Role.FEDERATION_STAFF})
DISBURSE_ROLES = frozenset({Role.CITY_STAFF, Role.FEDERATION_STAFF})
CLOSE_ROLES = frozenset({Role.DISTRICT_STAFF, Role.CITY_STAFF, Role.FEDERATION_STAFF})
EXPORT_ROLES = frozenset({Role.DISTRICT_STAFF, Role.CITY_STAFF, Role.FEDERATION_STAFF})
ACCESS_LOG_ROLES = frozenset({Role.REGULATOR, Role.FEDERATION_STAFF})
# Region levels a review level accepts (development zones act as districts).
LEVEL_REGIONS = {
    "village": {"village"},
    "township": {"township"},
    "district": {"district", "zone"},
    "city": {"city"},
}


def region_path_of(region: Region) -> str:
    """``/420000/420700/420702/…/`` from the region up its parent chain (at most a few queries)."""
    codes: list[str] = []
    node: Region | None = region
    seen: set[str] = set()
    while node is not None and node.code not in seen:
        seen.add(node.code)
        codes.append(node.code)
        node = Region.objects.filter(pk=node.parent_id).first() if node.parent_id else None
    return "/" + "/".join(reversed(codes)) + "/"


def all_region_paths() -> dict[str, str]:
    """Every region's path, from one query (regions are a few thousand rows at most)."""
    parents = dict(Region.objects.values_list("code", "parent_id"))
    paths: dict[str, str] = {}

    def path_of(code: str) -> str:
        if code in paths:
            return paths[code]
        chain = []
        node: str | None = code
        while node is not None and node not in chain and len(chain) < 16:
            chain.append(node)
            node = parents.get(node)
        paths[code] = "/" + "/".join(reversed(chain)) + "/"
        return paths[code]

    for code in parents:
        path_of(code)
    return paths


@dataclass(frozen=True)
class Grant:
    role: str
    region_path: str  # "" = everything
    region_level: str
    station_id: int | None


@dataclass(frozen=True)
class Scope:
    """A user's active roles with their reach; empty for anonymous users and users without roles."""

    user_id: int | None
    grants: tuple[Grant, ...] = ()
    role_names: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not self.grants

    @property
    def sees_everything(self) -> bool:
        return any(g.role in ALL_REGION_ROLES for g in self.grants)

    @property
    def read_only(self) -> bool:
        """Only regulator roles: may read, never write."""
        return bool(self.grants) and all(g.role == Role.REGULATOR for g in self.grants)

    def covers(self, path: str, roles: Iterable[str] = READ_ROLES) -> bool:
        roles = set(roles)
        return any(g.role in roles and path.startswith(g.region_path) for g in self.grants)

    def label(self) -> str:
        return ",".join(sorted(self.role_names))[:200]


def scope_of(user) -> Scope:
    """The user's scope, computed once per user object (per request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope(user_id=None)
    cached = getattr(user, "_aid_scope", None)
    if cached is not None:
        return cached
    grants = tuple(
        Grant(r.role, r.region_path, r.region.level if r.region_id else "", r.station_id)
        for r in AidRole.objects.filter(user=user, is_active=True).select_related("region", "station")
        if r.station_id is None or r.station.is_active
    )
    scope = Scope(user_id=user.pk, grants=grants, role_names=frozenset(g.role for g in grants))
    user._aid_scope = scope
    return scope


def needs_aid_mfa(user) -> bool:
    """Holders of an active aid role (the regulator's included) must sign in with TOTP and may not remove it
    (``gongyi.core.mfa.needs_mfa``). Broader than ``scope_of``: a role at a deactivated station counts too."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.pk:
        return False
    return AidRole.objects.filter(user_id=user.pk, is_active=True).exists()


def _path_filter(scope: Scope, roles: Iterable[str] = READ_ROLES) -> Q | None:
    """Q over ``region_path`` for the given roles; None = nothing; Q() = everything."""
    roles = set(roles)
    paths = [g.region_path for g in scope.grants if g.role in roles]
    if not paths:
        return None
    if "" in paths:
        return Q()
    q = Q()
    for path in sorted(set(paths)):
        q |= Q(region_path__startswith=path)
    return q


def visible_cases(user) -> QuerySet[AidCase]:
    """Every case the user may see (masked); the only way views and the API find cases."""
    q = _path_filter(scope_of(user))
    if q is None:
        return AidCase.objects.none()
    return AidCase.objects.filter(q).select_related("programme", "beneficiary", "region", "current_step", "station")


def visible_case(user, case_number: str) -> AidCase | None:
    return visible_cases(user).filter(case_number=case_number).first()


def visible_stations(user) -> QuerySet[Station]:
    q = _path_filter(scope_of(user))
    if q is None:
        return Station.objects.none()
    return Station.objects.filter(q).select_related("region")


def can(user, roles: Iterable[str], case: AidCase) -> bool:
    """Whether the user holds one of ``roles`` over the case's region (the regulator never writes)."""
    return scope_of(user).covers(case.region_path, roles)


def can_review(user, case: AidCase) -> bool:
    """Whether the user may decide the case's current review step: the step's role, at the step's level,
    over the case's region (federation staff may act at city-level steps)."""
    step = case.current_step
    if step is None or case.status != "in_review":
        return False
    for grant in scope_of(user).grants:
        if not case.region_path.startswith(grant.region_path):
            continue
        if (
            grant.role == Role.FEDERATION_STAFF
            and step.level == "city"
            and step.role
            in (
                Role.CITY_STAFF,
                Role.FEDERATION_STAFF,
            )
        ):
            return True
        if grant.role == step.role and grant.region_level in LEVEL_REGIONS.get(step.level, set()):
            return True
    return False


def can_browse_access_log(user) -> bool:
    return any(g.role in ACCESS_LOG_ROLES for g in scope_of(user).grants)


def access_log(user) -> QuerySet[AccessLog]:
    if not can_browse_access_log(user):
        return AccessLog.objects.none()
    return AccessLog.objects.select_related("user", "case")


def public_notices(*, today: date, programme=None) -> QuerySet[Notice]:
    """Notices the public sees: running or paused, from their first day (only masked columns are used)."""
    qs = Notice.objects.filter(
        status__in=(NoticeStatus.RUNNING, NoticeStatus.PAUSED), starts_on__lte=today
    ).select_related("programme")
    if programme is not None:
        qs = qs.filter(programme=programme)
    return qs.order_by("ends_on", "id")


MINOR_PUBLIC_NAME = "未成年人（姓名不公开）"


@dataclass(frozen=True)
class PublicDisbursement:
    """One line of aid on a project's public accounts: nothing a notice did not already show."""

    paid_on: date
    programme: str
    case_number: str
    name: str  # as the case's notice showed it (张*, 未成年人（姓名不公开）, * once anonymised)
    amount_fen: int
    method: str
    method_label: str
    reversed: bool  # its ledger entry has been reversed (then it no longer counts in the figures)


def public_disbursements(project) -> list[PublicDisbursement]:
    """Aid paid from a project (its ledger entries' project), newest first, for the public accounts page.

    One query, and only plain columns: the sealed ones (account holder, bank, account number) are never
    fetched. The name is the masked one of the case's latest notice; a case without one (not expected: aid
    is paid after the notice) falls back to the beneficiary's masked name, or the minor's label.
    """
    from gongyi.ledger.models import JournalEntry

    latest_notice = Notice.objects.filter(case=OuterRef("case")).order_by("-id").values("masked_name")[:1]
    rows = (
        Disbursement.objects.filter(entry__project=project, entry__is_posted=True)
        .annotate(
            notice_name=Subquery(latest_notice),
            is_reversed=Exists(JournalEntry.objects.filter(reverses=OuterRef("entry"))),
        )
        .order_by("-paid_on", "-id")
        .values(
            "paid_on",
            "amount_fen",
            "method",
            "case__case_number",
            "case__programme__name",
            "case__applicant_under_14",
            "case__beneficiary__masked_name",
            "notice_name",
            "is_reversed",
        )
    )
    labels = dict(DisbursementMethod.choices)
    result = []
    for row in rows:
        name = row["notice_name"]
        if not name:
            name = MINOR_PUBLIC_NAME if row["case__applicant_under_14"] else row["case__beneficiary__masked_name"]
        result.append(
            PublicDisbursement(
                paid_on=row["paid_on"],
                programme=row["case__programme__name"],
                case_number=row["case__case_number"],
                name=name or "*",
                amount_fen=row["amount_fen"],
                method=row["method"],
                method_label=str(labels.get(row["method"], row["method"])),
                reversed=row["is_reversed"],
            )
        )
    return result


# --- coverage -------------------------------------------------------------------------------------------


@dataclass
class CoverageRow:
    region: Region
    villages: int = 0
    with_station: int = 0
    with_staff: int = 0
    uncovered: list[Region] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return self.with_staff * 100 // self.villages if self.villages else 0


@dataclass
class Coverage:
    total: CoverageRow
    by_township: list[CoverageRow]
    stations_by_level: dict[str, int]


def coverage_report(user) -> Coverage | None:
    """Which villages in the user's scope have an active station with active staff, by township."""
    scope = scope_of(user)
    if scope.is_empty:
        return None
    paths = [g.region_path for g in scope.grants]
    regions = {r.code: r for r in Region.objects.all()}
    region_paths = all_region_paths()
    children: dict[str | None, list[Region]] = defaultdict(list)
    for region in regions.values():
        children[region.parent_id].append(region)

    def visible(code: str) -> bool:
        path = region_paths.get(code, "")
        return any(path.startswith(p) for p in paths)

    stations = {s.region_id: s for s in Station.objects.filter(is_active=True)}
    staffed = set(
        AidRole.objects.filter(
            role=Role.STATION_STAFF, is_active=True, user__is_active=True, station__is_active=True
        ).values_list("station__region_id", flat=True)
    )
    total_root = Region(code="", name="合计", level="")
    total = CoverageRow(region=total_root)
    rows: list[CoverageRow] = []
    for township in sorted((r for r in regions.values() if r.level == "township"), key=lambda r: r.code):
        villages = [v for v in children.get(township.code, []) if v.level == "village" and visible(v.code)]
        if not villages:
            continue
        row = CoverageRow(region=township)
        for village in sorted(villages, key=lambda r: r.code):
            row.villages += 1
            if village.code in stations:
                row.with_station += 1
                if village.code in staffed:
                    row.with_staff += 1
                    continue
            row.uncovered.append(village)
        rows.append(row)
        total.villages += row.villages
        total.with_station += row.with_station
        total.with_staff += row.with_staff
    by_level: dict[str, int] = defaultdict(int)
    for station in stations.values():
        if visible(station.region_id):
            by_level[station.level] += 1
    return Coverage(total=total, by_township=rows, stations_by_level=dict(by_level))
