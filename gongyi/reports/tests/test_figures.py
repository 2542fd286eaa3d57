"""The daily report's figures equal an independent recomputation from the Gift rows, after random gifts and
refunds across local days (Asia/Shanghai), with gifts exactly on the midnight boundaries."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongyi.drives.models import OrderAttribution
from gongyi.giving.models import Gift, GiftStatus
from gongyi.reports.selectors import UNATTRIBUTED_KEY, DailyFigures, Figures, daily_figures, percent_change
from gongyi.reports.tests.helpers import give_at, local, make_festival, refund

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")  # independent of the module under test
DAY1 = date(2026, 5, 20)
DAYS = [DAY1, DAY1 + timedelta(days=1), DAY1 + timedelta(days=2)]


def recompute(campaign, day: date) -> dict:
    """Figures of one local day straight from the Gift rows: Python sets and sums, no report code."""
    totals: dict[str, dict] = defaultdict(lambda: {"gifts": 0, "givers": set(), "amount_fen": 0, "matched_fen": 0})
    for gift in Gift.objects.select_related("project", "order").order_by("pk"):
        if gift.project.campaign_id != campaign.pk or gift.status != GiftStatus.CONFIRMED:
            continue
        if gift.paid_at.astimezone(SHANGHAI).date() != day:
            continue
        attribution = OrderAttribution.objects.filter(order_id=gift.order.out_trade_no).select_related("unit").first()
        unit = attribution.unit if attribution and attribution.unit else None
        keys = [
            "all",
            f"project:{gift.project_id}",
            f"district:{unit.district_id if unit else UNATTRIBUTED_KEY}",
            f"unit:{unit.pk if unit else UNATTRIBUTED_KEY}",
        ]
        for key in keys:
            line = totals[key]
            line["gifts"] += 1
            line["givers"].add(gift.donor_key)
            line["amount_fen"] += gift.amount_fen
            line["matched_fen"] += gift.matched_fen
    return {key: Figures(v["gifts"], len(v["givers"]), v["amount_fen"], v["matched_fen"]) for key, v in totals.items()}


def reported(figures: DailyFigures, which: str) -> dict:
    """The selector's figures in the same shape as ``recompute``, for the day or the day before."""
    out = {}

    def add(key, line):
        value = line.day if which == "day" else line.previous
        if value != Figures():
            out[key] = value

    add("all", figures.total)
    for prefix, lines in (
        ("project", figures.by_project),
        ("district", figures.by_district),
        ("unit", figures.by_unit),
    ):
        for line in lines:
            add(f"{prefix}:{line.key}", line)
    return out


def random_history(festival, seed: int) -> list[Gift]:
    rng = random.Random(seed)
    gifts = []
    donors = [f"donor-{seed}-{n}" for n in range(7)]
    targets = [*festival.projects, *festival.projects, festival.other_project, festival.loose_project]
    # The edges of each local day: its first instant and the last microsecond before it.
    boundaries = [local(d.year, d.month, d.day) for d in DAYS[1:]]
    moments = [b - timedelta(microseconds=1) for b in boundaries] + boundaries
    for index in range(36):
        if index < len(moments):
            paid_at = moments[index]
        else:
            day = rng.choice(DAYS)
            paid_at = local(day.year, day.month, day.day, rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
        gifts.append(
            give_at(
                rng.choice(targets),
                paid_at=paid_at,
                fen=rng.choice([1, 99, 100, 1_000, 2_345, 8_800, 50_000]),
                payer=rng.choice(donors),
                unit=rng.choice([None, *festival.units]),
            )
        )
        if gifts and rng.random() < 0.25:
            victim = rng.choice(gifts)
            if victim.status == GiftStatus.CONFIRMED:
                refunded = refund(victim)
                gifts[gifts.index(victim)] = refunded
    return gifts


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_figures_equal_a_recomputation_from_gift_rows(seed):
    festival = make_festival(starts_at=local(2026, 5, 20, 0) - timedelta(hours=2))
    gifts = random_history(festival, seed)
    refunded = [g for g in gifts if g.status == GiftStatus.REFUNDED]
    assert refunded, "the history must contain refunds"
    assert any(g.matched_fen for g in gifts), "the history must contain matched gifts"

    for day in [*DAYS, DAYS[-1] + timedelta(days=1)]:
        figures = daily_figures(festival.campaign, day)
        assert reported(figures, "day") == recompute(festival.campaign, day)
        assert reported(figures, "previous") == recompute(festival.campaign, day - timedelta(days=1))
        # Every line's delta and percentage follow from its two days.
        for line in [figures.total, *figures.by_project, *figures.by_district, *figures.by_unit]:
            assert line.delta("amount_fen") == line.day.amount_fen - line.previous.amount_fen
            assert line.percent("amount_fen") == percent_change(line.day.amount_fen, line.previous.amount_fen)
        # Breakdowns add up to the total (givers are distinct per line, so they need not).
        for lines in (figures.by_project, figures.by_district, figures.by_unit):
            for metric in ("gifts", "amount_fen", "matched_fen"):
                assert sum(getattr(ln.day, metric) for ln in lines) == getattr(figures.total.day, metric)
        # The stored snapshot reads back to the same figures.
        assert DailyFigures.from_json(figures.to_json()) == figures


def test_a_gift_counts_on_the_local_day_it_was_paid_and_refunds_leave_it_out():
    festival = make_festival(starts_at=local(2026, 5, 19, 0))
    project, unit = festival.projects[0], festival.units[2]  # 华容区
    last_of_day1 = give_at(project, paid_at=local(2026, 5, 20, 23, 59, 59, 999_999), fen=1_000, payer="a", unit=unit)
    give_at(project, paid_at=local(2026, 5, 21, 0, 0, 0), fen=2_000, payer="a")  # 16:00 UTC of the 20th
    give_at(project, paid_at=local(2026, 5, 21, 8, 0), fen=3_000, payer="b", unit=unit)
    refunded = give_at(project, paid_at=local(2026, 5, 21, 9, 0), fen=70_000, payer="c", unit=unit)
    refund(refunded)
    give_at(festival.other_project, paid_at=local(2026, 5, 21, 9, 0), fen=90_000, payer="d")
    give_at(festival.loose_project, paid_at=local(2026, 5, 21, 9, 0), fen=90_000, payer="d")

    figures = daily_figures(festival.campaign, date(2026, 5, 21))
    assert figures.total.day == Figures(gifts=2, givers=2, amount_fen=5_000, matched_fen=2_500)
    assert figures.total.previous == Figures(gifts=1, givers=1, amount_fen=1_000, matched_fen=500)
    assert figures.total.delta("amount_fen") == 4_000
    assert figures.total.percent("amount_fen") == Decimal("400.0")
    assert figures.cumulative == Figures(gifts=3, givers=2, amount_fen=6_000, matched_fen=3_000)
    assert [(ln.label, ln.day.amount_fen, ln.previous.amount_fen) for ln in figures.by_district] == [
        ("华容区", 3_000, 1_000),
        ("未计入单位", 2_000, 0),
    ]
    assert [(ln.label, ln.day.gifts) for ln in figures.by_unit] == [("华容区实验小学", 1), ("未计入单位", 1)]
    assert figures.by_unit[1].percent("amount_fen") is None  # nothing the day before: no percentage
    assert last_of_day1.paid_at.astimezone(SHANGHAI).date() == date(2026, 5, 20)


def test_percent_change_rounds_half_up_to_one_decimal():
    assert percent_change(3, 2) == Decimal("50.0")
    assert percent_change(1, 3) == Decimal("-66.7")
    assert percent_change(2, 3) == Decimal("-33.3")
    assert percent_change(1_001, 1_000) == Decimal("0.1")
    assert percent_change(10_005, 10_000) == Decimal("0.1")  # 0.05 → 0.1
    assert percent_change(5, 0) is None


def test_the_selector_is_a_fixed_number_of_queries_whatever_the_gifts():
    festival = make_festival(starts_at=local(2026, 5, 19, 0))
    for n in range(3):
        give_at(
            festival.projects[n % 3],
            paid_at=local(2026, 5, 20, 10, n),
            fen=100 + n,
            payer=f"p{n}",
            unit=festival.units[n],
        )
    with CaptureQueriesContext(connection) as few:
        daily_figures(festival.campaign, date(2026, 5, 20))
    for n in range(12):
        give_at(
            festival.projects[n % 3],
            paid_at=local(2026, 5, 20, 11, n),
            fen=100 + n,
            payer=f"q{n}",
            unit=festival.units[n % 3],
        )
    with CaptureQueriesContext(connection) as many:
        daily_figures(festival.campaign, date(2026, 5, 20))
    assert len(few.captured_queries) == len(many.captured_queries) == 12
