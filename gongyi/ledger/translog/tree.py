"""The stored Merkle tree: which nodes are kept, what an append adds, proofs from kept nodes (pure).

The log keeps the hash of every *complete* subtree, addressed by ``(level, index)``: the node at
level ``L`` and index ``i`` is the Merkle Tree Hash of the leaves ``[i * 2**L, (i + 1) * 2**L)``;
level 0 holds the leaf hashes. Such nodes never change once written, so the node table is
append-only, and appending a leaf writes the leaf's node plus one node per level it completes
(two on average).

Every range an RFC 6962 proof asks for (``merkle.inclusion_proof_ranges`` /
``consistency_proof_ranges``) starts at a multiple of the largest power of two not above its
length, so it splits into at most ``log2(n)`` complete subtrees of decreasing size, and its hash
is their right fold. A proof for any tree size up to the stored one therefore needs only
O(log n) stored nodes, fetched in one read. Nothing here imports Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from . import merkle

NodeKey = tuple[int, int]
"""(level, index) of a complete subtree."""

__all__ = [
    "NodeKey",
    "append_leaf_hashes",
    "consistency_proof_keys",
    "fold",
    "frontier_from_bytes",
    "frontier_to_bytes",
    "hash_of_range",
    "inclusion_proof_keys",
    "proof_from_nodes",
    "range_keys",
    "root_keys",
]


def range_keys(start: int, end: int) -> list[NodeKey]:
    """The complete subtrees, largest first, whose right fold is MTH of the leaves [start, end).

    Raises ValueError for an empty range or one that is not aligned the way RFC 6962 splits a tree
    (every range of a proof, and every prefix [0, n), is).
    """
    if not 0 <= start < end:
        raise ValueError(f"bad leaf range [{start}, {end})")
    keys: list[NodeKey] = []
    position = start
    while position < end:
        level = (end - position).bit_length() - 1
        if position & ((1 << level) - 1):
            raise ValueError(f"leaf range [{start}, {end}) is not aligned to its subtrees")
        keys.append((level, position >> level))
        position += 1 << level
    return keys


def fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold of complete-subtree hashes (largest first): MTH of the range they cover."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = merkle.node_hash(left, result)
    return result


def hash_of_range(start: int, end: int, nodes: Mapping[NodeKey, bytes]) -> bytes:
    """MTH of [start, end) from stored nodes (EMPTY_ROOT for an empty range); KeyError if one is missing."""
    if start == end:
        return merkle.EMPTY_ROOT
    return fold([nodes[key] for key in range_keys(start, end)])


def root_keys(size: int) -> list[NodeKey]:
    """Nodes whose fold is the root of the tree of ``size`` leaves (none for the empty tree)."""
    return range_keys(0, size) if size else []


def _keys_of(ranges: Iterable[tuple[int, int]]) -> set[NodeKey]:
    return {key for start, end in ranges for key in range_keys(start, end)}


def inclusion_proof_keys(index: int, size: int) -> tuple[list[tuple[int, int]], set[NodeKey]]:
    """The audit path's leaf ranges and every stored node needed to hash them."""
    ranges = merkle.inclusion_proof_ranges(index, size)
    return ranges, _keys_of(ranges)


def consistency_proof_keys(size1: int, size2: int) -> tuple[list[tuple[int, int]], set[NodeKey]]:
    """The consistency proof's leaf ranges and every stored node needed to hash them."""
    ranges = merkle.consistency_proof_ranges(size1, size2)
    return ranges, _keys_of(ranges)


def proof_from_nodes(ranges: Sequence[tuple[int, int]], nodes: Mapping[NodeKey, bytes]) -> list[bytes]:
    return [hash_of_range(start, end, nodes) for start, end in ranges]


def append_leaf_hashes(
    size: int, frontier: Sequence[bytes], leaf_hashes: Iterable[bytes]
) -> tuple[int, list[bytes], list[tuple[int, int, bytes]]]:
    """Append leaf hashes to a tree of ``size`` leaves with this frontier.

    Returns the new size, the new frontier (``merkle.MerkleFrontier`` order: largest subtree
    first) and every node the appends completed, as ``(level, index, hash)`` — level 0 for the
    leaves themselves. No stored node is read: the left siblings are the frontier.
    """
    hashes = [bytes(h) for h in frontier]
    if len(hashes) != size.bit_count():
        raise ValueError(f"a frontier of size {size} has {size.bit_count()} hashes, got {len(hashes)}")
    completed: list[tuple[int, int, bytes]] = []
    for leaf in leaf_hashes:
        if len(leaf) != merkle.HASH_SIZE:
            raise ValueError(f"leaf hash is {len(leaf)} bytes")
        completed.append((0, size, bytes(leaf)))
        hashes.append(bytes(leaf))
        level, carry = 0, size
        while carry & 1:
            right = hashes.pop()
            parent = merkle.node_hash(hashes[-1], right)
            hashes[-1] = parent
            carry >>= 1
            level += 1
            completed.append((level, carry, parent))
        size += 1
    return size, hashes, completed


def frontier_to_bytes(hashes: Sequence[bytes]) -> bytes:
    return b"".join(hashes)


def frontier_from_bytes(size: int, blob: bytes) -> list[bytes]:
    blob = bytes(blob)
    if len(blob) != merkle.HASH_SIZE * size.bit_count():
        raise ValueError(f"stored frontier is {len(blob)} bytes for a tree of size {size}")
    return [blob[i : i + merkle.HASH_SIZE] for i in range(0, len(blob), merkle.HASH_SIZE)]
