"""Builders for in-kind tests: a warehouse, a registered (and accepted) gift of goods."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from gongyi.inkind.models import InKindGift, Warehouse
from gongyi.inkind.services import (
    DocumentUpload,
    ItemInput,
    accept_inkind_gift,
    check_item_quality,
    register_inkind_gift,
)
from gongyi.offline.tests.helpers import document, slip

_sequence = itertools.count(1)


def warehouse(name: str | None = None) -> Warehouse:
    return Warehouse.objects.create(name=name or f"仓库{next(_sequence)}", address="鄂城区")


def item(name: str, quantity: int, valuation_fen: int, unit: str = "件", **kwargs) -> ItemInput:
    return ItemInput(
        name=name, unit=unit, quantity=quantity, valuation_fen=valuation_fen, valuation_basis="invoice", **kwargs
    )


def register(clerk, items, *, evidence: bool = True, project=None, donor_kind="organisation", **kwargs) -> InKindGift:
    documents = [DocumentUpload(kind="invoice", file=document("invoice.pdf"))] if evidence else []
    return register_inkind_gift(
        donor_kind=donor_kind,
        donor_name=kwargs.pop("donor_name", "湖北某消毒用品有限公司"),
        received_on=kwargs.pop("received_on", timezone.localdate() - timedelta(days=2)),
        items=items,
        documents=documents,
        project=project,
        entered_by=clerk,
        **kwargs,
    )


def accepted(clerk, checker, items, *, into: Warehouse | None = None, **kwargs) -> InKindGift:
    gift = register(clerk, items, **kwargs)
    for row in gift.items.order_by("id"):
        check_item_quality(item=row, passed=True, checker=clerk, note="合格")
    return accept_inkind_gift(gift=gift, warehouse=into or warehouse(), actor=checker)


def signed_record():
    return slip("signed.png")
