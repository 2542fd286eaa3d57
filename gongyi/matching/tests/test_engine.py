"""The matching engine: exact hand-computed outcomes for each rule, and properties that always hold.

Plain tests: no database.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongyi.matching.engine import (
    GiftIn,
    IncentiveRule,
    MatchDecision,
    Pool,
    Ratio,
    Rules,
    Simulation,
    compute_incentives,
    decide_match,
    format_yuan,
    is_eligible,
    local_day,
    local_day_and_second,
    random_ratio_bp,
    ratio_bp_for,
)
from gongyi.matching.scenario import parse_scenario
from gongyi.matching.simulator import run, simulate, summary_table

SHANGHAI = "+08:00"


def t(clock: str, day: int = 20) -> str:
    """A Shanghai time string on 2023-05-<day>."""
    return f"2023-05-{day:02d}T{clock}{SHANGHAI}"


def at(clock: str, day: int = 20) -> datetime:
    return datetime.fromisoformat(t(clock, day))


def gift(gift_id: str, when: str, donor: str, project: str, fen: int) -> dict:
    return {"type": "gift", "id": gift_id, "at": when, "donor": donor, "project": project, "fen": fen}


def refund(gift_id: str, when: str) -> dict:
    return {"type": "refund", "id": gift_id, "at": when}


def flag(donor: str, when: str) -> dict:
    return {"type": "flag", "donor": donor, "at": when}


def scenario(events: list, *, pool: dict | None = None, incentives: list | None = None, **rules) -> dict:
    """A scenario with permissive defaults: 1:1, all day, no caps, a big pool released at midnight."""
    base_rules = {
        "window": {"start": t("00:00:00"), "end": t("00:00:00", 23)},
        "match_hours": {"from": "00:00", "to": "24:00"},
        "min_gift_fen": 100,
        "ratio": {"kind": "fixed", "bp": 10000},
        "per_gift_cap_fen": None,
        "per_donor_daily_cap_fen": None,
        "per_donor_project_daily_cap_fen": None,
        "per_project_daily_cap_fen": None,
        "per_project_cap_fen": None,
        "projects": None,
        "refund_returns_to_pool": True,
        "clawback_returns_to_pool": True,
    }
    base_rules.update(rules)
    return {
        "version": 1,
        "timezone": "Asia/Shanghai",
        "pool": pool or {"total_fen": 10**9, "tranches": [{"at": t("00:00:00"), "fen": 10**9}]},
        "rules": base_rules,
        "incentives": incentives or [],
        "events": events,
    }


def matched(result: dict) -> dict[str, int]:
    return {gift_id: value["matched_fen"] for gift_id, value in result["gifts"].items()}


def make_rules(**overrides) -> Rules:
    values = {
        "timezone": "Asia/Shanghai",
        "window_start": at("00:00:00"),
        "window_end": at("00:00:00", 23),
        "min_gift_fen": 100,
        "ratio": Ratio.fixed(10000),
    }
    values.update(overrides)
    return Rules(**values)


# --- ratio ------------------------------------------------------------------------------------------


def test_fixed_ratio_floors_the_match():
    result = simulate(
        scenario(
            [gift("a", t("10:00:00"), "u1", "p1", 333), gift("b", t("10:00:01"), "u2", "p1", 1000)],
            ratio={"kind": "fixed", "bp": 5000},
        )
    )
    assert result["gifts"] == {"a": {"matched_fen": 166, "ratio_bp": 5000}, "b": {"matched_fen": 500, "ratio_bp": 5000}}


def test_random_ratio_is_the_published_sha256_formula():
    # Independently: sha256(b"s3cret:g1") = 8b40a648ae37cc84..., 0x8b40a648ae37cc84 % 10001 + 5000 = 6224.
    digest = hashlib.sha256(b"s3cret:g1").hexdigest()
    assert digest.startswith("8b40a648ae37cc84")
    expected = 5000 + int(digest[:16], 16) % (15000 - 5000 + 1)
    assert expected == 6224
    assert random_ratio_bp("s3cret", "g1", 5000, 15000) == 6224
    # UTF-8 on both sides of the colon.
    chinese = hashlib.sha256("配捐-2023:礼物-7".encode()).digest()
    assert random_ratio_bp("配捐-2023", "礼物-7", 0, 20000) == int.from_bytes(chinese[:8], "big") % 20001 == 16266

    result = simulate(
        scenario(
            [gift("g1", t("10:00:00"), "u1", "p1", 10000)],
            ratio={"kind": "random", "seed": "s3cret", "min_bp": 5000, "max_bp": 15000},
        )
    )
    assert result["gifts"]["g1"] == {"matched_fen": 6224, "ratio_bp": 6224}


def test_random_ratio_with_equal_bounds_is_that_bound():
    assert random_ratio_bp("anything", "g42", 7000, 7000) == 7000
    assert ratio_bp_for(Ratio.random("x", 7000, 7000), "g1") == 7000
    assert ratio_bp_for(Ratio.fixed(12345), "g1") == 12345


# --- caps -------------------------------------------------------------------------------------------


def test_per_gift_cap():
    result = simulate(scenario([gift("a", t("10:00:00"), "u1", "p1", 1000)], per_gift_cap_fen=300))
    assert matched(result) == {"a": 300}


def test_per_donor_daily_cap_is_per_local_day():
    events = [
        gift("a", t("10:00:00"), "u1", "p1", 1000),
        gift("b", t("11:00:00"), "u1", "p2", 1000),  # same donor, same day, other project: 500 left
        gift("c", t("12:00:00"), "u1", "p1", 1000),  # nothing left today
        gift("d", t("12:00:00"), "u2", "p1", 1000),  # other donor: own cap
        # 2023-05-20T15:59:59Z is 23:59:59 on the 20th in Shanghai; 16:00:00Z is the 21st.
        gift("e", "2023-05-20T15:59:59Z", "u1", "p1", 1000),
        gift("f", "2023-05-20T16:00:00Z", "u1", "p1", 1000),
    ]
    result = simulate(scenario(events, per_donor_daily_cap_fen=1500))
    assert matched(result) == {"a": 1000, "b": 500, "c": 0, "d": 1000, "e": 0, "f": 1000}


def test_per_donor_project_daily_cap():
    events = [
        gift("a", t("10:00:00"), "u1", "p1", 800),
        gift("b", t("10:01:00"), "u1", "p1", 800),  # 200 left for u1 on p1
        gift("c", t("10:02:00"), "u1", "p2", 800),  # p2 is separate
        gift("d", t("10:03:00"), "u2", "p1", 800),  # u2 is separate
        gift("e", t("10:00:00", 21), "u1", "p1", 800),  # a new day
    ]
    result = simulate(scenario(events, per_donor_project_daily_cap_fen=1000))
    assert matched(result) == {"a": 800, "b": 200, "c": 800, "d": 800, "e": 800}


def test_per_project_daily_cap():
    events = [
        gift("a", t("10:00:00"), "u1", "p1", 600),
        gift("b", t("10:01:00"), "u2", "p1", 600),
        gift("c", t("10:02:00"), "u3", "p2", 600),
        gift("d", t("10:00:00", 21), "u4", "p1", 600),
    ]
    result = simulate(scenario(events, per_project_daily_cap_fen=1000))
    assert matched(result) == {"a": 600, "b": 400, "c": 600, "d": 600}
    assert result["projects"]["p1"]["matched_fen"] == 1600


def test_per_project_cap_spans_days():
    events = [
        gift("a", t("10:00:00"), "u1", "p1", 600),
        gift("b", t("10:00:00", 21), "u2", "p1", 600),
        gift("c", t("10:00:00", 22), "u3", "p1", 600),
    ]
    result = simulate(scenario(events, per_project_cap_fen=1000))
    assert matched(result) == {"a": 600, "b": 400, "c": 0}


def test_limited_by_names_the_binding_bound():
    rules = make_rules(per_gift_cap_fen=900, per_donor_daily_cap_fen=500, per_project_cap_fen=700)
    pool = Pool(total_fen=10000, tranches=((at("00:00:00"), 10000),))
    simulation = Simulation(rules, pool)
    first = simulation.gift(GiftIn("a", at("10:00:00"), "u1", "p1", 1000))
    assert first == MatchDecision(True, 10000, 1000, 500, date(2023, 5, 20), "per_donor_daily_cap", 10000)
    second = simulation.gift(GiftIn("b", at("10:00:01"), "u2", "p1", 1000))
    assert (second.matched_fen, second.limited_by) == (200, "per_project_cap")
    third = simulation.gift(GiftIn("c", at("10:00:02"), "u3", "p2", 100))
    assert (third.matched_fen, third.limited_by) == (100, None)


# --- pool and tranches ------------------------------------------------------------------------------


def test_tranches_release_at_their_time_and_never_beyond_the_total():
    pool = {
        "total_fen": 1500,
        "tranches": [{"at": t("10:00:00", 21), "fen": 1000}, {"at": t("10:00:00"), "fen": 1000}],
    }
    events = [
        gift("early", t("09:59:59"), "u1", "p1", 500),  # nothing released yet
        gift("on-time", t("10:00:00"), "u2", "p1", 700),  # the tranche counts at its own instant
        gift("rest", t("11:00:00"), "u3", "p1", 700),  # 300 left
        gift("next-day", t("10:00:00", 21), "u4", "p1", 1000),  # only 500 more: the total is 1500
    ]
    result = simulate(scenario(events, pool=pool))
    assert matched(result) == {"early": 0, "on-time": 700, "rest": 300, "next-day": 500}
    assert result["gifts"]["early"]["ratio_bp"] == 10000  # eligible, the pool was just empty
    assert result["pool"] == {
        "total_fen": 1500,
        "matched_fen": 1500,
        "forfeited_fen": 0,
        "left_fen": 0,
        "exhausted": [t("11:00:00"), t("10:00:00", 21)],
    }


def test_pool_released_fen():
    pool = Pool(
        total_fen=2500, tranches=((at("10:00:00", 21), 1000), (at("10:00:00"), 1000), (at("10:00:00", 22), 1000))
    )
    assert pool.released_fen(at("09:59:59")) == 0
    assert pool.released_fen(at("10:00:00")) == 1000
    assert pool.released_fen(at("23:00:00", 21)) == 2000
    assert pool.released_fen(at("10:00:00", 22)) == 2500
    assert pool.released_fen(datetime(2023, 5, 20, 2, 0, tzinfo=UTC)) == 1000  # 10:00 in Shanghai


def test_exhausted_lists_the_at_as_written_each_time_the_pool_falls_to_zero():
    pool = {"total_fen": 2000, "tranches": [{"at": t("10:00:00"), "fen": 1000}, {"at": t("10:00:00", 21), "fen": 1000}]}
    events = [
        gift("a", "2023-05-20T02:30:00Z", "u1", "p1", 400),
        gift("b", "2023-05-20T10:31:00.500000+08:00", "u2", "p1", 600),  # falls to 0 exactly
        gift("c", t("10:32:00"), "u3", "p1", 600),  # 0 -> 0: not listed
        gift("d", t("10:00:00", 21), "u4", "p1", 5000),  # cut to 1000, falls to 0
    ]
    result = simulate(scenario(events, pool=pool))
    assert matched(result) == {"a": 400, "b": 600, "c": 0, "d": 1000}
    assert result["pool"]["exhausted"] == ["2023-05-20T10:31:00.500000+08:00", t("10:00:00", 21)]


def test_live_pool_available_below_zero_matches_nothing():
    class Usage:
        def donor_day_matched(self, donor, day):
            return 0

        def donor_project_day_matched(self, donor, project, day):
            return 0

        def project_day_matched(self, project, day):
            return 0

        def project_matched(self, project):
            return 0

        def pool_available(self, when):
            return -300  # a late confirmation dated before today's tranche

        def is_flagged(self, donor):
            return False

    decision = decide_match(make_rules(), GiftIn("late", at("09:00:00"), "u1", "p1", 1000), Usage())
    assert (decision.eligible, decision.matched_fen, decision.limited_by) == (True, 0, "pool")
    assert decision.wanted_fen == 1000


# --- eligibility ------------------------------------------------------------------------------------


def test_match_hours_half_open_with_24_00():
    events = [
        gift("before", t("09:59:59.999999"), "u1", "p1", 100),
        gift("from", t("10:00:00"), "u2", "p1", 100),
        gift("last", t("23:59:59.999999"), "u3", "p1", 100),
        gift("midnight", t("00:00:00", 21), "u4", "p1", 100),
    ]
    result = simulate(scenario(events, match_hours={"from": "10:00", "to": "24:00"}))
    assert result["gifts"] == {
        "before": {"matched_fen": 0, "ratio_bp": None},
        "from": {"matched_fen": 100, "ratio_bp": 10000},
        "last": {"matched_fen": 100, "ratio_bp": 10000},
        "midnight": {"matched_fen": 0, "ratio_bp": None},
    }


def test_match_hours_end_is_excluded():
    events = [gift("a", t("11:59:59"), "u1", "p1", 100), gift("b", t("12:00:00"), "u2", "p1", 100)]
    result = simulate(scenario(events, match_hours={"from": "10:00", "to": "12:00"}))
    assert matched(result) == {"a": 100, "b": 0}


def test_match_hours_use_local_time_even_for_utc_input():
    # 01:59:59Z is 09:59:59 in Shanghai; 02:00:00Z is 10:00:00.
    events = [gift("a", "2023-05-20T01:59:59Z", "u1", "p1", 100), gift("b", "2023-05-20T02:00:00Z", "u2", "p1", 100)]
    result = simulate(scenario(events, match_hours={"from": "10:00", "to": "24:00"}))
    assert matched(result) == {"a": 0, "b": 100}


def test_window_is_half_open():
    events = [
        gift("before", "2023-05-19T23:59:59.999999+08:00", "u1", "p1", 100),
        gift("start", t("00:00:00"), "u2", "p1", 100),
        gift("last", "2023-05-22T23:59:59+08:00", "u3", "p1", 100),
        gift("end", t("00:00:00", 23), "u4", "p1", 100),
    ]
    pool = {"total_fen": 10**6, "tranches": [{"at": "2023-05-01T00:00:00+08:00", "fen": 10**6}]}
    result = simulate(scenario(events, pool=pool))
    assert result["gifts"]["before"] == {"matched_fen": 0, "ratio_bp": None}
    assert matched(result) == {"before": 0, "start": 100, "last": 100, "end": 0}
    # Outside the window they still raise money, but do not count for incentives.
    assert result["projects"]["p1"] == {
        "raised_fen": 400,
        "matched_fen": 200,
        "donors": 2,
        "gifts": 2,
        "incentive_fen": 0,
    }


def test_min_gift():
    events = [gift("small", t("10:00:00"), "u1", "p1", 99), gift("ok", t("10:00:01"), "u1", "p1", 100)]
    result = simulate(scenario(events))
    assert result["gifts"] == {
        "small": {"matched_fen": 0, "ratio_bp": None},
        "ok": {"matched_fen": 100, "ratio_bp": 10000},
    }
    assert result["projects"]["p1"]["gifts"] == 1


def test_projects_list_limits_matching_and_incentives():
    events = [gift("a", t("10:00:00"), "u1", "in", 1000), gift("b", t("10:00:00"), "u1", "out", 1000)]
    incentives = [{"kind": "tiers", "metric": "donors", "tiers": [{"min": 1, "fen": 777}]}]
    result = simulate(scenario(events, projects=["in"], incentives=incentives))
    assert result["gifts"]["b"] == {"matched_fen": 0, "ratio_bp": None}
    assert result["projects"]["in"] == {
        "raised_fen": 1000,
        "matched_fen": 1000,
        "donors": 1,
        "gifts": 1,
        "incentive_fen": 777,
    }
    assert result["projects"]["out"] == {
        "raised_fen": 1000,
        "matched_fen": 0,
        "donors": 1,
        "gifts": 1,
        "incentive_fen": 0,
    }


def test_is_eligible_and_reasons():
    rules = make_rules(match_from=600, projects=frozenset({"p1"}))
    assert is_eligible(rules, GiftIn("a", at("10:00:00"), "u1", "p1", 100), flagged=False)
    assert not is_eligible(rules, GiftIn("a", at("10:00:00"), "u1", "p1", 100), flagged=True)
    assert not is_eligible(rules, GiftIn("a", at("09:00:00"), "u1", "p1", 100), flagged=False)
    assert not is_eligible(rules, GiftIn("a", at("10:00:00"), "u1", "p2", 100), flagged=False)
    assert not is_eligible(rules, GiftIn("a", at("10:00:00"), "u1", "p1", 99), flagged=False)
    simulation = Simulation(rules, Pool(total_fen=0))
    simulation.flag("u9")
    reasons = [
        simulation.gift(GiftIn(gift_id, when, donor, project, fen)).limited_by
        for gift_id, when, donor, project, fen in [
            ("r1", at("10:00:00"), "u1", "p2", 100),
            ("r2", at("10:00:00", 23), "u1", "p1", 100),
            ("r3", at("09:00:00"), "u1", "p1", 100),
            ("r4", at("10:00:00"), "u9", "p1", 100),
            ("r5", at("10:00:00"), "u1", "p1", 99),
            ("r6", at("10:00:00"), "u1", "p1", 100),
        ]
    ]
    assert reasons == [
        "project_not_included",
        "outside_window",
        "outside_match_hours",
        "donor_flagged",
        "below_min_gift",
        "pool",
    ]


# --- refunds ----------------------------------------------------------------------------------------


def test_refund_returns_the_match_to_the_pool():
    pool = {"total_fen": 1000, "tranches": [{"at": t("00:00:00"), "fen": 1000}]}
    events = [
        gift("g1", t("10:00:00"), "u1", "p1", 1000),
        refund("g1", t("11:00:00")),
        gift("g2", t("12:00:00"), "u2", "p1", 1000),
    ]
    result = simulate(scenario(events, pool=pool, refund_returns_to_pool=True))
    assert matched(result) == {"g1": 0, "g2": 1000}
    assert result["gifts"]["g1"]["ratio_bp"] == 10000
    assert result["pool"] == {
        "total_fen": 1000,
        "matched_fen": 1000,
        "forfeited_fen": 0,
        "left_fen": 0,
        "exhausted": [t("10:00:00"), t("12:00:00")],
    }
    assert result["projects"]["p1"] == {
        "raised_fen": 1000,
        "matched_fen": 1000,
        "donors": 1,
        "gifts": 1,
        "incentive_fen": 0,
    }


def test_refund_forfeits_the_match():
    pool = {"total_fen": 1000, "tranches": [{"at": t("00:00:00"), "fen": 1000}]}
    events = [
        gift("g1", t("10:00:00"), "u1", "p1", 1000),
        refund("g1", t("11:00:00")),
        gift("g2", t("12:00:00"), "u2", "p1", 1000),
    ]
    result = simulate(scenario(events, pool=pool, refund_returns_to_pool=False))
    assert matched(result) == {"g1": 0, "g2": 0}
    assert result["pool"] == {
        "total_fen": 1000,
        "matched_fen": 0,
        "forfeited_fen": 1000,
        "left_fen": 0,
        "exhausted": [t("10:00:00")],
    }


def test_refund_frees_the_caps_of_the_gifts_day_and_project():
    events = [
        gift("g1", t("10:00:00"), "u1", "p1", 1000),
        refund("g1", t("10:00:00", 21)),  # refunded next day: frees the 20th
        gift("g2", t("11:00:00"), "u1", "p1", 1000),  # out of order in the list, applied by time
    ]
    events = [events[0], events[2], events[1]]
    result = simulate(
        scenario(events, per_donor_daily_cap_fen=1000, per_project_cap_fen=1000, refund_returns_to_pool=False)
    )
    assert matched(result) == {"g1": 0, "g2": 0}  # g2 came before the refund
    events = [
        gift("g1", t("10:00:00"), "u1", "p1", 1000),
        refund("g1", t("10:00:00", 21)),
        gift("g3", t("11:00:00", 21), "u1", "p1", 1000),
        gift("g4", "2023-05-20T23:00:00+08:00", "u1", "p1", 1000),
    ]
    result = simulate(
        scenario(events, per_donor_daily_cap_fen=1000, per_project_cap_fen=1000, refund_returns_to_pool=False)
    )
    # g4 (the 20th, 23:00) is applied before the refund: the caps are full. After the refund the
    # project cap has room again: g3 gets it.
    assert matched(result) == {"g1": 0, "g4": 0, "g3": 1000}
    assert result["pool"]["forfeited_fen"] == 1000


# --- flags ------------------------------------------------------------------------------------------


def _flag_events():
    return [
        gift("a1", t("10:00:00"), "cheat", "p1", 600),
        gift("a2", t("10:01:00"), "cheat", "p2", 400),
        gift("b1", t("10:02:00"), "honest", "p1", 500),
        flag("cheat", t("11:00:00")),
        gift("a3", t("12:00:00"), "cheat", "p1", 600),
        gift("b2", t("12:01:00"), "honest", "p1", 1000),
    ]


def test_flag_claws_back_to_the_pool():
    pool = {"total_fen": 1500, "tranches": [{"at": t("00:00:00"), "fen": 1500}]}
    result = simulate(scenario(_flag_events(), pool=pool, clawback_returns_to_pool=True))
    assert result["gifts"] == {
        "a1": {"matched_fen": 0, "ratio_bp": 10000},
        "a2": {"matched_fen": 0, "ratio_bp": 10000},
        "b1": {"matched_fen": 500, "ratio_bp": 10000},
        "a3": {"matched_fen": 0, "ratio_bp": None},
        "b2": {"matched_fen": 1000, "ratio_bp": 10000},
    }
    assert result["pool"] == {
        "total_fen": 1500,
        "matched_fen": 1500,
        "forfeited_fen": 0,
        "left_fen": 0,
        "exhausted": [t("10:02:00"), t("12:01:00")],
    }
    # The cheat's money stays raised; they no longer count for incentives.
    assert result["projects"]["p1"] == {
        "raised_fen": 2700,
        "matched_fen": 1500,
        "donors": 1,
        "gifts": 2,
        "incentive_fen": 0,
    }
    assert result["projects"]["p2"] == {
        "raised_fen": 400,
        "matched_fen": 0,
        "donors": 0,
        "gifts": 0,
        "incentive_fen": 0,
    }


def test_flag_forfeits_the_clawback():
    pool = {"total_fen": 1500, "tranches": [{"at": t("00:00:00"), "fen": 1500}]}
    result = simulate(scenario(_flag_events(), pool=pool, clawback_returns_to_pool=False))
    assert matched(result) == {"a1": 0, "a2": 0, "b1": 500, "a3": 0, "b2": 0}
    assert result["pool"] == {
        "total_fen": 1500,
        "matched_fen": 500,
        "forfeited_fen": 1000,
        "left_fen": 0,
        "exhausted": [t("10:02:00")],
    }


def test_refund_after_clawback_is_not_returned_twice():
    pool = {"total_fen": 1000, "tranches": [{"at": t("00:00:00"), "fen": 1000}]}
    events = [
        gift("a1", t("10:00:00"), "cheat", "p1", 600),
        flag("cheat", t("11:00:00")),
        refund("a1", t("12:00:00")),
    ]
    result = simulate(scenario(events, pool=pool, clawback_returns_to_pool=False, refund_returns_to_pool=False))
    assert result["pool"] == {
        "total_fen": 1000,
        "matched_fen": 0,
        "forfeited_fen": 600,
        "left_fen": 400,
        "exhausted": [],
    }
    assert result["projects"]["p1"]["raised_fen"] == 0
    result = simulate(scenario(events, pool=pool, clawback_returns_to_pool=True, refund_returns_to_pool=False))
    assert result["pool"] == {
        "total_fen": 1000,
        "matched_fen": 0,
        "forfeited_fen": 0,
        "left_fen": 1000,
        "exhausted": [],
    }


def test_flag_of_a_donor_who_has_not_given_yet_applies_to_later_gifts():
    events = [flag("later", t("09:00:00")), gift("g", t("10:00:00"), "later", "p1", 1000)]
    result = simulate(scenario(events))
    assert result["gifts"]["g"] == {"matched_fen": 0, "ratio_bp": None}
    assert result["projects"]["p1"] == {
        "raised_fen": 1000,
        "matched_fen": 0,
        "donors": 0,
        "gifts": 0,
        "incentive_fen": 0,
    }


def test_equal_times_keep_list_order():
    flag_first = [flag("u1", t("10:00:00")), gift("g", t("10:00:00"), "u1", "p1", 1000)]
    gift_first = [gift("g", t("10:00:00"), "u1", "p1", 1000), flag("u1", t("10:00:00"))]
    assert simulate(scenario(flag_first))["gifts"]["g"] == {"matched_fen": 0, "ratio_bp": None}
    # Matched, then clawed back at once: final match 0 but it was eligible.
    assert simulate(scenario(gift_first))["gifts"]["g"] == {"matched_fen": 0, "ratio_bp": 10000}
    # The same instant written with another offset is the same time.
    pool = {"total_fen": 100, "tranches": [{"at": t("00:00:00"), "fen": 100}]}
    tie = [gift("x", "2023-05-20T02:00:00Z", "u1", "p1", 100), gift("y", t("10:00:00"), "u2", "p1", 100)]
    assert matched(simulate(scenario(tie, pool=pool))) == {"x": 100, "y": 0}
    assert matched(simulate(scenario(tie[::-1], pool=pool))) == {"y": 100, "x": 0}


# --- incentives -------------------------------------------------------------------------------------


def test_incentive_tiers_take_the_highest_reached():
    rule = IncentiveRule(kind="tiers", metric="donors", tiers=((2, 100), (3, 1000), (5, 5000)))
    metrics = {
        "a": {"donors": 1, "gifts": 9},
        "b": {"donors": 2, "gifts": 0},
        "c": {"donors": 4, "gifts": 0},
        "d": {"donors": 50, "gifts": 0},
    }
    assert compute_incentives([rule], metrics) == {"a": 0, "b": 100, "c": 1000, "d": 5000}


def test_incentive_share_floor_cap_and_min():
    rule = IncentiveRule(kind="share", metric="gifts", pool_fen=1000, min=2, cap_fen=600)
    metrics = {"a": {"donors": 0, "gifts": 3}, "b": {"donors": 0, "gifts": 5}, "c": {"donors": 0, "gifts": 1}}
    # total over qualifying a, b = 8; a: floor(3000/8) = 375; b: floor(5000/8) = 625 -> cap 600; c below min.
    assert compute_incentives([rule], metrics) == {"a": 375, "b": 600, "c": 0}
    uncapped = IncentiveRule(kind="share", metric="gifts", pool_fen=1000, min=0, cap_fen=None)
    # total 9: 333, 555, 111 (1 fen stays with the sponsor).
    assert compute_incentives([uncapped], metrics) == {"a": 333, "b": 555, "c": 111}
    both = compute_incentives([rule, uncapped], metrics)
    assert both == {"a": 708, "b": 1155, "c": 111}
    nobody = {"a": {"donors": 0, "gifts": 0}}
    assert compute_incentives([uncapped], nobody) == {"a": 0}


def test_incentives_in_a_scenario():
    events = []
    for number in range(3):
        events.append(gift(f"a{number}", t("10:00:00"), f"u{number}", "A", 100))
    events.append(gift("a-repeat", t("10:00:00"), "u0", "A", 100))  # same donor again
    events.append(gift("a-small", t("10:00:00"), "u7", "A", 99))  # below min: not counted
    for number in range(5):
        events.append(gift(f"b{number}", t("11:00:00"), f"v{number}", "B", 500))
    events.append(refund("b4", t("12:00:00")))  # refunded: not counted
    events.append(gift("c0", t("13:00:00"), "w0", "C", 100))
    incentives = [
        {"kind": "tiers", "metric": "donors", "tiers": [{"min": 2, "fen": 100}, {"min": 4, "fen": 1000}]},
        {"kind": "share", "metric": "gifts", "pool_fen": 1000, "min": 2, "cap_fen": 520},
    ]
    result = simulate(scenario(events, incentives=incentives))
    # donors: A 3, B 4, C 1; gifts: A 4, B 4, C 1. Tiers: A 100, B 1000. Share over A+B (8): 500 each.
    assert {p: (v["donors"], v["gifts"], v["incentive_fen"]) for p, v in result["projects"].items()} == {
        "A": (3, 4, 600),
        "B": (4, 4, 1500),
        "C": (1, 1, 0),
    }


# --- local time -------------------------------------------------------------------------------------


def test_local_day_in_shanghai():
    rules = make_rules()
    assert local_day(rules, datetime(2023, 5, 20, 15, 59, 59, tzinfo=UTC)) == date(2023, 5, 20)
    assert local_day(rules, datetime(2023, 5, 20, 16, 0, 0, tzinfo=UTC)) == date(2023, 5, 21)
    assert local_day_and_second(rules, at("10:00:01")) == (date(2023, 5, 20), 36001)


ZONES = [
    "Asia/Shanghai",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Chatham",
    "UTC",
]


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    seconds=st.integers(min_value=0, max_value=4_102_444_800),
    micro=st.integers(0, 999_999),
)
def test_local_day_and_second_agree_with_zoneinfo(zone, seconds, micro):
    rules = make_rules(timezone=zone)
    instant = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds, microseconds=micro)
    local = instant.astimezone(ZoneInfo(zone))
    expected = (local.date(), local.hour * 3600 + local.minute * 60 + local.second)
    assert local_day_and_second(rules, instant) == expected


def test_local_clock_across_dst_transitions():
    # Every 5 minutes through each 2023 transition week of some awkward zones.
    for zone, days in [
        ("America/New_York", ["2023-03-11", "2023-11-04"]),
        ("Australia/Lord_Howe", ["2023-04-01", "2023-09-30"]),  # 30-minute DST shift
        ("Europe/London", ["2023-03-25", "2023-10-28"]),
    ]:
        rules = make_rules(timezone=zone)
        for first in days:
            start = datetime.fromisoformat(first + "T00:00:00+00:00")
            for step in range(0, 3 * 24 * 12):
                instant = start + timedelta(minutes=5 * step, seconds=step % 60)
                local = instant.astimezone(ZoneInfo(zone))
                assert local_day_and_second(rules, instant) == (
                    local.date(),
                    local.hour * 3600 + local.minute * 60 + local.second,
                ), (zone, instant)


def test_daily_cap_follows_the_local_day_across_a_dst_change():
    # New York, 2023-03-12 07:00Z: clocks jump 02:00 -> 03:00. 04:30Z is 23:30 on the 11th, 05:30Z is
    # 00:30 on the 12th (EST), 07:30Z is 03:30 on the 12th (EDT).
    data = scenario(
        [
            gift("a", "2023-03-12T04:30:00Z", "u1", "p1", 1000),
            gift("b", "2023-03-12T05:30:00Z", "u1", "p1", 1000),
            gift("c", "2023-03-12T07:30:00Z", "u1", "p1", 1000),
        ],
        per_donor_daily_cap_fen=1000,
        window={"start": "2023-03-01T00:00:00-05:00", "end": "2023-04-01T00:00:00-04:00"},
        match_hours={"from": "00:00", "to": "24:00"},
        pool={"total_fen": 10**6, "tranches": [{"at": "2023-03-01T00:00:00-05:00", "fen": 10**6}]},
    )
    data["timezone"] = "America/New_York"
    assert matched(simulate(data)) == {"a": 1000, "b": 1000, "c": 0}


# --- the simulation object and summary ---------------------------------------------------------------


def test_simulation_refuses_misuse():
    simulation = Simulation(make_rules(), Pool(total_fen=100, tranches=((at("00:00:00"), 100),)))
    simulation.gift(GiftIn("g", at("10:00:00"), "u1", "p1", 100))
    with pytest.raises(ValueError, match="duplicate"):
        simulation.gift(GiftIn("g", at("10:00:00"), "u1", "p1", 100))
    with pytest.raises(ValueError, match="unknown"):
        simulation.refund("nope", at("11:00:00"))
    with pytest.raises(ValueError, match="before"):
        simulation.refund("g", at("09:00:00"))
    assert simulation.refund("g", at("11:00:00")) == 100
    with pytest.raises(ValueError, match="already"):
        simulation.refund("g", at("12:00:00"))


def test_summary_table_and_yuan():
    assert format_yuan(123456) == "1,234.56"
    assert format_yuan(5) == "0.05"
    assert format_yuan(-250) == "-2.50"
    pool = {"total_fen": 1000, "tranches": [{"at": t("10:00:00"), "fen": 1000}]}
    events = [gift("a", t("10:00:00"), "u1", "医路同行", 700), gift("b", t("10:30:00"), "u2", "医路同行", 500)]
    simulation = run(parse_scenario(scenario(events, pool=pool)))
    text = summary_table(simulation)
    assert "2023-05-20" in text and "10:30:00" in text
    assert "医路同行" in text and "12.00" in text and "10.00" in text
    assert simulation.day_rows() == [
        {
            "day": date(2023, 5, 20),
            "gifts": 2,
            "gifts_matched": 2,
            "matched_fen": 1000,
            "ran_out_at": t("10:30:00"),
            "ran_out_local": "10:30:00",
        }
    ]


# --- properties ---------------------------------------------------------------------------------------

TIMES = [
    t(clock, day)
    for day in (20, 21)
    for clock in ("00:00:00", "09:59:59", "10:00:00", "10:00:00", "12:30:00", "23:59:59")
]
TIMES.append(t("00:00:00", 23))


@st.composite
def random_scenarios(draw):
    nullable_cap = st.one_of(st.none(), st.none(), st.integers(500, 3000), st.integers(0, 500))
    rules = {
        "match_hours": draw(
            st.sampled_from([None, {"from": "10:00", "to": "24:00"}, {"from": "00:00", "to": "12:00"}])
        ),
        "min_gift_fen": draw(st.integers(0, 200)),
        "ratio": draw(
            st.one_of(
                st.builds(lambda bp: {"kind": "fixed", "bp": bp}, st.integers(0, 30000)),
                st.builds(
                    lambda low, extra, seed: {"kind": "random", "min_bp": low, "max_bp": low + extra, "seed": seed},
                    st.integers(0, 20000),
                    st.integers(0, 20000),
                    st.text(max_size=5),
                ),
            )
        ),
        "per_gift_cap_fen": draw(nullable_cap),
        "per_donor_daily_cap_fen": draw(nullable_cap),
        "per_donor_project_daily_cap_fen": draw(nullable_cap),
        "per_project_daily_cap_fen": draw(nullable_cap),
        "per_project_cap_fen": draw(st.one_of(st.none(), st.integers(0, 8000))),
        "projects": draw(st.sampled_from([None, None, None, ["p1", "p2"], []])),
        "refund_returns_to_pool": draw(st.booleans()),
        "clawback_returns_to_pool": draw(st.booleans()),
    }
    tranches = draw(
        st.lists(
            st.fixed_dictionaries({"at": st.sampled_from(TIMES), "fen": st.integers(0, 6000)}), min_size=1, max_size=3
        )
    )
    pool = {"total_fen": draw(st.one_of(st.integers(0, 12000), st.integers(1000, 5000))), "tranches": tranches}
    events = []
    gifts = []  # (id, time index)
    refunded = set()
    for number in range(draw(st.integers(1, 30))):
        kind = draw(st.sampled_from(["gift"] * 6 + ["refund", "flag"]))
        if kind == "gift" or (kind == "refund" and len(gifts) == len(refunded)):
            index = draw(st.integers(0, len(TIMES) - 1))
            gift_id = f"g{number}"
            events.append(
                gift(
                    gift_id,
                    TIMES[index],
                    draw(st.sampled_from(["u1", "u2", "u3"])),
                    draw(st.sampled_from(["p1", "p2", "p3"])),
                    draw(st.integers(0, 3000)),
                )
            )
            gifts.append((gift_id, index))
        elif kind == "refund":
            gift_id, index = draw(st.sampled_from([g for g in gifts if g[0] not in refunded]))
            refunded.add(gift_id)
            events.append(refund(gift_id, TIMES[draw(st.integers(index, len(TIMES) - 1))]))
        else:
            events.append(flag(draw(st.sampled_from(["u1", "u2", "u3", "u9"])), draw(st.sampled_from(TIMES))))
    incentives = [
        {"kind": "tiers", "metric": "donors", "tiers": [{"min": 1, "fen": 10}, {"min": 2, "fen": 30}]},
        {
            "kind": "share",
            "metric": "gifts",
            "pool_fen": draw(st.integers(0, 1000)),
            "min": draw(st.integers(0, 2)),
            "cap_fen": draw(nullable_cap),
        },
    ]
    data = scenario(events, pool=pool, incentives=incentives, **rules)
    # Other zones move the local day and match hours across the same instants.
    data["timezone"] = draw(st.sampled_from(["Asia/Shanghai", "Asia/Shanghai", "UTC", "America/St_Johns"]))
    if rules["match_hours"] is None:
        del data["rules"]["match_hours"]
    return data


def _live_totals(simulation: Simulation):
    """Recompute every cap's usage from the gifts' states, independently of the counters."""
    donor_day, donor_project_day, project_day, project = {}, {}, {}, {}
    for gift_id in simulation.gift_ids():
        state = simulation.gift_state(gift_id)
        m = state["matched_fen"]
        for table, key in (
            (donor_day, (state["donor"], state["local_day"])),
            (donor_project_day, (state["donor"], state["project"], state["local_day"])),
            (project_day, (state["project"], state["local_day"])),
            (project, state["project"]),
        ):
            table[key] = table.get(key, 0) + m
    return donor_day, donor_project_day, project_day, project


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_scenarios())
def test_properties_hold_after_every_event(data):
    checked = parse_scenario(data)
    rules, pool = checked.rules, checked.pool
    simulation = Simulation(rules, pool, checked.incentives)
    for event in checked.events:
        decision = simulation.apply(event)
        used = simulation.matched_live_fen + simulation.forfeited_fen
        # The pool is never overspent: not beyond the total, not beyond what is released by now.
        assert 0 <= simulation.matched_live_fen
        assert used <= pool.total_fen
        assert used <= pool.released_fen(event.at)
        if isinstance(decision, MatchDecision):
            assert 0 <= decision.matched_fen <= decision.wanted_fen
            if decision.eligible:
                assert decision.wanted_fen == event.fen * decision.ratio_bp // 10000
                assert decision.ratio_bp == ratio_bp_for(rules.ratio, event.id)
            else:
                assert decision.ratio_bp is None and decision.matched_fen == 0
        donor_day, donor_project_day, project_day, project = _live_totals(simulation)
        for cap, table, counted in (
            (rules.per_donor_daily_cap_fen, donor_day, simulation.donor_day_matched),
            (rules.per_donor_project_daily_cap_fen, donor_project_day, simulation.donor_project_day_matched),
            (rules.per_project_daily_cap_fen, project_day, simulation.project_day_matched),
        ):
            for key, value in table.items():
                assert counted(*key) == value
                assert cap is None or value <= cap
        for key, value in project.items():
            assert simulation.project_matched(key) == value
            assert rules.per_project_cap_fen is None or value <= rules.per_project_cap_fen
        assert sum(project.values()) == simulation.matched_live_fen

    result = simulation.result()
    pool_out = result["pool"]
    assert pool_out["left_fen"] == pool_out["total_fen"] - pool_out["matched_fen"] - pool_out["forfeited_fen"] >= 0
    assert pool_out["matched_fen"] == sum(g["matched_fen"] for g in result["gifts"].values())
    assert pool_out["matched_fen"] == sum(p["matched_fen"] for p in result["projects"].values())
    for gift_id, value in result["gifts"].items():
        state = simulation.gift_state(gift_id)
        if value["ratio_bp"] is not None:
            assert value["matched_fen"] <= state["fen"] * value["ratio_bp"] // 10000
            assert rules.per_gift_cap_fen is None or value["matched_fen"] <= rules.per_gift_cap_fen
        if state["refunded"] or state["clawed_back"]:
            assert value["matched_fen"] == 0
    # The whole path is deterministic, and the JSON round trip changes nothing.
    again = simulate(json.loads(json.dumps(data)))
    assert again == result == simulate(data)


@settings(max_examples=100, deadline=None)
@given(random_scenarios(), st.randoms(use_true_random=False))
def test_input_order_does_not_matter_when_times_differ(data, random):
    # Keep one event per instant so that the order is fully decided by ``at``.
    seen = set()
    unique = []
    for event in data["events"]:
        if event["at"] not in seen:
            seen.add(event["at"])
            unique.append(event)
    kept_gifts = {e["id"] for e in unique if e["type"] == "gift"}
    unique = [
        e
        for e in unique
        if e["type"] != "refund"
        or (
            e["id"] in kept_gifts
            and e["at"] > next(g["at"] for g in unique if g.get("id") == e["id"] and g["type"] == "gift")
        )
    ]
    data["events"] = unique
    shuffled = dict(data, events=random.sample(unique, len(unique)))
    first, second = simulate(data), simulate(shuffled)
    assert first["pool"] == second["pool"]
    assert first["projects"] == second["projects"]
    assert dict(sorted(first["gifts"].items())) == dict(sorted(second["gifts"].items()))


REFERENCE_SCOPES = {
    "per_donor_daily_cap_fen": ("donor", "day"),
    "per_donor_project_daily_cap_fen": ("donor", "project", "day"),
    "per_project_daily_cap_fen": ("project", "day"),
    "per_project_cap_fen": ("project",),
}


def reference_simulate(data: dict) -> dict:
    """A slow, plain re-reading of the spec, written apart from the engine: the oracle."""
    zone = ZoneInfo(data["timezone"])
    rules, pool = data["rules"], data["pool"]

    def when(text: str) -> datetime:
        return datetime.fromisoformat(text)

    hours = rules.get("match_hours") or {"from": "00:00", "to": "24:00"}
    start_minute = int(hours["from"][:2]) * 60 + int(hours["from"][3:])
    end_minute = int(hours["to"][:2]) * 60 + int(hours["to"][3:])
    window_start, window_end = when(rules["window"]["start"]), when(rules["window"]["end"])
    allowed = None if rules.get("projects") is None else set(rules["projects"])
    ratio = rules["ratio"]
    gifts: dict[str, dict] = {}
    flagged: set[str] = set()
    forfeited = 0
    exhausted = []
    ordered = sorted(enumerate(data["events"]), key=lambda pair: (when(pair[1]["at"]), pair[0]))
    for _, event in ordered:
        at = when(event["at"])
        if event["type"] == "gift":
            local = at.astimezone(zone)
            day = local.date()
            second = local.hour * 3600 + local.minute * 60 + local.second
            project, donor, fen = event["project"], event["donor"], event["fen"]
            eligible = (
                (allowed is None or project in allowed)
                and window_start <= at < window_end
                and start_minute * 60 <= second < end_minute * 60
                and donor not in flagged
                and fen >= rules["min_gift_fen"]
            )
            bp, m = None, 0
            if eligible:
                if ratio["kind"] == "fixed":
                    bp = ratio["bp"]
                else:
                    digest = hashlib.sha256(f"{ratio['seed']}:{event['id']}".encode()).digest()
                    bp = ratio["min_bp"] + int.from_bytes(digest[:8], "big") % (ratio["max_bp"] - ratio["min_bp"] + 1)
                bounds = [fen * bp // 10000]
                live = [g for g in gifts.values() if g["m"] > 0]
                if rules.get("per_gift_cap_fen") is not None:
                    bounds.append(rules["per_gift_cap_fen"])
                current = {"donor": donor, "project": project, "day": day}
                for cap_name, fields in REFERENCE_SCOPES.items():
                    cap = rules.get(cap_name)
                    if cap is not None:
                        same = [g["m"] for g in live if all(g[f] == current[f] for f in fields)]
                        bounds.append(cap - sum(same))
                released = min(pool["total_fen"], sum(t["fen"] for t in pool["tranches"] if when(t["at"]) <= at))
                available = released - sum(g["m"] for g in live) - forfeited
                m = max(0, min([*bounds, available]))
                if available > 0 and available - m == 0:
                    exhausted.append(event["at"])
            gifts[event["id"]] = {
                "project": project,
                "donor": donor,
                "fen": fen,
                "day": day,
                "m": m,
                "bp": bp,
                "refunded": False,
                "counts": fen >= rules["min_gift_fen"] and window_start <= at < window_end,
            }
        elif event["type"] == "refund":
            gift_state = gifts[event["id"]]
            gift_state["refunded"] = True
            if not rules["refund_returns_to_pool"]:
                forfeited += gift_state["m"]
            gift_state["m"] = 0
        else:
            flagged.add(event["donor"])
            for gift_state in gifts.values():
                if gift_state["donor"] == event["donor"] and gift_state["m"] > 0:
                    if not rules["clawback_returns_to_pool"]:
                        forfeited += gift_state["m"]
                    gift_state["m"] = 0

    projects: dict[str, dict] = {}
    for gift_state in gifts.values():
        entry = projects.setdefault(gift_state["project"], {"raised": 0, "matched": 0, "donors": set(), "gifts": 0})
        if not gift_state["refunded"]:
            entry["raised"] += gift_state["fen"]
            if gift_state["counts"] and gift_state["donor"] not in flagged:
                entry["gifts"] += 1
                entry["donors"].add(gift_state["donor"])
        entry["matched"] += gift_state["m"]
    taking_part = [p for p in projects if allowed is None or p in allowed]
    awards = dict.fromkeys(projects, 0)
    for rule in data.get("incentives") or []:
        value = {
            p: (len(projects[p]["donors"]) if rule["metric"] == "donors" else projects[p]["gifts"]) for p in taking_part
        }
        if rule["kind"] == "tiers":
            for p in taking_part:
                reached = [t["fen"] for t in rule["tiers"] if t["min"] <= value[p]]
                awards[p] += reached[-1] if reached else 0
        else:
            qualifying = [p for p in taking_part if value[p] >= (rule.get("min") or 0)]
            total = sum(value[p] for p in qualifying)
            for p in qualifying if total else []:
                share = rule["pool_fen"] * value[p] // total
                if rule.get("cap_fen") is not None:
                    share = min(share, rule["cap_fen"])
                awards[p] += share
    matched_total = sum(g["m"] for g in gifts.values())
    return {
        "gifts": {gift_id: {"matched_fen": g["m"], "ratio_bp": g["bp"]} for gift_id, g in gifts.items()},
        "projects": {
            p: {
                "raised_fen": e["raised"],
                "matched_fen": e["matched"],
                "donors": len(e["donors"]),
                "gifts": e["gifts"],
                "incentive_fen": awards[p],
            }
            for p, e in projects.items()
        },
        "pool": {
            "total_fen": pool["total_fen"],
            "matched_fen": matched_total,
            "forfeited_fen": forfeited,
            "left_fen": pool["total_fen"] - matched_total - forfeited,
            "exhausted": exhausted,
        },
    }


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_scenarios())
def test_the_engine_agrees_with_a_plain_reading_of_the_spec(data):
    assert simulate(data) == reference_simulate(data)


def test_the_reference_agrees_on_the_hand_computed_festival():
    from pathlib import Path

    folder = Path(__file__).parent / "scenarios"
    data = json.loads((folder / "festival_small.json").read_text(encoding="utf-8"))
    expected = json.loads((folder / "festival_small.expected.json").read_text(encoding="utf-8"))
    assert reference_simulate(data) == expected == simulate(data)
