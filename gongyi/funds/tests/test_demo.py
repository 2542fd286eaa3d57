"""The goods-and-funds demo: the seed's ¥103,000 of disinfectant and antigen tests to care homes, offline gifts,
a named fund with a grant — loaded twice, added once, and every figure from the ledger."""

from __future__ import annotations

import pytest

from gongyi.demo.services import load_demo
from gongyi.funds.demo import CARE_HOMES, load_goods_and_funds_demo
from gongyi.funds.models import FundGrant, FundStatus, NamedFund
from gongyi.funds.selectors import fund_statement
from gongyi.inkind.models import Handout, InKindGift
from gongyi.inkind.selectors import find_stock_problems, organisation_in_kind_figures
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.offline.models import Method, OfflineGift, Status
from gongyi.orgs.models import Organisation

pytestmark = pytest.mark.django_db


def test_demo_loads_the_seed_in_kind_gift_offline_gifts_and_a_fund_once():
    assert load_goods_and_funds_demo() is None  # needs the festival demo first
    load_demo(with_gifts=False)

    first = load_goods_and_funds_demo()
    again = load_goods_and_funds_demo()

    assert (first.in_kind_gifts_added, first.handouts_added, first.offline_gifts_added) == (1, 10, 5)
    assert (first.funds_added, first.grants_added) == (1, 1)
    assert (again.in_kind_gifts_added, again.handouts_added, again.offline_gifts_added, again.grants_added) == (
        0,
        0,
        0,
        0,
    )
    federation = Organisation.objects.get(name="鄂州市慈善总会")
    figures = organisation_in_kind_figures(federation)
    assert (figures.received_fen, figures.handed_out_fen, figures.stock_fen) == (103_000_00, 103_000_00, 0)
    gift = InKindGift.objects.get()
    assert {h.recipient_name for h in Handout.objects.filter(item__gift=gift)} == {home for home, *_ in CARE_HOMES}
    assert all(item.stock_value_fen == 0 and item.in_stock_quantity == 0 for item in gift.items.all())
    box = OfflineGift.objects.get(method=Method.DONATION_BOX)
    assert box.status == Status.CONFIRMED and box.counted_by_first != box.counted_by_second
    assert OfflineGift.objects.filter(status=Status.CONFIRMED).count() == 5
    fund = NamedFund.objects.get()
    assert fund.status == FundStatus.ACTIVE and FundGrant.objects.filter(fund=fund, status="posted").count() == 1
    statement = fund_statement(fund)
    assert statement.agrees_with_ledger and statement.principal_fen == 200_000_00
    assert statement.available_fen == 100_000_00 + 3_600_00 - 80_000_00
    assert find_ledger_problems() == [] and find_stock_problems() == []
