"""Recompute the whole log from its leaf bytes and compare with everything stored (``gongyi check_log``).

Reads every leaf once, in chunks, so memory stays O(chunk + log n): each leaf's hash from its
bytes, its index inside the record, every stored subtree hash, the tree state (size, frontier,
root), every checkpoint's root and signature, and that every posted journal entry has exactly one
record (a leaf, or queued for one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from . import keys, merkle, tree
from .bundle import open_checkpoint_note
from .models import Checkpoint, LogLeaf, QueuedLeaf, TreeNode, TreeState

CHUNK = 4096  # a power of two, so every chunk's completed subtrees stay inside it
STALE_QUEUE = timedelta(minutes=5)


@dataclass(frozen=True)
class LogProblem:
    what: str
    detail: str


@dataclass(frozen=True)
class LogAudit:
    size: int
    root: bytes
    checkpoints: int
    problems: list[LogProblem]


def _expected_node_count(size: int) -> int:
    return sum(size >> level for level in range(size.bit_length()))


def audit_log() -> LogAudit:
    problems: list[LogProblem] = []
    checkpoints = {c.size: c for c in Checkpoint.objects.all()}
    size, frontier = 0, []
    expected_index = 0
    leaves = LogLeaf.objects.order_by("index").values_list("index", "data", "leaf_hash")
    chunk: list[tuple[int, bytes, bytes]] = []

    def flush(rows) -> None:
        nonlocal size, frontier
        start = size
        completed_all: list[tuple[int, int, bytes]] = []
        for index, data, stored_hash in rows:
            computed = merkle.leaf_hash(data)
            if computed != stored_hash:
                problems.append(LogProblem("leaf", f"leaf {index}: stored hash differs from the hash of its bytes"))
            try:
                record_index = json.loads(data).get("index")
            except (ValueError, AttributeError):
                record_index = None
            if record_index != index:
                problems.append(LogProblem("leaf", f"leaf {index}: its record says index {record_index}"))
            size, frontier, completed = tree.append_leaf_hashes(size, frontier, [computed])
            completed_all.extend(completed)
            checkpoint = checkpoints.get(size)
            if checkpoint is not None and bytes(checkpoint.root) != merkle.MerkleFrontier(size, frontier).root():
                problems.append(LogProblem("checkpoint", f"checkpoint {size}: root differs from the leaves' root"))
        _compare_stored_nodes(start, size, completed_all, problems)

    for index, data, stored_hash in leaves.iterator(chunk_size=CHUNK):
        if index != expected_index:
            problems.append(LogProblem("leaf", f"leaf index {expected_index} is missing (next is {index})"))
            expected_index = index
        chunk.append((index, bytes(data), bytes(stored_hash)))
        expected_index += 1
        if len(chunk) == CHUNK:
            flush(chunk)
            chunk = []
    if chunk:
        flush(chunk)

    root = merkle.MerkleFrontier(size, frontier).root()
    node_count = TreeNode.objects.count()
    if node_count != _expected_node_count(size):
        problems.append(
            LogProblem("node", f"{node_count} stored subtree hashes, a tree of {size} has {_expected_node_count(size)}")
        )
    state = TreeState.objects.filter(pk=1).first()
    if state is None:
        if size:
            problems.append(LogProblem("state", "no tree state row, but there are leaves"))
    else:
        if state.size != size:
            problems.append(LogProblem("state", f"stored size {state.size}, leaves {size}"))
        elif bytes(state.root) != root or bytes(state.frontier) != tree.frontier_to_bytes(frontier):
            problems.append(LogProblem("state", "stored root or frontier differs from the leaves'"))
    _check_checkpoints(checkpoints, size, problems)
    _check_entries(problems)
    return LogAudit(size, root, len(checkpoints), problems)


def _compare_stored_nodes(
    start: int, end: int, completed: list[tuple[int, int, bytes]], problems: list[LogProblem]
) -> None:
    computed = {(level, index): h for level, index, h in completed}
    if not computed:
        return
    by_level: dict[int, list[int]] = {}
    for level, index in computed:
        by_level.setdefault(level, []).append(index)
    condition = Q()
    for level, indices in by_level.items():
        condition |= Q(level=level, index__gte=min(indices), index__lte=max(indices))
    stored = {
        (level, index): bytes(h)
        for level, index, h in TreeNode.objects.filter(condition).values_list("level", "index", "hash")
    }
    for key, value in computed.items():
        got = stored.get(key)
        if got is None:
            problems.append(LogProblem("node", f"subtree {key} of leaves [{start}, {end}) is not stored"))
        elif got != value:
            problems.append(LogProblem("node", f"subtree {key}: stored hash differs from the leaves'"))


def _check_checkpoints(checkpoints: dict[int, Checkpoint], size: int, problems: list[LogProblem]) -> None:
    try:
        public_key = keys.public_key()
    except Exception as exc:  # a missing key is itself the finding
        problems.append(LogProblem("key", f"cannot load the signing key: {exc}"))
        return
    for checkpoint in checkpoints.values():
        if checkpoint.size > size:
            problems.append(LogProblem("checkpoint", f"checkpoint {checkpoint.size} is larger than the tree ({size})"))
        try:
            note = open_checkpoint_note(checkpoint.note, public_key)
        except (ValueError, merkle.VerificationError) as exc:
            problems.append(LogProblem("checkpoint", f"checkpoint {checkpoint.size}: {exc}"))
            continue
        if (note.size, note.root, note.origin) != (checkpoint.size, bytes(checkpoint.root), checkpoint.origin):
            problems.append(LogProblem("checkpoint", f"checkpoint {checkpoint.size}: its note says otherwise"))


def _check_entries(problems: list[LogProblem]) -> None:
    from gongyi.ledger.models import JournalEntry

    missing = list(
        JournalEntry.objects.filter(is_posted=True, log_leaf__isnull=True, queued_leaf__isnull=True).values_list(
            "pk", flat=True
        )[:20]
    )
    if missing:
        problems.append(
            LogProblem("entry", f"posted entries without a log record: {missing} (gongyi check_log --append-missing)")
        )
    stale = QueuedLeaf.objects.filter(queued_at__lt=timezone.now() - STALE_QUEUE).count()
    if stale:
        problems.append(LogProblem("queue", f"{stale} record(s) queued for over 5 minutes: is the sequencer running?"))
