"""Writes to the public log: queue each posted entry's record, integrate it as a leaf, sign checkpoints.

Why a queue and a sequencer, not an append under the tree's lock inside ``post_entry``: leaf
indices must be gap-free and in one order, so appends serialise on one row (``TreeState``). If
``post_entry`` took that row lock, every money transaction would hold it from its first entry to
its commit, and transactions that lock another row *before* posting would deadlock with it —
``confirm_payment`` posts the gift (tree lock) and then locks the matching pool, while
``flag_donor`` and ``award_incentives`` lock the pool and then post (tree lock). PostgreSQL would
abort one of them. So ``post_entry`` only inserts the entry's public record (``QueuedLeaf``, no
shared lock, same transaction: an entry and its record commit or vanish together), and the
sequencer gives queued records their indices right after commit (``transaction.on_commit``),
from the periodic task every minute, and before every checkpoint. The tree lock is then the only
lock those short transactions take. Trillian and Tessera sequence the same way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import keys, merkle, tree
from .bundle import checkpoint_text
from .models import Checkpoint, LogLeaf, QueuedLeaf, TreeNode, TreeState

logger = logging.getLogger(__name__)

LEAF_VERSION = 1
INTEGRATE_BATCH = 1000


def canonical_json(value) -> bytes:
    """Sorted keys, no spaces, UTF-8: the one byte form of a record."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def utc_text(moment: datetime) -> str:
    """UTC ISO 8601 with a Z; microseconds only when present."""
    moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds").replace("+00:00", "Z")


def entry_record(*, entry, legs: Sequence) -> dict:
    """The public record of a posted entry, without its leaf index (given when it is integrated).

    No names, phones or memo text: account codes (which never hold personal data), signed fen, the
    project id, the reversed entry, and for a gift's entries the donor's salted hash and a
    commitment to the order number (see ``keys.order_commitment``).
    """
    record: dict = {
        "v": LEAF_VERSION,
        "entry": entry.pk,
        "kind": str(entry.kind),
        "occurred_at": utc_text(entry.occurred_at),
        "lines": [{"account": leg.account.code, "fen": int(leg.amount_fen)} for leg in legs],
    }
    if entry.project_id is not None:
        record["project"] = entry.project_id
    if entry.reverses_id is not None:
        record["reverses"] = entry.reverses_id
    if entry.gift_id is not None:
        gift = entry.gift
        record["donor"] = keys.donor_hash(gift.donor_key)
        record["order"] = keys.order_commitment(gift.order.out_trade_no)
    return record


def append_entry_leaf(*, entry, legs: Sequence) -> QueuedLeaf:
    """Queue a just-posted entry's public record, in the caller's transaction; index it after commit.

    Called once by ``ledger.services.post_entry`` for every entry it posts. Takes no shared lock.
    """
    queued = QueuedLeaf.objects.create(
        entry=entry, record=canonical_json(entry_record(entry=entry, legs=legs)).decode()
    )
    transaction.on_commit(_integrate_after_commit, robust=True)
    return queued


def _integrate_after_commit() -> None:
    # Skip when another process is integrating: it, the next commit or the periodic task takes ours.
    integrate_queued_leaves(wait=False)


def _lock_state(*, wait: bool) -> TreeState | None:
    """Lock the tree state row, creating it on first use; None if another sequencer holds it and not ``wait``."""
    state = TreeState.objects.select_for_update(skip_locked=not wait).filter(pk=1).first()
    if state is not None:
        return state
    if TreeState.objects.filter(pk=1).exists():
        return None  # locked by another sequencer
    try:
        with transaction.atomic():
            TreeState.objects.create(pk=1, size=0, frontier=b"", root=merkle.EMPTY_ROOT)
    except IntegrityError:
        pass
    return TreeState.objects.select_for_update(skip_locked=not wait).filter(pk=1).first()


def integrate_queued_leaves(*, wait: bool = True, batch: int = INTEGRATE_BATCH) -> int:
    """Give every queued record the next leaf index, store its leaf and the completed subtrees.

    One transaction per batch, under the tree state's row lock, until a look finds the queue empty
    (so records committed while a batch was being written are taken too). ``wait=False`` returns
    at once when another process holds the lock. Returns the number of leaves added.
    """
    added = 0
    while True:
        with transaction.atomic():
            state = _lock_state(wait=wait)
            if state is None:
                return added
            queued = list(QueuedLeaf.objects.order_by("id")[:batch])
            if not queued:
                return added
            added += _append(state, queued)


def _append(state: TreeState, queued: list[QueuedLeaf]) -> int:
    size = state.size
    leaves: list[LogLeaf] = []
    for offset, item in enumerate(queued):
        record = json.loads(item.record)
        record["index"] = size + offset
        data = canonical_json(record)
        leaves.append(LogLeaf(index=size + offset, entry_id=item.entry_id, data=data, leaf_hash=merkle.leaf_hash(data)))
    new_size, frontier, completed = tree.append_leaf_hashes(
        size, tree.frontier_from_bytes(size, state.frontier), [bytes(leaf.leaf_hash) for leaf in leaves]
    )
    LogLeaf.objects.bulk_create(leaves)
    TreeNode.objects.bulk_create([TreeNode(level=level, index=index, hash=h) for level, index, h in completed])
    QueuedLeaf.objects.filter(pk__in=[item.pk for item in queued]).delete()
    root = merkle.MerkleFrontier(new_size, frontier).root()
    updated = TreeState.objects.filter(pk=state.pk, size=size).update(
        size=new_size, frontier=tree.frontier_to_bytes(frontier), root=root, updated_at=timezone.now()
    )
    if updated != 1:  # cannot happen under the row lock; refuse rather than fork the tree
        raise IntegrityError("the log's tree state changed under its lock")
    state.size, state.frontier, state.root = new_size, tree.frontier_to_bytes(frontier), root
    return len(leaves)


def publish_checkpoint(*, now: datetime | None = None) -> Checkpoint | None:
    """Integrate what is queued, then sign and store a checkpoint if the tree grew since the last one.

    Returns the new checkpoint, or None when there was nothing new to sign. Safe to run from many
    processes at once (the tree lock and the unique size make one of them win).
    """
    integrate_queued_leaves(wait=True)
    with transaction.atomic():
        state = _lock_state(wait=True)
        latest = Checkpoint.objects.order_by("-size").first()
        if state is None or state.size == 0 or (latest is not None and latest.size >= state.size):
            return None
        root = bytes(state.root)
        origin = keys.log_origin()
        private_key = keys.signing_key()
        moment = (now or timezone.now()).replace(microsecond=0)
        head = merkle.Checkpoint(origin, state.size, root)
        text = checkpoint_text(head, utc_text(moment))
        note = merkle.sign_note(text, private_key, origin)
        _name, key_id, signature = merkle.split_note(note)[1][0]
        checkpoint = Checkpoint.objects.create(
            size=state.size,
            root=root,
            origin=origin,
            published_at=moment,
            signature=signature,
            key_id=key_id.hex(),
            note=note,
        )
    logger.info("log checkpoint %s: size %s root %s", origin, checkpoint.size, root.hex())
    return checkpoint


def append_missing_entries() -> int:
    """Queue the records of posted entries that have none (entries posted before the log existed).

    Appended in entry order. Returns how many were queued; integrate or publish afterwards.
    """
    from gongyi.ledger.models import JournalEntry
    from gongyi.ledger.services import Leg

    queued = 0
    missing = (
        JournalEntry.objects.filter(is_posted=True, log_leaf__isnull=True, queued_leaf__isnull=True)
        .select_related("gift", "gift__order")
        .prefetch_related("lines__account")
        .order_by("id")
    )
    for entry in missing.iterator(chunk_size=500):
        with transaction.atomic():
            legs = [Leg(line.account, line.amount_fen) for line in entry.lines.all()]
            QueuedLeaf.objects.create(entry=entry, record=canonical_json(entry_record(entry=entry, legs=legs)).decode())
            queued += 1
    return queued
