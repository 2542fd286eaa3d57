"""The log's API: every proof verifies and equals the reference proof; bad parameters are 4xx naming the field."""

from __future__ import annotations

import base64

import pytest

from gongyi.ledger.translog import keys, live, merkle
from gongyi.ledger.translog.bundle import open_checkpoint_note
from gongyi.ledger.translog.models import LogLeaf
from gongyi.ledger.translog.tests.helpers import post_adjustments, store_tree

pytestmark = pytest.mark.django_db
API = "/api/v1/log"


def b64d(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


@pytest.fixture
def small_log():
    """13 leaves in two checkpoints (8, then 13)."""
    post_adjustments(8)
    first = live.publish_checkpoint()
    post_adjustments(5, start=8)
    second = live.publish_checkpoint()
    hashes = [bytes(h) for h in LogLeaf.objects.order_by("index").values_list("leaf_hash", flat=True)]
    return first, second, hashes


def test_checkpoint_endpoints(client, small_log):
    _first, second, hashes = small_log
    latest = client.get(f"{API}/checkpoint").json()
    assert latest["size"] == 13 and b64d(latest["root"]) == merkle.root_from_leaf_hashes(hashes)
    assert latest["root_hex"] == bytes(second.root).hex() and latest["note"] == second.note
    note = open_checkpoint_note(latest["note"], keys.public_key())
    assert note.size == 13 and note.time
    body = latest["note"].split("\n\n")[0] + "\n"
    keys.public_key().verify(b64d(latest["signature"]), body.encode())  # detached signature over the body

    listed = client.get(f"{API}/checkpoints").json()
    assert listed["total"] == 2 and [c["size"] for c in listed["checkpoints"]] == [13, 8]
    assert client.get(f"{API}/checkpoints", {"offset": 1, "limit": 1}).json()["checkpoints"][0]["size"] == 8

    key = client.get(f"{API}/public-key").json()
    assert b64d(key["public_key"]) == merkle.public_key_to_raw(keys.public_key())
    assert merkle.public_key_to_raw(merkle.load_public_key(key["verifier_key"])) == b64d(key["public_key"])
    assert key["origin"] == keys.log_origin() and key["algorithm"] == "Ed25519"


def test_no_checkpoint_yet_is_404_json(client):
    response = client.get(f"{API}/checkpoint")
    assert response.status_code == 404 and "message" in response.json()
    response = client.get(f"{API}/proof/inclusion", {"index": 0})
    assert response.status_code == 422 and "index" in response.json()["message"]


def test_leaves_are_the_leaf_bytes(client, small_log):
    response = client.get(f"{API}/leaves", {"start": 3, "end": 9})
    assert response.status_code == 200
    got = [b64d(x) for x in response.json()["leaves"]]
    assert got == [bytes(d) for d in LogLeaf.objects.filter(index__gte=3, index__lt=9).values_list("data", flat=True)]
    assert [merkle.leaf_hash(d) for d in got] == small_log[2][3:9]
    assert client.get(f"{API}/leaves", {"start": 5, "end": 5}).json()["leaves"] == []


def test_every_inclusion_and_consistency_proof_of_a_small_tree(client, small_log):
    _first, _second, hashes = small_log
    n = len(hashes)
    for size in range(1, n + 1):
        root = merkle.root_from_leaf_hashes(hashes[:size])
        for index in range(size):
            body = client.get(f"{API}/proof/inclusion", {"index": index, "tree_size": size}).json()
            proof = [b64d(p) for p in body["proof"]]
            assert proof == merkle.inclusion_proof(hashes, index, size), (index, size)
            assert b64d(body["leaf_hash"]) == hashes[index] and b64d(body["root"]) == root
            merkle.verify_inclusion(index, size, hashes[index], proof, root)
        for first in range(1, size + 1):
            body = client.get(f"{API}/proof/consistency", {"first": first, "second": size}).json()
            proof = [b64d(p) for p in body["proof"]]
            assert proof == (merkle.consistency_proof(hashes, first, size) if first < size else [])
            first_root = merkle.root_from_leaf_hashes(hashes[:first])
            assert b64d(body["first_root"]) == first_root and b64d(body["second_root"]) == root
            merkle.verify_consistency(first, size, first_root, root, proof)
    # defaults: the latest checkpoint's size
    body = client.get(f"{API}/proof/inclusion", {"index": 4}).json()
    assert body["tree_size"] == n
    assert client.get(f"{API}/proof/consistency", {"first": 8}).json()["second"] == n


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("leaves", {"start": -1, "end": 2}, "start"),
        ("leaves", {"start": 5, "end": 2}, "start"),
        ("leaves", {"start": 0, "end": 14}, "end"),
        ("leaves", {"start": 0, "end": 1001}, "end"),
        ("leaves", {"start": "x", "end": 2}, "start"),
        ("leaves", {"end": 2}, "start"),
        ("leaves", {"start": 0, "end": 10**30}, "end"),
        ("proof/inclusion", {"index": -1, "tree_size": 5}, "index"),
        ("proof/inclusion", {"index": 5, "tree_size": 5}, "index"),
        ("proof/inclusion", {"index": 0, "tree_size": 14}, "tree_size"),
        ("proof/inclusion", {"index": 0, "tree_size": 0}, "index"),
        ("proof/inclusion", {"index": 2**63, "tree_size": 5}, "index"),
        ("proof/inclusion", {"tree_size": 5}, "index"),
        ("proof/consistency", {"first": 0, "second": 5}, "first"),
        ("proof/consistency", {"first": 6, "second": 5}, "first"),
        ("proof/consistency", {"first": 1, "second": 14}, "second"),
        ("proof/consistency", {"first": "1.5", "second": 5}, "first"),
        ("checkpoints", {"limit": 0}, "limit"),
        ("checkpoints", {"limit": 101}, "limit"),
        ("checkpoints", {"offset": -3}, "offset"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(client, small_log, path, params, field):
    response = client.get(f"{API}/{path}", params)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["message"].startswith(field) or any(e["field"] == field for e in body["errors"]), body


def test_proofs_take_a_constant_number_of_queries_at_any_size(client, django_assert_max_num_queries):
    """O(log n) rows in one node query, plus the latest checkpoint: two queries whatever the size."""
    hashes = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(5000)]
    store_tree(hashes)
    checkpoint = live.publish_checkpoint()
    assert checkpoint.size == 5000
    root = merkle.root_from_leaf_hashes(hashes)
    assert bytes(checkpoint.root) == root
    for index in (0, 1, 2047, 4095, 4096, 4999):
        with django_assert_max_num_queries(2):
            body = client.get(f"{API}/proof/inclusion", {"index": index}).json()
        proof = [b64d(p) for p in body["proof"]]
        assert len(proof) <= 13
        merkle.verify_inclusion(index, 5000, hashes[index], proof, root)
    for first in (1, 7, 4096, 4097, 4999):
        with django_assert_max_num_queries(2):
            body = client.get(f"{API}/proof/consistency", {"first": first}).json()
        merkle.verify_consistency(
            first, 5000, merkle.root_from_leaf_hashes(hashes[:first]), root, [b64d(p) for p in body["proof"]]
        )


def test_openapi_lists_the_log(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("checkpoint", "checkpoints", "leaves", "proof/inclusion", "proof/consistency", "public-key"):
        assert f"{API}/{path}" in paths
