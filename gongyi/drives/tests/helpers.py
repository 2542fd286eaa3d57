"""Builders for drives tests: Ezhou's regions, units, a drive, gifts through the real money path."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from gongyi.demo.data import REGIONS, uscc
from gongyi.drives.models import Unit
from gongyi.drives.services import Attribution, UnitInput, create_unit, record_order_attribution, save_drive
from gongyi.giving.models import Gift
from gongyi.giving.services import confirm_payment
from gongyi.orgs.models import Region
from gongyi.payments.interface import VerifiedPayment
from gongyi.payments.models import SandboxTransaction
from gongyi.payments.services import OrderRequest, create_order

_sequence = itertools.count(1)


def load_regions() -> None:
    for code, name, level, parent in REGIONS:
        Region.objects.update_or_create(code=code, defaults={"name": name, "level": level, "parent_id": parent})


def make_drive(slug: str = "test-drive", **kwargs):
    now = timezone.now()
    return save_drive(
        slug=slug,
        name=kwargs.pop("name", "2026年鄂州市慈善一日捐"),
        starts_at=kwargs.pop("starts_at", now - timedelta(days=1)),
        ends_at=kwargs.pop("ends_at", now + timedelta(days=2)),
        **kwargs,
    )


def make_unit(
    name: str, *, kind: str = "agency", district: str = "420704", headcount=None, parent: str = "", with_uscc=True
) -> Unit:
    n = next(_sequence)
    unit, _ = create_unit(
        data=UnitInput(
            name=name,
            kind=kind,
            uscc=uscc("11", district, f"{61000000 + n * 13:08d}") if with_uscc else "",
            district=district,
            parent=parent,
            contact_name="联系人",
            contact_phone="0711-3200000",
            headcount=headcount,
        ),
        actor=None,
    )
    return unit


def give(
    project,
    *,
    fen: int = 10_000,
    payer: str = "payer-1",
    unit: Unit | None = None,
    team=None,
    as_unit: bool = False,
    list_name: str = "masked",
    donor_name: str = "王小明",
    anonymous: bool = False,
    unit_code_only: bool = False,
) -> Gift:
    """Create an order (with its attribution, as the give page does) and confirm it like a notification."""
    with transaction.atomic():
        order = create_order(
            request=OrderRequest(
                project_id=project.pk,
                amount_fen=fen,
                gateway="sandbox",
                donor_name=donor_name,
                anonymous=anonymous,
                unit_code=unit.code if unit else "",
            )
        )
        if not unit_code_only and (unit or team):
            record_order_attribution(
                order=order, attribution=Attribution(unit=unit, team=team, as_unit=as_unit, list_name=list_name)
            )
    txn = f"T{order.out_trade_no}"
    SandboxTransaction.objects.create(
        out_trade_no=order.out_trade_no,
        transaction_id=txn,
        amount_fen=fen,
        payer=payer,
        paid_at=timezone.now(),
        notify_url="",
    )
    return confirm_payment(
        gateway="sandbox",
        payment=VerifiedPayment(
            out_trade_no=order.out_trade_no, provider_txn_id=txn, amount_fen=fen, payer=payer, paid_at=timezone.now()
        ),
    ).gift
