"""Builders for report tests: a festival with a matching pool, units in two districts, gifts at chosen times
through the real money path (order, attribution, verified payment, match, unit credit), refunds."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from gongyi.campaigns.models import Campaign
from gongyi.drives.models import Unit
from gongyi.drives.services import Attribution, record_order_attribution
from gongyi.giving.models import Gift
from gongyi.giving.services import confirm_payment, refund_gift
from gongyi.matching.models import MatchingPool, PoolTranche
from gongyi.matching.services import save_pool
from gongyi.payments.interface import VerifiedPayment
from gongyi.payments.models import SandboxTransaction
from gongyi.payments.services import OrderRequest, create_order
from gongyi.projects.models import Project
from gongyi.testing import make_campaign, make_project

_sequence = itertools.count(1)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Festival:
    campaign: Campaign
    projects: list[Project]
    units: list[Unit]
    other_project: Project  # in another campaign
    loose_project: Project  # in no campaign


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0):
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=SHANGHAI)


def make_festival(*, starts_at: datetime, days: int = 3) -> Festival:
    from gongyi.drives.tests.helpers import load_regions, make_unit

    load_regions()
    first = make_project(title="鄂州慈善幸福家园")
    campaign = make_campaign(
        first.organisation,
        slug="report-festival",
        name="第二届湖北数字公益节",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=days),
    )
    Project.objects.filter(pk=first.pk).update(campaign=campaign)
    first.refresh_from_db()
    projects = [
        first,
        make_project(title="医路同行", campaign=campaign),
        make_project(title="童享阳光", campaign=campaign),
    ]
    other_campaign = make_campaign(
        first.organisation,
        slug="other-festival",
        name="另一个活动",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=days),
    )
    other_project = make_project(title="别的活动的项目", campaign=other_campaign)
    loose_project = make_project(title="不在活动中的项目")
    pool = MatchingPool(
        campaign=campaign,
        sponsor=first.organisation,
        name="测试配捐池",
        total_fen=2_000_000,
        window_start=starts_at,
        window_end=starts_at + timedelta(days=days),
        min_gift_fen=100,
        ratio_kind="fixed",
        ratio_bp=5000,
        per_donor_daily_cap_fen=3_000,
    )
    save_pool(pool=pool)
    PoolTranche.objects.create(pool=pool, at=starts_at, fen=pool.total_fen)  # all released at the start
    units = [
        make_unit("鄂州市民政局", district="420704"),
        make_unit("鄂州市中心医院", kind="hospital", district="420704"),
        make_unit("华容区实验小学", kind="school", district="420703"),
    ]
    return Festival(campaign, projects, units, other_project, loose_project)


def give_at(project, *, paid_at: datetime, fen: int, payer: str, unit: Unit | None = None) -> Gift:
    """A gift paid at ``paid_at`` through the real money path, soft-credited to ``unit`` when given."""
    with transaction.atomic():
        order = create_order(
            request=OrderRequest(
                project_id=project.pk, amount_fen=fen, gateway="sandbox", donor_name="王小明", anonymous=False
            )
        )
        if unit is not None:
            record_order_attribution(order=order, attribution=Attribution(unit=unit, team=None))
    txn = f"RPT{next(_sequence):06d}{order.out_trade_no[-6:]}"
    SandboxTransaction.objects.create(
        out_trade_no=order.out_trade_no,
        transaction_id=txn,
        amount_fen=fen,
        payer=payer,
        paid_at=paid_at,
        notify_url="",
    )
    return confirm_payment(
        gateway="sandbox",
        payment=VerifiedPayment(
            out_trade_no=order.out_trade_no, provider_txn_id=txn, amount_fen=fen, payer=payer, paid_at=paid_at
        ),
    ).gift


def refund(gift: Gift) -> Gift:
    return refund_gift(gift=gift, reason="捐赠人申请退款")
