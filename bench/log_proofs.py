"""Bench the public log's proofs at a million leaves: ``python bench/log_proofs.py [--leaves N] [--database URL]``.

1. Builds a tree of N leaf hashes (default 1,000,000) in memory with the log's own append code and
   bulk-inserts every complete subtree hash (about 2N rows) into the node table of a fresh database —
   a temporary SQLite file by default, or an *empty* database given by ``--database`` (PostgreSQL:
   ``postgres://postgres@127.0.0.1:5432/bench_log``). Nothing goes through ``post_entry``.
2. Times inclusion and consistency proofs for random leaves and sizes through ``selectors`` (one node
   query each) and through the HTTP API with Django's test client (plus the checkpoint lookup,
   validation and JSON), checking a sample of them with ``merkle.verify_*``.
3. Times the baseline in the same run: the naive proof, recomputed from all leaf hashes in memory
   (``merkle.inclusion_proof``), at 10,000 leaves and at N.

Prints a few human lines, then one JSON line with per-proof milliseconds and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "mean": round(statistics.fmean(ordered) * 1000, 4),
        "p50": round(ordered[len(ordered) // 2] * 1000, 4),
        "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 4),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=2000, help="proofs of each kind to time")
    parser.add_argument("--database", help="an empty database URL (default: a temporary SQLite file)")
    parser.add_argument("--seed", type=int, default=20230520)
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="gongyi-bench-log-")
    os.environ["GONGYI_DATA_DIR"] = workdir
    os.environ["DATABASE_URL"] = args.database or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("GONGYI_SANDBOX_KEY", "bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "gongyi.settings"
    os.environ.setdefault("GONGYI_LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gongyi.ledger.translog import live, merkle, selectors, tree
    from gongyi.ledger.translog.models import TreeNode, TreeState

    call_command("migrate", verbosity=0)
    if TreeNode.objects.exists():
        print("the database already holds a log: give an empty one", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    n = args.leaves

    started = time.perf_counter()
    hashes = [merkle.leaf_hash(i.to_bytes(8, "big")) for i in range(n)]
    size, frontier, completed = tree.append_leaf_hashes(0, [], hashes)
    hashed = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy('COPY translog_treenode (level, "index", hash) FROM STDIN') as copy:
                for row in completed:
                    copy.write_row(row)
        else:
            sql = 'INSERT INTO translog_treenode (level, "index", hash) VALUES (%s, %s, %s)'
            for start in range(0, len(completed), 50_000):
                cursor.executemany(sql, completed[start : start + 50_000])
        TreeState.objects.update_or_create(
            pk=1,
            defaults={
                "size": size,
                "frontier": tree.frontier_to_bytes(frontier),
                "root": merkle.MerkleFrontier(size, frontier).root(),
            },
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE translog_treenode")
    inserted = time.perf_counter()
    checkpoint = live.publish_checkpoint()
    root = bytes(checkpoint.root)
    assert root == merkle.MerkleFrontier(size, frontier).root()
    print(
        f"built {n:,} leaves, {len(completed):,} stored subtrees on {connection.vendor}: "
        f"hashing {hashed - started:.1f}s, insert {inserted - hashed:.1f}s"
    )
    del completed

    # proofs from the node table, through the selectors
    inclusion, consistency = [], []
    for i in range(args.proofs):
        index = rng.randrange(n)
        t0 = time.perf_counter()
        proof = selectors.inclusion_proof(index, n)
        inclusion.append(time.perf_counter() - t0)
        if i % 50 == 0:
            merkle.verify_inclusion(index, n, hashes[index], proof.proof, root)
        first = rng.randrange(1, n)
        t0 = time.perf_counter()
        cons = selectors.consistency_proof(first, n)
        consistency.append(time.perf_counter() - t0)
        if i % 200 == 0:
            merkle.verify_consistency(first, n, merkle.root_from_leaf_hashes(hashes[:first]), root, cons.proof)
    older = []
    for _ in range(args.proofs // 4):
        tree_size = rng.randrange(1, n + 1)
        index = rng.randrange(tree_size)
        t0 = time.perf_counter()
        selectors.inclusion_proof(index, tree_size)
        older.append(time.perf_counter() - t0)
    with CaptureQueriesContext(connection) as queries:
        selectors.inclusion_proof(n // 3, n)
    node_query_count = len(queries.captured_queries)

    # the same through the HTTP API (checkpoint lookup, validation, JSON)
    client = Client()
    client.get("/api/v1/log/proof/inclusion", {"index": 0})  # warm up URL resolution and schemas
    api = []
    for _ in range(max(args.proofs // 4, 1)):
        index = rng.randrange(n)
        t0 = time.perf_counter()
        response = client.get("/api/v1/log/proof/inclusion", {"index": index})
        api.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.content

    # baseline, same run: the naive proof recomputed from all leaf hashes in memory
    small = 10_000
    naive_small = []
    for _ in range(20):
        index = rng.randrange(small)
        t0 = time.perf_counter()
        merkle.inclusion_proof(hashes[:small], index, small)
        naive_small.append(time.perf_counter() - t0)
    naive_full = []
    for _ in range(3):
        index = rng.randrange(n)
        t0 = time.perf_counter()
        merkle.inclusion_proof(hashes, index, n)
        naive_full.append(time.perf_counter() - t0)

    result = {
        "bench": "log_proofs",
        "database": connection.vendor,
        "leaves": n,
        "stored_subtrees": TreeNode.objects.count(),
        "queries_per_proof": node_query_count,
        "inclusion_ms": _ms(inclusion),
        "inclusion_older_sizes_ms": _ms(older),
        "consistency_ms": _ms(consistency),
        "api_inclusion_ms": _ms(api),
        "baseline_naive_inclusion_ms": {f"n={small}": _ms(naive_small), f"n={n}": _ms(naive_full)},
    }
    result["ratio_stored_vs_naive_at_10000"] = round(
        result["inclusion_ms"]["mean"] / result["baseline_naive_inclusion_ms"][f"n={small}"]["mean"], 4
    )
    result["speedup_vs_naive_at_n"] = round(
        result["baseline_naive_inclusion_ms"][f"n={n}"]["mean"] / result["inclusion_ms"]["mean"], 1
    )
    print(
        f"inclusion {result['inclusion_ms']['mean']} ms, consistency {result['consistency_ms']['mean']} ms "
        f"({node_query_count} query each); via the API {result['api_inclusion_ms']['mean']} ms; "
        f"naive recomputation {result['baseline_naive_inclusion_ms'][f'n={n}']['mean']} ms at {n:,} leaves"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
