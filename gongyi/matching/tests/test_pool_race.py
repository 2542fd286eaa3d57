"""Many threads and processes confirming gifts against a small pool: never a fen overspent, no cap broken."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from gongyi.giving.models import Gift
from gongyi.giving.services import confirm_payment
from gongyi.ledger.selectors import find_ledger_problems
from gongyi.matching.live import pool_account
from gongyi.matching.models import Match, MatchingPool, MatchStatus, PoolTranche
from gongyi.matching.services import save_pool
from gongyi.payments.interface import VerifiedPayment
from gongyi.payments.models import Order
from gongyi.testing import make_campaign, make_project

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.race]
REPO = Path(__file__).resolve().parents[3]

TOTAL = 20_000
DONOR_DAILY_CAP = 1_500
PROJECT_CAP = 12_000
GIFT_CAP = 800


def setup_pool(gifts: int, seed: int):
    first = make_project(title="甲项目")
    campaign = make_campaign(first.organisation)
    projects = [make_project(title=f"项目{i}", campaign=campaign) for i in range(3)]
    now = timezone.now()
    pool = save_pool(
        pool=MatchingPool(
            campaign=campaign,
            sponsor=first.organisation,
            name="小配捐池",
            total_fen=TOTAL,
            window_start=now - timedelta(days=1),
            window_end=now + timedelta(days=1),
            min_gift_fen=1,
            ratio_kind="fixed",
            ratio_bp=10000,
            per_gift_cap_fen=GIFT_CAP,
            per_donor_daily_cap_fen=DONOR_DAILY_CAP,
            per_project_cap_fen=PROJECT_CAP,
        )
    )
    PoolTranche.objects.create(pool=pool, at=now - timedelta(days=1), fen=TOTAL)
    rng = random.Random(seed)
    orders = Order.objects.bulk_create(
        [
            Order(
                out_trade_no=f"GYR{seed}{i:06d}",
                project=rng.choice(projects),
                amount_fen=rng.randint(100, 2_000),
                gateway="sandbox",
            )
            for i in range(gifts)
        ]
    )
    return pool, orders


def assert_pool_intact(pool: MatchingPool) -> None:
    pool.refresh_from_db()
    live = Match.objects.filter(pool=pool, status=MatchStatus.LIVE)
    matched = live.aggregate(s=Sum("matched_fen"))["s"] or 0
    assert pool.matched_fen == matched <= TOTAL  # overspend: 0 fen
    assert pool.left_fen == TOTAL - matched == pool_account(pool).balance_fen
    assert pool.left_fen == 0  # demand far exceeds the pool: it ran out
    assert not live.filter(matched_fen__gt=GIFT_CAP).exists()
    for row in live.values("donor_key", "local_day").annotate(s=Sum("matched_fen")):
        assert row["s"] <= DONOR_DAILY_CAP
    for row in live.values("project").annotate(s=Sum("matched_fen")):
        assert row["s"] <= PROJECT_CAP
    assert sum(Gift.objects.values_list("matched_fen", flat=True)) == matched
    assert find_ledger_problems() == []


@pytest.mark.parametrize("round_number", [1, 2, 3])
def test_sixty_four_threads_never_overspend(round_number):
    pool, orders = setup_pool(gifts=320, seed=round_number)
    start = threading.Barrier(64)
    now = timezone.now()

    def worker(slot: int) -> None:
        start.wait()
        try:
            for order in orders[slot::64]:
                confirm_payment(
                    gateway="sandbox",
                    payment=VerifiedPayment(
                        out_trade_no=order.out_trade_no,
                        provider_txn_id=f"T{order.out_trade_no}",
                        amount_fen=order.amount_fen,
                        payer=f"donor-{order.pk % 23}",
                        paid_at=now,
                    ),
                )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=64) as executor:
        list(executor.map(worker, range(64)))
    assert Gift.objects.count() == 320
    assert_pool_intact(pool)


def test_several_processes_never_overspend():
    pool, orders = setup_pool(gifts=200, seed=99)
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{settings_dict['NAME']}"
    else:
        url = (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:"
            f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
        )
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(REPO)}
    connection.close()
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "gongyi.matching.tests.race_worker", *[o.out_trade_no for o in orders[slot::4]]],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for slot in range(4)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    for worker, (_, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr[-2000:]
    assert sum(len(out.split()) for out, _ in outputs) == 200
    assert Gift.objects.count() == 200
    assert_pool_intact(pool)
