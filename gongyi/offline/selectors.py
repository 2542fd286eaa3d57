"""Reads for offline gifts: the public list (donors masked), the general fund, staff worklists."""

from __future__ import annotations

from django.db.models import Count, Sum

from gongyi.ledger.models import Account
from gongyi.offline.models import Method, OfflineGift, OfflineReceipt, ReceiptStatus, Status

PUBLIC_STATUSES = (Status.CONFIRMED, Status.VOIDED)


def public_offline_gifts(*, project=None, limit: int | None = None) -> list[OfflineGift]:
    """Checked gifts (voided ones listed, marked), newest first. Show donors through ``public_donor``."""
    qs = (
        OfflineGift.objects.filter(status__in=PUBLIC_STATUSES)
        .select_related("project", "fund", "box", "organisation")
        .order_by("-received_on", "-id")
    )
    if project is not None:
        qs = qs.filter(project=project)
    return list(qs[:limit] if limit else qs)


def public_offline_totals() -> dict:
    """Counted (confirmed) offline gifts by method: number and fen."""
    rows = (
        OfflineGift.objects.filter(status=Status.CONFIRMED)
        .values("method")
        .annotate(n=Count("id"), fen=Sum("amount_fen"))
    )
    by_method = {row["method"]: (row["n"], row["fen"] or 0) for row in rows}
    return {
        "methods": [(value, label, *by_method.get(value, (0, 0))) for value, label in Method.choices],
        "count": sum(n for n, _ in by_method.values()),
        "fen": sum(fen for _, fen in by_method.values()),
    }


def general_fund_fen(organisation) -> int:
    """The organisation's unrestricted gifts still unallocated: the balance of ``org:<id>:general_fund``."""
    account = Account.objects.filter(code=f"org:{organisation.pk}:general_fund").first()
    return account.balance_fen if account is not None else 0


def staff_worklist() -> dict:
    base = OfflineGift.objects.select_related("project", "fund", "entered_by", "checked_by", "box")
    return {
        "waiting": list(base.filter(status=Status.ENTERED).order_by("entered_at", "id")),
        "recent": list(base.exclude(status=Status.ENTERED).order_by("-entered_at", "-id")[:50]),
        "receipts": list(
            OfflineReceipt.objects.filter(status__in=[ReceiptStatus.REQUESTED, ReceiptStatus.EXPORTED])
            .select_related("gift")
            .order_by("requested_at", "id")
        ),
    }
