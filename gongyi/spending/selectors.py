"""Reads for the public accounts: every figure from the ledger, never from counters of our own.

A project's income is the balance of its three income accounts (donations, matching, incentives). The
part of the donations given through a work unit (一日捐) is the sum of the donation lines of the gifts
the drives app credited to a unit and of units' bank transfers. Spending is the balance of its spending
accounts, one per category (``project:<id>:spending:<category>``). The balance is income − spending.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from gongyi.giving.models import Gift, GiftStatus
from gongyi.ledger.models import CREDIT_NORMAL_KINDS, Account, AccountKind, JournalEntry, JournalLine
from gongyi.projects.models import Project
from gongyi.projects.selectors import public_projects
from gongyi.spending import fifo
from gongyi.spending.models import Category, Expenditure, ExpenditureStatus, Publication, Voucher

INCOME_FIELDS = {
    AccountKind.PROJECT_DONATIONS: "raised_fen",
    AccountKind.PROJECT_MATCHING: "matched_fen",
    AccountKind.PROJECT_INCENTIVES: "incentive_fen",
    AccountKind.PROJECT_FUND_GRANTS: "fund_grant_fen",
}
INCOME_KINDS = tuple(INCOME_FIELDS)
PUBLIC_EXPENDITURE_STATUSES = (ExpenditureStatus.POSTED, ExpenditureStatus.REVERSED)
CATEGORY_LABELS = dict(Category.choices)


@dataclass(frozen=True)
class AccountsFigures:
    """A project's (or a roll-up's) account, in fen, straight from the ledger."""

    raised_fen: int = 0  # all public donations, units included
    unit_fen: int = 0  # the part of raised_fen given under a unit code (一日捐)
    matched_fen: int = 0
    incentive_fen: int = 0
    fund_grant_fen: int = 0  # drawn from named funds (冠名基金)
    spent_by_category: dict[str, int] = field(default_factory=dict)

    @property
    def individual_fen(self) -> int:
        return self.raised_fen - self.unit_fen

    @property
    def income_fen(self) -> int:
        return self.raised_fen + self.matched_fen + self.incentive_fen + self.fund_grant_fen

    @property
    def spent_fen(self) -> int:
        return sum(self.spent_by_category.values())

    @property
    def balance_fen(self) -> int:
        return self.income_fen - self.spent_fen

    @property
    def categories(self) -> list[tuple[str, str, int]]:
        """(category, label, fen) in the categories' own order, only those with spending."""
        return [
            (value, label, self.spent_by_category[value])
            for value, label in Category.choices
            if self.spent_by_category.get(value)
        ]

    @property
    def spent_percent(self) -> int:
        return self.spent_fen * 100 // self.income_fen if self.income_fen > 0 else 0

    @property
    def management_permille(self) -> int:
        """Management cost per mille of all spending (Charity Law art. 61 caps it as a share of spending)."""
        spent = self.spent_fen
        return self.spent_by_category.get(Category.MANAGEMENT, 0) * 1000 // spent if spent > 0 else 0

    @property
    def fundraising_cost_permille(self) -> int:
        """Fundraising cost per mille of donations raised (a draft rule caps it at 3%)."""
        raised = self.raised_fen
        return self.spent_by_category.get(Category.FUNDRAISING, 0) * 1000 // raised if raised > 0 else 0

    def as_dict(self) -> dict:
        return {
            "raised_fen": self.raised_fen,
            "individual_fen": self.individual_fen,
            "unit_fen": self.unit_fen,
            "matched_fen": self.matched_fen,
            "incentive_fen": self.incentive_fen,
            "fund_grant_fen": self.fund_grant_fen,
            "income_fen": self.income_fen,
            "spent_fen": self.spent_fen,
            "balance_fen": self.balance_fen,
            "spent_by_category": [{"category": c, "label": label, "fen": fen} for c, label, fen in self.categories],
        }

    def __add__(self, other: AccountsFigures) -> AccountsFigures:
        merged = defaultdict(int, self.spent_by_category)
        for key, value in other.spent_by_category.items():
            merged[key] += value
        return AccountsFigures(
            raised_fen=self.raised_fen + other.raised_fen,
            unit_fen=self.unit_fen + other.unit_fen,
            matched_fen=self.matched_fen + other.matched_fen,
            incentive_fen=self.incentive_fen + other.incentive_fen,
            fund_grant_fen=self.fund_grant_fen + other.fund_grant_fen,
            spent_by_category=dict(merged),
        )


def _balance(kind: str, debits: int, credits: int) -> int:
    raw = debits - credits
    return -raw if kind in CREDIT_NORMAL_KINDS else raw


def category_of(account_code: str) -> str:
    """``project:7:spending:materials`` → ``materials``."""
    return account_code.rsplit(":", 1)[1]


def _unit_lines() -> QuerySet[JournalLine]:
    """Donation lines of money given through a work unit (一日捐): gifts the drives app credited to a unit,
    and units' bank transfers; their reversals (refunds, voided transfers) are caught with them."""
    from gongyi.drives.models import GiftCredit, UnitOfflineGift

    credited_gifts = GiftCredit.objects.filter(unit__isnull=False).values("gift_id")
    transfer_entries = UnitOfflineGift.objects.filter(entry__isnull=False).values("entry_id")
    return (
        JournalLine.objects.filter(account__kind=AccountKind.PROJECT_DONATIONS, entry__is_posted=True)
        .annotate(lot=Coalesce("entry__reverses_id", "entry_id"))
        .filter(Q(entry__gift_id__in=credited_gifts) | Q(lot__in=transfer_entries))
    )


def accounts_for_projects(project_ids: Iterable[int]) -> dict[int, AccountsFigures]:
    """Each project's figures from its ledger accounts, in two queries whatever the number of projects."""
    ids = list(project_ids)
    values: dict[int, dict] = {pid: {"spent_by_category": {}} for pid in ids}
    accounts = Account.objects.filter(
        project_id__in=ids, kind__in=[*INCOME_KINDS, AccountKind.PROJECT_SPENDING]
    ).values_list("project_id", "kind", "code", "debits_fen", "credits_fen")
    for project_id, kind, code, debits, credits in accounts:
        balance = _balance(kind, debits, credits)
        if kind == AccountKind.PROJECT_SPENDING:
            if balance:
                values[project_id]["spent_by_category"][category_of(code)] = balance
        else:
            values[project_id][INCOME_FIELDS[kind]] = balance
    units = (
        _unit_lines()
        .filter(account__project_id__in=ids)
        .values("account__project_id")
        .annotate(total=Sum("amount_fen"))
    )
    for row in units:
        values[row["account__project_id"]]["unit_fen"] = -(row["total"] or 0)
    return {pid: AccountsFigures(**v) for pid, v in values.items()}


def accounts_for_project(project: Project) -> AccountsFigures:
    return accounts_for_projects([project.pk])[project.pk]


@dataclass(frozen=True)
class Rollup:
    """An organisation's or a campaign's account: the sum of its public projects' accounts, and each row."""

    total: AccountsFigures
    rows: list[tuple[Project, AccountsFigures]]


def rollup(projects: QuerySet[Project]) -> Rollup:
    projects = list(projects)
    figures = accounts_for_projects([p.pk for p in projects])
    total = AccountsFigures()
    for p in projects:
        total = total + figures[p.pk]
    return Rollup(total=total, rows=[(p, figures[p.pk]) for p in projects])


def organisation_rollup(organisation) -> Rollup:
    return rollup(public_projects().filter(organisation=organisation))


def campaign_rollup(campaign) -> Rollup:
    return rollup(public_projects(campaign=campaign))


def public_expenditures(project: Project) -> list[Expenditure]:
    """Posted and reversed expenditures (reversals shown, not hidden), each with its public vouchers only."""
    return list(
        Expenditure.objects.filter(project=project, status__in=PUBLIC_EXPENDITURE_STATUSES)
        .annotate(private_vouchers=Count("vouchers", filter=Q(vouchers__publication=Publication.PRIVATE)))
        .prefetch_related(
            Prefetch(
                "vouchers",
                queryset=Voucher.objects.exclude(publication=Publication.PRIVATE).order_by("id"),
                to_attr="public_vouchers",
            )
        )
        .order_by("-spent_on", "-id")
    )


def public_aid_disbursements(project: Project) -> list:
    """The aid app's payments from this project (``aid.services.disburse``, which writes no ``Expenditure``), as
    masked lines: date, programme, case number, the name as the case's notice showed it, amount, method.

    They are already in the figures: each posts a ``disbursement`` entry to ``project:<id>:spending:aid``,
    so they are part of ``spent_by_category["aid"]``; this adds only the list. Empty without the aid app.
    """
    if not apps.is_installed("gongyi.aid"):
        return []
    from gongyi.aid.selectors import public_disbursements

    return public_disbursements(project)


def public_voucher(voucher_id: int) -> Voucher | None:
    """A voucher the public may see: chosen for publication, of a posted (or since reversed) expenditure."""
    return (
        Voucher.objects.select_related("expenditure")
        .filter(pk=voucher_id, expenditure__status__in=PUBLIC_EXPENDITURE_STATUSES)
        .exclude(publication=Publication.PRIVATE)
        .first()
    )


# --- fund flow (Sankey) -------------------------------------------------------------------------------

MAX_CASE_NODES = 12
SOURCE_LABELS = {
    "individual": "个人捐赠",
    "unit": "单位捐赠（一日捐）",
    "matched": "配捐",
    "incentive": "激励",
    "fund_grant": "冠名基金拨款",
}
PROJECT_NODE = "项目资金"
BALANCE_NODE = "结余"
UNFUNDED_NODE = "待补足（退款后超支）"


def aid_by_case(project: Project) -> list[tuple[str, int]]:
    """Counted aid disbursements grouped by case reference, largest first; unreferenced ones together."""
    rows = (
        Expenditure.objects.filter(project=project, category=Category.AID, status=ExpenditureStatus.POSTED)
        .values("aid_case_ref")
        .annotate(total=Sum("amount_fen"))
        .order_by("-total", "aid_case_ref")
    )
    named = [(r["aid_case_ref"], r["total"]) for r in rows if r["aid_case_ref"]]
    unnamed = sum(r["total"] for r in rows if not r["aid_case_ref"])
    if len(named) > MAX_CASE_NODES:
        unnamed += sum(total for _, total in named[MAX_CASE_NODES:])
        named = named[:MAX_CASE_NODES]
    result = [(f"救助案件 {ref}", total) for ref, total in named]
    if unnamed and named:
        result.append(("其他救助对象", unnamed))
    return result


def fund_flow(project: Project | None, figures: AccountsFigures | None = None) -> dict:
    """Sankey data: sources → funds → spending categories (→ a project's aid cases) and the balance; fen.

    Without a project (a roll-up), ``figures`` must be given and aid is not split by case.
    """
    if figures is None:
        figures = accounts_for_project(project)
    nodes: list[str] = []
    links: list[dict] = []

    def link(source: str, target: str, fen: int) -> None:
        if fen <= 0:
            return
        for name in (source, target):
            if name not in nodes:
                nodes.append(name)
        links.append({"source": source, "target": target, "value": fen})

    link(SOURCE_LABELS["individual"], PROJECT_NODE, figures.individual_fen)
    link(SOURCE_LABELS["unit"], PROJECT_NODE, figures.unit_fen)
    link(SOURCE_LABELS["matched"], PROJECT_NODE, figures.matched_fen)
    link(SOURCE_LABELS["incentive"], PROJECT_NODE, figures.incentive_fen)
    link(SOURCE_LABELS["fund_grant"], PROJECT_NODE, figures.fund_grant_fen)
    link(UNFUNDED_NODE, PROJECT_NODE, -figures.balance_fen)
    for category, label, fen in figures.categories:
        link(PROJECT_NODE, label, fen)
        if category == Category.AID and project is not None:
            for case_label, case_fen in aid_by_case(project):
                link(label, case_label, case_fen)
    link(PROJECT_NODE, BALANCE_NODE, figures.balance_fen)
    return {"nodes": [{"name": n} for n in nodes], "links": links}


# --- fund-flow trace (FIFO) ---------------------------------------------------------------------------


def _grouped(project: Project, kinds) -> QuerySet:
    """The project's lines on accounts of these kinds, each labelled with its *lot*: the entry it belongs to,
    or for a reversal the entry it reverses, so an entry and its reversal net to nothing."""
    return JournalLine.objects.filter(
        account__project=project, account__kind__in=list(kinds), entry__is_posted=True
    ).annotate(lot=Coalesce("entry__reverses_id", "entry_id"))


def _standing(project: Project, kinds) -> list[tuple[int, int]]:
    """(lot, net fen in the accounts' normal direction) of every lot that still stands, in posting order.

    Income and spending accounts receive only whole entries and whole reversals, so a lot nets either to
    its full amount or to zero (checked by the property tests).
    """
    rows = _grouped(project, kinds).values("lot").annotate(total=Sum("amount_fen")).order_by("lot")
    sign = -1 if set(kinds) <= CREDIT_NORMAL_KINDS else 1
    return [(row["lot"], sign * row["total"]) for row in rows if row["total"]]


def project_lots(project: Project) -> list[fifo.Lot]:
    """The project's money lots (gifts, matches, incentives still standing) in arrival order, keyed by entry id."""
    return [fifo.Lot(key=lot, fen=fen) for lot, fen in _standing(project, INCOME_KINDS)]


@dataclass(frozen=True)
class SpendItem:
    """One counted spending entry in posting order, with the expenditure behind it when there is one."""

    entry_id: int
    fen: int
    expenditure: Expenditure | None
    memo: str

    @property
    def category_label(self) -> str:
        return self.expenditure.get_category_display() if self.expenditure else ""


def project_spends(project: Project) -> list[SpendItem]:
    """The project's counted spending entries (not reversed), in posting order, keyed by entry id."""
    totals = _standing(project, [AccountKind.PROJECT_SPENDING])
    entry_ids = [entry_id for entry_id, _ in totals]
    expenditures = {e.entry_id: e for e in Expenditure.objects.filter(entry_id__in=entry_ids)}
    memos = dict(JournalEntry.objects.filter(pk__in=entry_ids).values_list("pk", "memo"))
    return [SpendItem(entry_id, fen, expenditures.get(entry_id), memos.get(entry_id, "")) for entry_id, fen in totals]


def project_allocation(project: Project) -> list[fifo.Allocation]:
    """The whole project's FIFO allocation: (income entry id, spending entry id, fen)."""
    spends = [fifo.Spend(item.entry_id, item.fen) for item in project_spends(project)]
    return fifo.allocate_fifo(project_lots(project), spends)


@dataclass(frozen=True)
class TraceLine:
    spend: SpendItem
    from_gift_fen: int
    from_match_fen: int

    @property
    def total_fen(self) -> int:
        return self.from_gift_fen + self.from_match_fen


@dataclass(frozen=True)
class GiftTrace:
    """What one gift (and the match it brought) paid for, first in, first out."""

    gift: Gift
    project: Project
    refunded: bool
    gift_fen: int  # the gift's lot still standing (0 once refunded)
    match_fen: int  # its match still standing (0 once refunded or clawed back)
    ahead_fen: int  # money that reached the project before this gift: spent first
    project_spent_fen: int
    lines: list[TraceLine]

    @property
    def gift_spent_fen(self) -> int:
        return sum(line.from_gift_fen for line in self.lines)

    @property
    def match_spent_fen(self) -> int:
        return sum(line.from_match_fen for line in self.lines)

    @property
    def gift_unspent_fen(self) -> int:
        return self.gift_fen - self.gift_spent_fen

    @property
    def match_unspent_fen(self) -> int:
        return self.match_fen - self.match_spent_fen

    @property
    def spent_before_reaching_fen(self) -> int:
        """How much more spending the project needs before it reaches this gift's money."""
        return max(0, self.ahead_fen - self.project_spent_fen)


def _lot_of(project: Project, idempotency_key: str) -> tuple[int, int] | None:
    """(start, fen) of the standing lot posted under this key, or None when absent or reversed.

    Its start is the money of the lots before it, summed in the database (no walk over every gift).
    """
    entry = JournalEntry.objects.filter(idempotency_key=idempotency_key, project=project).first()
    if entry is None:
        return None
    lines = _grouped(project, INCOME_KINDS)
    fen = -(lines.filter(lot=entry.pk).aggregate(s=Sum("amount_fen"))["s"] or 0)
    if fen <= 0:
        return None
    start = -(lines.filter(lot__lt=entry.pk).aggregate(s=Sum("amount_fen"))["s"] or 0)
    return start, fen


def gift_trace(gift: Gift) -> GiftTrace:
    """The FIFO trace of one gift: each expenditure its money (and its match's) paid, in posting order."""
    project = gift.project
    spends = project_spends(project)
    spend_list = [fifo.Spend(item.entry_id, item.fen) for item in spends]
    gift_lot = _lot_of(project, f"gift:{gift.pk}")
    match_lot = _lot_of(project, f"match:{gift.pk}")
    from_gift = dict(fifo.allocate_span(*gift_lot, spend_list)) if gift_lot else {}
    from_match = dict(fifo.allocate_span(*match_lot, spend_list)) if match_lot else {}
    lines = [
        TraceLine(item, from_gift.get(item.entry_id, 0), from_match.get(item.entry_id, 0))
        for item in spends
        if item.entry_id in from_gift or item.entry_id in from_match
    ]
    return GiftTrace(
        gift=gift,
        project=project,
        refunded=gift.status == GiftStatus.REFUNDED,
        gift_fen=gift_lot[1] if gift_lot else 0,
        match_fen=match_lot[1] if match_lot else 0,
        ahead_fen=gift_lot[0] if gift_lot else 0,
        project_spent_fen=sum(item.fen for item in spends),
        lines=lines,
    )
