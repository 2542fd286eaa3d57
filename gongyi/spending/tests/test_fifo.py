"""First in, first out (pure): exact overlaps, and a lot's span agrees with the whole allocation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gongyi.spending.fifo import Allocation, Lot, Spend, allocate_fifo, allocate_span


def test_hand_computed_allocation():
    # lots: a=100, b=50, c=30; spends: x=120, y=40 → x: a100 + b20; y: b30 + c10; c keeps 20.
    lots = [Lot("a", 100), Lot("b", 50), Lot("c", 30)]
    spends = [Spend("x", 120), Spend("y", 40)]
    assert allocate_fifo(lots, spends) == [
        Allocation("a", "x", 100),
        Allocation("b", "x", 20),
        Allocation("b", "y", 30),
        Allocation("c", "y", 10),
    ]
    assert allocate_span(100, 50, spends) == [("x", 20), ("y", 30)]
    assert allocate_span(150, 30, spends) == [("y", 10)]
    assert allocate_span(0, 100, spends) == [("x", 100)]


def test_spending_beyond_the_lots_is_unfunded():
    assert allocate_fifo([Lot("a", 10)], [Spend("x", 25)]) == [Allocation("a", "x", 10)]
    assert allocate_span(0, 10, [Spend("x", 25)]) == [("x", 10)]


def test_zero_and_negative_lots_take_no_part():
    assert allocate_fifo([Lot("a", 0), Lot("b", -5), Lot("c", 7)], [Spend("x", 3), Spend("y", 0)]) == [
        Allocation("c", "x", 3)
    ]


amounts = st.lists(st.integers(min_value=1, max_value=5000), max_size=12)


@given(lot_fens=amounts, spend_fens=amounts)
def test_span_of_each_lot_equals_the_whole_allocation(lot_fens, spend_fens):
    lots = [Lot(i, fen) for i, fen in enumerate(lot_fens)]
    spends = [Spend(f"s{i}", fen) for i, fen in enumerate(spend_fens)]
    whole = allocate_fifo(lots, spends)
    start = 0
    for lot in lots:
        assert [(a.spend, a.fen) for a in whole if a.lot == lot.key] == allocate_span(start, lot.fen, spends)
        start += lot.fen
    # Every fen of spending is paid once while the lots last; no lot gives more than it has.
    assert sum(a.fen for a in whole) == min(sum(lot_fens), sum(spend_fens))
    for spend in spends:
        assert sum(a.fen for a in whole if a.spend == spend.key) <= spend.fen
    for lot in lots:
        assert sum(a.fen for a in whole if a.lot == lot.key) <= lot.fen
