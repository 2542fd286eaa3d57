"""A donor's proof end to end: gift → certificate page → bundle → ``tools/verify_proof.py`` on a bare Python.

Every bundle — valid, tampered, reordered, forged, rolled back, forked, malformed — goes through the
standalone tool (a copy in a temporary directory, run in isolated mode with a clean environment),
through ``gongyi verify`` and through ``bundle.verify_bundle``; all three must give the same verdict.
"""

from __future__ import annotations

import ast
import base64
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from gongyi.giving.models import Gift
from gongyi.ledger.translog import keys, live, merkle
from gongyi.ledger.translog.bundle import BundleError, checkpoint_of, checkpoint_text, verify_bundle
from gongyi.ledger.translog.tests.test_merkle import CASE_FILES, MERKLE_DIR, MISSING_REASON
from gongyi.payments.models import Order
from gongyi.testing import make_project, notification_body, signed_headers

pytestmark = pytest.mark.django_db

TOOL = Path(__file__).resolve().parents[4] / "tools" / "verify_proof.py"
NOTIFY = "/api/v1/payments/sandbox/notify"
SYSTEM_PYTHON = "/usr/bin/python3"


def give(client, project, *, fen: int, txn: str, payer: str, donor: str = "王小明") -> Gift:
    payload = {"project": project.pk, "fen": fen, "gateway": "sandbox", "donor": donor, "message": "加油"}
    created = client.post("/api/v1/orders", data=json.dumps(payload), content_type="application/json")
    assert created.status_code == 201, created.content
    order = Order.objects.get(out_trade_no=created.json()["out_trade_no"])
    body = notification_body(order, transaction_id=txn, payer=payer)
    answer = client.post(NOTIFY, data=body, content_type="application/json", headers=signed_headers(body))
    assert answer.status_code == 200, answer.content
    return Gift.objects.get(order=order)


def bundle_of(client, gift: Gift, **params) -> dict:
    response = client.get(reverse("log-gift-bundle", args=[gift.certificate_no]), params)
    assert response.status_code == 200, response.content
    assert response["Content-Disposition"].startswith("attachment")
    return response.json()


@pytest.fixture
def tool_dir(tmp_path):
    """A copy of the tool alone in a directory: nothing of the repository next to it."""
    target = tmp_path / "bare"
    target.mkdir()
    shutil.copy(TOOL, target / "verify_proof.py")
    return target


def pythons() -> list[str]:
    """The test's Python, and the system's own Python (no venv, no project) when it has cryptography."""
    found = [sys.executable]
    if os.path.exists(SYSTEM_PYTHON):
        check = subprocess.run(
            [SYSTEM_PYTHON, "-I", "-c", "import cryptography"], capture_output=True, check=False, env={}
        )
        if check.returncode == 0:
            found.append(SYSTEM_PYTHON)
    return found


def run_tool(tool_dir: Path, bundle: dict | str, *args: str, python: str = sys.executable):
    path = tool_dir / "bundle.json"
    path.write_text(bundle if isinstance(bundle, str) else json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    return subprocess.run(
        [python, "-I", "verify_proof.py", "bundle.json", *args],
        cwd=tool_dir,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def command_verdict(path: Path, *args: str) -> int:
    try:
        call_command("verify", str(path), *args)
    except CommandError as exc:
        return exc.returncode
    return 0


def library_verdict(bundle: dict | str, older: str | None = None, pinned=None) -> int:
    try:
        data = json.loads(bundle) if isinstance(bundle, str) else bundle
        if not isinstance(data, dict):
            raise BundleError("not an object")
        verify_bundle(data, public_key=pinned, older=checkpoint_of(older) if older else None)
    except (BundleError, ValueError) as exc:
        return 1 if isinstance(exc, merkle.VerificationError) else 2
    return 0


def verdict(tool_dir: Path, bundle: dict | str, *, older: str | None = None, pin: str | None = None) -> tuple:
    """(exit code, output) of the tool; asserts ``gongyi verify`` and the library agree."""
    args = []
    if older is not None:
        (tool_dir / "older.json").write_text(older, encoding="utf-8")
        args += ["--older", "older.json"]
    if pin is not None:
        args += ["--public-key", pin]
    result = run_tool(tool_dir, bundle, *args)
    command_args = [a if a != "older.json" else str(tool_dir / "older.json") for a in args]
    pinned = merkle.load_public_key(pin) if pin else None
    assert command_verdict(tool_dir / "bundle.json", *command_args) == result.returncode, result.stdout
    assert library_verdict(bundle, older, pinned) == result.returncode
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def logged_gifts(client):
    """Two gifts in two checkpoints; the first gift's bundle saved before the second checkpoint."""
    project = make_project()
    first = give(client, project, fen=1000, txn="SBLOG1", payer="openid-1")
    live.publish_checkpoint()
    early = bundle_of(client, first)
    second = give(client, project, fen=2500, txn="SBLOG2", payer="openid-2", donor="李四")
    live.publish_checkpoint()
    return first, second, early


# --------------------------------------------------------------------------------------------
# the demo flow


def test_certificate_page_proof_bundle_and_the_bare_tool(client, tool_dir):
    project = make_project()
    gift = give(client, project, fen=1000, txn="SBDEMO1", payer="openid-demo")
    page = client.get(reverse("certificate", args=[gift.certificate_no])).content.decode()
    assert "公开日志存证" in page and "一分钟内的下一个签名检查点" in page
    waiting = client.get(reverse("log-gift-bundle", args=[gift.certificate_no]))
    assert waiting.status_code == 409 and waiting["Retry-After"] == "60"

    checkpoint = live.publish_checkpoint()  # what the periodic task does every minute
    page = client.get(reverse("certificate", args=[gift.certificate_no])).content.decode()
    assert "已被签名检查点收录" in page and reverse("log-gift-bundle", args=[gift.certificate_no]) in page
    assert bytes(checkpoint.root).hex() in page and "王小明" not in page.split("公开日志存证")[1]

    bundle = bundle_of(client, gift)
    assert bundle["format"] == "gongyi-log-proof/1" and bundle["tree_size"] == checkpoint.size
    record = json.loads(base64.b64decode(bundle["leaf"]))
    assert record["kind"] == "gift" and record["index"] == bundle["leaf_index"]
    assert bundle["order"]["out_trade_no"] == gift.order.out_trade_no
    key = keys.public_key_info()["public_key"]
    for python in pythons():
        result = run_tool(tool_dir, bundle, "--public-key", key, python=python)
        assert result.returncode == 0, (python, result.stdout, result.stderr)
        assert result.stdout.startswith("VALID checkpoint") and gift.order.out_trade_no in result.stdout
        assert "10.00 yuan" in result.stdout
    assert verdict(tool_dir, bundle, pin=key)[0] == 0

    index = client.get(reverse("log-index")).content.decode()
    assert "公开日志" in index and key in index and keys.log_origin() in index
    tool = client.get(reverse("log-verify-tool"))
    assert tool.status_code == 200 and b"".join(tool.streaming_content) == TOOL.read_bytes()
    assert client.get(reverse("log-public-key")).content.decode() == keys.public_key_info()["public_key_pem"]


def test_the_tool_needs_nothing_from_the_repository(tool_dir, logged_gifts):
    """Run the copy under ``-I`` and check no module of the project or of Django was loaded."""
    _first, _second, early = logged_gifts
    (tool_dir / "bundle.json").write_text(json.dumps(early), encoding="utf-8")
    code = (
        "import runpy, sys; sys.argv = ['verify_proof.py', 'bundle.json']\n"
        "try:\n    runpy.run_path('verify_proof.py', run_name='__main__')\n"
        "except SystemExit as exit:\n    status = exit.code\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'gongyi', 'django', 'ninja', 'merkle'})\n"
        "print('LOADED', bad); sys.exit(status if not bad else 3)"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=tool_dir, env={}, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "LOADED []" in result.stdout, result.stdout + result.stderr
    tree = ast.parse(TOOL.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            assert node.__class__ is ast.Import or node.level == 0
            for name in names:
                root = name.split(".")[0]
                assert root in sys.stdlib_module_names or root == "cryptography", name


# --------------------------------------------------------------------------------------------
# consistency between checkpoints


def test_bundles_prove_consistency_with_earlier_checkpoints(client, tool_dir, logged_gifts):
    first, second, early = logged_gifts
    assert "consistency" not in early  # the first checkpoint that covers it is the latest one
    later = bundle_of(client, first)
    assert later["tree_size"] > early["tree_size"]
    assert checkpoint_of(later["consistency"]["older_checkpoint"]) == early["checkpoint"]
    assert len(later["other_leaves"]) == 0 or all("leaf" in leaf for leaf in later["other_leaves"])
    code, out = verdict(tool_dir, later, older=json.dumps(early))
    assert code == 0 and f"consistent with your older checkpoint of size {early['tree_size']}" in out
    code, out = verdict(tool_dir, later, older=early["checkpoint"])  # a saved note works as well as a bundle
    assert code == 0

    # the second gift's bundle starts at its own first checkpoint; ask for one from the first size
    plain = bundle_of(client, second)
    assert "consistency" not in plain
    code, out = verdict(tool_dir, plain, older=json.dumps(early))
    assert code == 2 and f"?older={early['tree_size']}" in out
    asked = bundle_of(client, second, older=early["tree_size"])
    assert verdict(tool_dir, asked, older=json.dumps(early))[0] == 0

    bad = client.get(reverse("log-gift-bundle", args=[second.certificate_no]), {"older": "999"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "older"
    bad = client.get(reverse("log-gift-bundle", args=[second.certificate_no]), {"older": "-1"})
    assert bad.status_code == 422
    assert client.get(reverse("log-gift-bundle", args=["ZSNOPE"])).status_code == 404


# --------------------------------------------------------------------------------------------
# everything that must be refused


def _resign(bundle: dict, *, size: int | None = None, root: bytes | None = None, key=None) -> str:
    """A checkpoint note signed with ``key`` (default: the log's own key) over a chosen size and root."""
    text = bundle["checkpoint"].split("\n\n")[0] + "\n"
    lines = text.split("\n")
    head = merkle.Checkpoint(
        lines[0],
        int(lines[1]) if size is None else size,
        base64.b64decode(lines[2]) if root is None else root,
    )
    body = checkpoint_text(head, lines[3].removeprefix("time "))
    return merkle.sign_note(body, key or keys.signing_key(), head.origin)


def test_tampered_leaf_is_invalid(client, tool_dir, logged_gifts):
    bundle = bundle_of(client, logged_gifts[0])
    record = json.loads(base64.b64decode(bundle["leaf"]))
    record["lines"][0]["fen"] += 100  # claim a bigger gift
    bundle["leaf"] = base64.b64encode(live.canonical_json(record)).decode()
    code, out = verdict(tool_dir, bundle)
    assert code == 1 and out.startswith("INVALID") and "not in the checkpoint's tree" in out


def test_reordered_leaves_are_invalid(client, tool_dir, logged_gifts):
    first, second, _early = logged_gifts
    a, b = bundle_of(client, first), bundle_of(client, second)
    assert a["leaf_index"] != b["leaf_index"]
    swapped = dict(a, leaf_index=b["leaf_index"])  # the leaf at another position, with its old path
    code, out = verdict(tool_dir, swapped)
    assert code == 1 and "not in the checkpoint's tree" in out
    moved = dict(a, leaf=b["leaf"])  # another leaf's bytes put at this position
    code, out = verdict(tool_dir, moved)
    assert code == 1 and "not in the checkpoint's tree" in out
    # A log that reorders its leaves has a different root: the old leaf's proof fails against it.
    leaves = [
        base64.b64decode(x)
        for x in client.get("/api/v1/log/leaves", {"start": 0, "end": a["tree_size"]}).json()["leaves"]
    ]
    hashes = [merkle.leaf_hash(x) for x in leaves]
    reordered = hashes[:]
    reordered[0], reordered[-1] = reordered[-1], reordered[0]
    fake = dict(a, checkpoint=_resign(a, root=merkle.root_from_leaf_hashes(reordered)))
    code, out = verdict(tool_dir, fake)
    assert code == 1 and "not in the checkpoint's tree" in out


def test_forged_signature_is_invalid(client, tool_dir, logged_gifts):
    bundle = bundle_of(client, logged_gifts[0])
    note = bundle["checkpoint"]
    body, signature_line = note.split("\n\n")
    name, blob = signature_line.rstrip("\n").split(" ")[1:]
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1
    forged = dict(bundle, checkpoint=f"{body}\n\n\u2014 {name} {base64.b64encode(bytes(raw)).decode()}\n")
    code, out = verdict(tool_dir, forged)
    assert code == 1 and "signature does not verify" in out

    # A changed size under the original signature
    code, out = verdict(tool_dir, dict(bundle, checkpoint=note.replace(f"\n{bundle['tree_size']}\n", "\n99\n", 1)))
    assert code == 1 and "signature" in out

    # An impostor who swaps in their own key is caught once the real key is pinned.
    impostor = merkle.generate_private_key()
    faked = dict(
        {k: v for k, v in bundle.items() if k != "consistency"},
        checkpoint=_resign(bundle, key=impostor),
        public_key=base64.b64encode(merkle.public_key_to_raw(impostor)).decode(),
    )
    assert verdict(tool_dir, faked)[0] == 0  # self-consistent: why the key must be compared with the site's
    code, out = verdict(tool_dir, faked, pin=keys.public_key_info()["public_key"])
    assert code == 1 and "no signature by this key" in out

    unsigned = dict(bundle, checkpoint=body + "\n")
    assert verdict(tool_dir, unsigned)[0] == 1


def test_rolled_back_and_forked_checkpoints_are_invalid(client, tool_dir, logged_gifts):
    first, _second, early = logged_gifts
    later = bundle_of(client, first)
    # The log now shows an older, smaller tree than one the donor saw: rolled back.
    code, out = verdict(tool_dir, early, older=json.dumps(later))
    assert code == 1 and "rolled back" in out
    # Same size, another root, properly signed by the log: a fork (two histories).
    fork = _resign(later, root=b"\x42" * 32)
    code, out = verdict(tool_dir, later, older=fork)
    assert code == 1 and "fork" in out
    # A consistency proof that does not hold
    bad = json.loads(json.dumps(later))
    bad["consistency"]["proof"][0] = base64.b64encode(b"\x00" * 32).decode()
    code, out = verdict(tool_dir, bad)
    assert code == 1 and "does not extend" in out
    bad = json.loads(json.dumps(later))
    bad["consistency"]["older_checkpoint"] = later["checkpoint"]  # the same checkpoint: trivially consistent
    assert verdict(tool_dir, bad)[0] == 0
    bad["consistency"]["older_checkpoint"] = fork
    code, out = verdict(tool_dir, bad)
    assert code == 1 and "fork" in out


def test_wrong_order_and_wrong_sizes_are_invalid(client, tool_dir, logged_gifts):
    bundle = bundle_of(client, logged_gifts[0])
    code, out = verdict(tool_dir, dict(bundle, order={"out_trade_no": "GY000", "key": bundle["order"]["key"]}))
    assert code == 1 and "order GY000" in out
    code, out = verdict(tool_dir, dict(bundle, tree_size=bundle["tree_size"] + 1))
    assert code == 1 and "tree_size" in out
    code, out = verdict(tool_dir, dict(bundle, leaf_index=bundle["tree_size"]))
    assert code == 1


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: "not json {",
        lambda b: "[1, 2]",
        lambda b: {**b, "format": "other/1"},
        lambda b: {k: v for k, v in b.items() if k != "leaf"},
        lambda b: {**b, "leaf_index": -1},
        lambda b: {**b, "leaf_index": True},
        lambda b: {**b, "inclusion_proof": ["not base64!"]},
        lambda b: {**b, "inclusion_proof": [base64.b64encode(b"short").decode()]},
        lambda b: {**b, "checkpoint": "garbage"},
        lambda b: {**b, "public_key": "AAAA"},
        lambda b: {**b, "order": {"out_trade_no": "x", "key": "zz"}},
    ],
    ids=["not-json", "not-object", "format", "no-leaf", "negative", "bool", "b64", "short-hash", "note", "key", "hex"],
)
def test_malformed_bundles_exit_2(client, tool_dir, logged_gifts, mutate):
    bundle = bundle_of(client, logged_gifts[0])
    changed = mutate(bundle)
    code, out = verdict(tool_dir, changed)
    assert code == 2 and "ERROR" in out, out


# --------------------------------------------------------------------------------------------
# the tool's own RFC 9162 code passes the vendored proof suite


def _load_tool():
    spec = importlib.util.spec_from_file_location("verify_proof_copy", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tool_passes_the_merkle_proof_suite():
    if MERKLE_DIR is None:
        pytest.fail(MISSING_REASON)
    tool = _load_tool()

    def check(case: dict) -> None:
        decoded = {k: base64.b64decode(v) for k, v in case.items() if k in ("leafHash", "root", "root1", "root2")}
        proof = [base64.b64decode(p) for p in case.get("proof") or []]
        if "leafIdx" in case:
            if any(len(h) != 32 for h in [*decoded.values(), *proof]):
                raise tool.Malformed("hash size")  # the bundle reader refuses these before the tool's maths
            if case["leafIdx"] < 0:
                raise tool.Malformed("negative")
            root = tool.root_from_inclusion(case["leafIdx"], case["treeSize"], decoded["leafHash"], proof)
            if root != decoded["root"]:
                raise tool.Invalid("root")
            return
        size1, size2 = case["size1"], case["size2"]
        if size1 == size2 and size1 > 0:  # the tool compares two checkpoints of one size by their roots
            if proof or decoded["root1"] != decoded["root2"]:
                raise tool.Invalid("equal sizes")
            return
        if any(len(h) != 32 for h in [*decoded.values(), *proof]):
            raise tool.Malformed("hash size")
        tool.verify_consistency(size1, size2, decoded["root1"], decoded["root2"], proof)

    assert len(CASE_FILES) >= 196
    for path in CASE_FILES:
        case = json.loads(path.read_text(encoding="utf-8"))
        if case["wantErr"]:
            with pytest.raises((tool.Invalid, tool.Malformed)):
                check(case)
        else:
            check(case)


def test_the_checkpoint_cli_reads_live_checkpoints(client, tmp_path, logged_gifts):
    """``python -m gongyi.ledger.translog.verify checkpoint`` accepts the signed ``time`` extension line."""
    latest = client.get("/api/v1/log/checkpoint").json()
    note = tmp_path / "checkpoint.txt"
    note.write_text(latest["note"], encoding="utf-8")
    body = tmp_path / "body.txt"
    body.write_text(latest["note"].split("\n\n")[0] + "\n", encoding="utf-8")
    key = keys.public_key_info()["public_key"]
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(TOOL.parents[1])
    base = [sys.executable, "-m", "gongyi.ledger.translog.verify", "checkpoint", "--public-key", key]

    def run(*args):
        return subprocess.run([*base, *args], env=env, capture_output=True, text=True, timeout=60, check=False)

    result = run("--checkpoint-file", str(note), "--origin", keys.log_origin())
    assert result.returncode == 0 and f"[time {latest['time'][:19]}" in result.stdout, result.stdout + result.stderr
    assert run("--checkpoint-file", str(body), "--signature", latest["signature"]).returncode == 0
    forged = tmp_path / "forged.txt"
    forged.write_text(latest["note"].replace("\ntime ", "\ntime 1999", 1), encoding="utf-8")
    assert run("--checkpoint-file", str(forged)).returncode == 1
