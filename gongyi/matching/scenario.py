"""Read a matching scenario (``spec/matching-v1.md``, version 1) into engine dataclasses. Pure.

``parse_scenario(data)`` takes the decoded JSON object and returns a ``Scenario`` whose events are in
the order they are applied (by ``at``; equal ``at`` keep their order in the list). The whole scenario
is checked before anything is returned, so nothing is ever half-applied. Anything that breaks the
format raises ``ScenarioError`` with a message naming the event (its index in ``events`` and its id,
or the donor for a flag) and the field, e.g.::

    events[17] (id "g9"): field "fen": must be a non-negative integer, got 10.0

and for the other parts, the field's path: ``field "rules.window.end": must be later than ...``.

Readings taken where the spec is silent:

* Amounts (fen, bp, caps, tier ``min``) are JSON integers ``>= 0`` and ``< 2**63``; ``true``/``false``
  and floats such as ``10.0`` are not integers.
* Times are ISO 8601 strings with an offset (``Z`` counts); a time without one is refused, and so is
  one before 1900 or after 9000 (UTC).
* ``match_hours`` is ``{"from": "HH:MM", "to": "HH:MM"}``, two digits each, ``HH`` 00-23 (or
  ``"24:00"`` exactly, for ``to`` only), ``MM`` 00-59, ``from < to``. Absent or ``null``: all day.
* Keys the spec shows as nullable (the five caps, ``projects``, ``match_hours``) may be left out,
  meaning ``null``; ``incentives`` may be left out, meaning none. Everything else is required.
  Keys this format does not know are ignored.
* Ids, donors and projects are non-empty strings (valid Unicode, so that they hash as UTF-8).
* A refund must come after its gift in the order events are applied: dated before it, or at the same
  instant but earlier in the list, it is refused. "Unknown" means no gift in the whole scenario has
  that id. Of two refunds of one gift, the later-applied one is refused as "already refunded".
* A duplicate gift id is reported at the later index. A flag may name a donor who never gives.
* Tranches may add up to more than ``total_fen`` (the pool releases at most the total).
* Tiers must have strictly increasing ``min``; a share's ``min`` may be left out (0), ``cap_fen``
  may be ``null`` or left out (no cap).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from gongyi.matching.engine import (
    MINUTES_PER_DAY,
    FlagIn,
    GiftIn,
    IncentiveRule,
    Pool,
    Ratio,
    RefundIn,
    Rules,
)

__all__ = ["SUPPORTED_VERSION", "Scenario", "ScenarioError", "parse_scenario"]

SUPPORTED_VERSION = 1
MAX_AMOUNT = 2**63 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Times far outside any festival are refused: near years 1 and 9999 local dates cannot be computed.
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC) - _EPOCH
_LATEST = datetime(9000, 1, 1, tzinfo=UTC) - _EPOCH
_CLOCK_TIME = re.compile(r"([0-9]{2}):([0-9]{2})")
_CAPS = (
    "per_gift_cap_fen",
    "per_donor_daily_cap_fen",
    "per_donor_project_daily_cap_fen",
    "per_project_daily_cap_fen",
    "per_project_cap_fen",
)


class ScenarioError(ValueError):
    """A scenario that breaks the format. ``str(error)`` is the whole message."""

    def __init__(
        self,
        message: str,
        *,
        index: int | None = None,
        event_id: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.index = index
        self.event_id = event_id
        self.field = field


@dataclass(frozen=True)
class Scenario:
    """A checked scenario. ``events`` are in the order they apply; ``positions[i]`` is the index in
    the input ``events`` list of ``events[i]``."""

    rules: Rules
    pool: Pool
    incentives: tuple[IncentiveRule, ...]
    events: tuple[GiftIn | RefundIn | FlagIn, ...]
    positions: tuple[int, ...]


def _show(value: object) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field_error(path: str, problem: str) -> ScenarioError:
    return ScenarioError(f'field "{path}": {problem}', field=path)


def _amount_problem(value: object, present: bool = False) -> str | None:
    if type(value) is not int:
        if value is None and not present:
            return "missing"
        return f"must be a non-negative integer, got {_show(value)}"
    if value < 0:
        return f"must be a non-negative integer, got {value}"
    if value > MAX_AMOUNT:
        return f"is too large (at most {MAX_AMOUNT})"
    return None


def _parse_time(value: object) -> tuple[datetime | None, str | None]:
    """Return (time, None) or (None, problem)."""
    if type(value) is not str:
        if value is None:
            return None, "missing"
        return None, f"must be an ISO 8601 time string with an offset, got {_show(value)}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None, f"is not an ISO 8601 time: {_show(value)}"
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None, f"time without an offset: {_show(value)} (write e.g. +08:00 or Z)"
    if not _EARLIEST <= parsed - _EPOCH < _LATEST:
        return None, f"is out of range (years 1900 to 9000): {_show(value)}"
    return parsed, None


def _text_problem(value: object) -> str | None:
    if type(value) is not str:
        return "missing" if value is None else f"must be a non-empty string, got {_show(value)}"
    if not value:
        return "must be a non-empty string"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "is not valid Unicode text"
    return None


# ---------------------------------------------------------------------------------------------------
# Top-level parts
# ---------------------------------------------------------------------------------------------------


def _object(data: Mapping, key: str, path: str, *, required: bool = True) -> dict | None:
    value = data.get(key)
    if value is None:
        if required:
            raise _field_error(path, "missing")
        return None
    if type(value) is not dict:
        raise _field_error(path, f"must be an object, got {_show(value)}")
    return value


def _amount(data: Mapping, key: str, path: str, *, nullable: bool = False) -> int | None:
    value = data.get(key)
    if value is None and nullable:
        return None
    problem = _amount_problem(value, key in data)
    if problem:
        raise _field_error(path, problem)
    return value


def _time(data: Mapping, key: str, path: str) -> datetime:
    parsed, problem = _parse_time(data.get(key))
    if problem:
        raise _field_error(path, problem)
    return parsed


def _boolean(data: Mapping, key: str, path: str) -> bool:
    value = data.get(key)
    if type(value) is not bool:
        raise _field_error(path, "missing" if value is None else f"must be true or false, got {_show(value)}")
    return value


def _clock_minutes(value: object, path: str, *, allow_end_of_day: bool) -> int:
    if type(value) is not str:
        problem = "missing" if value is None else f'must be a "HH:MM" string, got {_show(value)}'
        raise _field_error(path, problem)
    found = _CLOCK_TIME.fullmatch(value)
    if not found:
        raise _field_error(path, f'must be "HH:MM" (two digits each), got {_show(value)}')
    hours, minutes = int(found.group(1)), int(found.group(2))
    if hours == 24 and minutes == 0:
        if not allow_end_of_day:
            raise _field_error(path, '"24:00" is only allowed as the end ("to") of match hours')
        return MINUTES_PER_DAY
    if hours > 23:
        raise _field_error(path, f"hour must be 00-23 (or 24:00 for the end of the day), got {_show(value)}")
    if minutes > 59:
        raise _field_error(path, f"minute must be 00-59, got {_show(value)}")
    return hours * 60 + minutes


def _parse_timezone(data: Mapping) -> str:
    name = data.get("timezone")
    if type(name) is not str or not name:
        raise _field_error("timezone", "missing" if name is None else f"must be an IANA zone name, got {_show(name)}")
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError, TypeError):
        raise _field_error("timezone", f"unknown time zone {_show(name)}") from None
    return name


def _parse_pool(data: Mapping) -> Pool:
    pool = _object(data, "pool", "pool")
    total = _amount(pool, "total_fen", "pool.total_fen")
    tranches_raw = pool.get("tranches")
    if type(tranches_raw) is not list:
        problem = "missing" if tranches_raw is None else f"must be a list, got {_show(tranches_raw)}"
        raise _field_error("pool.tranches", problem)
    tranches = []
    for number, tranche in enumerate(tranches_raw):
        path = f"pool.tranches[{number}]"
        if type(tranche) is not dict:
            raise _field_error(path, f"must be an object, got {_show(tranche)}")
        at = _time(tranche, "at", f"{path}.at")
        fen = _amount(tranche, "fen", f"{path}.fen")
        tranches.append((at, fen))
    return Pool(total_fen=total, tranches=tuple(tranches))


def _parse_ratio(rules: Mapping) -> Ratio:
    ratio = _object(rules, "ratio", "rules.ratio")
    kind = ratio.get("kind")
    if kind == "fixed":
        return Ratio(kind="fixed", bp=_amount(ratio, "bp", "rules.ratio.bp"))
    if kind == "random":
        seed = ratio.get("seed")
        if type(seed) is not str:
            raise _field_error(
                "rules.ratio.seed", "missing" if seed is None else f"must be a string, got {_show(seed)}"
            )
        if not seed.isascii():
            try:
                seed.encode("utf-8")
            except UnicodeEncodeError:
                raise _field_error("rules.ratio.seed", "is not valid Unicode text") from None
        min_bp = _amount(ratio, "min_bp", "rules.ratio.min_bp")
        max_bp = _amount(ratio, "max_bp", "rules.ratio.max_bp")
        if min_bp > max_bp:
            raise _field_error("rules.ratio.min_bp", f"must not exceed rules.ratio.max_bp ({min_bp} > {max_bp})")
        return Ratio(kind="random", min_bp=min_bp, max_bp=max_bp, seed=seed)
    problem = "missing" if kind is None else f'unknown ratio kind {_show(kind)} (expected "fixed" or "random")'
    raise _field_error("rules.ratio.kind", problem)


def _parse_rules(data: Mapping, timezone: str) -> Rules:
    rules = _object(data, "rules", "rules")
    window = _object(rules, "window", "rules.window")
    start = _time(window, "start", "rules.window.start")
    end = _time(window, "end", "rules.window.end")
    if not start < end:
        raise _field_error("rules.window.end", "must be later than rules.window.start")

    hours = _object(rules, "match_hours", "rules.match_hours", required=False)
    if hours is None:
        match_from, match_to = 0, MINUTES_PER_DAY
    else:
        match_from = _clock_minutes(hours.get("from"), "rules.match_hours.from", allow_end_of_day=False)
        match_to = _clock_minutes(hours.get("to"), "rules.match_hours.to", allow_end_of_day=True)
        if not match_from < match_to:
            raise _field_error(
                "rules.match_hours.to",
                f"must be later than rules.match_hours.from ({hours.get('from')} >= {hours.get('to')})",
            )

    min_gift = _amount(rules, "min_gift_fen", "rules.min_gift_fen")
    ratio = _parse_ratio(rules)
    caps = {name: _amount(rules, name, f"rules.{name}", nullable=True) for name in _CAPS}

    projects_raw = rules.get("projects")
    projects = None
    if projects_raw is not None:
        if type(projects_raw) is not list:
            raise _field_error("rules.projects", f"must be a list of project ids or null, got {_show(projects_raw)}")
        for number, project in enumerate(projects_raw):
            problem = _text_problem(project)
            if problem:
                raise _field_error(f"rules.projects[{number}]", problem)
        projects = frozenset(projects_raw)

    return Rules(
        timezone=timezone,
        window_start=start,
        window_end=end,
        match_from=match_from,
        match_to=match_to,
        min_gift_fen=min_gift,
        ratio=ratio,
        projects=projects,
        refund_returns_to_pool=_boolean(rules, "refund_returns_to_pool", "rules.refund_returns_to_pool"),
        clawback_returns_to_pool=_boolean(rules, "clawback_returns_to_pool", "rules.clawback_returns_to_pool"),
        **caps,
    )


def _parse_incentives(data: Mapping) -> tuple[IncentiveRule, ...]:
    raw = data.get("incentives")
    if raw is None:
        return ()
    if type(raw) is not list:
        raise _field_error("incentives", f"must be a list, got {_show(raw)}")
    parsed = []
    for number, entry in enumerate(raw):
        path = f"incentives[{number}]"
        if type(entry) is not dict:
            raise _field_error(path, f"must be an object, got {_show(entry)}")
        kind = entry.get("kind")
        if kind not in ("tiers", "share"):
            problem = (
                "missing" if kind is None else f'unknown incentive kind {_show(kind)} (expected "tiers" or "share")'
            )
            raise _field_error(f"{path}.kind", problem)
        metric = entry.get("metric")
        if metric not in ("donors", "gifts"):
            problem = "missing" if metric is None else f'unknown metric {_show(metric)} (expected "donors" or "gifts")'
            raise _field_error(f"{path}.metric", problem)
        if kind == "tiers":
            tiers_raw = entry.get("tiers")
            if type(tiers_raw) is not list:
                problem = "missing" if tiers_raw is None else f"must be a list, got {_show(tiers_raw)}"
                raise _field_error(f"{path}.tiers", problem)
            tiers = []
            for tier_number, tier in enumerate(tiers_raw):
                tier_path = f"{path}.tiers[{tier_number}]"
                if type(tier) is not dict:
                    raise _field_error(tier_path, f"must be an object, got {_show(tier)}")
                low = _amount(tier, "min", f"{tier_path}.min")
                fen = _amount(tier, "fen", f"{tier_path}.fen")
                if tiers and low <= tiers[-1][0]:
                    raise _field_error(
                        f"{tier_path}.min", f"tiers must have strictly increasing min ({low} after {tiers[-1][0]})"
                    )
                tiers.append((low, fen))
            parsed.append(IncentiveRule(kind="tiers", metric=metric, tiers=tuple(tiers)))
        else:
            parsed.append(
                IncentiveRule(
                    kind="share",
                    metric=metric,
                    pool_fen=_amount(entry, "pool_fen", f"{path}.pool_fen"),
                    min=_amount(entry, "min", f"{path}.min", nullable=True) or 0,
                    cap_fen=_amount(entry, "cap_fen", f"{path}.cap_fen", nullable=True),
                )
            )
    return tuple(parsed)


# ---------------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------------


def _event_name(index: int, event: object) -> tuple[str, str | None]:
    """Return ('events[i] (id "x")', id) naming the event as well as it can be named."""
    if type(event) is dict:
        event_id = event.get("id")
        if type(event_id) is str:
            return f"events[{index}] (id {_show(event_id)})", event_id
        donor = event.get("donor")
        if event.get("type") == "flag" and type(donor) is str:
            return f"events[{index}] (flag of donor {_show(donor)})", None
    return f"events[{index}] (no id)", None


def _event_error(index: int, event: object, field: str, problem: str) -> ScenarioError:
    name, event_id = _event_name(index, event)
    return ScenarioError(f'{name}: field "{field}": {problem}', index=index, event_id=event_id, field=field)


def _parse_events(raw_events: list) -> tuple[list, list, dict[str, int]]:
    """Check every event on its own; return (events in input order, their sort keys, gift id -> index)."""
    parsed: list = []
    keys: list[timedelta] = []
    gift_first_index: dict[str, int] = {}
    # Many events share a time string, and donors and projects repeat: parse and check each once.
    times: dict[str, tuple[datetime, timedelta]] = {}
    good_text: set[str] = set()
    epoch = _EPOCH

    def text_problem(value: object) -> str | None:
        if type(value) is str and value and (value.isascii() or value in good_text):
            return None
        problem = _text_problem(value)
        if problem is None:
            good_text.add(value)
        return problem

    for index, event in enumerate(raw_events):
        if type(event) is not dict:
            raise _event_error(index, event, "type", f"an event must be an object, got {_show(event)}")
        kind = event.get("type")
        at_text = event.get("at")
        known = times.get(at_text) if type(at_text) is str else None
        if known is None:
            at, problem = _parse_time(at_text)
            if at is not None:
                known = times[at_text] = (at, at - epoch)
        if kind == "gift":
            # The checks are inlined for the common case (this loop runs a million times).
            gift_id = event.get("id")
            if not (type(gift_id) is str and gift_id and (gift_id.isascii() or gift_id in good_text)):
                problem = text_problem(gift_id)
                if problem:
                    raise _event_error(index, event, "id", problem)
            if known is None:
                raise _event_error(index, event, "at", _parse_time(at_text)[1])
            donor = event.get("donor")
            if not (type(donor) is str and donor and (donor.isascii() or donor in good_text)):
                problem = text_problem(donor)
                if problem:
                    raise _event_error(index, event, "donor", problem)
            project = event.get("project")
            if not (type(project) is str and project and (project.isascii() or project in good_text)):
                problem = text_problem(project)
                if problem:
                    raise _event_error(index, event, "project", problem)
            fen = event.get("fen")
            if type(fen) is not int or fen < 0 or fen > MAX_AMOUNT:
                raise _event_error(index, event, "fen", _amount_problem(fen, "fen" in event))
            first = gift_first_index.setdefault(gift_id, index)
            if first != index:
                raise _event_error(index, event, "id", f"duplicate gift id, already given by events[{first}]")
            parsed.append(GiftIn(gift_id, known[0], donor, project, fen, at_text))
        elif kind == "refund":
            problem = text_problem(event.get("id"))
            if problem:
                raise _event_error(index, event, "id", problem)
            if known is None:
                raise _event_error(index, event, "at", _parse_time(at_text)[1])
            parsed.append(RefundIn(event["id"], known[0], at_text))
        elif kind == "flag":
            problem = text_problem(event.get("donor"))
            if problem:
                raise _event_error(index, event, "donor", problem)
            if known is None:
                raise _event_error(index, event, "at", _parse_time(at_text)[1])
            parsed.append(FlagIn(event["donor"], known[0], at_text))
        else:
            problem = (
                "missing" if kind is None else f'unknown event type {_show(kind)} (expected "gift", "refund" or "flag")'
            )
            raise _event_error(index, event, "type", problem)
        keys.append(known[1])
    return parsed, keys, gift_first_index


def _check_refunds(parsed: list, keys: list, gift_index: dict[str, int], raw_events: list) -> None:
    """Refunds must name a known gift, once, after that gift in the order of application.

    The order of application is (``at``, index in the list): the stable sort by ``at``.
    """
    refunds = sorted((keys[index], index) for index, event in enumerate(parsed) if type(event) is RefundIn)
    refunded_by: dict[str, int] = {}
    for key, index in refunds:
        event = parsed[index]
        gift_id = event.id
        given = gift_index.get(gift_id)
        if given is None:
            raise _event_error(index, raw_events[index], "id", f"refund of unknown gift {_show(gift_id)}")
        gift = parsed[given]
        if key < keys[given]:
            raise _event_error(
                index,
                raw_events[index],
                "at",
                f"refund dated {event.at_text} is before its gift (events[{given}] at {gift.at_text})",
            )
        if key == keys[given] and index < given:
            raise _event_error(
                index,
                raw_events[index],
                "at",
                f"refund at the same time as its gift (events[{given}]) must come after it in the list",
            )
        if gift_id in refunded_by:
            raise _event_error(
                index,
                raw_events[index],
                "id",
                f"gift {_show(gift_id)} is already refunded by events[{refunded_by[gift_id]}]",
            )
        refunded_by[gift_id] = index


def parse_scenario(data: object) -> Scenario:
    """Check a whole scenario and return it ready to apply; raise ``ScenarioError`` if it is bad."""
    if type(data) is not dict:
        raise ScenarioError(f"a scenario must be a JSON object, got {_show(data)}")
    version = data.get("version")
    if type(version) is not int or version != SUPPORTED_VERSION:
        problem = (
            "missing"
            if version is None
            else f"unknown version {_show(version)} (this engine reads version {SUPPORTED_VERSION})"
        )
        raise _field_error("version", problem)
    timezone = _parse_timezone(data)
    pool = _parse_pool(data)
    rules = _parse_rules(data, timezone)
    incentives = _parse_incentives(data)
    raw_events = data.get("events")
    if type(raw_events) is not list:
        raise _field_error("events", "missing" if raw_events is None else f"must be a list, got {_show(raw_events)}")
    parsed, keys, gift_index = _parse_events(raw_events)
    _check_refunds(parsed, keys, gift_index, raw_events)
    # Stable: events with equal ``at`` keep their order in the list.
    order = sorted(range(len(parsed)), key=keys.__getitem__)
    return Scenario(
        rules=rules,
        pool=pool,
        incentives=incentives,
        events=tuple(parsed[index] for index in order),
        positions=tuple(order),
    )
