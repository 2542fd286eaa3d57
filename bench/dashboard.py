"""Bench the festival dashboard (大屏): ``python bench/dashboard.py [--gifts N] [--database URL]``.

1. Loads the seed's festival (``load_demo`` without gifts: organisations, campaign, projects, the pool) into a
   fresh database — a temporary SQLite file by default, or an *empty* database given by ``--database``
   (PostgreSQL: ``postgres://postgres@127.0.0.1:5432/bench_dashboard``) — and adds projects up to
   ``--projects`` and a 一日捐 drive with ``--units`` work units across Ezhou's districts.
2. Bulk-inserts ``--gifts`` paid orders and their gifts (default 200,000) over the festival's hours so far:
   Zipf-like project popularity, a rush at 10:00 when matching opens, quiet nights, ~75% of donors giving
   once, a fifth anonymous, 0.5% refunded, about half under a unit code. The figures the money path keeps
   are brought level in bulk: the projects' ledger accounts through one balanced ``post_entry`` per
   batch (so ``check_ledger`` still passes), the gift and donor counters, ``ProjectDonor`` rows, the pool's
   usage and the league counters. Nothing goes through ``confirm_payment``: that is not what is measured.
3. Counts the snapshot's queries after the first 1% of gifts and again after all of them (they must be the
   same), then times the snapshot computed from the database (``festival_snapshot``) against the cached
   read every request gets (``cached_snapshot``), and the same through the HTTP API (200 and 304).

Prints a few human lines, then one JSON line; ``ratio`` is how many cached reads fit in one computation.
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
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰小梅海燕春雨晨阳子涵浩然欣怡"
DISTRICTS = ("420704", "420703", "420702")


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "mean": round(statistics.fmean(ordered) * 1000, 4),
        "p50": round(ordered[len(ordered) // 2] * 1000, 4),
        "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 4),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gifts", type=int, default=200_000)
    parser.add_argument("--projects", type=int, default=460, help="public projects in the festival")
    parser.add_argument("--units", type=int, default=300, help="work units in the 一日捐 drive")
    parser.add_argument("--runs", type=int, default=7, help="snapshot computations to time")
    parser.add_argument("--reads", type=int, default=5000, help="cached reads to time")
    parser.add_argument("--database", help="an empty database URL (default: a temporary SQLite file)")
    parser.add_argument("--seed", type=int, default=20230520)
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="gongyi-bench-dashboard-")
    os.environ["GONGYI_DATA_DIR"] = workdir
    os.environ["DATABASE_URL"] = args.database or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("GONGYI_SANDBOX_KEY", "bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "gongyi.settings"
    os.environ.setdefault("GONGYI_LOG_LEVEL", "WARNING")
    # Long enough that every timed read is a cache hit; the TTL's own behaviour is the tests' business.
    os.environ["GONGYI_DASHBOARD_TTL_SECONDS"] = "3600"

    import django

    django.setup()
    from django.core.management import call_command

    from gongyi.giving.models import Gift

    call_command("migrate", verbosity=0)
    if Gift.objects.exists():
        print("the database already holds gifts: give an empty one", file=sys.stderr)
        return 2
    return _run(args, random.Random(args.seed))


def _run(args, rng: random.Random) -> int:
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from gongyi.campaigns.selectors import campaign_figures
    from gongyi.dashboard.selectors import festival_snapshot
    from gongyi.dashboard.services import cached_snapshot, snapshot_json
    from gongyi.demo.services import load_demo
    from gongyi.ledger.selectors import find_ledger_problems

    started = time.perf_counter()
    campaign = load_demo(with_gifts=False).campaign
    world = _World.build(campaign, args, rng)
    now = timezone.now()
    plan = _plan_gifts(args.gifts, world, campaign.starts_at, now, rng)
    first = max(1, len(plan) // 100)
    world.insert(plan[:first])

    def snapshot():
        return festival_snapshot(campaign, now=timezone.now())

    with CaptureQueriesContext(connection) as captured:
        snapshot()
    small_queries = len(captured.captured_queries)
    world.insert(plan[first:])
    built = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    with CaptureQueriesContext(connection) as full:
        result = snapshot()
    queries = len(full.captured_queries)
    if queries != small_queries:
        print(f"query count grew: {small_queries} → {queries}", file=sys.stderr)
        return 1
    page = campaign_figures(campaign)
    assert (result.raised_fen, result.matched_fen, result.gifts) == (page.raised_fen, page.matched_fen, page.gifts)
    problems = find_ledger_problems()
    assert not problems, problems[:3]
    print(
        f"built {len(plan):,} gifts ({world.refunded:,} refunded), {len(world.projects)} projects, "
        f"{len(world.units)} units on {connection.vendor} in {built - started:.1f}s; "
        f"raised ¥{result.raised_fen / 100:,.2f}, matched ¥{result.matched_fen / 100:,.2f}, "
        f"{result.donors:,} donors"
    )

    compute = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        snapshot()
        compute.append(time.perf_counter() - t0)

    cache.clear()
    cached_snapshot(campaign)  # the one computation of this TTL
    reads = []
    for _ in range(args.reads):
        t0 = time.perf_counter()
        cached_snapshot(campaign)
        reads.append(time.perf_counter() - t0)

    client = Client()
    url = f"/api/v1/dashboard/{campaign.slug}"
    first_response = client.get(url)
    assert first_response.status_code == 200, first_response.content
    etag = first_response["ETag"]
    api, api_304 = [], []
    for _ in range(max(args.reads // 10, 1)):
        t0 = time.perf_counter()
        response = client.get(url)
        api.append(time.perf_counter() - t0)
        assert response.status_code == 200
        t0 = time.perf_counter()
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
        api_304.append(time.perf_counter() - t0)
        assert response.status_code == 304

    compute_ms, cached_ms = _ms(compute), _ms(reads)
    out = {
        "bench": "dashboard",
        "database": connection.vendor,
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "gifts": len(plan),
        "refunded": world.refunded,
        "projects": len(world.projects),
        "units": len(world.units),
        "donors": result.donors,
        "hours": len(result.hours),
        "queries_per_snapshot": queries,
        "queries_at_1_percent": small_queries,
        "snapshot_json_bytes": len(snapshot_json(result.as_dict()).encode()),
        "compute_ms": compute_ms,
        "cached_read_ms": cached_ms,
        "api_cached_ms": _ms(api),
        "api_304_ms": _ms(api_304),
        "ratio": round(compute_ms["mean"] / cached_ms["mean"], 1),
    }
    print(
        f"snapshot: {compute_ms['mean']:.1f} ms computed ({queries} queries, the same at 1% of the gifts), "
        f"{cached_ms['mean']:.4f} ms from the cache ({out['ratio']}× faster); "
        f"API {out['api_cached_ms']['mean']:.2f} ms (200), {out['api_304_ms']['mean']:.2f} ms (304)"
    )
    print(json.dumps(out))
    return 0


class _World:
    """The festival's projects, drive and units, and the running figures the bulk insert keeps level."""

    def __init__(self, campaign, projects, drive, units, pool):
        self.campaign = campaign
        self.projects = projects
        self.drive = drive
        self.units = units
        self.pool = pool
        self.sequence = 0
        self.refunded = 0
        self.pool_left = pool.total_fen - pool.matched_fen - pool.forfeited_fen

    @classmethod
    def build(cls, campaign, args, rng):
        from django.db import transaction

        from gongyi.drives.codes import new_code
        from gongyi.drives.models import Unit, UnitKind, UnitSource, UnitStatus
        from gongyi.drives.services import save_drive
        from gongyi.matching.models import MatchingPool
        from gongyi.projects.models import Domain, Project, ProjectStatus

        with transaction.atomic():
            template = Project.objects.filter(campaign=campaign).order_by("pk").first()
            existing = Project.objects.filter(campaign=campaign).count()
            extra = []
            for n in range(max(0, args.projects - existing)):
                project = Project(**{f.attname: getattr(template, f.attname) for f in Project._meta.concrete_fields})
                project.pk = None
                project.title = f"鄂州公益项目{n + 1:03d}"
                project.domain = rng.choice(Domain.values)
                project.target_fen = rng.choice((50_000, 100_000, 300_000, 1_000_000)) * 100
                project.filing_number = f"53420700BENCH{n + 1:05d}"
                project.status = ProjectStatus.PUBLISHED
                extra.append(project)
            Project.objects.bulk_create(extra, batch_size=500)
            projects = list(Project.objects.filter(campaign=campaign).order_by("pk"))
            drive = save_drive(
                slug="bench-yiriju",
                name="鄂州市“慈善一日捐”（压测）",
                starts_at=campaign.starts_at,
                ends_at=campaign.ends_at,
                campaign=campaign,
            )
            kinds = UnitKind.values
            Unit.objects.bulk_create(
                [
                    Unit(
                        code=new_code(),
                        name=f"压测单位{n + 1:04d}",
                        kind=kinds[n % len(kinds)],
                        district_id=DISTRICTS[n % len(DISTRICTS)],
                        headcount=rng.randint(20, 2000),
                        status=UnitStatus.APPROVED,
                        source=UnitSource.STAFF,
                    )
                    for n in range(args.units)
                ],
                batch_size=500,
            )
            units = list(Unit.objects.filter(name__startswith="压测单位").order_by("pk"))
        pool = MatchingPool.objects.get(campaign=campaign)
        world = cls(campaign, projects, drive, units, pool)
        world.tallies = defaultdict(Counter)
        world.givers = defaultdict(set)
        world.donors = defaultdict(set)
        world.gift_counts = Counter()
        return world

    def insert(self, plan) -> None:
        """Insert the planned gifts and move every figure the money path would move, in one transaction."""
        from django.db import transaction
        from django.db.models import F

        from gongyi.drives.models import LeagueTally
        from gongyi.drives.tallies import drive_board
        from gongyi.giving.models import Gift, GiftStatus
        from gongyi.ledger.models import AccountKind, EntryKind
        from gongyi.ledger.services import Leg, post_entry, project_account, provider_clearing_account
        from gongyi.matching.live import pool_account
        from gongyi.matching.models import MatchingPool
        from gongyi.payments.models import Order, OrderStatus
        from gongyi.projects.models import Project, ProjectDonor

        raised, matched = Counter(), Counter()
        new_donors = []
        with transaction.atomic():
            for start in range(0, len(plan), 5000):
                chunk = plan[start : start + 5000]
                orders, gifts = [], []
                for project, fen, donor, name, anonymous, unit, paid_at, refunded in chunk:
                    self.sequence += 1
                    n = self.sequence
                    match = 0
                    if not refunded and fen >= 100 and self.pool_left > 0:
                        match = min(fen // 2, self.pool_left)
                        self.pool_left -= match
                    orders.append(
                        Order(
                            out_trade_no=f"GYB{n:014d}",
                            project=project,
                            amount_fen=fen,
                            gateway="sandbox",
                            donor_name=name,
                            anonymous=anonymous,
                            unit_code=unit.code if unit else "",
                            status=OrderStatus.REFUNDED if refunded else OrderStatus.PAID,
                            provider_txn_id=f"TB{n:014d}",
                            payer=donor,
                            paid_at=paid_at,
                        )
                    )
                    gifts.append(
                        Gift(
                            project=project,
                            amount_fen=fen,
                            gateway="sandbox",
                            provider_txn_id=f"TB{n:014d}",
                            donor_key=f"sandbox:{donor}",
                            donor_name=name,
                            anonymous=anonymous,
                            paid_at=paid_at,
                            status=GiftStatus.REFUNDED if refunded else GiftStatus.CONFIRMED,
                            certificate_no=f"ZSB{n:014d}",
                            matched_fen=match,
                        )
                    )
                    if refunded:
                        self.refunded += 1
                        continue
                    raised[project.pk] += fen
                    matched[project.pk] += match
                    self.gift_counts[project.pk] += 1
                    key = f"sandbox:{donor}"
                    if key not in self.donors[project.pk]:
                        self.donors[project.pk].add(key)
                        new_donors.append(ProjectDonor(project=project, donor_key=key, first_gift_at=paid_at))
                    if unit is not None:
                        for board, line in (
                            ("unit", str(unit.pk)),
                            ("district", unit.district_id),
                            ("kind", unit.kind),
                            ("all", "all"),
                        ):
                            self.tallies[(board, line)]["gifts"] += 1
                            self.tallies[(board, line)]["amount_fen"] += fen
                            self.givers[(board, line)].add(key)
                Order.objects.bulk_create(orders, batch_size=1000)
                for order, gift in zip(orders, gifts, strict=True):
                    gift.order = order
                Gift.objects.bulk_create(gifts, batch_size=1000)
            ProjectDonor.objects.bulk_create(new_donors, batch_size=2000)
            at = plan[-1][6]
            legs = [Leg(provider_clearing_account("sandbox"), sum(raised.values()))]
            legs += [
                Leg(project_account(p, AccountKind.PROJECT_DONATIONS), -raised[p.pk])
                for p in self.projects
                if raised[p.pk]
            ]
            post_entry(
                kind=EntryKind.GIFT,
                idempotency_key=f"bench:gifts:{self.sequence}",
                memo="压测捐赠",
                occurred_at=at,
                legs=legs,
            )
            if sum(matched.values()):
                legs = [Leg(pool_account(self.pool), sum(matched.values()))]
                legs += [
                    Leg(project_account(p, AccountKind.PROJECT_MATCHING), -matched[p.pk])
                    for p in self.projects
                    if matched[p.pk]
                ]
                post_entry(
                    kind=EntryKind.MATCH,
                    idempotency_key=f"bench:match:{self.sequence}",
                    memo="压测配捐",
                    occurred_at=at,
                    legs=legs,
                )
                MatchingPool.objects.filter(pk=self.pool.pk).update(
                    matched_fen=F("matched_fen") + sum(matched.values())
                )
            for project in self.projects:
                project.gifts_count = self.gift_counts[project.pk]
                project.donors_count = len(self.donors[project.pk])
            Project.objects.bulk_update(self.projects, ["gifts_count", "donors_count"], batch_size=500)
            LeagueTally.objects.filter(board__startswith=f"drive:{self.drive.pk}:").delete()
            LeagueTally.objects.bulk_create(
                [
                    LeagueTally(
                        board=drive_board(self.drive.pk, board),
                        key=line,
                        givers=len(self.givers[(board, line)]),
                        gifts=counts["gifts"],
                        amount_fen=counts["amount_fen"],
                        total_fen=counts["amount_fen"],
                    )
                    for (board, line), counts in self.tallies.items()
                ],
                batch_size=1000,
            )


def _plan_gifts(count: int, world: _World, start, now, rng: random.Random) -> list[tuple]:
    """The gifts, oldest first: (project, fen, donor, name, anonymous, unit, paid_at, refunded)."""
    from zoneinfo import ZoneInfo

    shanghai = ZoneInfo("Asia/Shanghai")
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(world.projects))]
    hours = []
    moment = start
    while moment < now:
        hour = moment.astimezone(shanghai).hour
        # quiet nights, a morning build-up, the 10:00 rush when matching opens, an evening bump
        hours.append((moment, {10: 9, 11: 5, 12: 3, 20: 3, 21: 3}.get(hour, 0.3 if hour < 7 else 1.5)))
        moment += timedelta(hours=1)
    when = rng.choices([h for h, _ in hours], weights=[w for _, w in hours], k=count)
    projects = rng.choices(world.projects, weights=weights, k=count)
    amounts = rng.choices(
        (100, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 500_000),
        weights=(6, 10, 18, 14, 20, 14, 8, 5, 3, 1),
        k=count,
    )
    donors = max(1, int(count * 0.75))
    plan = []
    for at, project, fen in zip(when, projects, amounts, strict=True):
        paid_at = min(at + timedelta(seconds=rng.randrange(3600)), now - timedelta(seconds=1))
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        plan.append(
            (
                project,
                fen + rng.choice((0, 0, 0, 66, 88)),
                f"bench-{rng.randrange(donors):08d}",
                name,
                rng.random() < 0.2,
                rng.choice(world.units) if world.units and rng.random() < 0.5 else None,
                paid_at,
                rng.random() < 0.005,
            )
        )
    plan.sort(key=lambda row: row[6])
    return plan


if __name__ == "__main__":
    raise SystemExit(main())
