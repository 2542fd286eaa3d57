"""First in, first out: which money paid for which expenditure (pure; no Django).

Lay the project's money lots end to end in the order they arrived, and its expenditures end to end in
the order they were posted; both start at 0 fen. The part of a lot that overlaps an expenditure's span
is what that lot paid for it. Every fen of spending is paid by exactly one fen of some lot while the
lots cover the spending; spending beyond the lots (a refund after the money was spent) is unfunded.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Lot:
    key: Hashable
    fen: int


@dataclass(frozen=True)
class Spend:
    key: Hashable
    fen: int


@dataclass(frozen=True)
class Allocation:
    lot: Hashable
    spend: Hashable
    fen: int


def allocate_fifo(lots: Sequence[Lot], spends: Sequence[Spend]) -> list[Allocation]:
    """Every (lot, spend, fen) overlap, in spending order; lots and spends with fen ≤ 0 take no part."""
    result: list[Allocation] = []
    lot_iter = iter([lot for lot in lots if lot.fen > 0])
    lot = next(lot_iter, None)
    lot_left = lot.fen if lot else 0
    for spend in spends:
        need = spend.fen
        while need > 0 and lot is not None:
            take = min(need, lot_left)
            result.append(Allocation(lot.key, spend.key, take))
            need -= take
            lot_left -= take
            if lot_left == 0:
                lot = next(lot_iter, None)
                lot_left = lot.fen if lot else 0
    return result


def allocate_span(start_fen: int, fen: int, spends: Iterable[Spend]) -> list[tuple[Hashable, int]]:
    """What the lot occupying ``[start_fen, start_fen + fen)`` paid for, as (spend key, fen) in order."""
    result = []
    end = start_fen + fen
    position = 0
    for spend in spends:
        if spend.fen <= 0:
            continue
        low, high = max(start_fen, position), min(end, position + spend.fen)
        if high > low:
            result.append((spend.key, high - low))
        position += spend.fen
        if position >= end:
            break
    return result
