"""Checkpoint notes with a signed time, and the donor's proof bundle: its format and its verification.

Pure: the standard library, ``cryptography`` and ``merkle.py``; no Django. ``tools/verify_proof.py``
is a standalone copy of the same checks (it must run without this repository); the tests run
both on the same bundles and expect the same verdicts.

A checkpoint note is a C2SP ``tlog-checkpoint`` body — origin, size, base64 root — followed by
one extension line ``time <UTC ISO 8601>``, signed as a C2SP signed note under the key name
``<origin>``. Extension lines are part of the signed text, so the time is signed too.

The bundle (``format: gongyi-log-proof/1``, documented in docs/public-log.md) carries a signed
checkpoint, the leaf bytes with their index and inclusion proof, optionally more leaves of the same
gift, optionally an older checkpoint with a consistency proof, and optionally the opening of the
leaf's order commitment.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

try:
    from . import merkle
except ImportError:  # run next to merkle.py, outside the package
    import merkle  # type: ignore[no-redef]

BUNDLE_FORMAT = "gongyi-log-proof/1"
TIME_PREFIX = "time "
MAX_BUNDLE_LEAVES = 64


class BundleError(ValueError):
    """The bundle is malformed or lacks what the check needs (exit status 2), as opposed to invalid."""


# ---------------------------------------------------------------------------------------------
# checkpoint notes


@dataclass(frozen=True)
class CheckpointNote:
    checkpoint: merkle.Checkpoint
    time: str | None
    extensions: tuple[str, ...]
    text: str

    @property
    def size(self) -> int:
        return self.checkpoint.size

    @property
    def root(self) -> bytes:
        return self.checkpoint.root

    @property
    def origin(self) -> str:
        return self.checkpoint.origin


def checkpoint_text(checkpoint: merkle.Checkpoint, time_text: str) -> str:
    """The text to sign: the canonical body plus the ``time`` extension line."""
    if "\n" in time_text or not time_text:
        raise ValueError("time must be one non-empty line")
    return checkpoint.body().decode() + TIME_PREFIX + time_text + "\n"


def parse_checkpoint_note(text: str | bytes) -> CheckpointNote:
    """Parse a signed (or bare) checkpoint note with optional extension lines; ValueError if malformed."""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8")
    body, _signatures = merkle.split_note(text)
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise ValueError(f"checkpoint body must have at least 3 lines, has {len(lines)}")
    checkpoint = merkle.Checkpoint.parse("\n".join(lines[:3]) + "\n")
    extensions = tuple(lines[3:])
    if any(not line for line in extensions):
        raise ValueError("checkpoint extension lines must not be empty")
    time_text = next((line[len(TIME_PREFIX) :] for line in extensions if line.startswith(TIME_PREFIX)), None)
    return CheckpointNote(checkpoint, time_text, extensions, text)


def open_checkpoint_note(text: str | bytes, public_key) -> CheckpointNote:
    """Verify the note's signature by ``public_key`` under the key name ``<origin>`` and parse it.

    Raises SignatureError (invalid) or ValueError (malformed).
    """
    note = parse_checkpoint_note(text)
    merkle.open_note(note.text, public_key, key_name=note.origin)
    return note


# ---------------------------------------------------------------------------------------------
# order commitments


def order_commitment(key: bytes, out_trade_no: str) -> str:
    return hmac.new(key, out_trade_no.encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------------------------
# bundle verification


@dataclass
class VerifiedLeaf:
    index: int
    data: bytes
    record: dict | None


@dataclass
class BundleReport:
    checkpoint: CheckpointNote
    key_source: str  # "pinned" or "bundle"
    leaves: list[VerifiedLeaf] = field(default_factory=list)
    older: list[CheckpointNote] = field(default_factory=list)
    order_no: str | None = None

    def lines(self) -> list[str]:
        cp = self.checkpoint
        out = [
            f"VALID checkpoint {cp.origin} size {cp.size} root {cp.root.hex()}"
            + (f" time {cp.time}" if cp.time else ""),
            "  signature: verifies with "
            + ("the pinned public key" if self.key_source == "pinned" else "the bundle's public key")
            + ("" if self.key_source == "pinned" else " (compare it with the key published on the site)"),
        ]
        for leaf in self.leaves:
            summary = describe_record(leaf.record)
            out.append(f"  leaf {leaf.index}: included (leaf hash {merkle.leaf_hash(leaf.data).hex()}){summary}")
        for older in self.older:
            out.append(f"  consistent with the earlier checkpoint of size {older.size} (root {older.root.hex()})")
        if self.order_no:
            out.append(f"  the first leaf is the record of order {self.order_no}")
        return out


def describe_record(record: Mapping | None) -> str:
    if not isinstance(record, Mapping):
        return ""
    parts = [str(record.get("kind", ""))]
    lines = record.get("lines")
    if isinstance(lines, list):
        debits = sum(
            line["fen"]
            for line in lines
            if isinstance(line, dict) and isinstance(line.get("fen"), int) and line["fen"] > 0
        )
        parts.append(f"{debits / 100:.2f} yuan")
    if record.get("occurred_at"):
        parts.append(str(record["occurred_at"]))
    return " — " + ", ".join(p for p in parts if p)


def _require(bundle: Mapping, name: str, kind: type | tuple[type, ...]):
    if name not in bundle:
        raise BundleError(f"{name}: missing")
    value = bundle[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise BundleError(f"{name}: wrong type ({type(value).__name__})")
    return value


def _b64(value, what: str, size: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise BundleError(f"{what}: not a base64 string")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BundleError(f"{what}: not base64") from exc
    if size is not None and len(raw) != size:
        raise BundleError(f"{what}: {len(raw)} bytes, expected {size}")
    return raw


def _proof(value, what: str) -> list[bytes]:
    if not isinstance(value, list):
        raise BundleError(f"{what}: not a list")
    return [_b64(item, f"{what}[{i}]", merkle.HASH_SIZE) for i, item in enumerate(value)]


def _index(value, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BundleError(f"{what}: not a non-negative integer")
    return value


def _note(text, what: str, public_key) -> CheckpointNote:
    if not isinstance(text, str):
        raise BundleError(f"{what}: not a string")
    try:
        parse_checkpoint_note(text)
    except ValueError as exc:
        raise BundleError(f"{what}: {exc}") from exc
    try:
        return open_checkpoint_note(text, public_key)
    except merkle.SignatureError as exc:
        raise merkle.SignatureError(f"{what}: {exc}") from exc


def load_bundle(raw: bytes | str) -> dict:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BundleError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BundleError("a bundle is a JSON object")
    return data


def checkpoint_of(document: str | bytes) -> str:
    """The signed checkpoint note in ``document``: a bundle (its ``checkpoint``) or the note itself."""
    if isinstance(document, bytes | bytearray):
        try:
            document = bytes(document).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BundleError("older checkpoint: not UTF-8") from exc
    if document.lstrip().startswith("{"):
        data = load_bundle(document)
        return _require(data, "checkpoint", str)
    return document


def _compare(older: CheckpointNote, newer: CheckpointNote, what: str) -> None:
    """Raise unless ``newer`` may extend ``older``: same log, not smaller, same root at the same size."""
    if older.origin != newer.origin:
        raise merkle.ProofError(f"{what} is from another log ({older.origin!r}, not {newer.origin!r})")
    if older.size > newer.size:
        raise merkle.ProofError(
            f"rolled back: {what} has size {older.size} but the bundle's checkpoint only {newer.size}"
        )
    if older.size == newer.size and not hmac.compare_digest(older.root, newer.root):
        raise merkle.ProofError(
            f"fork: {what} and the bundle's checkpoint both have size {older.size} but different roots"
        )


def verify_bundle(bundle: Mapping, *, public_key=None, older: str | None = None) -> BundleReport:
    """Check a proof bundle; return a report, raise VerificationError (invalid) or BundleError (malformed).

    ``public_key`` pins the log's key (else the bundle's own key is used, and the report says so);
    ``older`` is a signed checkpoint note seen earlier: the bundle must prove it consistent.
    """
    fmt = bundle.get("format")
    if fmt != BUNDLE_FORMAT:
        raise BundleError(f"format: expected {BUNDLE_FORMAT!r}, got {fmt!r}")
    key_source = "pinned"
    if public_key is None:
        try:
            public_key = merkle.load_public_key(_b64(_require(bundle, "public_key", str), "public_key", 32))
        except ValueError as exc:
            raise BundleError(f"public_key: {exc}") from exc
        key_source = "bundle"

    note = _note(_require(bundle, "checkpoint", str), "checkpoint", public_key)
    tree_size = _index(_require(bundle, "tree_size", int), "tree_size")
    if tree_size != note.size:
        raise merkle.ProofError(f"tree_size {tree_size} is not the checkpoint's size {note.size}")
    report = BundleReport(checkpoint=note, key_source=key_source)

    entries = [("", bundle)]
    others = bundle.get("other_leaves", [])
    if not isinstance(others, list) or len(others) > MAX_BUNDLE_LEAVES:
        raise BundleError("other_leaves: not a list of at most 64 leaves")
    entries += [(f"other_leaves[{i}].", item) for i, item in enumerate(others)]
    for prefix, item in entries:
        if not isinstance(item, Mapping):
            raise BundleError(f"{prefix or 'leaf'}: not an object")
        index = _index(_require(item, "leaf_index", int), prefix + "leaf_index")
        data = _b64(_require(item, "leaf", str), prefix + "leaf")
        proof = _proof(_require(item, "inclusion_proof", list), prefix + "inclusion_proof")
        try:
            merkle.verify_inclusion(index, note.size, merkle.leaf_hash(data), proof, note.root)
        except merkle.ProofError as exc:
            raise merkle.ProofError(f"{prefix}leaf {index} is not in the checkpoint's tree: {exc}") from exc
        try:
            record = json.loads(data)
        except ValueError:
            record = None
        if isinstance(record, dict) and "index" in record and record["index"] != index:
            raise merkle.ProofError(f"{prefix}leaf says it is leaf {record['index']}, the bundle says {index}")
        report.leaves.append(VerifiedLeaf(index, data, record if isinstance(record, dict) else None))

    order = bundle.get("order")
    if order is not None:
        if not isinstance(order, Mapping):
            raise BundleError("order: not an object")
        number = _require(order, "out_trade_no", str)
        try:
            key = bytes.fromhex(_require(order, "key", str))
        except ValueError as exc:
            raise BundleError("order.key: not hex") from exc
        record = report.leaves[0].record or {}
        if not hmac.compare_digest(str(record.get("order", "")), order_commitment(key, number)):
            raise merkle.ProofError(f"the leaf is not the record of order {number}: its order commitment differs")
        report.order_no = number

    consistency = bundle.get("consistency")
    proven: CheckpointNote | None = None
    if consistency is not None:
        if not isinstance(consistency, Mapping):
            raise BundleError("consistency: not an object")
        proven = _note(_require(consistency, "older_checkpoint", str), "consistency.older_checkpoint", public_key)
        proof = _proof(_require(consistency, "proof", list), "consistency.proof")
        _compare(proven, note, "consistency.older_checkpoint")
        if proven.size < note.size:
            try:
                merkle.verify_consistency(proven.size, note.size, proven.root, note.root, proof)
            except merkle.ProofError as exc:
                raise merkle.ProofError(
                    f"the checkpoint of size {note.size} does not extend the one of size {proven.size}: {exc}"
                ) from exc
        report.older.append(proven)

    if older is not None:
        remembered = _note(older, "older checkpoint", public_key)
        _compare(remembered, note, "the older checkpoint")
        if remembered.size < note.size:
            if proven is None or proven.size != remembered.size:
                raise BundleError(
                    f"the bundle has no consistency proof from size {remembered.size}; "
                    f"download it again with ?older={remembered.size}"
                )
            if not hmac.compare_digest(proven.root, remembered.root):
                raise merkle.ProofError(
                    f"fork: the older checkpoint and the bundle's consistency checkpoint both have size "
                    f"{remembered.size} but different roots"
                )
        if remembered not in report.older:
            report.older.append(remembered)
    return report


def proof_to_base64(proof: Sequence[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in proof]
