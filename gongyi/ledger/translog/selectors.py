"""Reads of the public log: checkpoints, leaves, proofs from stored subtrees, a gift's proof and bundle.

Every proof is served from the node table in one query of O(log n) rows (see ``tree``), plus one
query for the latest checkpoint where the caller needs it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC

from django.db import connections, router
from django.utils import timezone

from . import keys, tree
from .bundle import BUNDLE_FORMAT, proof_to_base64
from .models import Checkpoint, LogLeaf, QueuedLeaf, TreeNode, TreeState

MAX_LEAVES_PER_REQUEST = 1000


class LogCorrupted(RuntimeError):
    """A node the tree should hold is missing: the stored tree is damaged (``gongyi check_log``)."""


class NotYetLogged(LookupError):
    """The record exists but no signed checkpoint covers it yet."""


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size").first()


def checkpoint_of_size(size: int) -> Checkpoint | None:
    return Checkpoint.objects.filter(size=size).first()


def checkpoint_page(*, offset: int, limit: int) -> tuple[int, list[Checkpoint]]:
    """Checkpoints newest first."""
    total = Checkpoint.objects.count()
    return total, list(Checkpoint.objects.order_by("-size")[offset : offset + limit])


def tree_state() -> TreeState | None:
    return TreeState.objects.filter(pk=1).first()


def queued_count() -> int:
    return QueuedLeaf.objects.count()


def fetch_nodes(keys_wanted: set[tree.NodeKey]) -> dict[tree.NodeKey, bytes]:
    """The stored hashes of these complete subtrees, in one query; LogCorrupted if any is missing.

    Plain SQL: the ORM's composite-key ``IN`` compiles to the same OR of (level, index) pairs but
    costs ten times the query itself (1.3 ms against 0.13 ms for 24 pairs), and this is the one
    query of every proof. Each pair is a primary-key lookup on both databases.
    """
    if not keys_wanted:
        return {}
    ordered = sorted(keys_wanted)
    connection = connections[router.db_for_read(TreeNode)]
    quote = connection.ops.quote_name
    level, index = quote("level"), quote("index")
    pair = f"({level} = %s AND {index} = %s)"
    table, hash_column = quote(TreeNode._meta.db_table), quote("hash")
    # Only quoted identifiers are formatted in; every value is a parameter.
    where = " OR ".join([pair] * len(ordered))
    sql = f"SELECT {level}, {index}, {hash_column} FROM {table} WHERE {where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for key in ordered for value in key])
        found = {(lv, ix): bytes(h) for lv, ix, h in cursor.fetchall()}
    missing = keys_wanted - found.keys()
    if missing:
        raise LogCorrupted(f"stored tree lacks nodes {sorted(missing)[:5]}")
    return found


@dataclass(frozen=True)
class InclusionProof:
    index: int
    tree_size: int
    leaf_hash: bytes
    proof: list[bytes]
    root: bytes


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    proof: list[bytes]
    first_root: bytes
    second_root: bytes


def inclusion_proofs(indices: list[int], tree_size: int) -> list[InclusionProof]:
    """Audit paths of several leaves in one tree (up to the stored size), with one node query."""
    wanted: set[tree.NodeKey] = set(tree.root_keys(tree_size))
    plans = []
    for index in indices:
        ranges, needed = tree.inclusion_proof_keys(index, tree_size)
        wanted |= needed | {(0, index)}
        plans.append((index, ranges))
    nodes = fetch_nodes(wanted)
    root = tree.hash_of_range(0, tree_size, nodes)
    return [
        InclusionProof(index, tree_size, nodes[(0, index)], tree.proof_from_nodes(ranges, nodes), root)
        for index, ranges in plans
    ]


def inclusion_proof(index: int, tree_size: int) -> InclusionProof:
    """RFC 6962 PATH(index, D[tree_size]) from stored nodes; ValueError unless 0 ≤ index < tree_size."""
    return inclusion_proofs([index], tree_size)[0]


def consistency_proof(first: int, second: int) -> ConsistencyProof:
    """RFC 6962 PROOF(first, D[second]) and both roots from stored nodes; ValueError unless 1 ≤ first ≤ second."""
    if first < 1 or second < first:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    ranges, wanted = tree.consistency_proof_keys(first, second) if first < second else ([], set())
    wanted |= set(tree.root_keys(first)) | set(tree.root_keys(second))
    nodes = fetch_nodes(wanted)
    return ConsistencyProof(
        first,
        second,
        tree.proof_from_nodes(ranges, nodes),
        tree.hash_of_range(0, first, nodes),
        tree.hash_of_range(0, second, nodes),
    )


def tree_root(size: int) -> bytes:
    return tree.hash_of_range(0, size, fetch_nodes(set(tree.root_keys(size))))


def leaf_data(start: int, end: int) -> list[bytes]:
    """The bytes of leaves [start, end), in order."""
    rows = LogLeaf.objects.filter(index__gte=start, index__lt=end).order_by("index").values_list("index", "data")
    out = [bytes(data) for _index, data in rows]
    if len(out) != end - start:
        raise LogCorrupted(f"leaves [{start}, {end}) are incomplete")
    return out


# ---------------------------------------------------------------------------------------------
# a gift's records, for the certificate page and the proof bundle


@dataclass
class LeafView:
    entry_id: int
    kind: str
    kind_label: str
    index: int | None
    data: bytes | None
    record_text: str
    leaf_hash_hex: str = ""
    proof_hex: list[str] = field(default_factory=list)
    proof: InclusionProof | None = None

    @property
    def covered(self) -> bool:
        return self.proof is not None


@dataclass
class GiftLogView:
    leaves: list[LeafView]
    checkpoint: Checkpoint | None

    @property
    def all_covered(self) -> bool:
        return bool(self.leaves) and all(leaf.covered for leaf in self.leaves)

    @property
    def primary(self) -> LeafView | None:
        return next((leaf for leaf in self.leaves if leaf.kind == "gift"), self.leaves[0] if self.leaves else None)


def gift_log_view(gift) -> GiftLogView:
    """The log records of a gift's entries (gift, match, reversals), each with its proof if a checkpoint covers it."""
    from gongyi.ledger.models import JournalEntry

    entries = list(JournalEntry.objects.filter(gift=gift).order_by("id").only("id", "kind"))
    ids = [entry.pk for entry in entries]
    leaves = {leaf.entry_id: leaf for leaf in LogLeaf.objects.filter(entry_id__in=ids)}
    queued = {q.entry_id: q for q in QueuedLeaf.objects.filter(entry_id__in=ids)} if len(leaves) < len(ids) else {}
    checkpoint = latest_checkpoint()
    views: list[LeafView] = []
    for entry in entries:
        leaf = leaves.get(entry.pk)
        if leaf is not None:
            data = bytes(leaf.data)
            views.append(
                LeafView(
                    entry.pk,
                    entry.kind,
                    entry.get_kind_display(),
                    leaf.index,
                    data,
                    _pretty(data),
                    leaf_hash_hex=bytes(leaf.leaf_hash).hex(),
                )
            )
        elif entry.pk in queued:
            views.append(
                LeafView(entry.pk, entry.kind, entry.get_kind_display(), None, None, _pretty(queued[entry.pk].record))
            )
    if checkpoint is not None:
        covered = [view for view in views if view.index is not None and view.index < checkpoint.size]
        if covered:
            proofs = inclusion_proofs([view.index for view in covered], checkpoint.size)
            for view, proof in zip(covered, proofs, strict=True):
                view.proof = proof
                view.proof_hex = [h.hex() for h in proof.proof]
    return GiftLogView(views, checkpoint)


def _pretty(data: bytes | str) -> str:
    try:
        return json.dumps(json.loads(data), ensure_ascii=False, indent=2, sort_keys=True)
    except ValueError:
        return repr(data)


def gift_proof_bundle(gift, *, older_size: int | None = None) -> dict:
    """The donor's proof bundle (docs/public-log.md): the gift's leaf, proofs, checkpoint(s), order opening.

    Raises NotYetLogged when no checkpoint covers the gift's record yet, ValueError when
    ``older_size`` is not the size of a published checkpoint no larger than the latest.
    """
    view = gift_log_view(gift)
    primary = view.primary
    if primary is None or not primary.covered or view.checkpoint is None:
        raise NotYetLogged("no signed checkpoint covers this gift's record yet")
    checkpoint = view.checkpoint
    info = keys.public_key_info()

    def leaf_part(leaf: LeafView) -> dict:
        return {
            "leaf_index": leaf.index,
            "leaf": base64.b64encode(leaf.data or b"").decode(),
            "inclusion_proof": proof_to_base64(leaf.proof.proof if leaf.proof else []),
        }

    out_trade_no = gift.order.out_trade_no
    bundle = {
        "format": BUNDLE_FORMAT,
        "origin": checkpoint.origin,
        "public_key": info["public_key"],
        "verifier_key": info["verifier_key"],
        "checkpoint": checkpoint.note,
        "tree_size": checkpoint.size,
        **leaf_part(primary),
        "other_leaves": [leaf_part(leaf) for leaf in view.leaves if leaf is not primary and leaf.covered],
        "order": {"out_trade_no": out_trade_no, "key": keys.order_key(out_trade_no).hex()},
        "certificate_no": gift.certificate_no,
        "generated_at": timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if older_size is None:
        first = Checkpoint.objects.filter(size__gt=primary.index).order_by("size").first()
        older = first if first is not None and first.size < checkpoint.size else None
    else:
        older = checkpoint_of_size(older_size)
        if older is None or older.size > checkpoint.size:
            raise ValueError(f"older: no published checkpoint of size {older_size} up to {checkpoint.size}")
        if older.size == checkpoint.size:
            older = None
    if older is not None:
        proof = consistency_proof(older.size, checkpoint.size)
        bundle["consistency"] = {"older_checkpoint": older.note, "proof": proof_to_base64(proof.proof)}
    return bundle
