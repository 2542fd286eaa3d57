"""RFC 6962 / RFC 9162 Merkle tree log: hashing, proofs, verification, signed checkpoints.

Pure Python: imports only the standard library and ``cryptography`` (Ed25519), never Django,
so the offline verifier (``verify.py``) can ship with nothing but this module.

Tree (RFC 6962 §2.1, RFC 9162 §2.1.1)::

    MTH({})    = SHA-256()
    MTH({d0})  = SHA-256(0x00 || d0)                        leaf hash
    MTH(D[n])  = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))  k = largest power of two < n

Proofs are produced exactly in RFC 6962 order (``PATH`` for inclusion, ``PROOF``/``SUBPROOF``
for consistency), so any RFC 6962/9162 verifier (Go ``transparency-dev/merkle``, sigstore, ...)
accepts them. Verification follows the iterative algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2.

Checkpoints (signed tree heads) follow C2SP ``tlog-checkpoint``: the body is
``<origin>\\n<size>\\n<base64 root>\\n``, signed with Ed25519 and optionally wrapped as a C2SP
``signed-note`` (the format of Go's ``golang.org/x/mod/sumdb/note``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Checkpoint",
    "LeafSource",
    "MerkleFrontier",
    "ProofError",
    "SignatureError",
    "VerificationError",
    "consistency_proof",
    "consistency_proof_ranges",
    "decode_hash",
    "format_signed_note",
    "frontier_ranges",
    "generate_private_key",
    "inclusion_proof",
    "inclusion_proof_ranges",
    "leaf_hash",
    "load_private_key",
    "load_public_key",
    "node_hash",
    "note_key_id",
    "note_verifier_key",
    "open_note",
    "open_signed_checkpoint",
    "parse_signed_note",
    "private_key_to_pem",
    "private_key_to_raw",
    "public_key_to_pem",
    "public_key_to_raw",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "sign_checkpoint",
    "sign_note",
    "split_note",
    "subtree_hash",
    "verify_checkpoint_signature",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256

EMPTY_ROOT: bytes = _sha256(b"").digest()
"""Root of the empty tree, SHA-256 of the empty string (e3b0c442…b855)."""


# --------------------------------------------------------------------------------------------
# errors


class VerificationError(ValueError):
    """Base class: something presented as evidence does not check out."""


class ProofError(VerificationError):
    """An inclusion or consistency proof (or its sizes, roots, hashes) is wrong."""


class SignatureError(VerificationError):
    """A checkpoint signature is missing, malformed or does not verify."""


# --------------------------------------------------------------------------------------------
# hashing


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one log entry."""
    return _sha256(_LEAF_PREFIX + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return _sha256(_NODE_PREFIX + left + right).digest()


LeafSource = Sequence[bytes] | Callable[[int, int], Sequence[bytes]]
"""Leaf hashes: a sequence indexed from 0, or ``fetch(start, end)`` returning leaves [start, end)."""


def _fetch(leaves: LeafSource, start: int, end: int) -> Sequence[bytes]:
    got = leaves(start, end) if callable(leaves) else leaves[start:end]
    if len(got) != end - start:
        raise ValueError(f"leaf source returned {len(got)} hashes for range [{start}, {end})")
    return got


def _hash_level_up(hashes: Sequence[bytes]) -> bytes:
    """MTH of a non-empty list of leaf hashes, bottom-up (an odd last node is promoted unchanged).

    Promoting the odd node level by level gives exactly the RFC 6962 left-complete tree.
    """
    level = list(hashes)
    sha = _sha256
    prefix = _NODE_PREFIX
    while len(level) > 1:
        upper = [sha(prefix + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            upper.append(level[-1])
        level = upper
    return level[0]


def subtree_hash(leaf_hashes: LeafSource, start: int, end: int) -> bytes:
    """MTH of the leaves [start, end) — any range, not only aligned ones; EMPTY_ROOT if empty."""
    if start < 0 or end < start:
        raise ValueError(f"bad leaf range [{start}, {end})")
    if start == end:
        return EMPTY_ROOT
    return _hash_level_up(_fetch(leaf_hashes, start, end))


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """RFC 6962 Merkle Tree Hash of the whole list of leaf hashes."""
    return subtree_hash(hashes, 0, len(hashes))


def _split(n: int) -> int:
    """Largest power of two strictly less than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


# --------------------------------------------------------------------------------------------
# proof generation
#
# The *_ranges functions say which subtrees a proof consists of, as half-open leaf ranges in
# proof order; a caller holding cached subtree hashes can resolve them itself. The plain
# functions resolve every range with subtree_hash over the given leaf hashes.


def inclusion_proof_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges of the RFC 6962 audit path PATH(index, D[size]), leaf-side first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    siblings: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            siblings.append((lo + k, hi))
            hi = lo + k
        else:
            siblings.append((lo, lo + k))
            lo = lo + k
    siblings.reverse()
    return siblings


def consistency_proof_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """Leaf ranges of the RFC 6962 PROOF(size1, D[size2]) = SUBPROOF(size1, D[size2], true).

    Equal sizes give an empty proof; a proof from size 0 is refused (it proves nothing).
    """
    if size1 < 1 or size2 < size1:
        raise ValueError(f"no consistency proof from size {size1} to size {size2}")
    nodes: list[tuple[int, int]] = []
    lo, hi, m, complete = 0, size2, size1, True
    while m != hi - lo:
        n = hi - lo
        k = _split(n)
        if m <= k:
            nodes.append((lo + k, hi))
            hi = lo + k
        else:
            nodes.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        nodes.append((lo, hi))
    nodes.reverse()
    return nodes


def inclusion_proof(leaf_hashes: LeafSource, index: int, size: int) -> list[bytes]:
    """Audit path proving leaf ``index`` is in the tree of the first ``size`` leaves."""
    if not callable(leaf_hashes) and size > len(leaf_hashes):
        raise ValueError(f"tree size {size} exceeds the {len(leaf_hashes)} leaves given")
    return [subtree_hash(leaf_hashes, a, b) for a, b in inclusion_proof_ranges(index, size)]


def consistency_proof(leaf_hashes: LeafSource, size1: int, size2: int) -> list[bytes]:
    """Consistency proof between the trees of the first ``size1`` and ``size2`` leaves."""
    if not callable(leaf_hashes) and size2 > len(leaf_hashes):
        raise ValueError(f"tree size {size2} exceeds the {len(leaf_hashes)} leaves given")
    return [subtree_hash(leaf_hashes, a, b) for a, b in consistency_proof_ranges(size1, size2)]


# --------------------------------------------------------------------------------------------
# verification (RFC 9162 §2.1.3.2 and §2.1.4.2)


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise ProofError(f"{what} is not bytes")
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, a hash is {HASH_SIZE}")


def _check_proof(proof: Sequence[bytes] | None) -> list[bytes]:
    items = list(proof or ())
    for i, p in enumerate(items):
        _check_hash(p, f"proof[{i}]")
    return [bytes(p) for p in items]


def _check_size(value: int, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProofError(f"{what} must be a non-negative integer, got {value!r}")


def root_from_inclusion_proof(
    leaf_index: int, tree_size: int, leaf_hash: bytes, proof: Sequence[bytes] | None
) -> bytes:
    """The root that ``proof`` implies for the leaf; raises ProofError if the proof is malformed."""
    _check_size(leaf_index, "leaf index")
    _check_size(tree_size, "tree size")
    if leaf_index >= tree_size:
        raise ProofError(f"leaf index {leaf_index} is not below tree size {tree_size}")
    _check_hash(leaf_hash, "leaf hash")
    path = _check_proof(proof)
    fn, sn = leaf_index, tree_size - 1
    r = bytes(leaf_hash)
    for p in path:
        if sn == 0:
            raise ProofError(f"inclusion proof too long: {len(path)} hashes for this index and size")
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
        raise ProofError(f"inclusion proof too short: {len(path)} hashes for this index and size")
    return r


def verify_inclusion(
    leaf_index: int, tree_size: int, leaf_hash: bytes, proof: Sequence[bytes] | None, root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``leaf_index`` of the tree of ``tree_size`` with ``root``.

    Returns None on success, raises ProofError with the reason otherwise.
    """
    computed = root_from_inclusion_proof(leaf_index, tree_size, leaf_hash, proof)
    _check_hash(root, "root")
    if not hmac.compare_digest(computed, bytes(root)):
        raise ProofError(
            f"inclusion proof leads to root {computed.hex()}, not the given root {bytes(root).hex()}"
        )


def root_from_consistency_proof(size1: int, size2: int, root1: bytes, proof: Sequence[bytes] | None) -> bytes:
    """Check ``proof`` against the old root and return the new root it implies (size1 < size2).

    Raises ProofError if the sizes are unusable, the proof is malformed or it does not
    reproduce ``root1``.
    """
    _check_size(size1, "size1")
    _check_size(size2, "size2")
    if size1 > size2:
        raise ProofError(f"size1 ({size1}) is greater than size2 ({size2})")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree (size1 = 0) proves nothing")
    if size1 == size2:
        raise ProofError("equal sizes: no proof is needed, compare the roots")
    path = _check_proof(proof)
    if not path:
        raise ProofError(f"empty consistency proof from size {size1} to size {size2}")
    _check_hash(root1, "root1")
    root1 = bytes(root1)
    if size1 & (size1 - 1) == 0:  # size1 is a power of two: the old root is the first node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof too long: {len(proof or ())} hashes for these sizes")
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
        raise ProofError(f"consistency proof too short: {len(proof or ())} hashes for these sizes")
    if not hmac.compare_digest(fr, root1):
        raise ProofError(f"consistency proof leads to old root {fr.hex()}, not root1 {root1.hex()}")
    return sr


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes] | None
) -> None:
    """Check that the tree (size2, root2) extends the tree (size1, root1).

    Edge rules, as the transparency-dev proof suite (``testdata/merkle``) expects:
    size1 > size2 is an error; size1 = 0 is an error (a proof from the empty tree proves
    nothing, even to size 0); equal sizes need an empty proof and equal roots; otherwise the
    proof must be non-empty, every hash 32 bytes, and it must reproduce both roots.
    """
    _check_size(size1, "size1")
    _check_size(size2, "size2")
    if size1 > size2:
        raise ProofError(f"size1 ({size1}) is greater than size2 ({size2})")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree (size1 = 0) proves nothing")
    if size1 == size2:
        if proof:
            raise ProofError(f"sizes are equal ({size1}) but the proof is not empty")
        if not hmac.compare_digest(bytes(root1), bytes(root2)):
            raise ProofError(f"sizes are equal ({size1}) but the roots differ")
        return
    computed = root_from_consistency_proof(size1, size2, root1, proof)
    _check_hash(root2, "root2")
    if not hmac.compare_digest(computed, bytes(root2)):
        raise ProofError(
            f"consistency proof leads to new root {computed.hex()}, not root2 {bytes(root2).hex()}"
        )


# --------------------------------------------------------------------------------------------
# incremental root: the right-edge frontier ("compact range" [0, size))


def frontier_ranges(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees, left to right, whose hashes make up the frontier of a tree of ``size``."""
    if size < 0:
        raise ValueError("size must be non-negative")
    out: list[tuple[int, int]] = []
    start = 0
    for bit in reversed(range(size.bit_length())):
        if size >> bit & 1:
            out.append((start, start + (1 << bit)))
            start += 1 << bit
    return out


class MerkleFrontier:
    """Hashes of the full subtrees along the right edge of the tree: O(log n) state.

    ``append`` costs O(1) amortised hashes, ``root`` O(log n); no leaf is rehashed. The state is
    ``size`` plus one hash per set bit of ``size`` (largest subtree first), which is what a
    live log stores between appends (see ``to_hex_list`` / ``from_hex_list``).
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        hashes = [bytes(h) for h in hashes]
        if size < 0:
            raise ValueError("size must be non-negative")
        if len(hashes) != size.bit_count():
            raise ValueError(f"a frontier of size {size} has {size.bit_count()} hashes, got {len(hashes)}")
        for h in hashes:
            if len(h) != HASH_SIZE:
                raise ValueError(f"frontier hash is {len(h)} bytes, a hash is {HASH_SIZE}")
        self._size = size
        self._hashes = hashes

    @classmethod
    def from_leaf_hashes(cls, hashes: Iterable[bytes]) -> MerkleFrontier:
        f = cls()
        f.extend(hashes)
        return f

    @classmethod
    def from_leaf_source(cls, leaf_hashes: LeafSource, size: int) -> MerkleFrontier:
        """Frontier of the first ``size`` leaves, hashing each frontier subtree once."""
        return cls(size, [subtree_hash(leaf_hashes, a, b) for a, b in frontier_ranges(size)])

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> int:
        """Add one leaf hash; return its index."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf hash is {len(leaf_hash)} bytes, a hash is {HASH_SIZE}")
        index = self._size
        hashes = self._hashes
        hashes.append(bytes(leaf_hash))
        carry = index
        while carry & 1:
            right = hashes.pop()
            hashes[-1] = node_hash(hashes[-1], right)
            carry >>= 1
        self._size = index + 1
        return index

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        for h in leaf_hashes:
            self.append(h)

    def root(self) -> bytes:
        if not self._hashes:
            return EMPTY_ROOT
        r = self._hashes[-1]
        for h in reversed(self._hashes[:-1]):
            r = node_hash(h, r)
        return r

    def copy(self) -> MerkleFrontier:
        return MerkleFrontier(self._size, self._hashes)

    def to_hex_list(self) -> list[str]:
        return [h.hex() for h in self._hashes]

    @classmethod
    def from_hex_list(cls, size: int, hexes: Iterable[str]) -> MerkleFrontier:
        return cls(size, [bytes.fromhex(h) for h in hexes])

    def to_dict(self) -> dict[str, object]:
        return {"size": self._size, "hashes": self.to_hex_list()}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> MerkleFrontier:
        return cls.from_hex_list(int(data["size"]), data["hashes"])  # type: ignore[arg-type]

    def __len__(self) -> int:
        return self._size

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MerkleFrontier):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"MerkleFrontier(size={self._size}, root={self.root().hex()})"


# --------------------------------------------------------------------------------------------
# hash text


_HEX_RE = re.compile(r"\A(?:[0-9a-fA-F]{2})*\Z")


def decode_hash(text: str) -> bytes:
    """Hex or base64 (standard or URL-safe, padding optional) → bytes. ValueError if neither.

    Even-length all-hex text is read as hex (a 32-byte hash is 64 hex digits, 44 base64 chars).
    """
    s = text.strip()
    if _HEX_RE.match(s):
        return bytes.fromhex(s)
    t = s.replace("-", "+").replace("_", "/")
    t += "=" * (-len(t) % 4)
    try:
        return base64.b64decode(t, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not hex or base64: {text!r}") from exc


# --------------------------------------------------------------------------------------------
# checkpoints (C2SP tlog-checkpoint) and Ed25519 keys


_SIZE_RE = re.compile(r"\A(?:0|[1-9][0-9]*)\Z")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: ``origin`` (the log's name), ``size`` and ``root``."""

    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin or "\n" in self.origin:
            raise ValueError("checkpoint origin must be a non-empty single line")
        if not isinstance(self.size, int) or isinstance(self.size, bool) or self.size < 0:
            raise ValueError("checkpoint size must be a non-negative integer")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise ValueError(f"checkpoint root must be {HASH_SIZE} bytes")

    def body(self) -> bytes:
        """The canonical signed text: ``<origin>\\n<size>\\n<base64 root>\\n`` (UTF-8)."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n".encode()

    @classmethod
    def parse(cls, body: bytes | str) -> Checkpoint:
        """Parse exactly the canonical body (no extension lines); ValueError if it is not one."""
        text = body.decode("utf-8") if isinstance(body, bytes | bytearray) else body
        if not text.endswith("\n"):
            raise ValueError("checkpoint body must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) != 3:
            raise ValueError(f"checkpoint body must have 3 lines, has {len(lines)}")
        origin, size, root_b64 = lines
        if not _SIZE_RE.match(size):
            raise ValueError(f"checkpoint size is not a decimal number: {size!r}")
        try:
            root = base64.b64decode(root_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("checkpoint root is not base64") from exc
        cp = cls(origin, int(size), root)
        if cp.body().decode() != text:
            raise ValueError("checkpoint body is not in canonical form")
        return cp


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _key_bytes(data: bytes | str) -> tuple[bytes, bool]:
    """(bytes, is_pem) from raw key bytes, PEM, or hex/base64 text."""
    if isinstance(data, str):
        s = data.strip()
        if s.startswith("-----BEGIN"):
            return s.encode(), True
        return decode_hash(s), False
    raw = bytes(data)
    if raw.lstrip().startswith(b"-----BEGIN"):
        return raw.strip(), True
    if len(raw) == 32:
        return raw, False
    try:
        return decode_hash(raw.decode("ascii")), False
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError("not an Ed25519 key (raw 32 bytes, PEM, hex or base64)") from exc


def load_private_key(data: bytes | str) -> Ed25519PrivateKey:
    """Ed25519 private key from PKCS#8 PEM, raw 32-byte seed, or its hex/base64 text."""
    raw, pem = _key_bytes(data)
    if pem:
        key = serialization.load_pem_private_key(raw, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("PEM key is not an Ed25519 private key")
        return key
    if len(raw) != 32:
        raise ValueError(f"raw Ed25519 private key must be 32 bytes, got {len(raw)}")
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_public_key(data: bytes | str) -> Ed25519PublicKey:
    """Ed25519 public key from SubjectPublicKeyInfo PEM, raw 32 bytes, hex/base64 text, or a
    signed-note verifier key ``<name>+<key id>+<base64(0x01 || key)>``."""
    if isinstance(data, bytes | bytearray) and len(data) != 32:
        try:
            data = bytes(data).decode("ascii")
        except UnicodeDecodeError as exc:
            raise ValueError("not an Ed25519 public key") from exc
    if isinstance(data, str) and (m := _VKEY_RE.match(data.strip())):
        blob = base64.b64decode(m["key"], validate=True)
        if len(blob) != 33 or blob[0] != _ALG_ED25519:
            raise ValueError("verifier key is not an Ed25519 key")
        key = Ed25519PublicKey.from_public_bytes(blob[1:])
        if note_key_id(m["name"], key) != bytes.fromhex(m["id"]):
            raise ValueError("verifier key id does not match its name and key")
        return key
    raw, pem = _key_bytes(data)
    if pem:
        key = serialization.load_pem_public_key(raw)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("PEM key is not an Ed25519 public key")
        return key
    if len(raw) != 32:
        raise ValueError(f"raw Ed25519 public key must be 32 bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def private_key_to_raw(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def private_key_to_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_key_to_raw(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_to_pem(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def sign_checkpoint(private_key: Ed25519PrivateKey, cp: Checkpoint) -> bytes:
    """64-byte Ed25519 signature over ``cp.body()``."""
    return private_key.sign(cp.body())


def verify_checkpoint_signature(public_key: Ed25519PublicKey, cp: Checkpoint, signature: bytes) -> None:
    """Raise SignatureError unless ``signature`` is ``public_key``'s signature over ``cp.body()``."""
    if not isinstance(signature, bytes | bytearray) or len(signature) != 64:
        raise SignatureError("an Ed25519 signature is 64 bytes")
    try:
        public_key.verify(bytes(signature), cp.body())
    except InvalidSignature as exc:
        raise SignatureError(f"checkpoint signature does not verify for {cp.origin} size {cp.size}") from exc


# C2SP signed-note: body, blank line, then lines "— <key name> <base64(key id || signature)>".

_ALG_ED25519 = 0x01
_SIG_PREFIX = "\u2014 "  # em dash and space
_KEY_NAME_RE = re.compile(r"\A[^\s+]+\Z")
_VKEY_RE = re.compile(r"\A(?P<name>[^\s+]+)\+(?P<id>[0-9a-f]{8})\+(?P<key>[A-Za-z0-9+/]+=*)\Z")
_SIG_LINE_RE = re.compile(r"\A\u2014 (?P<name>[^\s+]+) (?P<sig>[A-Za-z0-9+/]+=*)\Z")


def note_key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """Signed-note key id: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    if not _KEY_NAME_RE.match(name):
        raise ValueError(f"bad key name {name!r}: no spaces or '+'")
    data = name.encode() + b"\n" + bytes([_ALG_ED25519]) + public_key_to_raw(public_key)
    return _sha256(data).digest()[:4]


def note_verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """``<name>+<hex key id>+<base64(0x01 || key)>``, the verifier key string of Go's note package."""
    blob = bytes([_ALG_ED25519]) + public_key_to_raw(public_key)
    return f"{name}+{note_key_id(name, public_key).hex()}+{base64.b64encode(blob).decode()}"


def sign_note(text: str, private_key: Ed25519PrivateKey, key_name: str) -> str:
    """Any text ending in a newline as a C2SP signed note with one Ed25519 signature line."""
    if not text.endswith("\n"):
        raise ValueError("note text must end with a newline")
    key_id = note_key_id(key_name, private_key.public_key())
    sig = base64.b64encode(key_id + private_key.sign(text.encode())).decode()
    return f"{text}\n{_SIG_PREFIX}{key_name} {sig}\n"


def split_note(text: str | bytes) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """Split a signed note into its text and ``(key name, key id, signature)`` lines.

    Text without a signature block comes back whole with an empty list. ValueError if malformed.
    """
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8")
    if not text.endswith("\n"):
        raise ValueError("signed note must end with a newline")
    cut = text.rfind("\n\n")
    if cut < 0:
        return text, []
    body, block = text[: cut + 1], text[cut + 2 :]
    sigs: list[tuple[str, bytes, bytes]] = []
    for line in block[:-1].split("\n"):
        m = _SIG_LINE_RE.match(line)
        if not m:
            raise ValueError(f"malformed signature line: {line!r}")
        blob = base64.b64decode(m["sig"], validate=True)
        if len(blob) < 5:
            raise ValueError(f"signature line too short: {line!r}")
        sigs.append((m["name"], blob[:4], blob[4:]))
    return body, sigs


def open_note(text: str | bytes, public_key: Ed25519PublicKey, key_name: str | None = None) -> str:
    """Verify a signed note against ``public_key`` and return its text.

    A signature line counts if its key id matches ``public_key`` under its name (and the name
    equals ``key_name`` when given). Raises SignatureError if no line verifies, ValueError if
    the note is malformed.
    """
    body, sigs = split_note(text)
    matched = False
    for name, key_id, sig in sigs:
        if key_name is not None and name != key_name:
            continue
        if note_key_id(name, public_key) != key_id:
            continue
        matched = True
        try:
            public_key.verify(sig, body.encode())
        except InvalidSignature:
            continue
        return body
    if matched:
        raise SignatureError("the note's signature by this key does not verify")
    raise SignatureError("the note carries no signature by this key")


def format_signed_note(cp: Checkpoint, private_key: Ed25519PrivateKey, key_name: str | None = None) -> str:
    """The checkpoint as a C2SP signed note, signed under ``key_name`` (default: the origin)."""
    return sign_note(cp.body().decode(), private_key, key_name or cp.origin)


def parse_signed_note(text: str | bytes) -> tuple[Checkpoint, list[tuple[str, bytes, bytes]]]:
    """A signed-note checkpoint (or a bare body) → (checkpoint, signature lines), unverified."""
    body, sigs = split_note(text)
    return Checkpoint.parse(body), sigs


def open_signed_checkpoint(
    text: str | bytes, public_key: Ed25519PublicKey, key_name: str | None = None
) -> Checkpoint:
    """Verify a signed-note checkpoint against ``public_key`` (see ``open_note``) and parse it."""
    body, _sigs = split_note(text)
    cp = Checkpoint.parse(body)  # malformed body: ValueError before any signature work
    open_note(text, public_key, key_name)
    return cp
