"""Hand-outs racing for the same stock never take it below zero, and their values still add up (threads)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from gongyi.inkind.models import Handout, InKindItem, Stock
from gongyi.inkind.selectors import find_stock_problems, organisation_in_kind_figures
from gongyi.inkind.services import InKindError, hand_out, move_stock
from gongyi.inkind.tests.helpers import accepted, item, signed_record, warehouse
from gongyi.ledger.models import Account
from gongyi.ledger.selectors import find_ledger_problems

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.race]


def run_together(calls):
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        try:
            return call()
        except InKindError as exc:
            return exc.field
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def give_out(clerk, row, place, quantity):
    return hand_out(
        item=row,
        warehouse=place,
        quantity=quantity,
        recipient_kind="institution",
        recipient_name="养老院",
        purpose="防护",
        handed_on=timezone.localdate(),
        signed_record=signed_record(),
        actor=clerk,
    )


@pytest.mark.parametrize("round_", range(3))
def test_sixteen_hand_outs_for_fourteen_places_never_go_negative(federation, goods_staff, round_):
    clerk, checker = goods_staff
    place = warehouse(f"仓库{round_}")
    gift = accepted(clerk, checker, [item("消毒液", 100, 1_000_01, "瓶")], into=place)
    row = gift.items.get()

    outcomes = run_together([lambda: give_out(clerk, row, place, 7) for _ in range(16)])

    made = [o for o in outcomes if isinstance(o, Handout)]
    assert len(made) == 14 and sorted(o for o in outcomes if isinstance(o, str)) == ["quantity", "quantity"]
    row = InKindItem.objects.get(pk=row.pk)
    assert Stock.objects.get(item=row, warehouse=place).quantity == 2 == row.in_stock_quantity
    assert sum(h.value_fen for h in made) == row.handed_out_value_fen == 1_000_01 - row.stock_value_fen
    stock_account = Account.objects.get(code=f"inkind:item:{row.pk}:stock")
    assert stock_account.balance_fen == row.stock_value_fen
    give_out(clerk, row, place, 2)
    row = InKindItem.objects.get(pk=row.pk)
    assert (row.in_stock_quantity, row.stock_value_fen) == (0, 0)
    assert Account.objects.get(pk=stock_account.pk).balance_fen == 0
    figures = organisation_in_kind_figures(federation)
    assert (figures.handed_out_fen, figures.stock_fen) == (1_000_01, 0)
    assert find_stock_problems() == [] and find_ledger_problems() == []


def test_hand_outs_and_moves_racing_across_two_warehouses_keep_every_count(federation, goods_staff):
    clerk, checker = goods_staff
    first, second = warehouse("甲库"), warehouse("乙库")
    gift = accepted(clerk, checker, [item("抗原试剂", 60, 600_00, "盒")], into=first)
    row = gift.items.get()
    calls = [lambda: give_out(clerk, row, first, 5) for _ in range(8)]
    calls += [lambda: move_stock(item=row, from_warehouse=first, to_warehouse=second, quantity=5, actor=clerk)] * 4
    calls += [lambda: give_out(clerk, row, second, 5) for _ in range(4)]

    run_together(calls)

    row = InKindItem.objects.get(pk=row.pk)
    stocks = dict(Stock.objects.filter(item=row).values_list("warehouse_id", "quantity"))
    assert all(quantity >= 0 for quantity in stocks.values())
    assert sum(stocks.values()) == row.in_stock_quantity == 60 - row.handed_out_quantity
    assert row.handed_out_value_fen + row.stock_value_fen == 600_00
    assert find_stock_problems() == [] and find_ledger_problems() == []
