"""``gongyi bench NAME``: repeatable performance measurements. NAME: ``simulate``.

``bench simulate`` builds a deterministic festival trace (default 1,000,000 events: three days, 459
projects, ~200k donors, a tranche at 10:00 each day that runs out, random 0.5-1.5 ratio, caps,
refunds, fraud flags), serialises it to JSON, and times the whole what-if path on it: JSON decode,
checking, simulating, result JSON encode. In the same run it times a baseline over the same text —
JSON decode plus a naive loop that only sums each project's gifts, plus encoding that — and reports
the ratio of the two throughputs. The last line printed is one JSON object::

    {"bench": "simulate", "events": 1000000, "seconds": ..., "events_per_second": ...,
     "baseline_events_per_second": ..., "ratio": ...}

``ratio`` is ``events_per_second / baseline_events_per_second``: the share of the bare
decode-and-sum speed that the full engine keeps. ``bench/simulate.py`` runs the same code without
Django's command machinery.
"""

from __future__ import annotations

import gc
import json
import random
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from django.core.management.base import BaseCommand, CommandError

from gongyi.matching.scenario import parse_scenario
from gongyi.matching.simulator import paused_gc, run

DEFAULT_EVENTS = 1_000_000
DEFAULT_SEED = 20230520
BENCHES = ("simulate",)

_SHANGHAI = timezone(timedelta(hours=8))
_NAMED_PROJECTS = (
    "鄂州慈善幸福家园",
    "鄂州市慈善大病救助",
    "医路同行",
    "童享阳光",
    "鄂州高中慈善阳光班",
    "一张纸献爱心",
    "扶您一把",
    "儿童福利院关爱",
    "送温暖献爱心",
    "乡村振兴·村湾道路",
)
# Relative gift counts per local hour: quiet nights, a rush when matching opens at 10:00, evenings.
_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 4, 6, 8, 40, 25, 14, 12, 12, 12, 12, 12, 14, 16, 20, 20, 12, 6)
_AMOUNTS_FEN = (1, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 99900, 100000, 500000)
_AMOUNT_WEIGHTS = (2, 3, 20, 10, 15, 20, 8, 8, 7, 3, 2, 1, 0.5, 0.2)


def _cumulative(weights) -> list[float]:
    total = 0.0
    out = []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def generate_simulate_scenario(events: int = DEFAULT_EVENTS, seed: int = DEFAULT_SEED) -> dict:
    """Return a realistic, deterministic scenario of exactly ``events`` events (at least 3)."""
    if events < 3:
        raise ValueError("a bench scenario needs at least 3 events")
    rng = random.Random(seed)
    flag_count = max(1, events // 10_000)
    refund_count = max(1, events // 200)
    gift_count = events - flag_count - refund_count
    project_count = max(3, min(459, gift_count // 1000))
    donor_count = max(10, gift_count // 5)

    projects = [_NAMED_PROJECTS[i] if i < len(_NAMED_PROJECTS) else f"项目{i + 1:03d}" for i in range(project_count)]
    project_cum = _cumulative(1 / (rank + 1) ** 1.1 for rank in range(project_count))
    donor_cum = _cumulative(1 / (rank + 1) ** 0.6 for rank in range(donor_count))
    # Most donors give to one project (their unit's, their village's); some spread out.
    home = rng.choices(range(project_count), cum_weights=project_cum, k=donor_count)

    start = datetime(2023, 5, 20, tzinfo=_SHANGHAI)
    start_seconds = int(start.timestamp())
    days = rng.choices((0, 1, 2), weights=(4, 3, 3), k=gift_count)
    hours = rng.choices(range(24), weights=_HOUR_WEIGHTS, k=gift_count)
    seconds = sorted(
        start_seconds + day * 86400 + hour * 3600 + rng.randrange(3600) for day, hour in zip(days, hours, strict=True)
    )
    donor_of = rng.choices(range(donor_count), cum_weights=donor_cum, k=gift_count)
    amount_of = rng.choices(_AMOUNTS_FEN, weights=_AMOUNT_WEIGHTS, k=gift_count)
    spread = rng.choices(range(project_count), cum_weights=project_cum, k=gift_count)

    prefixes: dict[int, str] = {}

    def at_text(instant: int) -> str:
        hour_index, rest = divmod(instant - start_seconds, 3600)
        prefix = prefixes.get(hour_index)
        if prefix is None:
            local = start + timedelta(hours=hour_index)
            prefix = prefixes[hour_index] = local.strftime("%Y-%m-%dT%H:")
        minute, second = divmod(rest, 60)
        return f"{prefix}{minute:02d}:{second:02d}+08:00"

    gifts = []
    demand_by_day = [0, 0, 0]
    for number in range(gift_count):
        donor = donor_of[number]
        project = home[donor] if rng.random() < 0.8 else spread[number]
        instant = seconds[number]
        fen = amount_of[number]
        local_hour = ((instant - start_seconds) // 3600) % 24
        if local_hour >= 10 and fen >= 100:
            demand_by_day[(instant - start_seconds) // 86400] += min(fen, 99900)
        gifts.append(
            {
                "type": "gift",
                "id": f"g{number + 1:07d}",
                "at": at_text(instant),
                "donor": f"u{donor + 1:06d}",
                "project": projects[project],
                "fen": fen,
            }
        )

    # A tranche of about a fifth of each day's matchable demand at 10:00: it runs out every day.
    tranches = []
    for day in range(3):
        tranche_fen = max(100, demand_by_day[day] // 5)
        tranches.append({"at": (start + timedelta(days=day, hours=10)).isoformat(), "fen": tranche_fen})
    total = sum(tranche["fen"] for tranche in tranches)

    refunds = []
    for number in rng.sample(range(gift_count), refund_count):
        refunds.append(
            {
                "type": "refund",
                "id": gifts[number]["id"],
                "at": at_text(seconds[number] + rng.randrange(60, 7200)),
            }
        )
    flags = []
    heavy = sorted(set(donor_of[: min(gift_count, 50_000)]))[: max(flag_count * 5, 10)]
    for donor in rng.sample(heavy, min(flag_count, len(heavy))):
        instant = start_seconds + 10 * 3600 + rng.randrange(2 * 86400 + 12 * 3600)
        flags.append({"type": "flag", "donor": f"u{donor + 1:06d}", "at": at_text(instant)})
    while len(gifts) + len(refunds) + len(flags) < events:  # too few heavy donors in tiny runs
        flags.append({"type": "flag", "donor": f"u{rng.randrange(donor_count) + 1:06d}", "at": gifts[-1]["at"]})

    # Merge in time order (strings of one offset sort like instants), then let about 1% of events
    # arrive a little late, as notifications do; the simulator sorts by ``at``.
    merged = sorted(gifts + refunds + flags, key=lambda event: event["at"])
    for _ in range(len(merged) // 100):
        i = rng.randrange(len(merged))
        j = min(len(merged) - 1, i + rng.randrange(1, 50))
        merged[i], merged[j] = merged[j], merged[i]

    daily = tranches[0]["fen"]
    return {
        "version": 1,
        "timezone": "Asia/Shanghai",
        "pool": {"total_fen": total, "tranches": tranches},
        "rules": {
            "window": {"start": start.isoformat(), "end": (start + timedelta(days=3)).isoformat()},
            "match_hours": {"from": "10:00", "to": "24:00"},
            "min_gift_fen": 100,
            "ratio": {"kind": "random", "seed": f"gongyi-bench-{seed}", "min_bp": 5000, "max_bp": 15000},
            "per_gift_cap_fen": 50000,
            "per_donor_daily_cap_fen": 99900,
            "per_donor_project_daily_cap_fen": 50000,
            "per_project_daily_cap_fen": max(1, daily // 20, 2 * daily // project_count),
            "per_project_cap_fen": max(1, total // 25, 2 * total // project_count),
            "projects": None,
            "refund_returns_to_pool": True,
            "clawback_returns_to_pool": False,
        },
        "incentives": [
            {
                "kind": "tiers",
                "metric": "donors",
                "tiers": [{"min": 100, "fen": 100000}, {"min": 1000, "fen": 1000000}],
            },
            {"kind": "share", "metric": "gifts", "pool_fen": 50000000, "min": 10, "cap_fen": 2000000},
        ],
        "events": merged,
    }


def _first_per_day(exhausted: list[str]) -> str:
    firsts: dict[str, str] = {}
    for at in exhausted:
        firsts.setdefault(at[:10], at)
    if not firsts:
        return "never"
    return f"{len(exhausted)} time(s), first each day at " + ", ".join(firsts.values())


def _baseline(text: str) -> int:
    """Decode the JSON and sum each project's gifts: the least any simulator must do."""
    data = json.loads(text)
    raised: dict[str, int] = {}
    count = 0
    for event in data["events"]:
        count += 1
        if event["type"] == "gift":
            raised[event["project"]] = raised.get(event["project"], 0) + event["fen"]
    json.dumps(raised, ensure_ascii=False)
    return count


def bench_simulate(
    events: int = DEFAULT_EVENTS,
    seed: int = DEFAULT_SEED,
    say: Callable[[str], None] = print,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Run the simulate bench; report with ``say``; return the summary dict (the final JSON line)."""
    began = time.perf_counter()
    text = json.dumps(generate_simulate_scenario(events, seed), ensure_ascii=False)
    gc.collect()
    say(f"generated {events:,} events ({len(text) / 1e6:,.1f} MB of JSON) in {time.perf_counter() - began:.1f} s")

    # Both measurements run as the simulate command does, with the cyclic collector paused.
    with paused_gc():
        began = time.perf_counter()
        counted = _baseline(text)
        baseline_seconds = time.perf_counter() - began
    assert counted == events
    gc.collect()
    with paused_gc():
        return _measure(text, events, baseline_seconds, say, progress)


def _measure(text, events, baseline_seconds, say, progress) -> dict:

    phases = {}
    began = mark = time.perf_counter()
    data = json.loads(text)
    phases["json decode"] = (now := time.perf_counter()) - mark
    mark = now
    scenario = parse_scenario(data)
    phases["check"] = (now := time.perf_counter()) - mark
    mark = now
    simulation = run(scenario, progress)
    phases["simulate"] = (now := time.perf_counter()) - mark
    mark = now
    result = simulation.result()
    phases["result"] = (now := time.perf_counter()) - mark
    mark = now
    output = json.dumps(result, ensure_ascii=False)
    phases["json encode"] = (now := time.perf_counter()) - mark
    seconds = now - began

    pool = result["pool"]
    matched_gifts = sum(1 for gift in result["gifts"].values() if gift["matched_fen"] > 0)
    say(
        "outcome: {:,} gifts, {:,} matched; pool {:,} fen, matched {:,}, forfeited {:,}, left {:,}; "
        "ran dry {}; result JSON {:.1f} MB".format(
            len(result["gifts"]),
            matched_gifts,
            pool["total_fen"],
            pool["matched_fen"],
            pool["forfeited_fen"],
            pool["left_fen"],
            _first_per_day(pool["exhausted"]),
            len(output) / 1e6,
        )
    )
    say("phases: " + ", ".join(f"{name} {value:.2f} s" for name, value in phases.items()))
    rate = events / seconds
    baseline_rate = events / baseline_seconds
    say(f"simulate: {events:,} events in {seconds:.2f} s = {rate:,.0f} events/s")
    say(f"baseline (JSON decode + sum per project): {baseline_seconds:.2f} s = {baseline_rate:,.0f} events/s")
    say(f"ratio: {rate / baseline_rate:.3f} of the baseline's throughput")
    return {
        "bench": "simulate",
        "events": events,
        "seconds": round(seconds, 3),
        "events_per_second": round(rate, 1),
        "baseline_events_per_second": round(baseline_rate, 1),
        "ratio": round(rate / baseline_rate, 4),
    }


def progress_bar(stream) -> Callable[[int, int], None] | None:
    """Return a tiny progress bar on ``stream`` when it is a terminal, else ``None``."""
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = width if total == 0 else width * done // total
        stream.write(f"\rsimulate [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}")
        if done >= total:
            stream.write("\r" + " " * (width + 40) + "\r")
        stream.flush()

    return show


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``bench/simulate.py``."""
    import argparse

    parser = argparse.ArgumentParser(description="Bench the matching simulator.")
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    options = parser.parse_args(argv)
    summary = bench_simulate(options.events, options.seed, say=print, progress=progress_bar(sys.stderr))
    print(json.dumps(summary))
    return 0


class Command(BaseCommand):
    help = "Run a benchmark. NAME: simulate (the matching simulator on a generated festival trace)."
    requires_system_checks: list = []
    requires_migrations_checks = False

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", choices=BENCHES)
        parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="number of events")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed")

    def handle(self, *args, **options) -> None:
        if options["events"] < 3:
            raise CommandError("--events must be at least 3", returncode=2)
        summary = bench_simulate(
            options["events"],
            options["seed"],
            say=self.stdout.write,
            progress=progress_bar(self.stderr._out),
        )
        self.stdout.write(json.dumps(summary))
