"""The stored-tree arithmetic (pure): appends emit exactly the complete subtrees; proofs from them are RFC 6962's."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongyi.ledger.translog import merkle, tree

LEAVES = [merkle.leaf_hash(f"leaf {i}".encode()) for i in range(500)]


def build(hashes: list[bytes], batches: list[int] | None = None) -> tuple[int, list[bytes], dict]:
    size, frontier, nodes = 0, [], {}
    start = 0
    for count in batches or [len(hashes)]:
        chunk = hashes[start : start + count]
        size, frontier, completed = tree.append_leaf_hashes(size, frontier, chunk)
        for level, index, h in completed:
            assert (level, index) not in nodes  # every node is written once, never rewritten
            nodes[(level, index)] = h
        start += count
    return size, frontier, nodes


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=12))
def test_appends_store_every_complete_subtree_and_nothing_else(batches):
    total = sum(batches)
    hashes = LEAVES[:total]
    size, frontier, nodes = build(hashes, batches)
    assert size == total
    assert frontier == list(merkle.MerkleFrontier.from_leaf_hashes(hashes).hashes)
    expected = {
        (level, index): merkle.subtree_hash(hashes, index << level, (index + 1) << level)
        for level in range(total.bit_length())
        for index in range(total >> level)
    }
    assert nodes == expected
    assert tree.hash_of_range(0, total, nodes) == merkle.root_from_leaf_hashes(hashes)


def test_proofs_from_stored_nodes_equal_the_reference_for_every_index_and_size():
    _size, _frontier, nodes = build(LEAVES[:70])
    for size in range(1, 71):
        assert tree.hash_of_range(0, size, nodes) == merkle.root_from_leaf_hashes(LEAVES[:size])
        for index in range(size):
            ranges, keys = tree.inclusion_proof_keys(index, size)
            assert len(keys) <= 2 * size.bit_length()  # O(log n) nodes
            assert tree.proof_from_nodes(ranges, nodes) == merkle.inclusion_proof(LEAVES, index, size)
        for first in range(1, size):
            ranges, keys = tree.consistency_proof_keys(first, size)
            assert len(keys) <= 2 * size.bit_length()
            assert tree.proof_from_nodes(ranges, nodes) == merkle.consistency_proof(LEAVES, first, size)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 2**40), st.data())
def test_proof_ranges_of_huge_trees_split_into_few_stored_nodes(size, data):
    index = data.draw(st.integers(0, size - 1))
    first = data.draw(st.integers(1, size))
    _ranges, keys = tree.inclusion_proof_keys(index, size)
    assert len(keys) <= 2 * size.bit_length()
    assert all(lv >= 0 and (ix + 1) << lv <= size for lv, ix in keys)
    if first < size:
        _ranges, keys = tree.consistency_proof_keys(first, size)
        assert len(keys) <= 2 * size.bit_length()
        assert all((ix + 1) << lv <= size for lv, ix in keys)


def test_range_keys():
    assert tree.range_keys(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert tree.range_keys(8, 16) == [(3, 1)]
    assert tree.range_keys(4, 7) == [(1, 2), (0, 6)]
    assert tree.root_keys(0) == []
    for bad in ((3, 7), (1, 3), (5, 5), (-1, 2)):
        with pytest.raises(ValueError):
            tree.range_keys(*bad)


def test_frontier_bytes_round_trip_and_validation():
    _size, frontier, _nodes = build(LEAVES[:13])
    blob = tree.frontier_to_bytes(frontier)
    assert tree.frontier_from_bytes(13, blob) == frontier
    with pytest.raises(ValueError):
        tree.frontier_from_bytes(12, blob)
    with pytest.raises(ValueError):
        tree.append_leaf_hashes(13, frontier[:-1], [])
    with pytest.raises(ValueError):
        tree.append_leaf_hashes(0, [], [b"short"])
