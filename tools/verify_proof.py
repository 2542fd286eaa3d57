#!/usr/bin/env python3
"""Verify a gongyi public-log proof bundle offline — one file, needs only Python 3.9+ and ``cryptography``.

    python3 verify_proof.py BUNDLE.json [--public-key KEY] [--older OLDER.json]

A bundle is what a donation certificate's "下载证明" button gives (format ``gongyi-log-proof/1``).
This checks, without contacting any server:

1. the checkpoint (log name, tree size, root, time) is signed by the log's Ed25519 key — the key
   in the bundle, or the one you pin with ``--public-key`` (copy it from the site's /log/ page);
2. each leaf in the bundle is in that tree (RFC 6962 / RFC 9162 inclusion proof, the leaf hash
   recomputed from the leaf's bytes) and says it is the leaf at that index;
3. the first leaf is the record of the order named in the bundle (its order commitment opens);
4. given a second checkpoint — the bundle's ``consistency`` part, or ``--older`` with a bundle or
   checkpoint you saved earlier — that the newer tree only appends to the older one: not smaller
   (rolled back), not a different root at the same size (forked), and a valid consistency proof.

Exit status: 0 and ``VALID ...`` when everything checks out; 1 and ``INVALID <reason>`` when the
evidence is wrong; 2 and ``ERROR <reason>`` when the input is malformed or lacks what a check needs.

The hashing and verification follow RFC 9162 §2.1.3.2 and §2.1.4.2; checkpoints are C2SP
tlog-checkpoint bodies (with a signed ``time`` extension line) in C2SP signed notes. This file is a
standalone copy of ``gongyi/ledger/translog/{merkle,bundle}.py``; the project's tests run both on
the same bundles. Licence: AGPL-3.0-or-later, like the project.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import re
import sys
from pathlib import Path

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover - depends on the machine
    sys.stderr.write("ERROR this tool needs the 'cryptography' package: pip install cryptography\n")
    sys.exit(2)

BUNDLE_FORMAT = "gongyi-log-proof/1"
HASH_SIZE = 32
EXIT_VALID, EXIT_INVALID, EXIT_MALFORMED = 0, 1, 2


class Invalid(Exception):
    """The evidence does not check out (exit 1)."""


class Malformed(Exception):
    """The input cannot be read or lacks what a check needs (exit 2)."""


# ---------------------------------------------------------------------------------------------
# RFC 6962 hashing and RFC 9162 verification


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    if index >= size:
        raise Invalid(f"leaf index {index} is not below tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise Invalid("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Invalid("inclusion proof too short")
    return r


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]) -> None:
    if size1 < 1 or size2 <= size1:
        raise Invalid(f"no consistency proof from size {size1} to size {size2}")
    if not proof:
        raise Invalid("empty consistency proof")
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Invalid("consistency proof too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Invalid("consistency proof too short")
    if not hmac.compare_digest(fr, root1):
        raise Invalid("consistency proof does not lead to the older root")
    if not hmac.compare_digest(sr, root2):
        raise Invalid("consistency proof does not lead to the newer root")


# ---------------------------------------------------------------------------------------------
# C2SP signed notes and checkpoints

_SIG_LINE = re.compile(r"\A\u2014 (?P<name>[^\s+]+) (?P<sig>[A-Za-z0-9+/]+=*)\Z")
_VKEY = re.compile(r"\A(?P<name>[^\s+]+)\+(?P<id>[0-9a-f]{8})\+(?P<key>[A-Za-z0-9+/]+=*)\Z")
_SIZE = re.compile(r"\A(?:0|[1-9][0-9]*)\Z")


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, key: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n\x01" + raw_public_key(key)).digest()[:4]


class Checkpoint:
    def __init__(self, text: str):
        """Parse a signed note holding a checkpoint; Malformed if it is not one."""
        if not text.endswith("\n"):
            raise Malformed("checkpoint note must end with a newline")
        cut = text.rfind("\n\n")
        self.text, self.body = text, text if cut < 0 else text[: cut + 1]
        self.signatures = []  # none: verify() reports the checkpoint as unsigned
        for line in [] if cut < 0 else text[cut + 2 : -1].split("\n"):
            m = _SIG_LINE.match(line)
            if not m:
                raise Malformed(f"malformed signature line {line!r}")
            blob = base64.b64decode(m["sig"])
            self.signatures.append((m["name"], blob[:4], blob[4:]))
        lines = self.body[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines[3:]):
            raise Malformed("checkpoint body must be origin, size, root, then non-empty extension lines")
        self.origin, size, root = lines[:3]
        if not self.origin or not _SIZE.match(size):
            raise Malformed(f"checkpoint size is not a decimal number: {size!r}")
        self.size = int(size)
        try:
            self.root = base64.b64decode(root, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Malformed("checkpoint root is not base64") from exc
        if len(self.root) != HASH_SIZE or base64.b64encode(self.root).decode() != root:
            raise Malformed("checkpoint root is not a canonical 32-byte base64 hash")
        self.time = next((line[5:] for line in lines[3:] if line.startswith("time ")), None)

    def verify(self, key: Ed25519PublicKey, what: str) -> None:
        """Invalid unless a signature line under the log's name (the origin) verifies with ``key``."""
        wanted = key_id(self.origin, key)
        for name, kid, signature in self.signatures:
            if name == self.origin and kid == wanted:
                try:
                    key.verify(signature, self.body.encode())
                    return
                except InvalidSignature:
                    raise Invalid(f"{what}: the signature does not verify (forged or altered checkpoint)") from None
        raise Invalid(f"{what}: no signature by this key under the name {self.origin!r}")


def load_key(value: str) -> Ed25519PublicKey:
    """A key as base64, hex, PEM, a signed-note verifier key, or a file holding one of those."""
    path = Path(value)
    try:
        if len(value) < 4096 and path.is_file():
            raw = path.read_bytes()
            value = raw.hex() if len(raw) == 32 else raw.decode("utf-8", "replace")
    except OSError:
        pass
    value = value.strip()
    try:
        if value.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(value.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise Malformed("public key: the PEM key is not Ed25519")
            return key
        m = _VKEY.match(value)
        if m:
            blob = base64.b64decode(m["key"], validate=True)
            if len(blob) != 33 or blob[0] != 1:
                raise Malformed("public key: the verifier key is not Ed25519")
            return Ed25519PublicKey.from_public_bytes(blob[1:])
        raw = (
            bytes.fromhex(value) if re.fullmatch(r"[0-9a-fA-F]{64}", value) else base64.b64decode(value, validate=True)
        )
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error) as exc:
        raise Malformed(f"public key: {exc}") from exc


# ---------------------------------------------------------------------------------------------
# the bundle


def b64(value, what: str, size: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise Malformed(f"{what}: not a base64 string")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Malformed(f"{what}: not base64") from exc
    if size is not None and len(raw) != size:
        raise Malformed(f"{what}: {len(raw)} bytes, expected {size}")
    return raw


def field(obj, name: str, kind, where: str = ""):
    if not isinstance(obj, dict) or name not in obj:
        raise Malformed(f"{where}{name}: missing")
    value = obj[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise Malformed(f"{where}{name}: wrong type")
    if kind is int and value < 0:
        raise Malformed(f"{where}{name}: negative")
    return value


def hashes(value, what: str) -> list[bytes]:
    if not isinstance(value, list):
        raise Malformed(f"{what}: not a list")
    return [b64(item, f"{what}[{i}]", HASH_SIZE) for i, item in enumerate(value)]


def read_json(path: str) -> dict:
    try:
        data = json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise Malformed(f"cannot read {path!r}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise Malformed(f"{path}: not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise Malformed(f"{path}: not a JSON object")
    return data


def read_checkpoint_document(path: str) -> str:
    """An earlier bundle (its checkpoint) or a saved signed checkpoint note."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Malformed(f"cannot read {path!r}: {exc}") from exc
    if text.lstrip().startswith("{"):
        return field(read_json(path), "checkpoint", str, f"{path}: ")
    return text


def compare(older: Checkpoint, newer: Checkpoint, what: str) -> None:
    if older.origin != newer.origin:
        raise Invalid(f"{what} is from another log ({older.origin!r}, not {newer.origin!r})")
    if older.size > newer.size:
        raise Invalid(f"rolled back: {what} has size {older.size} but the bundle's checkpoint only {newer.size}")
    if older.size == newer.size and not hmac.compare_digest(older.root, newer.root):
        raise Invalid(f"fork: {what} and the bundle's checkpoint both have size {older.size} but different roots")


def verify(bundle: dict, pinned: Ed25519PublicKey | None, older_text: str | None) -> list[str]:
    if bundle.get("format") != BUNDLE_FORMAT:
        raise Malformed(f"format: expected {BUNDLE_FORMAT!r}, got {bundle.get('format')!r}")
    key = pinned
    if key is None:
        try:
            key = Ed25519PublicKey.from_public_bytes(b64(field(bundle, "public_key", str), "public_key", 32))
        except ValueError as exc:
            raise Malformed(f"public_key: {exc}") from exc

    checkpoint = Checkpoint(field(bundle, "checkpoint", str))
    checkpoint.verify(key, "checkpoint")
    if field(bundle, "tree_size", int) != checkpoint.size:
        raise Invalid(f"tree_size {bundle['tree_size']} is not the checkpoint's size {checkpoint.size}")
    out = [
        f"VALID checkpoint {checkpoint.origin} size {checkpoint.size} root {checkpoint.root.hex()}"
        + (f" time {checkpoint.time}" if checkpoint.time else ""),
        "  signature: verifies with "
        + ("the pinned public key" if pinned else "the bundle's public key (compare it with the key on the site)"),
    ]

    others = bundle.get("other_leaves", [])
    if not isinstance(others, list) or len(others) > 64:
        raise Malformed("other_leaves: not a list of at most 64 leaves")
    first_record = None
    for n, (where, item) in enumerate([("", bundle)] + [(f"other_leaves[{i}].", x) for i, x in enumerate(others)]):
        index = field(item, "leaf_index", int, where)
        data = b64(field(item, "leaf", str, where), where + "leaf")
        proof = hashes(field(item, "inclusion_proof", list, where), where + "inclusion_proof")
        try:
            root = root_from_inclusion(index, checkpoint.size, leaf_hash(data), proof)
        except Invalid as exc:
            raise Invalid(f"{where}leaf {index} is not in the checkpoint's tree: {exc}") from None
        if not hmac.compare_digest(root, checkpoint.root):
            raise Invalid(
                f"{where}leaf {index} is not in the checkpoint's tree: the proof leads to root {root.hex()}, "
                f"not {checkpoint.root.hex()} (tampered leaf, wrong index or proof)"
            )
        try:
            record = json.loads(data)
        except ValueError:
            record = None
        if isinstance(record, dict) and "index" in record and record["index"] != index:
            raise Invalid(f"{where}leaf says it is leaf {record['index']}, the bundle says {index}")
        if n == 0:
            first_record = record if isinstance(record, dict) else {}
        out.append(f"  leaf {index}: included (leaf hash {leaf_hash(data).hex()}){describe(record)}")

    order = bundle.get("order")
    if order is not None:
        number = field(order, "out_trade_no", str, "order.")
        try:
            order_key = bytes.fromhex(field(order, "key", str, "order."))
        except ValueError as exc:
            raise Malformed("order.key: not hex") from exc
        expected = hmac.new(order_key, number.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(str((first_record or {}).get("order", "")), expected):
            raise Invalid(f"the leaf is not the record of order {number}: its order commitment differs")
        out.append(f"  the first leaf is the record of order {number}")

    proven = None
    consistency = bundle.get("consistency")
    if consistency is not None:
        proven = Checkpoint(field(consistency, "older_checkpoint", str, "consistency."))
        proven.verify(key, "consistency.older_checkpoint")
        proof = hashes(field(consistency, "proof", list, "consistency."), "consistency.proof")
        compare(proven, checkpoint, "consistency.older_checkpoint")
        if proven.size < checkpoint.size:
            try:
                verify_consistency(proven.size, checkpoint.size, proven.root, checkpoint.root, proof)
            except Invalid as exc:
                raise Invalid(
                    f"the checkpoint of size {checkpoint.size} does not extend the one of size {proven.size}: {exc}"
                ) from None
        out.append(f"  consistent with the earlier checkpoint of size {proven.size} (root {proven.root.hex()})")

    if older_text is not None:
        older = Checkpoint(older_text)
        older.verify(key, "older checkpoint")
        compare(older, checkpoint, "the older checkpoint")
        if older.size < checkpoint.size:
            if proven is None or proven.size != older.size:
                raise Malformed(
                    f"the bundle has no consistency proof from size {older.size}; "
                    f"download it again with ?older={older.size}"
                )
            if not hmac.compare_digest(proven.root, older.root):
                raise Invalid(
                    f"fork: the older checkpoint and the bundle's consistency checkpoint both have size "
                    f"{older.size} but different roots"
                )
        out.append(f"  consistent with your older checkpoint of size {older.size} (root {older.root.hex()})")
    return out


def describe(record) -> str:
    if not isinstance(record, dict):
        return ""
    parts = [str(record.get("kind", ""))]
    lines = record.get("lines")
    if isinstance(lines, list):
        debits = sum(
            x.get("fen", 0) for x in lines if isinstance(x, dict) and isinstance(x.get("fen"), int) and x["fen"] > 0
        )
        parts.append(f"{debits / 100:.2f} yuan")
    if record.get("occurred_at"):
        parts.append(str(record["occurred_at"]))
    return " — " + ", ".join(p for p in parts if p)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Verify a gongyi public-log proof bundle offline.")
    parser.add_argument("bundle", help="the proof bundle (JSON) from the certificate page")
    parser.add_argument("--public-key", help="the log's Ed25519 public key from the site (base64, hex, PEM, file)")
    parser.add_argument("--older", help="an earlier bundle or signed checkpoint: the log must only have grown since")
    args = parser.parse_args(argv)
    try:
        pinned = load_key(args.public_key) if args.public_key else None
        older = read_checkpoint_document(args.older) if args.older else None
        lines = verify(read_json(args.bundle), pinned, older)
    except Malformed as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return EXIT_MALFORMED
    except Invalid as exc:
        print(f"INVALID {exc}")
        return EXIT_INVALID
    print("\n".join(lines))
    return EXIT_VALID


if __name__ == "__main__":
    sys.exit(main())
