"""Reads for in-kind gifts: ledger figures (received, handed out, in stock), public lists, stock, checks.

The figures are ledger balances, kept apart from cash: in-kind donations received (credit-normal), hand-
outs (debit-normal) and stock (debit-normal, one account per item). Within one scope — a project, or an
organisation's own gifts — received = handed out + in stock, to the fen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, Sum

from gongyi.inkind.models import GiftStatus, Handout, HandoutStatus, InKindGift, InKindItem, Stock
from gongyi.ledger.models import Account, AccountKind

PUBLIC_GIFT_STATUSES = (GiftStatus.ACCEPTED, GiftStatus.VOIDED)


@dataclass(frozen=True)
class InKindFigures:
    received_fen: int = 0
    handed_out_fen: int = 0
    stock_fen: int = 0

    @property
    def balanced(self) -> bool:
        return self.received_fen == self.handed_out_fen + self.stock_fen

    def as_dict(self) -> dict:
        return {"received_fen": self.received_fen, "handed_out_fen": self.handed_out_fen, "stock_fen": self.stock_fen}

    def __bool__(self) -> bool:
        return bool(self.received_fen or self.handed_out_fen or self.stock_fen)


def _normal(kind: str, debits: int, credits: int) -> int:
    return credits - debits if kind == AccountKind.IN_KIND_DONATIONS else debits - credits


FIELDS = {
    AccountKind.IN_KIND_DONATIONS: "received_fen",
    AccountKind.IN_KIND_HANDOUTS: "handed_out_fen",
    AccountKind.IN_KIND_STOCK: "stock_fen",
}


def in_kind_figures_for_projects(project_ids: Iterable[int]) -> dict[int, InKindFigures]:
    """Each project's in-kind figures from its accounts (one query)."""
    ids = list(project_ids)
    values: dict[int, dict[str, int]] = {pid: defaultdict(int) for pid in ids}
    rows = Account.objects.filter(project_id__in=ids, kind__in=list(FIELDS)).values_list(
        "project_id", "kind", "debits_fen", "credits_fen"
    )
    for project_id, kind, debits, credits in rows:
        values[project_id][FIELDS[kind]] += _normal(kind, debits, credits)
    return {pid: InKindFigures(**v) for pid, v in values.items()}


def project_in_kind_figures(project) -> InKindFigures:
    return in_kind_figures_for_projects([project.pk])[project.pk]


def organisation_in_kind_figures(organisation) -> InKindFigures:
    """The organisation's own in-kind figures (gifts not directed to a project), in two queries."""
    item_ids = InKindItem.objects.filter(gift__organisation=organisation, gift__project__isnull=True).values_list(
        "pk", flat=True
    )
    codes = [
        f"org:{organisation.pk}:in_kind_donations",
        f"org:{organisation.pk}:in_kind_handouts",
        *(f"inkind:item:{pk}:stock" for pk in item_ids),
    ]
    values: dict[str, int] = defaultdict(int)
    for kind, debits, credits in Account.objects.filter(code__in=codes).values_list(
        "kind", "debits_fen", "credits_fen"
    ):
        values[FIELDS[kind]] += _normal(kind, debits, credits)
    return InKindFigures(**values)


def all_in_kind_figures() -> InKindFigures:
    """Every in-kind account on the platform together (the public page's headline)."""
    values: dict[str, int] = defaultdict(int)
    for row in (
        Account.objects.filter(kind__in=list(FIELDS))
        .values("kind")
        .annotate(debits=Sum("debits_fen"), credits=Sum("credits_fen"))
    ):
        values[FIELDS[row["kind"]]] += _normal(row["kind"], row["debits"] or 0, row["credits"] or 0)
    return InKindFigures(**values)


def public_gifts(*, project=None, limit: int | None = None) -> list[InKindGift]:
    """Accepted gifts (voided ones stay listed, marked), newest first, with their items."""
    qs = (
        InKindGift.objects.filter(status__in=PUBLIC_GIFT_STATUSES)
        .select_related("project", "organisation")
        .prefetch_related(Prefetch("items", queryset=InKindItem.objects.order_by("id")))
        .order_by("-received_on", "-id")
    )
    if project is not None:
        qs = qs.filter(project=project)
    return list(qs[:limit] if limit else qs)


def public_gift(number: str) -> InKindGift | None:
    return (
        InKindGift.objects.filter(number=number, status__in=PUBLIC_GIFT_STATUSES)
        .select_related("project", "organisation")
        .prefetch_related(Prefetch("items", queryset=InKindItem.objects.order_by("id")))
        .first()
    )


def public_handouts(*, gift=None, project=None, limit: int | None = None) -> list[Handout]:
    """Hand-outs (voided ones listed, marked), newest first; recipients are shown through ``public_recipient``."""
    qs = (
        Handout.objects.filter(item__gift__status__in=PUBLIC_GIFT_STATUSES)
        .select_related("item", "item__gift", "recipient_region")
        .order_by("-handed_on", "-id")
    )
    if gift is not None:
        qs = qs.filter(item__gift=gift)
    if project is not None:
        qs = qs.filter(item__gift__project=project)
    return list(qs[:limit] if limit else qs)


def stock_by_warehouse() -> list[Stock]:
    """What each warehouse holds now (rows with stock only)."""
    return list(
        Stock.objects.filter(quantity__gt=0, item__gift__status=GiftStatus.ACCEPTED)
        .select_related("warehouse", "item", "item__gift")
        .order_by("warehouse_id", "item__name", "item_id")
    )


def find_stock_problems() -> list[str]:
    """Every item's warehouse rows add up to its stock, and its stock account to its stock value."""
    problems = []
    sums = dict(Stock.objects.values("item_id").annotate(total=Sum("quantity")).values_list("item_id", "total"))
    balances = {
        code: debits - credits
        for code, debits, credits in Account.objects.filter(kind=AccountKind.IN_KIND_STOCK).values_list(
            "code", "debits_fen", "credits_fen"
        )
    }
    for item in InKindItem.objects.all():
        if sums.get(item.pk, 0) != item.in_stock_quantity:
            problems.append(f"item {item.pk}: warehouses {sums.get(item.pk, 0)}, item {item.in_stock_quantity}")
        ledger = balances.get(f"inkind:item:{item.pk}:stock", 0)
        if ledger != item.stock_value_fen:
            problems.append(f"item {item.pk}: stock account {ledger}, item {item.stock_value_fen}")
        live = Handout.objects.filter(item=item, status=HandoutStatus.LIVE).aggregate(
            q=Sum("quantity"), v=Sum("value_fen")
        )
        if (live["q"] or 0, live["v"] or 0) != (item.handed_out_quantity, item.handed_out_value_fen):
            problems.append(
                f"item {item.pk}: hand-outs {live}, item {item.handed_out_quantity}/{item.handed_out_value_fen}"
            )
    return problems
