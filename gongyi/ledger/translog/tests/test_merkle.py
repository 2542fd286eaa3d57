"""The RFC 6962/9162 Merkle log, its verifier, checkpoints and the offline CLI (no database).

The verifier must pass every case of the transparency-dev/merkle proof suite vendored in
``shared/testdata/merkle`` (ARCHITECTURE invariant 5); a missing suite is a failure, not a skip.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongyi.ledger.translog import merkle as m

REPO_ROOT = Path(__file__).resolve().parents[4]
PACKAGE_DIR = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------------------------
# locating the vendored proof suite


def _is_suite(path: Path) -> bool:
    return (path / "inclusion").is_dir() and (path / "consistency").is_dir()


def find_merkle_testdata() -> tuple[Path | None, str]:
    """``$GONGYI_SHARED_DIR/testdata/merkle``, else the first ``<ancestor>/shared/testdata/merkle``
    walking up from this file (the repo's sibling ``shared/`` in development and in CI)."""
    env = os.environ.get("GONGYI_SHARED_DIR")
    if env:
        for cand in (Path(env) / "testdata" / "merkle", Path(env)):
            if _is_suite(cand):
                return cand, ""
        return None, f"GONGYI_SHARED_DIR={env!r} holds no testdata/merkle/{{inclusion,consistency}}"
    tried = []
    for parent in Path(__file__).resolve().parents:
        cand = parent / "shared" / "testdata" / "merkle"
        if _is_suite(cand):
            return cand, ""
        tried.append(str(cand))
    return None, (
        "the Merkle proof suite shared/testdata/merkle was not found (required by invariant 5); "
        "put shared/ beside the repository or set GONGYI_SHARED_DIR. Tried: " + ", ".join(tried)
    )


MERKLE_DIR, MISSING_REASON = find_merkle_testdata()
CASE_FILES = sorted(MERKLE_DIR.glob("*/**/*.json")) if MERKLE_DIR else []
EXPECTED_GROUPS = [
    *(f"inclusion/{g}" for g in ("0", "1", "2", "3", "4", "additional", "single-entry")),
    *(f"consistency/{g}" for g in ("0", "1", "2", "3", "4", "additional")),
]
VENDORED_CASE_COUNT = 196  # JSON cases in shared/testdata/merkle as vendored


def _case_params():
    if not CASE_FILES:
        return [pytest.param(None, id="merkle-testdata-missing")]
    return [pytest.param(p, id=p.relative_to(MERKLE_DIR).as_posix()) for p in CASE_FILES]


def _b64(s: str) -> bytes:
    return base64.b64decode(s)


def _load_case(path: Path) -> dict:
    case = json.loads(path.read_text(encoding="utf-8"))
    case["proof"] = [_b64(p) for p in case.get("proof") or []]
    return case


def _run_case(case: dict) -> None:
    if "leafIdx" in case:
        m.verify_inclusion(
            case["leafIdx"], case["treeSize"], _b64(case["leafHash"]), case["proof"], _b64(case["root"])
        )
    else:
        m.verify_consistency(
            case["size1"], case["size2"], _b64(case["root1"]), _b64(case["root2"]), case["proof"]
        )


def test_merkle_suite_is_complete():
    if MERKLE_DIR is None:
        pytest.fail(MISSING_REASON)
    for group in EXPECTED_GROUPS:
        assert list((MERKLE_DIR / group).rglob("*.json")), f"no cases in {MERKLE_DIR / group}"
    assert len(CASE_FILES) >= VENDORED_CASE_COUNT
    wants = [json.loads(p.read_text())["wantErr"] for p in CASE_FILES]
    assert all(isinstance(w, bool) for w in wants)
    assert wants.count(False) >= 10 and wants.count(True) >= 150


@pytest.mark.parametrize("case_path", _case_params())
def test_merkle_suite_case(case_path):
    if case_path is None:
        pytest.fail(MISSING_REASON)
    case = _load_case(case_path)
    if case["wantErr"]:
        with pytest.raises(m.ProofError):
            _run_case(case)
    else:
        _run_case(case)  # must not raise


# --------------------------------------------------------------------------------------------
# RFC 6962 test vectors (certificate-transparency merkle_tree_test) and an independent spec


RFC_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
RFC_ROOTS = {
    0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
RFC_LEAF_HASHES = [m.leaf_hash(d) for d in RFC_LEAVES]


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def spec_mth(d: list[bytes]) -> bytes:
    """MTH straight from RFC 6962 §2.1, over entries (not leaf hashes)."""
    n = len(d)
    if n == 0:
        return _sha(b"")
    if n == 1:
        return _sha(b"\x00" + d[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return _sha(b"\x01" + spec_mth(d[:k]) + spec_mth(d[k:]))


class Spec:
    """RFC 6962 §2.1.1 PATH and §2.1.2 PROOF/SUBPROOF, recursive, over a fixed list of entries."""

    def __init__(self, entries: list[bytes]) -> None:
        self.entries = entries
        self.mth = lru_cache(maxsize=None)(self._mth)

    def _mth(self, lo: int, hi: int) -> bytes:
        n = hi - lo
        if n == 0:
            return _sha(b"")
        if n == 1:
            return _sha(b"\x00" + self.entries[lo])
        k = self._k(n)
        return _sha(b"\x01" + self.mth(lo, lo + k) + self.mth(lo + k, hi))

    @staticmethod
    def _k(n: int) -> int:
        k = 1
        while k * 2 < n:
            k *= 2
        return k

    def path(self, idx: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n == 1:
            return []
        k = self._k(n)
        if idx < k:
            return [*self.path(idx, lo, lo + k), self.mth(lo + k, hi)]
        return [*self.path(idx - k, lo + k, hi), self.mth(lo, lo + k)]

    def subproof(self, size1: int, lo: int, hi: int, whole: bool) -> list[bytes]:
        n = hi - lo
        if size1 == n:
            return [] if whole else [self.mth(lo, hi)]
        k = self._k(n)
        if size1 <= k:
            return [*self.subproof(size1, lo, lo + k, whole), self.mth(lo + k, hi)]
        return [*self.subproof(size1 - k, lo + k, hi, False), self.mth(lo, lo + k)]


SPEC_ENTRIES = [f"entry {i}".encode() for i in range(200)]
SPEC = Spec(SPEC_ENTRIES)
SPEC_LEAF_HASHES = [m.leaf_hash(e) for e in SPEC_ENTRIES]


def test_hash_primitives():
    assert m.EMPTY_ROOT.hex() == RFC_ROOTS[0]
    assert m.leaf_hash(b"") == _sha(b"\x00")
    assert m.node_hash(b"a" * 32, b"b" * 32) == _sha(b"\x01" + b"a" * 32 + b"b" * 32)
    assert m.HASH_SIZE == 32


@pytest.mark.parametrize("size", sorted(RFC_ROOTS))
def test_rfc6962_roots(size):
    assert m.root_from_leaf_hashes(RFC_LEAF_HASHES[:size]).hex() == RFC_ROOTS[size]
    assert spec_mth(RFC_LEAVES[:size]).hex() == RFC_ROOTS[size]
    assert m.MerkleFrontier.from_leaf_hashes(RFC_LEAF_HASHES[:size]).root().hex() == RFC_ROOTS[size]


def test_rfc6962_vector_is_the_tree_of_the_suite():
    """The suite's numbered groups use the same 8-leaf tree: its roots and leaves are ours."""
    if MERKLE_DIR is None:
        pytest.fail(MISSING_REASON)
    inc = _load_case(MERKLE_DIR / "inclusion" / "1" / "happy-path.json")
    assert (inc["leafIdx"], inc["treeSize"]) == (0, 8)
    assert _b64(inc["root"]).hex() == RFC_ROOTS[8]
    assert _b64(inc["leafHash"]) == RFC_LEAF_HASHES[0]


def _happy_paths():
    if MERKLE_DIR is None:
        return [pytest.param(None, id="merkle-testdata-missing")]
    paths = sorted(MERKLE_DIR.glob("*/[0-9]*/happy-path.json"))
    return [pytest.param(p, id=p.relative_to(MERKLE_DIR).as_posix()) for p in paths]


@pytest.mark.parametrize("case_path", _happy_paths())
def test_generated_proofs_equal_the_suite_byte_for_byte(case_path):
    """Our proofs for the RFC tree are exactly the reference implementation's (order included)."""
    if case_path is None:
        pytest.fail(MISSING_REASON)
    case = _load_case(case_path)
    if "leafIdx" in case:
        idx, size = case["leafIdx"], case["treeSize"]
        assert _b64(case["leafHash"]) == RFC_LEAF_HASHES[idx]
        assert _b64(case["root"]) == m.root_from_leaf_hashes(RFC_LEAF_HASHES[:size])
        assert m.inclusion_proof(RFC_LEAF_HASHES, idx, size) == case["proof"]
    else:
        s1, s2 = case["size1"], case["size2"]
        assert _b64(case["root1"]) == m.root_from_leaf_hashes(RFC_LEAF_HASHES[:s1])
        assert _b64(case["root2"]) == m.root_from_leaf_hashes(RFC_LEAF_HASHES[:s2])
        assert m.consistency_proof(RFC_LEAF_HASHES, s1, s2) == case["proof"]


# --------------------------------------------------------------------------------------------
# generated proofs for trees of 1..200 leaves


def test_roots_match_spec_for_sizes_0_to_200():
    for n in range(201):
        assert m.root_from_leaf_hashes(SPEC_LEAF_HASHES[:n]) == SPEC.mth(0, n), n
        assert m.subtree_hash(SPEC_LEAF_HASHES, 0, n) == SPEC.mth(0, n)
    for lo, hi in [(3, 4), (3, 9), (64, 128), (5, 200), (17, 17)]:
        assert m.subtree_hash(SPEC_LEAF_HASHES, lo, hi) == SPEC.mth(lo, hi)


def test_inclusion_proofs_sizes_1_to_200():
    for n in range(1, 201):
        root = SPEC.mth(0, n)
        for i in range(n):
            proof = m.inclusion_proof(SPEC_LEAF_HASHES, i, n)
            assert proof == SPEC.path(i, 0, n), (i, n)
            m.verify_inclusion(i, n, SPEC_LEAF_HASHES[i], proof, root)


def test_consistency_proofs_sizes_1_to_200():
    for n in range(1, 201):
        root2 = SPEC.mth(0, n)
        for s1 in range(1, n + 1):
            proof = m.consistency_proof(SPEC_LEAF_HASHES, s1, n)
            assert proof == (SPEC.subproof(s1, 0, n, True) if s1 < n else []), (s1, n)
            m.verify_consistency(s1, n, SPEC.mth(0, s1), root2, proof)
            if s1 < n:
                assert m.root_from_consistency_proof(s1, n, SPEC.mth(0, s1), proof) == root2


def _flip(h: bytes, bit: int = 0) -> bytes:
    return bytes([h[0] ^ (1 << bit)]) + h[1:]


def test_tampered_inclusion_fails():
    for n in range(1, 65):
        root = SPEC.mth(0, n)
        for i in range(n):
            leaf = SPEC_LEAF_HASHES[i]
            proof = m.inclusion_proof(SPEC_LEAF_HASHES, i, n)
            with pytest.raises(m.ProofError):
                m.verify_inclusion(i, n, _flip(leaf), proof, root)
            with pytest.raises(m.ProofError):
                m.verify_inclusion(i, n, leaf, proof, _flip(root, 7))
            with pytest.raises(m.ProofError):
                m.verify_inclusion(i, n, SPEC_LEAF_HASHES[(i + 1) % 200], proof, root)
            for j in range(len(proof)):
                bad = list(proof)
                bad[j] = _flip(bad[j], 3)
                with pytest.raises(m.ProofError):
                    m.verify_inclusion(i, n, leaf, bad, root)
            with pytest.raises(m.ProofError):
                m.verify_inclusion(i, n, leaf, [*proof, root], root)
            if proof:
                with pytest.raises(m.ProofError):
                    m.verify_inclusion(i, n, leaf, proof[:-1], root)
            for other in {i ^ 1, (i + 1) % n, n - 1 - i} - {i}:
                with pytest.raises(m.ProofError):
                    m.verify_inclusion(other, n, leaf, proof, root)
            with pytest.raises(m.ProofError):
                m.verify_inclusion(n, n, leaf, proof, root)


def test_tampered_consistency_fails():
    for n in range(2, 65):
        root2 = SPEC.mth(0, n)
        for s1 in range(1, n):
            root1 = SPEC.mth(0, s1)
            proof = m.consistency_proof(SPEC_LEAF_HASHES, s1, n)
            with pytest.raises(m.ProofError):
                m.verify_consistency(s1, n, _flip(root1), root2, proof)
            with pytest.raises(m.ProofError):
                m.verify_consistency(s1, n, root1, _flip(root2), proof)
            with pytest.raises(m.ProofError):
                m.verify_consistency(s1, n, root2, root1, proof)
            for j in range(len(proof)):
                bad = list(proof)
                bad[j] = _flip(bad[j], 5)
                with pytest.raises(m.ProofError):
                    m.verify_consistency(s1, n, root1, root2, bad)
            with pytest.raises(m.ProofError):
                m.verify_consistency(s1, n, root1, root2, [*proof, root2])
            with pytest.raises(m.ProofError):
                m.verify_consistency(s1, n, root1, root2, proof[:-1])
            with pytest.raises(m.ProofError):
                m.verify_consistency(n, s1, root2, root1, proof)


def test_verifier_edge_rules():
    r1, r8 = bytes.fromhex(RFC_ROOTS[1]), bytes.fromhex(RFC_ROOTS[8])
    lh0 = RFC_LEAF_HASHES[0]
    m.verify_inclusion(0, 1, lh0, [], r1)
    m.verify_inclusion(0, 1, lh0, None, r1)
    for args, reason in [
        ((0, 0, lh0, [], m.EMPTY_ROOT), "not below tree size"),
        ((2**64 - 1, 8, lh0, [], r8), "not below tree size"),
        ((-1, 8, lh0, [], r8), "non-negative"),
        ((0, 1, lh0[:31], [], r1), "leaf hash is 31 bytes"),
        ((0, 1, lh0, [], r1 + b"\x00"), "root is 33 bytes"),
        ((0, 2, lh0, [b""], r1), r"proof\[0\] is 0 bytes"),
    ]:
        with pytest.raises(m.ProofError, match=reason):
            m.verify_inclusion(*args)
    m.verify_consistency(1, 1, r1, r1, [])
    m.verify_consistency(8, 8, r8, r8, None)
    for args, reason in [
        ((0, 0, m.EMPTY_ROOT, m.EMPTY_ROOT, []), "proves nothing"),
        ((0, 8, m.EMPTY_ROOT, r8, [r8]), "proves nothing"),
        ((2, 1, r8, r1, []), "greater than size2"),
        ((8, 8, r8, r8, [r8]), "proof is not empty"),
        ((8, 8, r8, r1, []), "roots differ"),
        ((1, 8, r1, r8, []), "empty consistency proof"),
        ((1, 8, r1, r8, [r1, r1, b"x"]), "proof\\[2\\] is 1 bytes"),
    ]:
        with pytest.raises(m.ProofError, match=reason):
            m.verify_consistency(*args)


def test_proof_generation_rejects_bad_arguments():
    with pytest.raises(ValueError):
        m.inclusion_proof(RFC_LEAF_HASHES, 8, 8)
    with pytest.raises(ValueError):
        m.inclusion_proof(RFC_LEAF_HASHES, 0, 9)
    with pytest.raises(ValueError):
        m.consistency_proof(RFC_LEAF_HASHES, 0, 8)
    with pytest.raises(ValueError):
        m.consistency_proof(RFC_LEAF_HASHES, 5, 4)
    with pytest.raises(ValueError):
        m.subtree_hash(RFC_LEAF_HASHES, 5, 4)


def test_leaf_source_callable_gives_the_same_proofs():
    calls = []

    def fetch(start, end):
        calls.append((start, end))
        return SPEC_LEAF_HASHES[start:end]

    assert m.inclusion_proof(fetch, 77, 150) == m.inclusion_proof(SPEC_LEAF_HASHES, 77, 150)
    assert m.consistency_proof(fetch, 77, 150) == m.consistency_proof(SPEC_LEAF_HASHES, 77, 150)
    assert m.subtree_hash(fetch, 0, 150) == SPEC.mth(0, 150)
    assert calls and all(0 <= a < b <= 150 for a, b in calls)
    with pytest.raises(ValueError, match="returned"):
        m.subtree_hash(lambda a, b: SPEC_LEAF_HASHES[a : b - 1], 0, 10)


def test_proof_ranges_are_the_proof_nodes():
    for n in range(1, 70):
        for i in range(n):
            ranges = m.inclusion_proof_ranges(i, n)
            assert [SPEC.mth(a, b) for a, b in ranges] == SPEC.path(i, 0, n)
        for s1 in range(1, n):
            ranges = m.consistency_proof_ranges(s1, n)
            assert [SPEC.mth(a, b) for a, b in ranges] == SPEC.subproof(s1, 0, n, True)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_random_large_trees(data):
    n = data.draw(st.integers(min_value=1, max_value=5000), label="size")
    rng = random.Random(n)
    leaves = [rng.randbytes(32) for _ in range(n)]
    root = m.root_from_leaf_hashes(leaves)
    i = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    m.verify_inclusion(i, n, leaves[i], m.inclusion_proof(leaves, i, n), root)
    s1 = data.draw(st.integers(min_value=1, max_value=n), label="size1")
    proof = m.consistency_proof(leaves, s1, n)
    m.verify_consistency(s1, n, m.root_from_leaf_hashes(leaves[:s1]), root, proof)
    assert len(proof) <= 2 * n.bit_length()


# --------------------------------------------------------------------------------------------
# MerkleFrontier


def test_frontier_root_equals_recomputation_at_every_size():
    f = m.MerkleFrontier()
    assert f.size == 0 and f.root() == m.EMPTY_ROOT and f.to_hex_list() == []
    for n, lh in enumerate(SPEC_LEAF_HASHES, start=1):
        assert f.append(lh) == n - 1
        assert f.size == len(f) == n
        assert f.root() == m.root_from_leaf_hashes(SPEC_LEAF_HASHES[:n]) == SPEC.mth(0, n)
        hexes = f.to_hex_list()
        assert len(hexes) == n.bit_count()
        assert [bytes.fromhex(h) for h in hexes] == [SPEC.mth(a, b) for a, b in m.frontier_ranges(n)]
        restored = m.MerkleFrontier.from_hex_list(n, json.loads(json.dumps(hexes)))
        assert restored == f and restored.root() == f.root()
        assert m.MerkleFrontier.from_dict(json.loads(json.dumps(f.to_dict()))) == f
        assert m.MerkleFrontier.from_leaf_source(SPEC_LEAF_HASHES, n) == f


def test_frontier_continues_after_restore():
    f = m.MerkleFrontier.from_leaf_hashes(SPEC_LEAF_HASHES[:77])
    g = m.MerkleFrontier.from_hex_list(77, f.to_hex_list())
    g.extend(SPEC_LEAF_HASHES[77:])
    assert g.root() == SPEC.mth(0, 200)
    c = g.copy()
    c.append(SPEC_LEAF_HASHES[0])
    assert g.size == 200 and c.size == 201 and c != g


def test_frontier_rejects_bad_state():
    with pytest.raises(ValueError):
        m.MerkleFrontier(3, [b"\x00" * 32])  # size 3 has two subtrees
    with pytest.raises(ValueError):
        m.MerkleFrontier(1, [b"\x00" * 31])
    with pytest.raises(ValueError):
        m.MerkleFrontier(-1, [])
    with pytest.raises(ValueError):
        m.MerkleFrontier().append(b"short")


# --------------------------------------------------------------------------------------------
# checkpoints, keys, signed notes

ROOT8 = bytes.fromhex(RFC_ROOTS[8])
ORIGIN = "gongyi.example/log"


def test_checkpoint_body_is_canonical_c2sp_text():
    cp = m.Checkpoint(ORIGIN, 8, ROOT8)
    assert cp.body() == b"gongyi.example/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
    assert m.Checkpoint.parse(cp.body()) == cp
    assert m.Checkpoint.parse(cp.body().decode()) == cp
    assert m.Checkpoint("公益/日志", 0, m.EMPTY_ROOT).body().decode().startswith("公益/日志\n0\n")


@pytest.mark.parametrize(
    "body",
    [
        "gongyi.example/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",  # no final newline
        "gongyi.example/log\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "gongyi.example/log\n+8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "gongyi.example/log\n-1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "gongyi.example/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQ==\n",  # 31 bytes
        "gongyi.example/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg\n",  # no padding
        "gongyi.example/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\nextra\n",
        "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
    ],
)
def test_checkpoint_parse_rejects_non_canonical(body):
    with pytest.raises(ValueError):
        m.Checkpoint.parse(body)


def test_checkpoint_constructor_validates():
    with pytest.raises(ValueError):
        m.Checkpoint("a\nb", 1, ROOT8)
    with pytest.raises(ValueError):
        m.Checkpoint(ORIGIN, -1, ROOT8)
    with pytest.raises(ValueError):
        m.Checkpoint(ORIGIN, 1, ROOT8[:31])


def test_checkpoint_sign_verify_and_tamper():
    key = m.generate_private_key()
    pub = key.public_key()
    cp = m.Checkpoint(ORIGIN, 8, ROOT8)
    sig = m.sign_checkpoint(key, cp)
    assert len(sig) == 64
    m.verify_checkpoint_signature(pub, cp, sig)
    for forged in (
        m.Checkpoint(ORIGIN, 9, ROOT8),
        m.Checkpoint(ORIGIN, 8, _flip(ROOT8)),
        m.Checkpoint(ORIGIN + "x", 8, ROOT8),
    ):
        with pytest.raises(m.SignatureError):
            m.verify_checkpoint_signature(pub, forged, sig)
    with pytest.raises(m.SignatureError):
        m.verify_checkpoint_signature(pub, cp, _flip(sig))
    with pytest.raises(m.SignatureError):
        m.verify_checkpoint_signature(pub, cp, sig[:63])
    with pytest.raises(m.SignatureError):
        m.verify_checkpoint_signature(m.generate_private_key().public_key(), cp, sig)
    assert issubclass(m.SignatureError, m.VerificationError)
    assert issubclass(m.ProofError, m.VerificationError)


def test_key_serialisation_round_trips():
    key = m.generate_private_key()
    raw = m.private_key_to_raw(key)
    pem = m.private_key_to_pem(key)
    pub_raw = m.public_key_to_raw(key)
    pub_pem = m.public_key_to_pem(key.public_key())
    assert len(raw) == 32 and pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert len(pub_raw) == 32 and pub_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    for form in (raw, pem, pem.decode(), raw.hex(), base64.b64encode(raw).decode()):
        assert m.private_key_to_raw(m.load_private_key(form)) == raw
    vkey = m.note_verifier_key(ORIGIN, key.public_key())
    for form in (pub_raw, pub_pem, pub_pem.decode(), pub_raw.hex(), base64.b64encode(pub_raw).decode(), vkey):
        assert m.public_key_to_raw(m.load_public_key(form)) == pub_raw
    for bad in (raw[:31], "zz", pub_pem.replace(b"PUBLIC", b"PRIVATE")):
        with pytest.raises(ValueError):
            m.load_private_key(bad)
    for bad in (pub_raw[:31], pem, vkey.replace("+", "+0", 1)):
        with pytest.raises(ValueError):
            m.load_public_key(bad)


# The example of golang.org/x/mod/sumdb/note (the reference signed-note implementation).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT
    + "\n\u2014 PeterNeumann "
    + "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_signed_note_matches_go_reference_example():
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])
    assert seed[0] == 1
    key = m.load_private_key(seed[1:])
    assert m.note_key_id("PeterNeumann", key.public_key()).hex() == "c74f20a3"
    assert m.note_verifier_key("PeterNeumann", key.public_key()) == GO_VKEY
    assert m.sign_note(GO_TEXT, key, "PeterNeumann") == GO_NOTE
    assert m.open_note(GO_NOTE, m.load_public_key(GO_VKEY)) == GO_TEXT
    with pytest.raises(m.SignatureError):
        m.open_note(GO_NOTE.replace("problem is", "problem was"), m.load_public_key(GO_VKEY))


def test_signed_checkpoint_note():
    key, other = m.generate_private_key(), m.generate_private_key()
    cp = m.Checkpoint(ORIGIN, 8, ROOT8)
    note = m.format_signed_note(cp, key)
    assert note.startswith(cp.body().decode() + "\n\u2014 " + ORIGIN + " ")
    assert m.open_signed_checkpoint(note, key.public_key()) == cp
    assert m.open_signed_checkpoint(note.encode(), key.public_key(), key_name=ORIGIN) == cp
    parsed, sigs = m.parse_signed_note(note)
    assert parsed == cp and len(sigs) == 1 and sigs[0][0] == ORIGIN
    with pytest.raises(m.SignatureError, match="no signature by this key"):
        m.open_signed_checkpoint(note, other.public_key())
    with pytest.raises(m.SignatureError):
        m.open_signed_checkpoint(note, key.public_key(), key_name="someone-else")
    forged = note.replace("\n8\n", "\n9\n")
    with pytest.raises(m.SignatureError, match="does not verify"):
        m.open_signed_checkpoint(forged, key.public_key())
    # a cosigned note: both signers' keys open it
    cosig = m.format_signed_note(cp, other, "witness.example").split("\n\n", 1)[1]
    both = note + cosig
    assert m.open_signed_checkpoint(both, other.public_key()) == cp
    assert m.open_signed_checkpoint(both, key.public_key()) == cp
    for bad in (note[:-1], note.replace("\u2014", "-"), "not a checkpoint\n\n" + cosig):
        with pytest.raises(ValueError):
            m.open_signed_checkpoint(bad, key.public_key())


def test_decode_hash():
    h = ROOT8
    assert m.decode_hash(h.hex()) == h
    assert m.decode_hash(h.hex().upper()) == h
    assert m.decode_hash(base64.b64encode(h).decode()) == h
    assert m.decode_hash(base64.urlsafe_b64encode(h).decode().rstrip("=")) == h
    with pytest.raises(ValueError):
        m.decode_hash("not a hash!")


# --------------------------------------------------------------------------------------------
# the offline verifier CLI


def run_cli(*args: str, cwd: Path = REPO_ROOT, module: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "gongyi.ledger.translog.verify"] if module else [sys.executable, "verify.py"]
    return subprocess.run(
        [*cmd, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _inclusion_args(idx: int = 5, size: int = 8, encode=bytes.hex, root: bytes | None = None) -> list[str]:
    proof = m.inclusion_proof(RFC_LEAF_HASHES, idx, size)
    root = root if root is not None else m.root_from_leaf_hashes(RFC_LEAF_HASHES[:size])
    return [
        "inclusion",
        "--leaf-hash",
        encode(RFC_LEAF_HASHES[idx]),
        "--index",
        str(idx),
        "--size",
        str(size),
        "--root",
        encode(root),
        "--proof",
        ",".join(encode(p) for p in proof),
    ]


def _b64s(b: bytes) -> str:
    return base64.b64encode(b).decode()


def test_cli_inclusion_ok_hex_and_base64():
    r = run_cli(*_inclusion_args())
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("OK ")
    r = run_cli(*_inclusion_args(encode=_b64s))
    assert r.returncode == 0, r.stderr


def test_cli_inclusion_from_entry_file(tmp_path):
    entry = tmp_path / "entry.bin"
    entry.write_bytes(RFC_LEAVES[6])
    proof = m.inclusion_proof(RFC_LEAF_HASHES, 6, 7)
    r = run_cli(
        "inclusion",
        "--entry-file",
        str(entry),
        "--index",
        "6",
        "--size",
        "7",
        "--root",
        RFC_ROOTS[7],
        "--proof",
        " ".join(p.hex() for p in proof),
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_cli_inclusion_failure_and_malformed():
    r = run_cli(*_inclusion_args(root=_flip(ROOT8)))
    assert r.returncode == 1 and r.stdout.startswith("FAIL") and "root" in r.stdout
    args = _inclusion_args()
    args[args.index("--index") + 1] = "8"
    r = run_cli(*args)
    assert r.returncode == 1 and "not below tree size" in r.stdout
    args = _inclusion_args()
    args[args.index("--root") + 1] = "zz-not-a-hash"
    r = run_cli(*args)
    assert r.returncode == 2 and "root" in r.stderr
    args = _inclusion_args()
    args[args.index("--root") + 1] = ROOT8[:31].hex()  # parses, but is no hash
    r = run_cli(*args)
    assert r.returncode == 2 and "31 bytes" in r.stderr
    args = _inclusion_args()
    args[args.index("--index") + 1] = "-1"
    assert run_cli(*args).returncode == 2
    assert run_cli("inclusion", "--index", "0").returncode == 2
    assert run_cli().returncode == 2


def test_cli_consistency():
    proof = ",".join(p.hex() for p in m.consistency_proof(RFC_LEAF_HASHES, 3, 8))
    base = ["consistency", "--size1", "3", "--size2", "8"]
    r = run_cli(*base, "--root1", RFC_ROOTS[3], "--root2", RFC_ROOTS[8], "--proof", proof)
    assert r.returncode == 0 and r.stdout.startswith("OK "), r.stdout + r.stderr
    r = run_cli(*base, "--root1", RFC_ROOTS[8], "--root2", RFC_ROOTS[3], "--proof", proof)
    assert r.returncode == 1 and r.stdout.startswith("FAIL")
    r = run_cli(
        "consistency", "--size1", "8", "--size2", "8", "--root1", RFC_ROOTS[8], "--root2", RFC_ROOTS[8]
    )
    assert r.returncode == 0, r.stdout
    r = run_cli(
        "consistency", "--size1", "0", "--size2", "8", "--root1", RFC_ROOTS[0], "--root2", RFC_ROOTS[8]
    )
    assert r.returncode == 1 and "proves nothing" in r.stdout
    r = run_cli(*base, "--root1", RFC_ROOTS[3], "--root2", RFC_ROOTS[8], "--proof", "abc,@@")
    assert r.returncode == 2


def test_cli_checkpoint(tmp_path):
    key = m.generate_private_key()
    cp = m.Checkpoint(ORIGIN, 8, ROOT8)
    note = tmp_path / "checkpoint.txt"
    note.write_text(m.format_signed_note(cp, key), encoding="utf-8")
    pem = tmp_path / "log.pub"
    pem.write_bytes(m.public_key_to_pem(key))
    pub_hex = m.public_key_to_raw(key).hex()

    r = run_cli("checkpoint", "--public-key", str(pem), "--checkpoint-file", str(note))
    assert r.returncode == 0 and r.stdout.startswith("OK checkpoint gongyi.example/log size 8"), r.stderr
    vkey = m.note_verifier_key(ORIGIN, key.public_key())
    for k in (pub_hex, vkey):
        assert run_cli("checkpoint", "--public-key", k, "--checkpoint-file", str(note)).returncode == 0
    r = run_cli("checkpoint", "--public-key", pub_hex, "--checkpoint-file", str(note), "--origin", "other")
    assert r.returncode == 1

    bare = tmp_path / "body.txt"
    bare.write_bytes(cp.body())
    sig = m.sign_checkpoint(key, cp)
    args = ["checkpoint", "--public-key", pub_hex, "--checkpoint-file", str(bare)]
    assert run_cli(*args, "--signature", _b64s(sig)).returncode == 0
    assert run_cli(*args, "--signature", _flip(sig).hex()).returncode == 1
    assert run_cli(*args).returncode == 1  # no signature at all

    forged = tmp_path / "forged.txt"
    forged.write_text(note.read_text(encoding="utf-8").replace("\n8\n", "\n9\n"), encoding="utf-8")
    r = run_cli("checkpoint", "--public-key", str(pem), "--checkpoint-file", str(forged))
    assert r.returncode == 1 and r.stdout.startswith("FAIL")
    other = m.public_key_to_raw(m.generate_private_key()).hex()
    assert run_cli("checkpoint", "--public-key", other, "--checkpoint-file", str(note)).returncode == 1

    garbage = tmp_path / "garbage.txt"
    garbage.write_text("hello\n", encoding="utf-8")
    assert run_cli("checkpoint", "--public-key", pub_hex, "--checkpoint-file", str(garbage)).returncode == 2
    missing = str(tmp_path / "missing.txt")
    assert run_cli("checkpoint", "--public-key", pub_hex, "--checkpoint-file", missing).returncode == 2
    assert run_cli("checkpoint", "--public-key", "nope", "--checkpoint-file", str(note)).returncode == 2


def test_cli_runs_standalone_next_to_merkle_py(tmp_path):
    """Copied out of the project, the two files still verify (no Django, no gongyi package)."""
    for name in ("merkle.py", "verify.py"):
        shutil.copy(PACKAGE_DIR / name, tmp_path / name)
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"}
    r = subprocess.run(
        [sys.executable, "verify.py", *_inclusion_args()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 0 and r.stdout.startswith("OK "), r.stdout + r.stderr


def test_verifier_imports_no_django():
    code = (
        "import sys, gongyi.ledger.translog.verify; "
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in {'django', 'ninja', 'huey'}); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(REPO_ROOT)
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("name", ["merkle.py", "verify.py"])
def test_verifier_files_import_only_stdlib_and_cryptography(name):
    tree = ast.parse((PACKAGE_DIR / name).read_text(encoding="utf-8"))
    allowed = set(sys.stdlib_module_names) | {"cryptography", "merkle"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: only ``from . import merkle``
                assert node.module is None and [a.name for a in node.names] == ["merkle"]
                continue
            roots = [node.module.split(".")[0]]
        else:
            continue
        assert set(roots) <= allowed, f"{name} imports {roots}"
