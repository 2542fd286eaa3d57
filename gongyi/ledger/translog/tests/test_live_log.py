"""The live log: every posted entry becomes exactly one leaf; the stored tree equals a naive recomputation."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hmac
import json
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongyi.core.apps import ledger_maintenance
from gongyi.giving.models import Gift
from gongyi.ledger.models import AccountKind, EntryKind, JournalEntry
from gongyi.ledger.services import Leg, get_account, post_entry
from gongyi.ledger.translog import keys, live, merkle, selectors, tree
from gongyi.ledger.translog.apps import check_log_secrets
from gongyi.ledger.translog.audit import audit_log
from gongyi.ledger.translog.bundle import open_checkpoint_note
from gongyi.ledger.translog.models import Checkpoint, LogLeaf, QueuedLeaf, TreeNode, TreeState
from gongyi.ledger.translog.tests.helpers import T0, post_adjustments, store_tree
from gongyi.ledger.translog.tests.test_merkle import MERKLE_DIR, RFC_LEAF_HASHES, RFC_ROOTS, _load_case
from gongyi.matching.models import IncentiveRule
from gongyi.matching.services import award_incentives
from gongyi.matching.tests.test_live import gift, replay, scenario

pytestmark = pytest.mark.django_db


def all_leaf_hashes() -> list[bytes]:
    return [bytes(h) for h in LogLeaf.objects.order_by("index").values_list("leaf_hash", flat=True)]


def assert_tree_matches_leaves() -> None:
    """Stored state, every stored node and every leaf hash agree with a naive recomputation."""
    leaves = list(LogLeaf.objects.order_by("index").values_list("index", "data", "leaf_hash"))
    assert [index for index, _, _ in leaves] == list(range(len(leaves)))
    hashes = []
    for _index, data, stored in leaves:
        assert merkle.leaf_hash(bytes(data)) == bytes(stored)
        hashes.append(bytes(stored))
    size = len(hashes)
    state = TreeState.objects.get(pk=1) if size else TreeState.objects.filter(pk=1).first()
    if state is not None:
        assert state.size == size
        assert bytes(state.root) == merkle.root_from_leaf_hashes(hashes)
        assert tree.frontier_from_bytes(size, state.frontier) == list(
            merkle.MerkleFrontier.from_leaf_hashes(hashes).hashes
        )
    nodes = {(lv, ix): bytes(h) for lv, ix, h in TreeNode.objects.values_list("level", "index", "hash")}
    expected = {
        (level, index): merkle.subtree_hash(hashes, index << level, (index + 1) << level)
        for level in range(size.bit_length())
        for index in range(size >> level)
    }
    assert nodes == expected


# --------------------------------------------------------------------------------------------
# every money movement is a leaf


def test_every_entry_of_the_money_path_becomes_exactly_one_leaf(django_capture_on_commit_callbacks):
    events = [
        gift("g1", 1, "u1", "p1", 1000),
        gift("g2", 2, "u2", "p1", 2500),
        {"type": "refund", "id": "g1", "at": (T0 + timedelta(minutes=3)).isoformat()},
        {"type": "flag", "donor": "u2", "at": (T0 + timedelta(minutes=4)).isoformat()},
        gift("g3", 5, "u3", "p2", 700),
    ]
    live_run = replay(scenario(events))
    pool = live_run["pool"]
    IncentiveRule.objects.create(pool=pool, kind="tiers", metric="donors", tiers=[{"min": 1, "fen": 555}])
    award_incentives(pool=pool, now=T0 + timedelta(days=3))

    kinds = set(JournalEntry.objects.values_list("kind", flat=True))
    assert {"pool_funding", "gift", "match", "gift_reversal", "match_reversal", "incentive"} <= kinds
    entries = JournalEntry.objects.count()
    # The test transaction never commits, so every record still waits in the queue: one per entry.
    assert QueuedLeaf.objects.count() == entries and LogLeaf.objects.count() == 0
    assert sorted(QueuedLeaf.objects.values_list("entry_id", flat=True)) == sorted(
        JournalEntry.objects.values_list("pk", flat=True)
    )

    assert live.integrate_queued_leaves() == entries
    assert LogLeaf.objects.count() == entries and QueuedLeaf.objects.count() == 0
    assert sorted(LogLeaf.objects.values_list("entry_id", flat=True)) == sorted(
        JournalEntry.objects.values_list("pk", flat=True)
    )
    assert_tree_matches_leaves()

    # After a commit the sequencer runs by itself: one more entry, one more leaf, nothing queued.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        post_adjustments(1)
    assert callbacks and LogLeaf.objects.count() == entries + 1 and not QueuedLeaf.objects.exists()

    for leaf in LogLeaf.objects.select_related("entry", "entry__gift"):
        record = json.loads(bytes(leaf.data))
        entry = leaf.entry
        assert (record["v"], record["index"], record["entry"], record["kind"]) == (1, leaf.index, entry.pk, entry.kind)
        assert sum(line["fen"] for line in record["lines"]) == 0
        assert {line["account"] for line in record["lines"]} == set(entry.lines.values_list("account__code", flat=True))
        if entry.gift_id:
            assert record["donor"] == keys.donor_hash(entry.gift.donor_key)
            assert record["order"] == keys.order_commitment(entry.gift.order.out_trade_no)
        else:
            assert "donor" not in record and "order" not in record
        if entry.reverses_id:
            assert record["reverses"] == entry.reverses_id
    everything = b"\n".join(bytes(d) for d in LogLeaf.objects.values_list("data", flat=True)).decode()
    for gift_row in Gift.objects.select_related("order"):
        assert gift_row.order.out_trade_no not in everything
        assert gift_row.donor_key not in everything
        assert gift_row.certificate_no not in everything
    for memo in JournalEntry.objects.values_list("memo", flat=True):
        assert memo not in everything


def test_leaf_bytes_are_canonical_json(monkeypatch):
    monkeypatch.setenv("GONGYI_LOG_SALT", "fixed-test-salt")
    (entry,) = post_adjustments(1)
    live.integrate_queued_leaves()
    leaf = LogLeaf.objects.get()
    expected = (
        f'{{"entry":{entry.pk},"index":0,"kind":"adjustment","lines":[{{"account":"test:bank","fen":100}},'
        '{"account":"test:other","fen":-100}],"occurred_at":"2026-05-20T02:00:00Z","v":1}'
    )
    assert bytes(leaf.data) == expected.encode()
    assert bytes(leaf.leaf_hash) == merkle.leaf_hash(bytes(leaf.data))
    assert keys.donor_hash("sandbox:openid-1") == (
        hmac.new(b"fixed-test-salt", b"donor:sandbox:openid-1", "sha256").hexdigest()
    )


def test_a_rolled_back_entry_leaves_no_record():
    bank = get_account(code="test:bank", name="b", kind=AccountKind.BANK)
    other = get_account(code="test:other", name="o", kind=AccountKind.BANK)
    with contextlib.suppress(RuntimeError), transaction.atomic():
        post_entry(
            kind=EntryKind.ADJUSTMENT,
            idempotency_key="rolled-back",
            memo="x",
            occurred_at=T0,
            legs=[Leg(bank, 5), Leg(other, -5)],
        )
        raise RuntimeError("abort")
    assert not QueuedLeaf.objects.exists() and not JournalEntry.objects.exists()


# --------------------------------------------------------------------------------------------
# the stored tree equals the naive one after any sequence of appends


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(1, 7)), min_size=1, max_size=8))
def test_stored_tree_equals_naive_recomputation(steps):
    with transaction.atomic():
        posted = 0
        for count, batch in steps:
            post_adjustments(count, start=posted)
            posted += count
            live.integrate_queued_leaves(batch=batch)
        assert LogLeaf.objects.count() == posted
        assert_tree_matches_leaves()
        if posted:
            hashes = all_leaf_hashes()
            assert selectors.tree_root(posted) == merkle.root_from_leaf_hashes(hashes)
            for size in {1, posted // 2 or 1, posted}:
                for index in {0, size // 2, size - 1}:
                    assert selectors.inclusion_proof(index, size).proof == merkle.inclusion_proof(hashes, index, size)
                assert selectors.consistency_proof(size, posted).proof == (
                    merkle.consistency_proof(hashes, size, posted) if size < posted else []
                )
        transaction.set_rollback(True)


# --------------------------------------------------------------------------------------------
# the RFC 6962 vectors through the stored-node code


def test_rfc6962_vectors_through_stored_nodes():
    store_tree(RFC_LEAF_HASHES)
    for size in range(1, 9):
        assert selectors.tree_root(size).hex() == RFC_ROOTS[size]
        for index in range(size):
            proof = selectors.inclusion_proof(index, size)
            assert proof.leaf_hash == RFC_LEAF_HASHES[index]
            assert proof.root.hex() == RFC_ROOTS[size]
            assert proof.proof == merkle.inclusion_proof(RFC_LEAF_HASHES, index, size)
            merkle.verify_inclusion(index, size, proof.leaf_hash, proof.proof, proof.root)
        for first in range(1, size + 1):
            cons = selectors.consistency_proof(first, size)
            assert (cons.first_root.hex(), cons.second_root.hex()) == (RFC_ROOTS[first], RFC_ROOTS[size])
            merkle.verify_consistency(first, size, cons.first_root, cons.second_root, cons.proof)
    cases = sorted(MERKLE_DIR.glob("*/[0-9]*/happy-path.json"))
    assert len(cases) >= 8
    for path in cases:
        case = _load_case(path)
        if "leafIdx" in case:
            got = selectors.inclusion_proof(case["leafIdx"], case["treeSize"])
            assert got.proof == case["proof"] and got.root == base64.b64decode(case["root"])
        else:
            got = selectors.consistency_proof(case["size1"], case["size2"])
            assert got.proof == case["proof"]
            assert got.second_root == base64.b64decode(case["root2"])


def test_missing_node_is_reported_not_guessed():
    store_tree(RFC_LEAF_HASHES[:4])
    with pytest.raises(selectors.LogCorrupted):
        selectors.inclusion_proof(0, 5)


# --------------------------------------------------------------------------------------------
# checkpoints


def test_publish_checkpoint_signs_only_when_the_tree_grew():
    assert live.publish_checkpoint() is None
    post_adjustments(3)
    first = live.publish_checkpoint(now=T0)
    assert first is not None and first.size == 3
    assert live.publish_checkpoint() is None  # nothing new
    note = open_checkpoint_note(first.note, keys.public_key())
    assert (note.size, note.root, note.origin, note.time) == (
        3,
        bytes(first.root),
        keys.log_origin(),
        "2026-05-20T02:00:00Z",
    )
    assert note.text.split("\n")[3] == "time 2026-05-20T02:00:00Z"
    assert merkle.split_note(first.note)[1][0][2] == bytes(first.signature)
    assert first.key_id == merkle.note_key_id(keys.log_origin(), keys.public_key()).hex()
    assert bytes(first.root) == merkle.root_from_leaf_hashes(all_leaf_hashes())
    post_adjustments(2, start=3)
    second = live.publish_checkpoint()
    assert second.size == 5 and Checkpoint.objects.count() == 2
    proof = selectors.consistency_proof(3, 5)
    merkle.verify_consistency(3, 5, bytes(first.root), bytes(second.root), proof.proof)
    call_command("publish_checkpoint")  # nothing new: says so, no error
    assert Checkpoint.objects.count() == 2


def test_the_periodic_task_publishes():
    from gongyi.ledger.translog.tasks import publish_log_checkpoint

    post_adjustments(2)
    publish_log_checkpoint.call_local()
    assert Checkpoint.objects.get().size == 2


def test_origin_comes_from_the_public_url(settings, monkeypatch):
    monkeypatch.delenv("GONGYI_LOG_ORIGIN", raising=False)
    settings.GONGYI = {**settings.GONGYI, "PUBLIC_BASE_URL": "https://gongyi.ezhou.example"}
    assert keys.log_origin() == "gongyi.ezhou.example/log"
    monkeypatch.setenv("GONGYI_LOG_ORIGIN", "ezhou.example/charity-log")
    assert keys.log_origin() == "ezhou.example/charity-log"


# --------------------------------------------------------------------------------------------
# the database refuses to edit or delete the log


@pytest.mark.parametrize(
    "change",
    [
        lambda: LogLeaf.objects.filter(index=0).update(data=b"{}"),
        lambda: LogLeaf.objects.filter(index=1).delete(),
        lambda: TreeNode.objects.filter(level=0, index=0).update(hash=b"\x00" * 32),
        lambda: TreeNode.objects.filter(level=1).delete(),
        lambda: Checkpoint.objects.update(size=1),
        lambda: Checkpoint.objects.all().delete(),
    ],
    ids=["leaf-update", "leaf-delete", "node-update", "node-delete", "checkpoint-update", "checkpoint-delete"],
)
def test_log_rows_are_append_only(change):
    post_adjustments(3)
    live.publish_checkpoint()
    before = (LogLeaf.objects.count(), TreeNode.objects.count(), Checkpoint.objects.count())
    with pytest.raises(DatabaseError), transaction.atomic():
        change()
    assert (LogLeaf.objects.count(), TreeNode.objects.count(), Checkpoint.objects.count()) == before
    assert audit_log().problems == []


# --------------------------------------------------------------------------------------------
# gongyi check_log


@contextlib.contextmanager
def append_only_lifted():
    """Let a test tamper with the log behind the application's back, as an attacker with the database could."""
    if connection.vendor == "postgresql":
        # Replica mode skips user triggers for this transaction only (the test database's user is a superuser).
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")
    else:
        ledger_maintenance.active = True
        try:
            yield
        finally:
            ledger_maintenance.active = False


def test_check_log_passes_on_a_sound_log(capsys):
    post_adjustments(7)
    live.publish_checkpoint()
    post_adjustments(2, start=7)
    live.publish_checkpoint()
    audit = audit_log()
    assert audit.problems == [] and audit.size == 9 and audit.checkpoints == 2
    call_command("check_log")
    assert "log OK: 9 leaves" in capsys.readouterr().out


def _problems_after(tamper) -> list[str]:
    post_adjustments(6)
    live.publish_checkpoint()
    with append_only_lifted():
        tamper()
    return [f"{p.what}: {p.detail}" for p in audit_log().problems]


def test_check_log_finds_a_tampered_leaf():
    def tamper():
        leaf = LogLeaf.objects.get(index=2)
        record = json.loads(bytes(leaf.data))
        record["lines"][0]["fen"] += 1
        LogLeaf.objects.filter(index=2).update(data=live.canonical_json(record))

    problems = _problems_after(tamper)
    assert any("leaf 2: stored hash differs" in p for p in problems), problems
    with pytest.raises(CommandError):
        call_command("check_log")


def test_check_log_finds_reordered_leaves():
    def tamper():
        a, b = LogLeaf.objects.get(index=1), LogLeaf.objects.get(index=4)
        LogLeaf.objects.filter(index=1).update(data=bytes(b.data), leaf_hash=bytes(b.leaf_hash))
        LogLeaf.objects.filter(index=4).update(data=bytes(a.data), leaf_hash=bytes(a.leaf_hash))

    problems = _problems_after(tamper)
    assert any("leaf 1: its record says index 4" in p for p in problems), problems
    assert any(p.startswith("node:") for p in problems) and any(p.startswith("checkpoint:") for p in problems)


def test_check_log_finds_a_rewritten_node_and_a_forged_checkpoint():
    def tamper():
        TreeNode.objects.filter(level=1, index=1).update(hash=b"\x11" * 32)
        checkpoint = Checkpoint.objects.get()
        Checkpoint.objects.filter(pk=checkpoint.pk).update(note=checkpoint.note.replace("\n6\n", "\n7\n"))

    problems = _problems_after(tamper)
    assert any("subtree (1, 1)" in p for p in problems), problems
    assert any("checkpoint 6" in p and "verify" in p for p in problems), problems


def test_check_log_appends_entries_posted_before_the_log():
    post_adjustments(3)
    live.integrate_queued_leaves()
    with append_only_lifted():  # pretend the first entry predates the log
        LogLeaf.objects.filter(index__gte=0).delete()
        TreeNode.objects.all().delete()
    TreeState.objects.filter(pk=1).delete()
    assert any(p.what == "entry" for p in audit_log().problems)
    call_command("check_log", append_missing=True)
    assert LogLeaf.objects.count() == 3 and audit_log().problems == []


# --------------------------------------------------------------------------------------------
# secrets


def test_production_needs_its_own_key_and_salt(settings, monkeypatch):
    settings.CONFIG = dataclasses.replace(settings.CONFIG, production=True)
    monkeypatch.delenv("GONGYI_LOG_SALT", raising=False)
    monkeypatch.delenv("GONGYI_LOG_SIGNING_KEY", raising=False)
    assert {e.id for e in check_log_secrets()} == {"translog.E001"} and len(check_log_secrets()) == 2
    with pytest.raises(ImproperlyConfigured):
        keys.log_salt()
    with pytest.raises(ImproperlyConfigured):
        keys.signing_key()
    key = merkle.generate_private_key()
    monkeypatch.setenv("GONGYI_LOG_SALT", "production-salt")
    monkeypatch.setenv("GONGYI_LOG_SIGNING_KEY", base64.b64encode(merkle.private_key_to_raw(key)).decode())
    assert check_log_secrets() == []
    assert keys.log_salt() == b"production-salt"
    assert merkle.public_key_to_raw(keys.public_key()) == merkle.public_key_to_raw(key)


def test_signing_key_from_a_pem_file(tmp_path, monkeypatch):
    key = merkle.generate_private_key()
    path = tmp_path / "log.pem"
    path.write_bytes(merkle.private_key_to_pem(key))
    monkeypatch.setenv("GONGYI_LOG_SIGNING_KEY", str(path))
    assert merkle.public_key_to_raw(keys.public_key()) == merkle.public_key_to_raw(key)
    monkeypatch.setenv("GONGYI_LOG_SIGNING_KEY", "not a key")
    with pytest.raises(ImproperlyConfigured):
        keys.signing_key()


def test_demo_secrets_persist_in_the_data_dir(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("GONGYI_LOG_SALT", raising=False)
    monkeypatch.delenv("GONGYI_LOG_SIGNING_KEY", raising=False)
    settings.GONGYI = {**settings.GONGYI, "DATA_DIR": tmp_path}
    salt, key = keys.log_salt(), merkle.public_key_to_raw(keys.public_key())
    assert (tmp_path / "log_salt").read_bytes().strip() == salt and len(salt) >= 32
    assert (tmp_path / "log_signing_key.pem").stat().st_mode & 0o777 == 0o600
    keys._log_salt.cache_clear()
    keys._signing_key.cache_clear()
    assert keys.log_salt() == salt and merkle.public_key_to_raw(keys.public_key()) == key


# --------------------------------------------------------------------------------------------
# no log-wide lock in the money path (PostgreSQL; SQLite serialises all writers anyway)


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_post_entry_takes_no_log_wide_lock():
    """Two transactions post entries on different accounts at once; neither waits for the other.

    Were the leaf appended under the tree's row lock inside ``post_entry``, the second would block
    until the first commits — and a transaction that locks a pool row before posting would deadlock
    with one that posts before locking it (``flag_donor`` against ``confirm_payment``).
    """
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer at a time: nothing to show there")
    accounts = [get_account(code=f"race:{i}", name=f"r{i}", kind=AccountKind.BANK) for i in range(4)]
    posted, release, errors = threading.Event(), threading.Event(), []

    def first() -> None:
        try:
            with transaction.atomic():
                post_entry(
                    kind=EntryKind.ADJUSTMENT,
                    idempotency_key="race-1",
                    memo="1",
                    occurred_at=T0,
                    legs=[Leg(accounts[0], 1), Leg(accounts[1], -1)],
                )
                posted.set()
                if not release.wait(20):
                    errors.append("never released")
        except Exception as exc:  # reported below, in the test thread
            errors.append(repr(exc))
        finally:
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert posted.wait(20)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            post_entry(
                kind=EntryKind.ADJUSTMENT,
                idempotency_key="race-2",
                memo="2",
                occurred_at=T0,
                legs=[Leg(accounts[2], 1), Leg(accounts[3], -1)],
            )
    finally:
        release.set()
        thread.join(30)
    assert errors == []
    live.integrate_queued_leaves()
    assert LogLeaf.objects.count() == 2 and not QueuedLeaf.objects.exists()
    assert_tree_matches_leaves()


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_concurrent_posting_and_sequencing_keep_one_gap_free_tree():
    """Eight threads post entries, each commit racing to sequence; nothing is lost, doubled or reordered."""
    accounts = [get_account(code=f"race:{i}", name=f"r{i}", kind=AccountKind.BANK) for i in range(16)]
    errors: list[str] = []

    def worker(number: int) -> None:
        try:
            for i in range(10):
                with transaction.atomic():
                    post_entry(
                        kind=EntryKind.ADJUSTMENT,
                        idempotency_key=f"race-{number}-{i}",
                        memo="race",
                        occurred_at=T0,
                        legs=[Leg(accounts[2 * number], 1 + i), Leg(accounts[2 * number + 1], -1 - i)],
                    )
        except Exception as exc:  # reported below, in the test thread
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    live.publish_checkpoint()
    assert LogLeaf.objects.count() == JournalEntry.objects.count() == 80 and not QueuedLeaf.objects.exists()
    assert_tree_matches_leaves()
    assert audit_log().problems == []
