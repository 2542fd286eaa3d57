"""Live matching in the database gives exactly the simulator's numbers, and never overspends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongyi.giving.models import Gift
from gongyi.giving.services import confirm_payment, refund_gift
from gongyi.ledger.models import JournalEntry
from gongyi.ledger.selectors import find_ledger_problems, project_totals
from gongyi.matching.live import pool_account
from gongyi.matching.models import IncentiveRule, MatchingPool, PoolTranche
from gongyi.matching.services import PoolRuleError, award_incentives, flag_donor, save_pool
from gongyi.matching.simulator import simulate
from gongyi.payments.interface import VerifiedPayment
from gongyi.payments.models import Order, SandboxTransaction
from gongyi.testing import make_campaign, make_project

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def iso(at: datetime) -> str:
    return at.isoformat()


def build_pool(campaign, sponsor, rules: dict, pool: dict, projects_map=None) -> MatchingPool:
    ratio = rules["ratio"]
    hours = rules.get("match_hours") or {"from": "00:00", "to": "24:00"}

    def minutes(text):
        h, m = text.split(":")
        return int(h) * 60 + int(m)

    obj = MatchingPool(
        campaign=campaign,
        sponsor=sponsor,
        name="测试配捐池",
        total_fen=pool["total_fen"],
        window_start=datetime.fromisoformat(rules["window"]["start"]),
        window_end=datetime.fromisoformat(rules["window"]["end"]),
        match_from_minute=minutes(hours["from"]),
        match_to_minute=minutes(hours["to"]),
        min_gift_fen=rules["min_gift_fen"],
        ratio_kind=ratio["kind"],
        ratio_bp=ratio.get("bp"),
        ratio_min_bp=ratio.get("min_bp"),
        ratio_max_bp=ratio.get("max_bp"),
        ratio_seed=ratio.get("seed", ""),
        per_gift_cap_fen=rules.get("per_gift_cap_fen"),
        per_donor_daily_cap_fen=rules.get("per_donor_daily_cap_fen"),
        per_donor_project_daily_cap_fen=rules.get("per_donor_project_daily_cap_fen"),
        per_project_daily_cap_fen=rules.get("per_project_daily_cap_fen"),
        per_project_cap_fen=rules.get("per_project_cap_fen"),
        refund_returns_to_pool=rules.get("refund_returns_to_pool", True),
        clawback_returns_to_pool=rules.get("clawback_returns_to_pool", True),
        limit_to_projects=rules.get("projects") is not None,
    )
    save_pool(pool=obj)
    if rules.get("projects") is not None:
        obj.projects.set([projects_map[name] for name in rules["projects"]])
    for tranche in pool.get("tranches", []):
        PoolTranche.objects.create(pool=obj, at=datetime.fromisoformat(tranche["at"]), fen=tranche["fen"])
    return obj


def replay(scenario: dict) -> dict:
    """Apply a scenario's events through confirm_payment, refund_gift and flag_donor, in ``at`` order."""
    projects = {}
    first = make_project(title="p0")
    campaign = make_campaign(first.organisation)
    names = sorted(
        {e["project"] for e in scenario["events"] if e["type"] == "gift"} | set(scenario["rules"].get("projects") or [])
    )
    for name in names:
        projects[name] = make_project(title=name, campaign=campaign)
    pool = build_pool(campaign, first.organisation, scenario["rules"], scenario["pool"], projects)
    events = sorted(enumerate(scenario["events"]), key=lambda pair: (datetime.fromisoformat(pair[1]["at"]), pair[0]))
    for _, event in events:
        at = datetime.fromisoformat(event["at"])
        if event["type"] == "gift":
            order = Order.objects.create(
                out_trade_no=event["id"], project=projects[event["project"]], amount_fen=event["fen"], gateway="sandbox"
            )
            SandboxTransaction.objects.create(
                out_trade_no=order.out_trade_no,
                transaction_id=f"T{event['id']}",
                amount_fen=event["fen"],
                payer=event["donor"],
                paid_at=at,
                notify_url="",
            )
            confirm_payment(
                gateway="sandbox",
                payment=VerifiedPayment(
                    out_trade_no=order.out_trade_no,
                    provider_txn_id=f"T{event['id']}",
                    amount_fen=event["fen"],
                    payer=event["donor"],
                    paid_at=at,
                ),
            )
        elif event["type"] == "refund":
            refund_gift(gift=Gift.objects.get(order__out_trade_no=event["id"]), reason="测试退款")
        else:
            flag_donor(pool=pool, donor_key=f"sandbox:{event['donor']}", reason="测试标记")
    pool.refresh_from_db()
    gifts = {g.order.out_trade_no: g.matched_fen for g in Gift.objects.select_related("order")}
    return {"pool": pool, "gifts": gifts, "projects": projects}


def scenario(events, **rules) -> dict:
    base = {
        "window": {"start": iso(T0 - timedelta(hours=2)), "end": iso(T0 + timedelta(days=2))},
        "match_hours": {"from": "10:00", "to": "24:00"},
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
    base.update(rules)
    return {
        "version": 1,
        "timezone": "Asia/Shanghai",
        "pool": {
            "total_fen": 5000,
            "tranches": [{"at": iso(T0), "fen": 3000}, {"at": iso(T0 + timedelta(days=1)), "fen": 2000}],
        },
        "rules": base,
        "incentives": [],
        "events": events,
    }


def gift(gid, minutes, donor, project, fen):
    return {
        "type": "gift",
        "id": gid,
        "at": iso(T0 + timedelta(minutes=minutes)),
        "donor": donor,
        "project": project,
        "fen": fen,
    }


def test_live_match_posts_its_own_entry_and_debits_the_pool():
    s = scenario([gift("g1", 1, "u1", "p1", 1000), gift("g2", 2, "u2", "p1", 2500)])
    live = replay(s)
    assert live["gifts"] == {"g1": 1000, "g2": 2000}  # the first tranche (3000) runs out on g2
    pool = live["pool"]
    assert (pool.matched_fen, pool.left_fen) == (3000, 2000)
    assert pool_account(pool).balance_fen == 2000
    assert project_totals(live["projects"]["p1"]) == {"raised_fen": 3500, "matched_fen": 3000, "incentive_fen": 0}
    assert JournalEntry.objects.filter(kind="match").count() == 2
    assert find_ledger_problems() == []


def test_refund_returns_match_and_flag_claws_back_per_rules():
    events = [
        gift("g1", 1, "u1", "p1", 1000),
        gift("g2", 2, "u2", "p1", 1000),
        {"type": "refund", "id": "g1", "at": iso(T0 + timedelta(minutes=3))},
        {"type": "flag", "donor": "u2", "at": iso(T0 + timedelta(minutes=4))},
        gift("g3", 5, "u2", "p1", 1000),
    ]
    s = scenario(events, refund_returns_to_pool=False, clawback_returns_to_pool=True)
    live = replay(s)
    expected = simulate(s)
    assert (
        live["gifts"] == {gid: g["matched_fen"] for gid, g in expected["gifts"].items()} == {"g1": 0, "g2": 0, "g3": 0}
    )
    pool = live["pool"]
    assert (pool.matched_fen, pool.forfeited_fen) == (0, 1000)
    assert expected["pool"]["forfeited_fen"] == 1000
    assert pool_account(pool).balance_fen == pool.left_fen == 4000
    assert project_totals(live["projects"]["p1"])["raised_fen"] == 2000  # g1 refunded; flagged money stays
    assert find_ledger_problems() == []


def test_pool_rules_that_make_no_sense_are_refused():
    project = make_project()
    campaign = make_campaign(project.organisation)
    bad = MatchingPool(
        campaign=campaign,
        sponsor=project.organisation,
        name="x",
        total_fen=100,
        window_start=T0,
        window_end=T0 - timedelta(hours=1),
    )
    with pytest.raises(PoolRuleError) as error:
        save_pool(pool=bad)
    assert error.value.field == "window_end"
    bad.window_end = T0 + timedelta(days=1)
    bad.ratio_kind, bad.ratio_min_bp, bad.ratio_max_bp = "random", 12000, 5000
    with pytest.raises(PoolRuleError) as error:
        save_pool(pool=bad)
    assert error.value.field == "ratio_max_bp"
    assert MatchingPool.objects.count() == 0


def test_incentives_are_posted_once():
    events = [gift(f"g{i}", i, f"u{i % 3}", "p1" if i % 2 else "p2", 500) for i in range(1, 9)]
    s = scenario(events)
    s["incentives"] = [
        {"kind": "tiers", "metric": "donors", "tiers": [{"min": 2, "fen": 777}]},
        {"kind": "share", "metric": "gifts", "pool_fen": 1001, "min": 1, "cap_fen": None},
    ]
    live = replay(s)
    pool = live["pool"]
    IncentiveRule.objects.create(pool=pool, kind="tiers", metric="donors", tiers=[{"min": 2, "fen": 777}])
    IncentiveRule.objects.create(pool=pool, kind="share", metric="gifts", pool_fen=1001, min_metric=1)
    with pytest.raises(PoolRuleError):
        award_incentives(pool=pool, now=T0)
    after = T0 + timedelta(days=3)
    first = award_incentives(pool=pool, now=after)
    expected = simulate(s)["projects"]
    assert {live["projects"][name].pk: p["incentive_fen"] for name, p in expected.items()} == first.awarded
    entries = JournalEntry.objects.filter(kind="incentive").count()
    second = award_incentives(pool=pool, now=after)
    assert second.already_awarded and second.awarded == first.awarded
    assert JournalEntry.objects.filter(kind="incentive").count() == entries
    assert find_ledger_problems() == []


# --- the live path replaying generated scenarios gives the simulator's per-gift matches -----------------

DONORS = ["u1", "u2", "u3", "u4"]
PROJECTS = ["p1", "p2", "p3"]


@st.composite
def scenarios(draw):
    events = []
    gift_ids = []
    n = draw(st.integers(1, 25))
    for index in range(n):
        minute = draw(st.integers(-180, 60 * 40))
        kind = draw(st.sampled_from(["gift"] * 6 + ["refund", "flag"]))
        at = T0 + timedelta(minutes=minute)
        if kind == "refund" and gift_ids:
            gid, gat = draw(st.sampled_from(gift_ids))
            if any(e["type"] == "refund" and e["id"] == gid for e in events):
                continue
            events.append({"type": "refund", "id": gid, "at": iso(max(at, gat) + timedelta(seconds=1))})
        elif kind == "flag":
            events.append({"type": "flag", "donor": draw(st.sampled_from(DONORS)), "at": iso(at)})
        else:
            gid = f"g{index}"
            gift_ids.append((gid, at))
            events.append(
                {
                    "type": "gift",
                    "id": gid,
                    "at": iso(at),
                    "donor": draw(st.sampled_from(DONORS)),
                    "project": draw(st.sampled_from(PROJECTS)),
                    "fen": draw(st.integers(1, 4000)),
                }
            )
    cap = st.one_of(st.none(), st.integers(1, 5000))
    ratio = draw(
        st.one_of(
            st.builds(lambda bp: {"kind": "fixed", "bp": bp}, st.integers(1, 30000)),
            st.builds(
                lambda lo, span: {
                    "kind": "random",
                    "min_bp": lo,
                    "max_bp": lo + span,
                    "seed": "seed-for-property-tests",
                },
                st.integers(0, 10000),
                st.integers(0, 20000),
            ),
        )
    )
    s = scenario(
        events,
        ratio=ratio,
        per_gift_cap_fen=draw(cap),
        per_donor_daily_cap_fen=draw(cap),
        per_donor_project_daily_cap_fen=draw(cap),
        per_project_daily_cap_fen=draw(cap),
        per_project_cap_fen=draw(cap),
        min_gift_fen=draw(st.integers(0, 500)),
        refund_returns_to_pool=draw(st.booleans()),
        clawback_returns_to_pool=draw(st.booleans()),
        projects=draw(st.one_of(st.none(), st.just(["p1", "p2"]))),
    )
    s["pool"]["total_fen"] = draw(st.integers(1, 8000))
    return s


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(s=scenarios())
def test_live_replay_equals_simulator(s):
    expected = simulate(s)
    with transaction.atomic():
        live = replay(s)
        assert live["gifts"] == {gid: g["matched_fen"] for gid, g in expected["gifts"].items()}
        pool = live["pool"]
        assert pool.matched_fen == expected["pool"]["matched_fen"]
        assert pool.forfeited_fen == expected["pool"]["forfeited_fen"]
        assert pool.left_fen == expected["pool"]["left_fen"] == pool_account(pool).balance_fen
        assert set(expected["projects"]) <= set(live["projects"])
        for name, figures in expected["projects"].items():
            totals = project_totals(live["projects"][name])
            assert (totals["raised_fen"], totals["matched_fen"]) == (figures["raised_fen"], figures["matched_fen"])
        assert find_ledger_problems() == []
        transaction.set_rollback(True)
