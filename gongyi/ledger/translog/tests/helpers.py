"""Helpers for the public log's tests: post plain entries, store a tree of given leaf hashes directly."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from gongyi.ledger.models import AccountKind, EntryKind
from gongyi.ledger.services import Leg, get_account, post_entry
from gongyi.ledger.translog import merkle, tree
from gongyi.ledger.translog.models import TreeNode, TreeState

T0 = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)


def post_adjustments(count: int, *, start: int = 0) -> list:
    """Post ``count`` balanced two-line entries (no gift) through ``post_entry``."""
    bank = get_account(code="test:bank", name="测试银行", kind=AccountKind.BANK)
    other = get_account(code="test:other", name="测试科目", kind=AccountKind.BANK)
    return [
        post_entry(
            kind=EntryKind.ADJUSTMENT,
            idempotency_key=f"test-adjustment:{start + i}",
            memo=f"测试 {start + i}",
            occurred_at=T0 + timedelta(seconds=start + i),
            legs=[Leg(bank, 100 + start + i), Leg(other, -(100 + start + i))],
        )
        for i in range(count)
    ]


def store_tree(leaf_hashes: Sequence[bytes]) -> None:
    """Write the node table and tree state for these leaf hashes directly (no leaves, no entries)."""
    size, frontier, completed = tree.append_leaf_hashes(0, [], leaf_hashes)
    TreeNode.objects.bulk_create([TreeNode(level=lv, index=ix, hash=h) for lv, ix, h in completed], batch_size=5000)
    TreeState.objects.update_or_create(
        pk=1,
        defaults={
            "size": size,
            "frontier": tree.frontier_to_bytes(frontier),
            "root": merkle.MerkleFrontier(size, frontier).root(),
        },
    )
