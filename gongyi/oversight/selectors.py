"""Reads of oversight: disclosure worklists and public reports; complaints (public tracking, worklists,
statistics); finance-control figures from the ledger; the regulator's overviews of projects, organisations
and ledger accounts. The unified audit trail is in ``oversight.trail``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from gongyi.ledger.models import Account, AccountKind, JournalEntry, JournalLine
from gongyi.oversight.finance import Assessment, Limits, YearFigures, assess
from gongyi.oversight.models import (
    OPEN_COMPLAINT_STATUSES,
    OPEN_STATUSES,
    REPLIED_COMPLAINT_STATUSES,
    Complaint,
    ComplaintOutcome,
    ComplaintStatus,
    ComplaintSubject,
    DisclosureItem,
    DisclosureReport,
    FinanceLimit,
    ItemStatus,
)
from gongyi.spending.selectors import AccountsFigures


@dataclass(frozen=True)
class Worklist:
    today: date
    overdue: list[DisclosureItem]
    due_soon: list[DisclosureItem]
    recently_done: list[DisclosureItem]


def region_prefix(code: str) -> str:
    """GB/T 2260 levels are pairs of digits: 420700 (a city) covers every code starting 4207."""
    code = code.strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def scoped_items(*, organisation=None, region_code: str | None = None, project=None) -> QuerySet[DisclosureItem]:
    """Items, narrowed to one organisation, one region (GB/T 2260 prefix) or one project when given.

    The regulator's read-only view will call this with its region; staff pages call it unscoped.
    """
    qs = DisclosureItem.objects.select_related("project", "project__organisation", "report")
    if organisation is not None:
        qs = qs.filter(project__organisation=organisation)
    if region_code:
        qs = qs.filter(project__organisation__region__code__startswith=region_prefix(region_code))
    if project is not None:
        qs = qs.filter(project=project)
    return qs


def disclosure_worklist(
    *, today: date, horizon_days: int = 30, done_days: int = 30, organisation=None, region_code: str | None = None
) -> Worklist:
    """Overdue items (the last day has passed, whether or not the task has marked them yet), items due within
    ``horizon_days``, and items done in the last ``done_days``."""
    items = scoped_items(organisation=organisation, region_code=region_code)
    overdue = items.filter(Q(status=ItemStatus.OVERDUE) | Q(status=ItemStatus.PENDING, due_on__lt=today))
    due_soon = items.filter(status=ItemStatus.PENDING, due_on__gte=today, due_on__lte=today + timedelta(horizon_days))
    done = items.filter(status=ItemStatus.DONE, done_on__gte=today - timedelta(done_days))
    return Worklist(
        today=today,
        overdue=list(overdue.order_by("due_on", "id")),
        due_soon=list(due_soon.order_by("due_on", "id")),
        recently_done=list(done.order_by("-done_on", "-id")),
    )


def open_items(project) -> list[DisclosureItem]:
    return list(DisclosureItem.objects.filter(project=project, status__in=OPEN_STATUSES).order_by("due_on", "id"))


@dataclass(frozen=True)
class ProjectDisclosure:
    """What the public sees of a project's disclosure duty: reports, the next deadline, what is overdue."""

    reports: list[DisclosureReport]
    next_item: DisclosureItem | None
    overdue: list[DisclosureItem]


def project_disclosure(project, *, today: date) -> ProjectDisclosure:
    items = open_items(project)
    return ProjectDisclosure(
        reports=public_reports(project),
        next_item=next((i for i in items if i.due_on >= today), None),
        overdue=[i for i in items if i.due_on < today],
    )


def public_reports(project) -> list[DisclosureReport]:
    return list(DisclosureReport.objects.filter(project=project).prefetch_related("items").order_by("-published_at"))


def public_report(report_id: int) -> DisclosureReport | None:
    from gongyi.projects.selectors import PUBLIC_STATUSES

    return DisclosureReport.objects.filter(pk=report_id, project__status__in=PUBLIC_STATUSES).first()


# --- complaints ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineStep:
    at: object
    label: str


@dataclass(frozen=True)
class PublicComplaint:
    """What the public tracking page shows: never the text, the complainant, the attachments or notes."""

    tracking_number: str
    subject_kind_label: str
    subject_label: str
    received_on: date
    answer_due_on: date
    status: str
    status_label: str
    is_overdue: bool
    is_replied: bool
    outcome_label: str
    answer: str  # empty when not public
    answer_withheld: bool
    answered_on: date | None
    answered_late: bool
    merged_answer: str  # the original's public answer, for a complaint merged into it
    timeline: list[TimelineStep]


PUBLIC_TIMELINE_KINDS = {
    "filed": "收到举报",
    "triaged": "已受理",
    "investigating": "调查核实中",
    "answered": "已答复",
    "closed": "已办结",
    "rejected": "不予受理",
    "duplicate": "合并处理",
    "overdue_flagged": "逾期未答复，已报告监管部门",
}


def public_subject_label(complaint: Complaint) -> str:
    """The subject as the public may see it: what the complainant typed under "other" is not shown."""
    if complaint.subject_kind == ComplaintSubject.OTHER:
        return ComplaintSubject.OTHER.label
    return complaint.subject_label


def public_complaint(tracking_number: str, *, today: date) -> PublicComplaint | None:
    complaint = (
        Complaint.objects.filter(tracking_number=tracking_number).select_related("duplicate_of").first()
        if tracking_number
        else None
    )
    if complaint is None:
        return None
    events = complaint.events.filter(kind__in=list(PUBLIC_TIMELINE_KINDS)).order_by("at", "id")
    merged = ""
    original = complaint.duplicate_of
    if original is not None and original.status in REPLIED_COMPLAINT_STATUSES and original.answer_is_public:
        merged = original.answer
    return PublicComplaint(
        tracking_number=complaint.tracking_number,
        subject_kind_label=complaint.get_subject_kind_display(),
        subject_label=public_subject_label(complaint),
        received_on=timezone.localdate(complaint.received_at),
        answer_due_on=complaint.answer_due_on,
        status=complaint.status,
        status_label=complaint.get_status_display(),
        is_overdue=complaint.is_overdue(today),
        is_replied=complaint.status in REPLIED_COMPLAINT_STATUSES,
        outcome_label=complaint.get_outcome_display() if complaint.outcome else "",
        answer=complaint.answer if complaint.answer_is_public else "",
        answer_withheld=complaint.status in REPLIED_COMPLAINT_STATUSES and not complaint.answer_is_public,
        answered_on=timezone.localdate(complaint.answered_at) if complaint.answered_at else None,
        answered_late=complaint.answered_late,
        merged_answer=merged,
        timeline=[TimelineStep(e.at, PUBLIC_TIMELINE_KINDS[e.kind]) for e in events],
    )


def public_answers(limit: int = 20) -> list[Complaint]:
    """Recent replies published on the complaints page (answered or closed, public answer)."""
    return list(
        Complaint.objects.filter(
            status__in=(ComplaintStatus.ANSWERED, ComplaintStatus.CLOSED), answer_is_public=True
        ).order_by("-answered_at", "-id")[:limit]
    )


def complaint_list(
    *,
    today: date,
    status: str | None = None,
    subject_kind: str | None = None,
    overdue_only: bool = False,
    flagged_only: bool = False,
    organisation=None,
    query: str = "",
) -> QuerySet[Complaint]:
    """Complaints for the staff worklist and the regulator, newest first, filtered as asked."""
    qs = Complaint.objects.select_related("handler", "project", "organisation").annotate(
        attachment_count=Count("attachments", distinct=True)
    )
    if status:
        qs = qs.filter(status=status)
    if subject_kind:
        qs = qs.filter(subject_kind=subject_kind)
    if overdue_only:
        qs = qs.filter(status__in=OPEN_COMPLAINT_STATUSES, answer_due_on__lt=today)
    if flagged_only:
        qs = qs.filter(overdue_flagged_at__isnull=False)
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    if query:
        qs = qs.filter(Q(tracking_number__icontains=query) | Q(subject_label__icontains=query))
    return qs.order_by("-received_at", "-id")


def overdue_complaints(*, today: date) -> list[Complaint]:
    """Complaints still waiting after their last day (flagged or not yet), oldest deadline first."""
    return list(
        Complaint.objects.filter(status__in=OPEN_COMPLAINT_STATUSES, answer_due_on__lt=today)
        .select_related("handler")
        .order_by("answer_due_on", "id")
    )


@dataclass(frozen=True)
class ComplaintStats:
    total: int
    by_status: list[tuple[str, str, int]]  # (status, label, count)
    subjects: list[tuple[str, str]]  # (kind, label) rows of the table
    outcomes: list[tuple[str, str]]  # (outcome, label) columns; "" = not yet replied
    table: dict[tuple[str, str], int]  # (subject kind, outcome or "") → count
    subject_totals: dict[str, int]
    outcome_totals: dict[str, int]
    replied: int
    replied_on_time: int
    open_overdue: int
    ever_flagged: int

    @property
    def on_time_percent(self) -> int | None:
        return self.replied_on_time * 100 // self.replied if self.replied else None

    def count(self, subject: str, outcome: str) -> int:
        return self.table.get((subject, outcome), 0)


def complaint_stats(*, today: date, since: date | None = None, until: date | None = None) -> ComplaintStats:
    """Counts by subject and outcome (and status), replies on time, overdue — over complaints received in
    [since, until] (local dates), all of them by default. Three aggregate queries."""
    qs = Complaint.objects.all()
    if since:
        qs = qs.filter(received_at__date__gte=since)
    if until:
        qs = qs.filter(received_at__date__lte=until)
    table: dict[tuple[str, str], int] = {}
    for row in qs.values("subject_kind", "outcome").annotate(n=Count("id")):
        table[(row["subject_kind"], row["outcome"])] = row["n"]
    by_status_counts = dict(qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    replied_rows = list(qs.filter(status__in=REPLIED_COMPLAINT_STATUSES).values_list("answered_at", "answer_due_on"))
    replied_on_time = sum(
        1 for answered_at, due in replied_rows if answered_at and timezone.localdate(answered_at) <= due
    )
    outcomes = [(value, label) for value, label in ComplaintOutcome.choices] + [("", "尚未答复")]
    subjects = list(ComplaintSubject.choices)
    subject_totals = {kind: sum(n for (s, _o), n in table.items() if s == kind) for kind, _ in subjects}
    outcome_totals = {value: sum(n for (_s, o), n in table.items() if o == value) for value, _ in outcomes}
    return ComplaintStats(
        total=sum(table.values()),
        by_status=[(value, label, by_status_counts.get(value, 0)) for value, label in ComplaintStatus.choices],
        subjects=subjects,
        outcomes=outcomes,
        table=table,
        subject_totals=subject_totals,
        outcome_totals=outcome_totals,
        replied=len(replied_rows),
        replied_on_time=replied_on_time,
        open_overdue=qs.filter(status__in=OPEN_COMPLAINT_STATUSES, answer_due_on__lt=today).count(),
        ever_flagged=qs.filter(overdue_flagged_at__isnull=False).count(),
    )


# --- finance controls --------------------------------------------------------------------------------------------


INCOME_KIND_FIELDS = {
    AccountKind.PROJECT_DONATIONS: "donations_fen",
    AccountKind.PROJECT_MATCHING: "matched_fen",
    AccountKind.PROJECT_INCENTIVES: "incentive_fen",
    # Kinds of the offline, in-kind and named-fund apps, by value (counted when such accounts exist).
    "general_fund": "offline_fen",  # unrestricted gifts to the organisation, by bank or cash
    "in_kind_donations": "in_kind_fen",
}
IN_KIND_HANDOUTS = "in_kind_handouts"
SPENDING_KINDS = (AccountKind.PROJECT_SPENDING, IN_KIND_HANDOUTS)
# Organisation-level accounts (no project) are named ``org:<organisation id>:…``.
ORGANISATION_ACCOUNT_KINDS = ("general_fund", "in_kind_donations", IN_KIND_HANDOUTS)
OFFLINE_GATEWAY = "offline"


def _year_bounds(first_year: int, last_year: int) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    return datetime(first_year, 1, 1, tzinfo=zone), datetime(last_year + 1, 1, 1, tzinfo=zone)


def _organisation_of(code: str) -> int | None:
    parts = code.split(":")
    return int(parts[1]) if len(parts) >= 3 and parts[0] == "org" and parts[1].isdigit() else None


def ledger_year_figures(organisation_ids: Iterable[int], years: Iterable[int]) -> dict[tuple[int, int], YearFigures]:
    """Each organisation's income and spending per local calendar year, from posted ledger lines. One query,
    whatever the number of organisations and years.

    Income: its projects' donations, matching and incentives accounts, and its own unrestricted-gift and
    in-kind-donation accounts (credit-normal, so negated). Donations given offline — units' bank transfers
    (drives) and gifts through the ``offline`` gateway — are told apart from online gifts by their entry (a
    reversal by the entry it reverses). Spending: its projects' spending accounts by category, and goods
    handed out (``in_kind``). Named funds are not counted yet (see docs/oversight.md).
    """
    from gongyi.drives.models import UnitOfflineGift

    ids, wanted = set(organisation_ids), sorted(set(years))
    if not ids or not wanted:
        return {}
    start, end = _year_bounds(wanted[0], wanted[-1])
    zone = ZoneInfo(settings.TIME_ZONE)
    rows = (
        JournalLine.objects.filter(
            Q(account__project__organisation_id__in=ids)
            | Q(
                account__project__isnull=True,
                account__kind__in=ORGANISATION_ACCOUNT_KINDS,
                account__code__startswith="org:",
            ),
            entry__is_posted=True,
            entry__occurred_at__gte=start,
            entry__occurred_at__lt=end,
            account__kind__in=[*INCOME_KIND_FIELDS, *SPENDING_KINDS],
        )
        .annotate(
            year=ExtractYear("entry__occurred_at", tzinfo=zone),
            organisation_id=F("account__project__organisation_id"),
            lot=Coalesce("entry__reverses_id", "entry_id"),
            gateway=F("entry__gift__gateway"),
        )
        .annotate(unit_transfer=Exists(UnitOfflineGift.objects.filter(entry_id=OuterRef("lot"))))
        .values("organisation_id", "year", "account__kind", "account__code", "unit_transfer", "gateway")
        .annotate(total=Sum("amount_fen"))
    )
    result: dict[tuple[int, int], dict] = {}
    for row in rows:
        organisation_id = row["organisation_id"] or _organisation_of(row["account__code"])
        if organisation_id not in ids or row["year"] not in wanted:
            continue
        data = result.setdefault((organisation_id, row["year"]), {"spent_by_category": defaultdict(int)})
        kind, total = row["account__kind"], row["total"] or 0
        if kind == AccountKind.PROJECT_SPENDING:
            data["spent_by_category"][row["account__code"].rsplit(":", 1)[1]] += total
        elif kind == IN_KIND_HANDOUTS:
            data["spent_by_category"]["in_kind"] += total
        else:
            name = INCOME_KIND_FIELDS[kind]
            if kind == AccountKind.PROJECT_DONATIONS and (row["unit_transfer"] or row["gateway"] == OFFLINE_GATEWAY):
                name = "offline_fen"
            data[name] = data.get(name, 0) - total
    return {
        key: YearFigures(
            year=key[1],
            **{k: v for k, v in data.items() if k != "spent_by_category"},
            spent_by_category={c: fen for c, fen in data["spent_by_category"].items() if fen},
        )
        for key, data in result.items()
    }


def limits_for(organisation, limits_by_kind: dict | None = None) -> FinanceLimit | None:
    """The organisation's own limits when set, else its kind's, else None (nothing is checked)."""
    own = getattr(organisation, "finance_limit", None) if hasattr(organisation, "finance_limit") else None
    if own is not None:
        return own
    if limits_by_kind is None:
        return FinanceLimit.objects.filter(organisation__isnull=True, organisation_kind=organisation.kind).first()
    return limits_by_kind.get(organisation.kind)


def as_limits(limit: FinanceLimit | None) -> Limits | None:
    if limit is None:
        return None
    return Limits(
        min_charity_spending_bp=limit.min_charity_spending_bp,
        max_management_bp=limit.max_management_bp,
        max_fundraising_cost_bp=limit.max_fundraising_cost_bp,
        warning_margin_bp=limit.warning_margin_bp,
        management_exemption_fen=limit.management_exemption_fen,
    )


@dataclass(frozen=True)
class OrganisationFinance:
    organisation: object
    limit: FinanceLimit | None
    assessment: Assessment

    @property
    def status(self) -> str:
        return self.assessment.status


def finance_controls(*, year: int, today: date, organisations=None) -> list[OrganisationFinance]:
    """Every organisation with projects (or the ones given), assessed for ``year`` against its limits.
    A year not yet over is "in progress": shortfalls are warnings, not breaches. Three queries."""
    from gongyi.orgs.models import Organisation

    if organisations is None:
        organisations = Organisation.objects.filter(projects__isnull=False).distinct()
    organisations = list(organisations.select_related("finance_limit").order_by("name"))
    limits_by_kind = {
        limit.organisation_kind: limit for limit in FinanceLimit.objects.filter(organisation__isnull=True)
    }
    years = [year - 3, year - 2, year - 1, year]
    figures = ledger_year_figures([o.pk for o in organisations], years)
    in_progress = year >= today.year
    result = []
    for organisation in organisations:
        limit = limits_for(organisation, limits_by_kind)
        current = figures.get((organisation.pk, year)) or YearFigures(year=year)
        prior = [(figures.get((organisation.pk, y)) or YearFigures(year=y)).income_fen for y in years[2::-1]]
        result.append(
            OrganisationFinance(
                organisation=organisation,
                limit=limit,
                assessment=assess(
                    figures=current, prior_incomes=prior, limits=as_limits(limit), in_progress=in_progress
                ),
            )
        )
    return result


def finance_warnings(*, year: int, today: date) -> list[OrganisationFinance]:
    """The organisations with a warning or a breach in ``year``, breaches first."""
    flagged = [row for row in finance_controls(year=year, today=today) if row.status in ("warning", "breach")]
    return sorted(flagged, key=lambda row: (row.status != "breach", row.organisation.name))


# --- the regulator's overviews --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectOverview:
    project: object
    figures: AccountsFigures
    open_disclosures: int
    overdue_disclosures: int
    complaints: int


def projects_overview(*, today: date, status: str | None = None) -> list[ProjectOverview]:
    """Every project (any status) with its ledger figures, open and overdue disclosures and complaints."""
    from gongyi.projects.models import Project
    from gongyi.spending.selectors import accounts_for_projects

    qs = Project.objects.select_related("organisation", "campaign").annotate(
        open_items=Count("disclosure_items", filter=Q(disclosure_items__status__in=OPEN_STATUSES), distinct=True),
        overdue_items=Count(
            "disclosure_items",
            filter=Q(disclosure_items__status__in=OPEN_STATUSES, disclosure_items__due_on__lt=today),
            distinct=True,
        ),
        complaint_count=Count("complaints", distinct=True),
    )
    if status:
        qs = qs.filter(status=status)
    projects = list(qs.order_by("organisation__name", "id"))
    figures = accounts_for_projects([p.pk for p in projects])
    return [
        ProjectOverview(p, figures.get(p.pk, AccountsFigures()), p.open_items, p.overdue_items, p.complaint_count)
        for p in projects
    ]


def organisations_overview():
    """Every organisation with its project and complaint counts."""
    from gongyi.orgs.models import Organisation

    return list(
        Organisation.objects.select_related("region")
        .annotate(
            project_count=Count("projects", distinct=True),
            complaint_count=Count("complaints", distinct=True),
        )
        .order_by("name")
    )


def ledger_accounts(*, kind: str | None = None) -> QuerySet[Account]:
    qs = Account.objects.select_related("project")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("code")


def ledger_entries(*, kind: str | None = None, project_id: int | None = None) -> QuerySet[JournalEntry]:
    """Entries newest first with their lines (for a paginated list: prefetch runs per page)."""
    qs = JournalEntry.objects.select_related("project", "reverses").prefetch_related(
        Prefetch("lines", queryset=JournalLine.objects.select_related("account").order_by("id"))
    )
    if kind:
        qs = qs.filter(kind=kind)
    if project_id:
        qs = qs.filter(project_id=project_id)
    return qs.order_by("-id")
