"""Reading and refusing scenarios (spec/matching-v1.md, "Bad input"). Plain tests: no database."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from gongyi.matching.engine import FlagIn, GiftIn, RefundIn
from gongyi.matching.scenario import ScenarioError, parse_scenario
from gongyi.matching.simulator import simulate


def base() -> dict:
    """The spec's example, with a second gift: valid."""
    return {
        "version": 1,
        "timezone": "Asia/Shanghai",
        "pool": {
            "total_fen": 3000000000,
            "tranches": [
                {"at": "2023-05-20T10:00:00+08:00", "fen": 1000000000},
                {"at": "2023-05-21T10:00:00+08:00", "fen": 1000000000},
                {"at": "2023-05-22T10:00:00+08:00", "fen": 1000000000},
            ],
        },
        "rules": {
            "window": {"start": "2023-05-20T00:00:00+08:00", "end": "2023-05-23T00:00:00+08:00"},
            "match_hours": {"from": "10:00", "to": "24:00"},
            "min_gift_fen": 100,
            "ratio": {"kind": "fixed", "bp": 10000},
            "per_gift_cap_fen": None,
            "per_donor_daily_cap_fen": 99900,
            "per_donor_project_daily_cap_fen": None,
            "per_project_daily_cap_fen": None,
            "per_project_cap_fen": 5000000,
            "projects": None,
            "refund_returns_to_pool": True,
            "clawback_returns_to_pool": True,
        },
        "incentives": [
            {
                "kind": "tiers",
                "metric": "donors",
                "tiers": [{"min": 100, "fen": 100000}, {"min": 1000, "fen": 1000000}],
            },
            {"kind": "share", "metric": "donors", "pool_fen": 50000000, "min": 10, "cap_fen": 2000000},
        ],
        "events": [
            {
                "type": "gift",
                "id": "g1",
                "at": "2023-05-20T10:00:03+08:00",
                "donor": "u1",
                "project": "p1",
                "fen": 1000,
            },
            {"type": "refund", "id": "g1", "at": "2023-05-20T12:00:00+08:00"},
            {"type": "flag", "donor": "u9", "at": "2023-05-20T13:00:00+08:00"},
            {"type": "gift", "id": "g2", "at": "2023-05-20T14:00:00+08:00", "donor": "u2", "project": "p1", "fen": 500},
        ],
    }


def refused(data: dict) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    # simulate refuses the same way: nothing is half-applied, no result comes out.
    with pytest.raises(ScenarioError):
        simulate(data)
    return caught.value


def assert_names(error: ScenarioError, *parts: str) -> None:
    for part in parts:
        assert part in str(error), (part, str(error))


# --- valid input ------------------------------------------------------------------------------------


def test_the_spec_example_gives_the_spec_result():
    data = base()
    data["events"] = data["events"][:3]
    assert simulate(data) == {
        "gifts": {"g1": {"matched_fen": 0, "ratio_bp": 10000}},
        "projects": {"p1": {"raised_fen": 0, "matched_fen": 0, "donors": 0, "gifts": 0, "incentive_fen": 0}},
        "pool": {
            "total_fen": 3000000000,
            "matched_fen": 0,
            "forfeited_fen": 0,
            "left_fen": 3000000000,
            "exhausted": [],
        },
    }


def test_parse_gives_engine_dataclasses_in_application_order():
    data = base()
    data["events"].insert(
        0, {"type": "gift", "id": "late", "at": "2023-05-20T03:00:00Z", "donor": "u3", "project": "p2", "fen": 100}
    )
    checked = parse_scenario(data)
    # "late" is 11:00 in Shanghai: after g1 (10:00:03), before the refund (12:00).
    assert [type(e) for e in checked.events] == [GiftIn, GiftIn, RefundIn, FlagIn, GiftIn]
    assert [getattr(e, "id", None) for e in checked.events] == ["g1", "late", "g1", None, "g2"]
    assert checked.positions == (1, 0, 2, 3, 4)
    late = checked.events[1]
    assert late == GiftIn("late", datetime(2023, 5, 20, 3, tzinfo=UTC), "u3", "p2", 100)
    assert late.at_text == "2023-05-20T03:00:00Z"
    rules = checked.rules
    assert (rules.match_from, rules.match_to) == (600, 1440)
    assert rules.per_donor_daily_cap_fen == 99900 and rules.per_gift_cap_fen is None
    assert rules.projects is None
    assert checked.pool.total_fen == 3000000000 and len(checked.pool.tranches) == 3
    assert [i.kind for i in checked.incentives] == ["tiers", "share"]
    assert checked.incentives[0].tiers == ((100, 100000), (1000, 1000000))


def test_equal_times_keep_list_order_whatever_the_offset():
    data = base()
    data["events"] = [
        {"type": "gift", "id": "b", "at": "2023-05-20T02:00:00Z", "donor": "u1", "project": "p1", "fen": 100},
        {"type": "gift", "id": "a", "at": "2023-05-20T10:00:00+08:00", "donor": "u1", "project": "p1", "fen": 100},
        {"type": "gift", "id": "c", "at": "2023-05-20T01:00:00-01:00", "donor": "u1", "project": "p1", "fen": 100},
    ]
    assert [e.id for e in parse_scenario(data).events] == ["b", "a", "c"]


def test_optional_keys_may_be_left_out():
    data = base()
    for key in (
        "per_gift_cap_fen",
        "per_donor_daily_cap_fen",
        "per_donor_project_daily_cap_fen",
        "per_project_daily_cap_fen",
        "per_project_cap_fen",
        "projects",
        "match_hours",
    ):
        del data["rules"][key]
    del data["incentives"]
    rules = parse_scenario(data).rules
    assert (rules.match_from, rules.match_to) == (0, 1440)
    assert rules.per_donor_daily_cap_fen is None and rules.projects is None
    data["rules"]["match_hours"] = None
    assert parse_scenario(data).rules.match_to == 1440


def test_a_flag_may_name_a_donor_who_has_not_given_yet():
    data = base()
    data["events"].append({"type": "flag", "donor": "nobody-yet", "at": "2023-05-20T09:00:00+08:00"})
    data["events"].append(
        {
            "type": "gift",
            "id": "g3",
            "at": "2023-05-20T15:00:00+08:00",
            "donor": "nobody-yet",
            "project": "p1",
            "fen": 1000,
        }
    )
    assert simulate(data)["gifts"]["g3"] == {"matched_fen": 0, "ratio_bp": None}


def test_a_refund_at_the_same_instant_after_its_gift_in_the_list_is_fine():
    data = base()
    data["events"] = [
        {"type": "gift", "id": "g1", "at": "2023-05-20T10:00:00+08:00", "donor": "u1", "project": "p1", "fen": 1000},
        {"type": "refund", "id": "g1", "at": "2023-05-20T02:00:00Z"},
    ]
    assert simulate(data)["gifts"]["g1"] == {"matched_fen": 0, "ratio_bp": 10000}


def test_chinese_ids_and_names():
    data = base()
    data["events"] = [
        {
            "type": "gift",
            "id": "礼物1",
            "at": "2023-05-20T10:00:00+08:00",
            "donor": "张三",
            "project": "医路同行",
            "fen": 1000,
        }
    ]
    assert simulate(data)["projects"]["医路同行"]["matched_fen"] == 1000


# --- bad input: the spec's list ------------------------------------------------------------------------


@pytest.mark.parametrize("version", [2, 0, "1", 1.0, True, None])
def test_unknown_version(version):
    data = base()
    data["version"] = version
    error = refused(data)
    assert error.field == "version"
    assert_names(error, 'field "version"')
    if version is not None:
        assert_names(error, "unknown version")


def test_missing_version():
    data = base()
    del data["version"]
    assert_names(refused(data), 'field "version": missing')


def test_unknown_event_type():
    data = base()
    data["events"][3]["type"] = "donation"
    error = refused(data)
    assert (error.index, error.event_id, error.field) == (3, "g2", "type")
    assert_names(error, 'events[3] (id "g2"): field "type": unknown event type "donation"')


def test_missing_event_type():
    data = base()
    del data["events"][1]["type"]
    assert_names(refused(data), 'events[1] (id "g1"): field "type": missing')


@pytest.mark.parametrize(
    ("fen", "problem"),
    [
        (-1, "must be a non-negative integer, got -1"),
        (10.0, "must be a non-negative integer, got 10.0"),
        (10.5, "must be a non-negative integer, got 10.5"),
        ("10", 'must be a non-negative integer, got "10"'),
        (True, "must be a non-negative integer, got true"),
        (None, "must be a non-negative integer, got null"),
        (2**63, "is too large"),
    ],
)
def test_bad_gift_amount(fen, problem):
    data = base()
    data["events"][3]["fen"] = fen
    error = refused(data)
    assert (error.index, error.event_id, error.field) == (3, "g2", "fen")
    assert_names(error, 'events[3] (id "g2"): field "fen": ' + problem)


def test_missing_gift_amount():
    data = base()
    del data["events"][0]["fen"]
    assert_names(refused(data), 'events[0] (id "g1"): field "fen": missing')


def test_refund_of_an_unknown_gift():
    data = base()
    data["events"].append({"type": "refund", "id": "ghost", "at": "2023-05-20T15:00:00+08:00"})
    error = refused(data)
    assert (error.index, error.event_id, error.field) == (4, "ghost", "id")
    assert_names(error, 'events[4] (id "ghost"): field "id": refund of unknown gift "ghost"')


def test_refund_of_an_already_refunded_gift():
    data = base()
    data["events"].append({"type": "refund", "id": "g1", "at": "2023-05-20T15:00:00+08:00"})
    error = refused(data)
    assert (error.index, error.event_id, error.field) == (4, "g1", "id")
    assert_names(error, 'events[4] (id "g1"): field "id": gift "g1" is already refunded by events[1]')


def test_the_later_applied_refund_is_the_refused_one():
    data = base()
    # Listed first but dated later: events[1] is applied second, so it is the one refused.
    data["events"][1]["at"] = "2023-05-20T16:00:00+08:00"
    data["events"].append({"type": "refund", "id": "g1", "at": "2023-05-20T15:00:00+08:00"})
    assert_names(refused(data), 'events[1] (id "g1"): field "id": gift "g1" is already refunded by events[4]')


def test_refund_dated_before_its_gift():
    data = base()
    data["events"][1]["at"] = "2023-05-20T10:00:02+08:00"
    error = refused(data)
    assert (error.index, error.event_id, error.field) == (1, "g1", "at")
    assert_names(
        error, 'events[1] (id "g1"): field "at": refund dated 2023-05-20T10:00:02+08:00 is before its gift (events[0]'
    )


def test_refund_at_the_same_instant_but_before_its_gift_in_the_list():
    data = base()
    data["events"][0], data["events"][1] = data["events"][1], data["events"][0]
    data["events"][0]["at"] = "2023-05-20T02:00:03Z"  # the gift's instant
    assert_names(refused(data), 'events[0] (id "g1"): field "at": refund at the same time as its gift (events[1])')


def test_duplicate_gift_id():
    data = base()
    data["events"][3]["id"] = "g1"
    error = refused(data)
    assert (error.index, error.event_id, error.field) == (3, "g1", "id")
    assert_names(error, 'events[3] (id "g1"): field "id": duplicate gift id, already given by events[0]')


@pytest.mark.parametrize("index", [0, 1, 2])
def test_time_without_an_offset_in_an_event(index):
    data = base()
    data["events"][index]["at"] = "2023-05-20T13:30:00"
    error = refused(data)
    assert (error.index, error.field) == (index, "at")
    assert_names(error, f"events[{index}]", 'field "at": time without an offset: "2023-05-20T13:30:00"')


def test_flag_errors_name_the_donor():
    data = base()
    data["events"][2]["at"] = "2023-05-20"
    assert_names(refused(data), 'events[2] (flag of donor "u9"): field "at": time without an offset')


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("rules", "window", "start"), "rules.window.start"),
        (("rules", "window", "end"), "rules.window.end"),
        (("pool", "tranches", 1, "at"), "pool.tranches[1].at"),
    ],
)
def test_time_without_an_offset_in_rules_and_pool(path, field):
    data = base()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = "2023-05-21T00:00:00"
    error = refused(data)
    assert error.field == field
    assert_names(error, f'field "{field}": time without an offset')


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2023-13-01T00:00:00+08:00",
        "2023-05-20T10:00:00+24:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        1684540800,
        "",
        None,
    ],
)
def test_unreadable_times(value):
    data = base()
    data["events"][3]["at"] = value
    assert_names(refused(data), 'events[3] (id "g2"): field "at"')


@pytest.mark.parametrize(
    ("hours", "field", "problem"),
    [
        ({"from": "25:00", "to": "24:00"}, "from", "hour must be 00-23"),
        ({"from": "10:60", "to": "24:00"}, "from", "minute must be 00-59"),
        ({"from": "10:00", "to": "24:01"}, "to", "hour must be 00-23"),
        ({"from": "9:00", "to": "24:00"}, "from", 'must be "HH:MM"'),
        ({"from": "10:00:00", "to": "24:00"}, "from", 'must be "HH:MM"'),
        ({"from": "10:00", "to": "10h"}, "to", 'must be "HH:MM"'),
        ({"from": "24:00", "to": "24:00"}, "from", '"24:00" is only allowed as the end'),
        ({"from": "12:00", "to": "10:00"}, "to", "must be later than rules.match_hours.from"),
        ({"from": "10:00", "to": "10:00"}, "to", "must be later than rules.match_hours.from"),
        ({"from": "10:00"}, "to", "missing"),
        ({"from": 10, "to": "24:00"}, "from", 'must be a "HH:MM" string'),
        ({"from": "１０:００", "to": "24:00"}, "from", 'must be "HH:MM"'),
    ],
)
def test_malformed_match_hours(hours, field, problem):
    data = base()
    data["rules"]["match_hours"] = hours
    error = refused(data)
    assert error.field == f"rules.match_hours.{field}"
    assert_names(error, f'field "rules.match_hours.{field}": {problem}')


def test_match_hours_must_be_an_object():
    data = base()
    data["rules"]["match_hours"] = "10:00-24:00"
    assert_names(refused(data), 'field "rules.match_hours": must be an object')


# --- bad input: rules, pool, incentives --------------------------------------------------------------


def _set(data: dict, path: tuple, value) -> None:
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ("rules", "window", "end"),
            "2023-05-20T00:00:00+08:00",
            'field "rules.window.end": must be later than rules.window.start',
        ),
        (("rules", "window", "end"), "2023-05-19T16:00:00Z", 'field "rules.window.end": must be later'),
        (("rules", "window"), _DELETE, 'field "rules.window": missing'),
        (
            ("rules", "ratio"),
            {"kind": "random", "seed": "s", "min_bp": 9000, "max_bp": 8000},
            'field "rules.ratio.min_bp": must not exceed rules.ratio.max_bp',
        ),
        (("rules", "ratio"), {"kind": "random", "min_bp": 1, "max_bp": 2}, 'field "rules.ratio.seed": missing'),
        (
            ("rules", "ratio"),
            {"kind": "random", "seed": 7, "min_bp": 1, "max_bp": 2},
            'field "rules.ratio.seed": must be a string',
        ),
        (("rules", "ratio"), {"kind": "lottery"}, 'field "rules.ratio.kind": unknown ratio kind "lottery"'),
        (("rules", "ratio"), {"kind": "fixed", "bp": -1}, 'field "rules.ratio.bp": must be a non-negative integer'),
        (("rules", "ratio"), {"kind": "fixed"}, 'field "rules.ratio.bp": missing'),
        (("rules", "per_gift_cap_fen"), -5, 'field "rules.per_gift_cap_fen": must be a non-negative integer, got -5'),
        (
            ("rules", "per_donor_daily_cap_fen"),
            -1,
            'field "rules.per_donor_daily_cap_fen": must be a non-negative integer',
        ),
        (
            ("rules", "per_donor_project_daily_cap_fen"),
            1.5,
            'field "rules.per_donor_project_daily_cap_fen": must be a non-negative integer',
        ),
        (
            ("rules", "per_project_daily_cap_fen"),
            -1,
            'field "rules.per_project_daily_cap_fen": must be a non-negative integer',
        ),
        (
            ("rules", "per_project_cap_fen"),
            "5000000",
            'field "rules.per_project_cap_fen": must be a non-negative integer',
        ),
        (("rules", "min_gift_fen"), _DELETE, 'field "rules.min_gift_fen": missing'),
        (("rules", "min_gift_fen"), False, 'field "rules.min_gift_fen": must be a non-negative integer, got false'),
        (("rules", "projects"), "p1", 'field "rules.projects": must be a list'),
        (("rules", "projects"), ["p1", ""], 'field "rules.projects[1]": must be a non-empty string'),
        (("rules", "refund_returns_to_pool"), "yes", 'field "rules.refund_returns_to_pool": must be true or false'),
        (("rules", "clawback_returns_to_pool"), _DELETE, 'field "rules.clawback_returns_to_pool": missing'),
        (("rules",), _DELETE, 'field "rules": missing'),
        (("pool", "tranches", 0, "fen"), -1, 'field "pool.tranches[0].fen": must be a non-negative integer, got -1'),
        (("pool", "tranches", 2), [1, 2], 'field "pool.tranches[2]": must be an object'),
        (("pool", "tranches"), _DELETE, 'field "pool.tranches": missing'),
        (("pool", "total_fen"), _DELETE, 'field "pool.total_fen": missing'),
        (("pool", "total_fen"), -100, 'field "pool.total_fen": must be a non-negative integer'),
        (("pool",), 5, 'field "pool": must be an object'),
        (("timezone",), "Mars/Olympus", 'field "timezone": unknown time zone "Mars/Olympus"'),
        (("timezone",), "../../etc/passwd", 'field "timezone": unknown time zone'),
        (("timezone",), _DELETE, 'field "timezone": missing'),
        (("incentives", 0, "kind"), "bonus", 'field "incentives[0].kind": unknown incentive kind "bonus"'),
        (("incentives", 1, "metric"), "money", 'field "incentives[1].metric": unknown metric "money"'),
        (
            ("incentives", 0, "tiers"),
            [{"min": 1000, "fen": 1}, {"min": 100, "fen": 2}],
            'field "incentives[0].tiers[1].min": tiers must have strictly increasing min',
        ),
        (
            ("incentives", 0, "tiers"),
            [{"min": 100, "fen": 1}, {"min": 100, "fen": 2}],
            'field "incentives[0].tiers[1].min": tiers must have strictly increasing min',
        ),
        (
            ("incentives", 0, "tiers", 0, "fen"),
            -1,
            'field "incentives[0].tiers[0].fen": must be a non-negative integer',
        ),
        (("incentives", 0, "tiers"), _DELETE, 'field "incentives[0].tiers": missing'),
        (("incentives", 1, "pool_fen"), _DELETE, 'field "incentives[1].pool_fen": missing'),
        (("incentives", 1, "cap_fen"), -1, 'field "incentives[1].cap_fen": must be a non-negative integer'),
        (("incentives", 1, "min"), 2.0, 'field "incentives[1].min": must be a non-negative integer'),
        (("incentives",), {"kind": "tiers"}, 'field "incentives": must be a list'),
        (("events",), _DELETE, 'field "events": missing'),
        (("events",), {"0": {}}, 'field "events": must be a list'),
    ],
)
def test_bad_rules_pool_and_incentives(path, value, message):
    data = base()
    _set(data, path, value)
    error = refused(data)
    assert_names(error, message)
    assert error.index is None


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("not an object", 'events[3] (no id): field "type": an event must be an object'),
        (
            {"type": "gift", "at": "2023-05-20T14:00:00+08:00", "donor": "u", "project": "p", "fen": 1},
            'events[3] (no id): field "id": missing',
        ),
        (
            {"type": "gift", "id": 7, "at": "2023-05-20T14:00:00+08:00", "donor": "u", "project": "p", "fen": 1},
            'events[3] (no id): field "id": must be a non-empty string, got 7',
        ),
        (
            {"type": "gift", "id": "", "at": "2023-05-20T14:00:00+08:00", "donor": "u", "project": "p", "fen": 1},
            'events[3] (id ""): field "id": must be a non-empty string',
        ),
        (
            {"type": "gift", "id": "x", "at": "2023-05-20T14:00:00+08:00", "project": "p", "fen": 1},
            'events[3] (id "x"): field "donor": missing',
        ),
        (
            {"type": "gift", "id": "x", "at": "2023-05-20T14:00:00+08:00", "donor": "u", "fen": 1},
            'events[3] (id "x"): field "project": missing',
        ),
        (
            {
                "type": "gift",
                "id": "x\ud800",
                "at": "2023-05-20T14:00:00+08:00",
                "donor": "u",
                "project": "p",
                "fen": 1,
            },
            'field "id": is not valid Unicode text',
        ),
        ({"type": "refund", "at": "2023-05-20T14:00:00+08:00"}, 'events[3] (no id): field "id": missing'),
        ({"type": "flag", "at": "2023-05-20T14:00:00+08:00"}, 'events[3] (no id): field "donor": missing'),
        ({"type": "flag", "donor": "u9"}, 'events[3] (flag of donor "u9"): field "at": missing'),
    ],
)
def test_bad_event_fields(event, message):
    data = base()
    data["events"][3] = event
    error = refused(data)
    assert_names(error, message)
    assert error.index == 3


def test_the_first_bad_event_is_reported():
    data = base()
    data["events"][3]["fen"] = -1
    data["events"][0]["fen"] = -2
    assert_names(refused(data), "events[0]")


def test_a_scenario_must_be_an_object():
    assert_names(refused([]), "a scenario must be a JSON object")


def test_bad_input_changes_nothing_in_the_input():
    data = base()
    data["events"][3]["fen"] = -1
    before = copy.deepcopy(data)
    refused(data)
    assert data == before
