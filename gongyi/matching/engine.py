"""The matching engine (配捐): one pure formula shared by the live path and the simulator.

This module imports nothing from Django. It implements ``spec/matching-v1.md``; where the spec can be
read more than one way, the most literal reading is taken and written down here.

Money is integer fen everywhere. Times are aware ``datetime`` objects; "local" means in
``Rules.timezone`` (an IANA name, through ``zoneinfo``).

The formula (``decide_match`` is its only home)::

    m = min(floor(fen * ratio_bp / 10000), per-gift cap, each cap's room, pool available), never below 0

Readings of the spec taken here
-------------------------------

* ``Rules.match_from`` / ``Rules.match_to`` are **minutes of the local day** (``"10:00"`` -> 600,
  ``"24:00"`` -> 1440); a gift is in match hours when ``match_from*60 <= local second of day <
  match_to*60``. No ``match_hours`` at all means the whole day (0, 1440).
* A cap's *room* is ``cap - matched so far`` (the match is then floored at 0). Usage is keyed by the
  local day of the gift that was matched ("their match counts where it was given"), so a refund or a
  clawback frees room on the gift's own day and project, whenever it happens.
* *Pool available* is ``min(total, sum of tranches with at <= gift.at) - matched_live - forfeited``.
  It can be negative on the live path (a late confirmation whose ``at`` is before a later tranche);
  the match is then 0.
* ``MatchDecision.limited_by`` names the bound that made the match smaller than ``wanted_fen``:
  ``"per_gift_cap"``, ``"per_donor_daily_cap"``, ``"per_donor_project_daily_cap"``,
  ``"per_project_daily_cap"``, ``"per_project_cap"`` or ``"pool"`` (ties go to the first in this
  order); ``None`` when the gift got all it wanted. For an ineligible gift it names the first failed
  condition, in the spec's order: ``"project_not_included"``, ``"outside_window"``,
  ``"outside_match_hours"``, ``"donor_flagged"``, ``"below_min_gift"``.
* *Exhausted*: a gift is recorded when pool available, computed at that gift's ``at``, was above 0
  before its match and is exactly 0 after it. Only a gift can do that: refunds and clawbacks that
  return to the pool raise availability, forfeits leave it unchanged.
* A match is *live* while its gift is neither refunded nor clawed back (the spec's "live gifts");
  caps and the pool count live matches only. ``raised_fen`` counts every gift not refunded, flagged
  donors' included ("their money stays in raised_fen until refunded").
* A refund of a gift whose match was already clawed back takes the gift out of ``raised_fen`` and
  the incentive metrics; the match is not returned a second time.
* A flag claws back every live match of the donor at once; gifts of that donor applied after the
  flag are ineligible. Flagging a donor twice is harmless.
* ``result()`` lists gifts and projects in the order they were first applied (by ``at``).
* Incentive metrics for a project (reported for every project named by a gift): among gifts not
  refunded, of at least ``min_gift_fen``, with ``at`` inside ``window`` (match hours do not matter),
  whose donor is not flagged at the end: ``gifts`` counts them, ``donors`` counts their distinct
  donors. Only projects in ``rules.projects`` (when that is a list) take part in incentives: the
  others get ``incentive_fen`` 0 and do not count towards a share's ``total_metric``.
* ``tiers``: the ``fen`` of the tier with the greatest ``min`` that is ``<= metric`` (0 if none).
  ``share``: projects with ``metric >= min`` (``min`` absent means 0) each get
  ``floor(pool_fen * metric / total_metric)``, then at most ``cap_fen``; if ``total_metric`` is 0
  nobody gets anything.
* Local dates of UTC instants are cached per UTC hour: the zone's offset at the first and last second
  of the hour is looked up once; if they differ (a transition inside the hour) that hour is never
  cached and every instant in it is converted exactly. This is exact for every IANA zone, none of
  which has two transitions within one hour.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

__all__ = [
    "BASIS_POINTS",
    "FlagIn",
    "GiftIn",
    "IncentiveRule",
    "MatchDecision",
    "MatchUsage",
    "Pool",
    "Ratio",
    "RefundIn",
    "Rules",
    "Simulation",
    "compute_incentives",
    "decide_match",
    "format_yuan",
    "ineligible_reason",
    "is_eligible",
    "local_day",
    "local_day_and_second",
    "random_ratio_bp",
    "ratio_bp_for",
]

BASIS_POINTS = 10000
MINUTES_PER_DAY = 1440
METRICS = ("donors", "gifts")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_UNKNOWN = object()


def _require_aware(name: str, value: datetime) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def _require_amount(name: str, value: object, *, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if type(value) is not int or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")


# ---------------------------------------------------------------------------------------------------
# Rules, pool, gifts
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """How many basis points of a gift are matched: ``fixed`` (``bp``) or ``random`` (seeded)."""

    kind: Literal["fixed", "random"]
    bp: int | None = None
    min_bp: int | None = None
    max_bp: int | None = None
    seed: str | None = None

    def __post_init__(self) -> None:
        if self.kind == "fixed":
            _require_amount("ratio.bp", self.bp)
        elif self.kind == "random":
            _require_amount("ratio.min_bp", self.min_bp)
            _require_amount("ratio.max_bp", self.max_bp)
            if self.min_bp > self.max_bp:
                raise ValueError("ratio.min_bp must not exceed ratio.max_bp")
            if not isinstance(self.seed, str):
                raise ValueError("ratio.seed must be a string")
        else:
            raise ValueError(f"unknown ratio kind {self.kind!r}")

    @classmethod
    def fixed(cls, bp: int) -> Ratio:
        return cls(kind="fixed", bp=bp)

    @classmethod
    def random(cls, seed: str, min_bp: int, max_bp: int) -> Ratio:
        return cls(kind="random", min_bp=min_bp, max_bp=max_bp, seed=seed)


@dataclass(frozen=True, kw_only=True)
class Rules:
    """The spec's ``rules`` plus ``timezone``. Construct with keywords.

    ``match_from`` and ``match_to`` are minutes of the local day, ``0 <= match_from < match_to <=
    1440`` (1440 is "24:00", the end of the day). ``None`` for a cap or for ``projects`` means no limit.
    """

    timezone: str
    window_start: datetime
    window_end: datetime
    min_gift_fen: int
    ratio: Ratio
    match_from: int = 0
    match_to: int = MINUTES_PER_DAY
    per_gift_cap_fen: int | None = None
    per_donor_daily_cap_fen: int | None = None
    per_donor_project_daily_cap_fen: int | None = None
    per_project_daily_cap_fen: int | None = None
    per_project_cap_fen: int | None = None
    projects: frozenset[str] | None = None
    refund_returns_to_pool: bool = True
    clawback_returns_to_pool: bool = True
    # Derived once, for speed: the zone's cached converter and match hours in seconds of the day.
    _local: Callable[[datetime], tuple[date, int]] = field(init=False, repr=False, compare=False)
    _from_second: int = field(init=False, repr=False, compare=False)
    _to_second: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            clock = _clock(self.timezone)
        except (KeyError, ValueError, TypeError) as error:  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"unknown timezone {self.timezone!r}") from error
        _require_aware("window_start", self.window_start)
        _require_aware("window_end", self.window_end)
        if not self.window_start < self.window_end:
            raise ValueError("window_end must be later than window_start")
        if not (
            type(self.match_from) is int
            and type(self.match_to) is int
            and 0 <= self.match_from < self.match_to <= MINUTES_PER_DAY
        ):
            raise ValueError("match hours must satisfy 0 <= match_from < match_to <= 1440 (minutes)")
        _require_amount("min_gift_fen", self.min_gift_fen)
        if not isinstance(self.ratio, Ratio):
            raise ValueError("ratio must be a Ratio")
        for name in (
            "per_gift_cap_fen",
            "per_donor_daily_cap_fen",
            "per_donor_project_daily_cap_fen",
            "per_project_daily_cap_fen",
            "per_project_cap_fen",
        ):
            _require_amount(name, getattr(self, name), nullable=True)
        if self.projects is not None and not isinstance(self.projects, frozenset):
            object.__setattr__(self, "projects", frozenset(self.projects))
        object.__setattr__(self, "_local", clock.local)
        object.__setattr__(self, "_from_second", self.match_from * 60)
        object.__setattr__(self, "_to_second", self.match_to * 60)


@dataclass(frozen=True)
class Pool:
    """The sponsor's matching pool: a total, released in tranches at given times."""

    total_fen: int
    tranches: tuple[tuple[datetime, int], ...] = ()
    _times: tuple[timedelta, ...] = field(init=False, repr=False, compare=False)
    _cumulative: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _require_amount("total_fen", self.total_fen)
        tranches = tuple((at, fen) for at, fen in self.tranches)
        for at, fen in tranches:
            _require_aware("tranche at", at)
            _require_amount("tranche fen", fen)
        object.__setattr__(self, "tranches", tranches)
        ordered = sorted(((at - _EPOCH, fen) for at, fen in tranches), key=lambda item: item[0])
        cumulative = [0]
        for _, fen in ordered:
            cumulative.append(cumulative[-1] + fen)
        object.__setattr__(self, "_times", tuple(key for key, _ in ordered))
        object.__setattr__(self, "_cumulative", tuple(cumulative))

    def released_fen(self, at: datetime) -> int:
        """Return ``min(total, sum of tranches with tranche.at <= at)``."""
        released = self._cumulative[bisect_right(self._times, at - _EPOCH)]
        return released if released < self.total_fen else self.total_fen


@dataclass(frozen=True)
class GiftIn:
    """A confirmed gift as the engine sees it. ``at_text`` is the time as written in a scenario."""

    id: str
    at: datetime
    donor: str
    project: str
    fen: int
    at_text: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RefundIn:
    id: str
    at: datetime
    at_text: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class FlagIn:
    donor: str
    at: datetime
    at_text: str | None = field(default=None, compare=False)


class MatchUsage(Protocol):
    """What has already been matched (live matches only), as the database or the simulator sees it."""

    def donor_day_matched(self, donor: str, day: date) -> int: ...

    def donor_project_day_matched(self, donor: str, project: str, day: date) -> int: ...

    def project_day_matched(self, project: str, day: date) -> int: ...

    def project_matched(self, project: str) -> int: ...

    def pool_available(self, at: datetime) -> int:
        """Return ``released(at) - matched_live - forfeited`` (may be negative)."""
        ...

    def is_flagged(self, donor: str) -> bool: ...


@dataclass(frozen=True)
class MatchDecision:
    """The outcome of ``decide_match`` for one gift, with what bound it (see the module docstring)."""

    eligible: bool
    ratio_bp: int | None
    wanted_fen: int
    matched_fen: int
    local_day: date
    limited_by: str | None
    pool_available_fen: int | None = None  # as seen before this gift; None when not asked (ineligible)


# ---------------------------------------------------------------------------------------------------
# Local time
# ---------------------------------------------------------------------------------------------------


class _LocalClock:
    """UTC instant -> (local date, local second of day) for one zone, cached per UTC hour."""

    __slots__ = ("_dates", "_last", "_offsets", "zone")

    def __init__(self, name: str) -> None:
        self.zone = ZoneInfo(name)
        self._offsets: dict[int, int | None] = {}
        self._dates: dict[int, date] = {}
        # (datetime, answer) of the last call: events in time order often share one ``at`` object.
        # One attribute holding a tuple, so that threads never see a time with another's answer.
        self._last: tuple[datetime | None, tuple[date, int] | None] = (None, None)

    def _offset_at(self, seconds: int) -> int:
        offset = (_EPOCH + timedelta(seconds=seconds)).astimezone(self.zone).utcoffset()
        return offset.days * 86400 + offset.seconds

    def _hour_offset(self, hour: int) -> int | None:
        first = self._offset_at(hour * 3600)
        return first if first == self._offset_at(hour * 3600 + 3599) else None

    def local(self, at: datetime) -> tuple[date, int]:
        last = self._last
        if last[0] is at:
            return last[1]
        delta = at - _EPOCH
        seconds = delta.days * 86400 + delta.seconds
        hour = seconds // 3600
        offset = self._offsets.get(hour, _UNKNOWN)
        if offset is _UNKNOWN:
            offset = self._offsets[hour] = self._hour_offset(hour)
        if offset is None:
            exact = at.astimezone(self.zone).utcoffset()
            offset = exact.days * 86400 + exact.seconds
        local_seconds = seconds + offset
        day_number = local_seconds // 86400
        day = self._dates.get(day_number)
        if day is None:
            day = self._dates[day_number] = date.fromordinal(day_number + _EPOCH_ORDINAL)
        answer = (day, local_seconds - day_number * 86400)
        self._last = (at, answer)
        return answer


@lru_cache(maxsize=64)
def _clock(name: str) -> _LocalClock:
    return _LocalClock(name)


def local_day_and_second(rules: Rules, at: datetime) -> tuple[date, int]:
    """Return the local date of ``at`` and its local second of the day (0..86399, wall clock)."""
    return rules._local(at)


def local_day(rules: Rules, at: datetime) -> date:
    """Return the local date of ``at`` in ``rules.timezone``."""
    return rules._local(at)[0]


# ---------------------------------------------------------------------------------------------------
# Ratio, eligibility, the formula
# ---------------------------------------------------------------------------------------------------


def random_ratio_bp(seed: str, gift_id: str, min_bp: int, max_bp: int) -> int:
    """Return ``min_bp + H mod (max_bp - min_bp + 1)``, H = first 8 bytes (big-endian) of
    ``SHA-256(UTF8(seed) + b":" + UTF8(gift id))``."""
    digest = hashlib.sha256(seed.encode("utf-8") + b":" + gift_id.encode("utf-8")).digest()
    return min_bp + int.from_bytes(digest[:8], "big") % (max_bp - min_bp + 1)


def ratio_bp_for(ratio: Ratio, gift_id: str) -> int:
    """Return the ratio in basis points of an eligible gift."""
    if ratio.kind == "fixed":
        return ratio.bp
    return random_ratio_bp(ratio.seed, gift_id, ratio.min_bp, ratio.max_bp)


def _ineligible(rules: Rules, at: datetime, second_of_day: int, project: str, fen: int, flagged: bool):
    projects = rules.projects
    if projects is not None and project not in projects:
        return "project_not_included"
    if not rules.window_start <= at < rules.window_end:
        return "outside_window"
    if not rules._from_second <= second_of_day < rules._to_second:
        return "outside_match_hours"
    if flagged:
        return "donor_flagged"
    if fen < rules.min_gift_fen:
        return "below_min_gift"
    return None


def ineligible_reason(rules: Rules, gift: GiftIn, flagged: bool) -> str | None:
    """Return why ``gift`` cannot be matched (see the module docstring), or ``None`` if it can."""
    _, second = rules._local(gift.at)
    return _ineligible(rules, gift.at, second, gift.project, gift.fen, flagged)


def is_eligible(rules: Rules, gift: GiftIn, flagged: bool) -> bool:
    """Return whether ``gift`` can be matched at all (``flagged``: its donor is flagged now)."""
    return ineligible_reason(rules, gift, flagged) is None


def _decide(rules: Rules, gift_id: str, at: datetime, donor: str, project: str, fen: int, usage: MatchUsage):
    """Return ``(eligible, ratio_bp, wanted, matched, local_day, limited_by, pool_available)``."""
    day, second = rules._local(at)
    reason = _ineligible(rules, at, second, project, fen, usage.is_flagged(donor))
    if reason is not None:
        return False, None, 0, 0, day, reason, None
    ratio = rules.ratio
    if ratio.kind == "fixed":
        bp = ratio.bp
    else:
        bp = random_ratio_bp(ratio.seed, gift_id, ratio.min_bp, ratio.max_bp)
    wanted = fen * bp // BASIS_POINTS
    matched = wanted
    limited_by = None
    cap = rules.per_gift_cap_fen
    if cap is not None and cap < matched:
        matched, limited_by = cap, "per_gift_cap"
    cap = rules.per_donor_daily_cap_fen
    if cap is not None:
        room = cap - usage.donor_day_matched(donor, day)
        if room < matched:
            matched, limited_by = room, "per_donor_daily_cap"
    cap = rules.per_donor_project_daily_cap_fen
    if cap is not None:
        room = cap - usage.donor_project_day_matched(donor, project, day)
        if room < matched:
            matched, limited_by = room, "per_donor_project_daily_cap"
    cap = rules.per_project_daily_cap_fen
    if cap is not None:
        room = cap - usage.project_day_matched(project, day)
        if room < matched:
            matched, limited_by = room, "per_project_daily_cap"
    cap = rules.per_project_cap_fen
    if cap is not None:
        room = cap - usage.project_matched(project)
        if room < matched:
            matched, limited_by = room, "per_project_cap"
    available = usage.pool_available(at)
    if available < matched:
        matched, limited_by = available, "pool"
    if matched < 0:
        matched = 0
    return True, bp, wanted, matched, day, limited_by, available


def decide_match(rules: Rules, gift: GiftIn, usage: MatchUsage) -> MatchDecision:
    """Decide one gift's match against what ``usage`` says is already matched. Pure: changes nothing."""
    return MatchDecision(*_decide(rules, gift.id, gift.at, gift.donor, gift.project, gift.fen, usage))


# ---------------------------------------------------------------------------------------------------
# Incentives
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncentiveRule:
    """One entry of the spec's ``incentives``: ``tiers`` ((min, fen), ...) or ``share`` of ``pool_fen``."""

    kind: Literal["tiers", "share"]
    metric: Literal["donors", "gifts"]
    tiers: tuple[tuple[int, int], ...] | None = None
    pool_fen: int | None = None
    min: int | None = None
    cap_fen: int | None = None

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"unknown incentive metric {self.metric!r}")
        if self.kind == "tiers":
            if self.tiers is None:
                raise ValueError("a tiers incentive needs tiers")
            object.__setattr__(self, "tiers", tuple((low, fen) for low, fen in self.tiers))
        elif self.kind == "share":
            _require_amount("pool_fen", self.pool_fen)
            _require_amount("min", self.min, nullable=True)
            _require_amount("cap_fen", self.cap_fen, nullable=True)
        else:
            raise ValueError(f"unknown incentive kind {self.kind!r}")


def compute_incentives(rules_list: Sequence[IncentiveRule], metrics: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Return project -> incentive fen (summed over ``rules_list``) for every project in ``metrics``.

    ``metrics[project] = {"donors": n, "gifts": n}`` holds exactly the projects that take part.
    """
    awarded = dict.fromkeys(metrics, 0)
    for rule in rules_list:
        if rule.kind == "tiers":
            for project, values in metrics.items():
                value = values[rule.metric]
                best_min, best_fen = -1, 0
                for low, fen in rule.tiers:
                    if best_min < low <= value:
                        best_min, best_fen = low, fen
                awarded[project] += best_fen
        else:
            threshold = rule.min or 0
            qualifying = {p: v[rule.metric] for p, v in metrics.items() if v[rule.metric] >= threshold}
            total = sum(qualifying.values())
            if total <= 0:
                continue
            for project, value in qualifying.items():
                share = rule.pool_fen * value // total
                if rule.cap_fen is not None and share > rule.cap_fen:
                    share = rule.cap_fen
                awarded[project] += share
    return awarded


def format_yuan(fen: int) -> str:
    """Return ``fen`` as yuan with two decimals and thousands separators: 123456 -> '1,234.56'."""
    sign = "-" if fen < 0 else ""
    yuan, rest = divmod(abs(fen), 100)
    return f"{sign}{yuan:,}.{rest:02d}"


# ---------------------------------------------------------------------------------------------------
# The in-memory simulation
# ---------------------------------------------------------------------------------------------------

# Slots of a gift's state list (lists, not objects: a million of them are made per run).
_PROJECT, _DONOR, _FEN, _DAY, _MATCHED, _RATIO, _REFUNDED, _CLAWED, _COUNTS, _AT = range(10)


class Simulation:
    """Events applied in memory, in order; a ``MatchUsage`` over its own state.

    Apply events in ``at`` order (``gift``, ``refund``, ``flag``); ``result()`` gives the spec's result
    JSON object. Misuse (a duplicate gift id, a refund of an unknown or refunded gift, a refund dated
    before its gift) raises ``ValueError``; ``gongyi.matching.scenario`` refuses such scenarios first.
    """

    def __init__(self, rules: Rules, pool: Pool, incentives: Iterable[IncentiveRule] = ()) -> None:
        self.rules = rules
        self.pool = pool
        self.incentives = tuple(incentives)
        self.matched_live_fen = 0
        self.forfeited_fen = 0
        self.exhausted: list[str] = []
        # (label, local day, at) of each exhaustion, for the summary.
        self.exhausted_detail: list[tuple[str, date, datetime]] = []
        self._gifts: dict[str, list] = {}
        self._raised: dict[str, int] = {}
        self._flagged: set[str] = set()
        self._donor_matched_gifts: dict[str, list[str]] = {}
        self._donor_day: dict[tuple[str, date], int] = {}
        self._donor_project_day: dict[tuple[str, str, date], int] = {}
        self._project_day: dict[tuple[str, date], int] = {}
        self._project: dict[str, int] = {}
        # (project, donor) -> live gifts that count for the incentive metrics (flags applied at the end).
        self._metric_pairs: dict[tuple[str, str], int] = {}
        self._released_at: datetime | None = None
        self._released_fen = 0

    # -- MatchUsage ---------------------------------------------------------------------------------

    def donor_day_matched(self, donor: str, day: date) -> int:
        return self._donor_day.get((donor, day), 0)

    def donor_project_day_matched(self, donor: str, project: str, day: date) -> int:
        return self._donor_project_day.get((donor, project, day), 0)

    def project_day_matched(self, project: str, day: date) -> int:
        return self._project_day.get((project, day), 0)

    def project_matched(self, project: str) -> int:
        return self._project.get(project, 0)

    def pool_available(self, at: datetime) -> int:
        if at is not self._released_at:
            self._released_fen = self.pool.released_fen(at)
            self._released_at = at
        return self._released_fen - self.matched_live_fen - self.forfeited_fen

    def is_flagged(self, donor: str) -> bool:
        return donor in self._flagged

    # -- events -------------------------------------------------------------------------------------

    def gift(self, g: GiftIn) -> MatchDecision:
        """Match ``g`` and record it; return the decision."""
        return MatchDecision(*self.apply_gift(g.id, g.at, g.donor, g.project, g.fen, g.at_text))

    def apply_gift(self, gift_id: str, at: datetime, donor: str, project: str, fen: int, label=None):
        """``gift`` without the objects: return the tuple of ``MatchDecision`` fields."""
        if gift_id in self._gifts:
            raise ValueError(f"duplicate gift id {gift_id!r}")
        rules = self.rules
        decision = _decide(rules, gift_id, at, donor, project, fen, self)
        matched = decision[3]
        day = decision[4]
        counts = fen >= rules.min_gift_fen and rules.window_start <= at < rules.window_end
        self._gifts[gift_id] = [project, donor, fen, day, matched, decision[1], False, False, counts, at]
        raised = self._raised
        raised[project] = raised.get(project, 0) + fen
        if counts:
            pair = (project, donor)
            self._metric_pairs[pair] = self._metric_pairs.get(pair, 0) + 1
        if matched > 0:
            key = (donor, day)
            self._donor_day[key] = self._donor_day.get(key, 0) + matched
            key3 = (donor, project, day)
            self._donor_project_day[key3] = self._donor_project_day.get(key3, 0) + matched
            key = (project, day)
            self._project_day[key] = self._project_day.get(key, 0) + matched
            self._project[project] = self._project.get(project, 0) + matched
            self.matched_live_fen += matched
            listed = self._donor_matched_gifts.get(donor)
            if listed is None:
                self._donor_matched_gifts[donor] = [gift_id]
            else:
                listed.append(gift_id)
            if decision[6] == matched:  # available was > 0 (matched > 0) and is now exactly 0
                label = at.isoformat() if label is None else label
                self.exhausted.append(label)
                self.exhausted_detail.append((label, day, at))
        return decision

    def _take_back(self, state: list, to_pool: bool) -> None:
        matched = state[_MATCHED]
        if matched <= 0:
            return
        donor, project, day = state[_DONOR], state[_PROJECT], state[_DAY]
        self._donor_day[(donor, day)] -= matched
        self._donor_project_day[(donor, project, day)] -= matched
        self._project_day[(project, day)] -= matched
        self._project[project] -= matched
        self.matched_live_fen -= matched
        if not to_pool:
            self.forfeited_fen += matched
        state[_MATCHED] = 0

    def refund(self, gift_id: str, at: datetime | None = None) -> int:
        """Refund a gift; return the match taken back (0 if it had none or was clawed back)."""
        state = self._gifts.get(gift_id)
        if state is None:
            raise ValueError(f"refund of unknown gift {gift_id!r}")
        if state[_REFUNDED]:
            raise ValueError(f"gift {gift_id!r} is already refunded")
        if at is not None and at < state[_AT]:
            raise ValueError(f"refund of {gift_id!r} is dated before its gift")
        taken = state[_MATCHED]
        state[_REFUNDED] = True
        self._raised[state[_PROJECT]] -= state[_FEN]
        if state[_COUNTS]:
            self._metric_pairs[(state[_PROJECT], state[_DONOR])] -= 1
        self._take_back(state, self.rules.refund_returns_to_pool)
        return taken

    def flag(self, donor: str, at: datetime | None = None) -> int:
        """Flag a donor: claw back all their live matches; return the fen clawed back."""
        self._flagged.add(donor)
        clawed = 0
        to_pool = self.rules.clawback_returns_to_pool
        for gift_id in self._donor_matched_gifts.pop(donor, ()):
            state = self._gifts[gift_id]
            if state[_MATCHED] > 0:
                clawed += state[_MATCHED]
                state[_CLAWED] = True
                self._take_back(state, to_pool)
        return clawed

    def apply(self, event: GiftIn | RefundIn | FlagIn):
        """Apply one event of any kind."""
        if isinstance(event, GiftIn):
            return self.gift(event)
        if isinstance(event, RefundIn):
            return self.refund(event.id, event.at)
        if isinstance(event, FlagIn):
            return self.flag(event.donor, event.at)
        raise TypeError(f"not an event: {event!r}")

    # -- reading ------------------------------------------------------------------------------------

    def gift_state(self, gift_id: str) -> dict:
        """Return one gift's current state (for tests and explanations)."""
        state = self._gifts[gift_id]
        return {
            "project": state[_PROJECT],
            "donor": state[_DONOR],
            "fen": state[_FEN],
            "local_day": state[_DAY],
            "matched_fen": state[_MATCHED],
            "ratio_bp": state[_RATIO],
            "refunded": state[_REFUNDED],
            "clawed_back": state[_CLAWED],
            "at": state[_AT],
        }

    def gift_ids(self) -> list[str]:
        return list(self._gifts)

    def metrics(self) -> dict[str, dict[str, int]]:
        """Return project -> {"donors", "gifts"} for every project named by a gift."""
        gifts = dict.fromkeys(self._raised, 0)
        donors = dict.fromkeys(self._raised, 0)
        flagged = self._flagged
        for (project, donor), count in self._metric_pairs.items():
            if count > 0 and donor not in flagged:
                gifts[project] += count
                donors[project] += 1
        return {p: {"donors": donors[p], "gifts": gifts[p]} for p in self._raised}

    def incentive_awards(self, metrics: Mapping[str, Mapping[str, int]] | None = None) -> dict[str, int]:
        metrics = self.metrics() if metrics is None else metrics
        allowed = self.rules.projects
        taking_part = {p: m for p, m in metrics.items() if allowed is None or p in allowed}
        awards = compute_incentives(self.incentives, taking_part)
        return {p: awards.get(p, 0) for p in metrics}

    def result(self) -> dict:
        """Return the spec's result object (gifts and projects in the order they were first applied)."""
        metrics = self.metrics()
        awards = self.incentive_awards(metrics)
        matched_by_project = self._project
        projects = {
            p: {
                "raised_fen": raised,
                "matched_fen": matched_by_project.get(p, 0),
                "donors": metrics[p]["donors"],
                "gifts": metrics[p]["gifts"],
                "incentive_fen": awards[p],
            }
            for p, raised in self._raised.items()
        }
        total = self.pool.total_fen
        return {
            "gifts": {
                gift_id: {"matched_fen": state[_MATCHED], "ratio_bp": state[_RATIO]}
                for gift_id, state in self._gifts.items()
            },
            "projects": projects,
            "pool": {
                "total_fen": total,
                "matched_fen": self.matched_live_fen,
                "forfeited_fen": self.forfeited_fen,
                "left_fen": total - self.matched_live_fen - self.forfeited_fen,
                "exhausted": list(self.exhausted),
            },
        }

    def day_rows(self) -> list[dict]:
        """Per local day of the gifts: counts, final match, and when the pool first ran dry that day."""
        days: dict[date, list[int]] = {}
        for state in self._gifts.values():
            row = days.get(state[_DAY])
            if row is None:
                row = days[state[_DAY]] = [0, 0, 0]
            row[0] += 1
            if state[_MATCHED] > 0:
                row[1] += 1
                row[2] += state[_MATCHED]
        first_out: dict[date, tuple[str, datetime]] = {}
        for label, day, at in self.exhausted_detail:
            first_out.setdefault(day, (label, at))
        zone = _clock(self.rules.timezone).zone
        rows = []
        for day in sorted(days):
            gifts, matched_gifts, matched = days[day]
            out = first_out.get(day)
            rows.append(
                {
                    "day": day,
                    "gifts": gifts,
                    "gifts_matched": matched_gifts,
                    "matched_fen": matched,
                    "ran_out_at": out[0] if out else None,
                    "ran_out_local": out[1].astimezone(zone).strftime("%H:%M:%S") if out else None,
                }
            )
        return rows
