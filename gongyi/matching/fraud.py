"""Fraud signals (风控线索) for a matching pool: read-only detectors over the gifts the pool could match.

Each detector reads the pool's gifts in one ordered ``values_list`` query, streamed, and hands each group
(one payer, or one project) to a small pure function; it writes nothing. Staff read the signals with their
evidence and decide; flagging a donor, which claws back their matches, is ``services.flag_donor``.

The gifts looked at are the confirmed gifts to the projects of the pool's campaign (only the pool's
projects when the pool is limited to some) paid inside the pool's window ``[window_start, window_end)``:
the gifts the pool could have matched. Refunded gifts are left out, their match is already back.

Detectors (defaults in brackets; the rule texts are 99公益日规则 第四部分 3.3–3.5, see
``reference/matching-rules.md`` §I):

* ``rapid_repeat`` — one payer (``donor_key``) with ≥ ``min_gifts`` [5] gifts inside ``minutes`` [10]
  (机器刷单, micro-gift spam). The densest window is reported: the first ``width`` window holding the most of
  the payer's gifts, "inside" meaning ``last − first < width``.
* ``cap_hunting`` — one project receiving, inside ``minutes`` [60], gifts from ≥ ``min_payers`` [5] distinct
  payers of exactly an amount that wins a whole cap (化整为零, "每个微信号最多捐1000"): for each of the
  per-gift, per-donor-daily and per-donor-project-daily caps, the cap itself and the smallest amount whose
  match reaches it, ``ceil(cap × 10000 / ratio_bp)`` (for a random ratio at both its lower and upper
  bound). A pool without those caps has no such amount and the detector reports nothing.
* ``own_staff`` — gifts from the project's own organisation (挪用自有资金, 自筹自用).
  **Limitation:** there is no staff-identity table yet, so a gift is matched by its *signed name*: the
  stripped ``Gift.donor_name`` equals the organisation's ``contact_person`` or the project's ``lead_name``
  (also stripped; blank names never match). That misses staff who give under another name or anonymously
  without a name, and catches namesakes. A later staff table can pass the payer ids it knows as
  ``staff_donor_keys``; those gifts are reported whatever their name.
* ``burst`` — one project receiving, in one clock minute, ≥ ``min_gifts`` [30] gifts, or ≥ ``factor`` [10]
  times its median per-minute count. The median is taken over the minutes in which the project received at
  least one gift (over every minute of a three-day window it would almost always be 0). One signal per
  burst minute.

``all_signals(pool)`` runs them all and sorts by severity. A signal whose donors are all flagged already is
marked ``already_flagged`` and sorted after the others.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F, Q
from django.db.models.functions import Trim

from gongyi.core.money import format_yuan
from gongyi.giving.models import Gift, GiftStatus
from gongyi.matching.models import DonorFlag, MatchingPool, RatioKind

RAPID_REPEAT = "rapid_repeat"
CAP_HUNTING = "cap_hunting"
OWN_STAFF = "own_staff"
BURST = "burst"

KIND_LABELS = {
    RAPID_REPEAT: "短时多笔（疑似刷单）",
    CAP_HUNTING: "多人卡上限金额（疑似化整为零套捐）",
    OWN_STAFF: "本机构人员捐赠（疑似自有资金）",
    BURST: "集中爆发",
}
HIGH, MEDIUM, LOW = 3, 2, 1
SEVERITY_LABELS = {HIGH: "高", MEDIUM: "中", LOW: "低"}
OWN_STAFF_BASIS = {
    "lead_name": "署名与项目负责人相同",
    "contact_person": "署名与本机构联系人相同",
    "staff_donor_keys": "付款人是已登记的本机构人员",
}

# A burst of thousands of gifts keeps every gift id but only this many detailed rows in its evidence.
EVIDENCE_GIFT_ROWS = 200
STREAM_CHUNK = 2000


@dataclass(frozen=True)
class Signal:
    """One suspicion for staff to judge; ``evidence`` is plain data (datetimes aware, in UTC)."""

    kind: str
    pool_id: int
    donor_key: str | None
    project_id: int | None
    severity: int
    score: int
    summary: str
    evidence: dict = field(default_factory=dict)
    already_flagged: bool = False

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.severity, str(self.severity))

    @property
    def donor_keys(self) -> list[str]:
        """Every payer the signal is about."""
        if self.evidence.get("donor_keys"):
            return list(self.evidence["donor_keys"])
        return [self.donor_key] if self.donor_key else []

    def to_json(self) -> dict:
        """The signal as JSON-safe data (datetimes as ISO 8601), e.g. for ``DonorFlag.evidence``."""
        return json.loads(json.dumps(asdict(self), cls=DjangoJSONEncoder))


# ---------------------------------------------------------------------------------------------------------
# Pure windows: no database, unit-tested directly.


def densest_window(times: Sequence[datetime], width: timedelta) -> tuple[int, int]:
    """``(start, end)`` of the first window of sorted ``times`` holding the most items (``last − first < width``)."""
    best = (0, 0)
    start = 0
    for end in range(len(times)):
        while times[end] - times[start] >= width:
            start += 1
        if end + 1 - start > best[1] - best[0]:
            best = (start, end + 1)
    return best


def densest_distinct_window(
    times: Sequence[datetime], keys: Sequence[Hashable], width: timedelta
) -> tuple[int, int, int]:
    """Like ``densest_window`` but counting distinct ``keys``: ``(start, end, distinct)`` of the first best window."""
    best = (0, 0, 0)
    start = 0
    inside: Counter = Counter()
    for end in range(len(times)):
        inside[keys[end]] += 1
        while times[end] - times[start] >= width:
            inside[keys[start]] -= 1
            if not inside[keys[start]]:
                del inside[keys[start]]
            start += 1
        if len(inside) > best[2]:
            best = (start, end + 1, len(inside))
    return best


def minute_of(at: datetime) -> datetime:
    """The clock minute an instant falls in (the same minute in UTC and in every whole-minute offset zone)."""
    return at.replace(second=0, microsecond=0)


def count_per_minute(times: Iterable[datetime]) -> dict[datetime, int]:
    """Gifts per clock minute, in first-seen order."""
    counts: dict[datetime, int] = {}
    for at in times:
        minute = minute_of(at)
        counts[minute] = counts.get(minute, 0) + 1
    return counts


def burst_minutes(
    counts: Mapping[datetime, int], *, min_gifts: int, factor: int
) -> tuple[list[tuple[datetime, int]], float]:
    """The minutes with ``count ≥ min_gifts`` or ``count ≥ factor × median`` (median over the minutes given)."""
    if not counts:
        return [], 0
    median = statistics.median(counts.values())
    found = [(minute, n) for minute, n in counts.items() if n >= min_gifts or n >= factor * median]
    return sorted(found), median


def cap_hunting_amounts(
    *, ratio_bps: Iterable[int], caps: Mapping[str, int | None], min_gift_fen: int
) -> dict[int, str]:
    """The gift amounts that win a whole cap, each with why: the cap itself, and ``ceil(cap × 10000 / ratio)``."""
    reasons: dict[int, list[str]] = {}
    ratios = sorted({bp for bp in ratio_bps if bp and bp > 0})
    for label, cap in caps.items():
        if not cap or cap <= 0:
            continue
        reasons.setdefault(cap, []).append(f"{label} {format_yuan(cap)} 本身")
        for bp in ratios:
            amount = math.ceil(cap * 10000 / bp)
            if amount == cap:  # 1:1: the cap itself, already listed
                continue
            reasons.setdefault(amount, []).append(f"按比例 {bp / 10000:g}:1 恰好配满{label} {format_yuan(cap)}")
    return {amount: "；".join(why) for amount, why in sorted(reasons.items()) if amount >= min_gift_fen}


# ---------------------------------------------------------------------------------------------------------
# Reading the gifts.


class GiftRow(NamedTuple):
    gift_id: int
    out_trade_no: str
    donor_key: str
    donor_name: str
    project_id: int
    paid_at: datetime
    amount_fen: int
    matched_fen: int


GIFT_FIELDS = (
    "id",
    "order__out_trade_no",
    "donor_key",
    "donor_name",
    "project_id",
    "paid_at",
    "amount_fen",
    "matched_fen",
)


def pool_gifts(pool: MatchingPool):
    """The confirmed gifts the pool could have matched (its campaign's, or its own, projects, inside its window)."""
    gifts = Gift.objects.filter(
        project__campaign_id=pool.campaign_id,
        status=GiftStatus.CONFIRMED,
        paid_at__gte=pool.window_start,
        paid_at__lt=pool.window_end,
    )
    if pool.limit_to_projects:
        gifts = gifts.filter(project_id__in=pool.projects.values("pk"))
    return gifts


def _rows(queryset, *extra: str) -> Iterator[tuple]:
    return queryset.values_list(*GIFT_FIELDS, *extra).iterator(chunk_size=STREAM_CHUNK)


def flagged_donor_keys(pool: MatchingPool) -> set[str]:
    return set(DonorFlag.objects.filter(pool=pool).values_list("donor_key", flat=True))


def _gift_evidence(rows: Sequence[GiftRow]) -> dict:
    return {
        "gift_count": len(rows),
        "gift_ids": [row.gift_id for row in rows],
        "gifts": [row._asdict() for row in rows[:EVIDENCE_GIFT_ROWS]],
        "total_fen": sum(row.amount_fen for row in rows),
        "matched_fen": sum(row.matched_fen for row in rows),
        "first_at": rows[0].paid_at if rows else None,
        "last_at": rows[-1].paid_at if rows else None,
    }


def _distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _local(pool: MatchingPool, at: datetime) -> str:
    return at.astimezone(ZoneInfo(pool.timezone)).strftime("%m-%d %H:%M:%S")


def _flagged(pool: MatchingPool, flagged: Collection[str] | None) -> Collection[str]:
    return flagged_donor_keys(pool) if flagged is None else flagged


def _all_flagged(donors: Iterable[str], flagged: Collection[str]) -> bool:
    donors = list(donors)
    return bool(donors) and all(donor in flagged for donor in donors)


# ---------------------------------------------------------------------------------------------------------
# Detectors: one query each.


def rapid_repeat(
    pool: MatchingPool, *, min_gifts: int = 5, minutes: int = 10, flagged: Collection[str] | None = None
) -> list[Signal]:
    """Payers with at least ``min_gifts`` gifts inside ``minutes`` (their densest such window)."""
    flagged = _flagged(pool, flagged)
    width = timedelta(minutes=minutes)
    signals = []
    rows = (GiftRow(*row) for row in _rows(pool_gifts(pool).order_by("donor_key", "paid_at", "id")))
    for donor, group in groupby(rows, key=lambda row: row.donor_key):
        gifts = list(group)
        start, end = densest_window([row.paid_at for row in gifts], width)
        if end - start < min_gifts:
            continue
        window = gifts[start:end]
        evidence = _gift_evidence(window)
        project_ids = _distinct(str(row.project_id) for row in window)
        evidence.update(window_minutes=minutes, donor_keys=[donor], project_ids=[int(p) for p in project_ids])
        count = len(window)
        signals.append(
            Signal(
                kind=RAPID_REPEAT,
                pool_id=pool.pk,
                donor_key=donor,
                project_id=window[0].project_id if len(project_ids) == 1 else None,
                severity=HIGH if count >= 2 * min_gifts else MEDIUM,
                score=count,
                summary=(
                    f"同一付款人 {minutes} 分钟内捐赠 {count} 笔"
                    f"（{_local(pool, window[0].paid_at)} 至 {_local(pool, window[-1].paid_at)}），"
                    f"合计 {format_yuan(evidence['total_fen'])}，获配捐 {format_yuan(evidence['matched_fen'])}"
                ),
                evidence=evidence,
                already_flagged=donor in flagged,
            )
        )
    return signals


def cap_amounts_for(pool: MatchingPool) -> dict[int, str]:
    """``cap_hunting_amounts`` for the pool's rules."""
    if pool.ratio_kind == RatioKind.RANDOM:
        ratios = [pool.ratio_min_bp or 0, pool.ratio_max_bp or 0]
    else:
        ratios = [pool.ratio_bp or 0]
    return cap_hunting_amounts(
        ratio_bps=ratios,
        caps={
            "单笔配捐上限": pool.per_gift_cap_fen,
            "每人每日配捐上限": pool.per_donor_daily_cap_fen,
            "每人每项目每日配捐上限": pool.per_donor_project_daily_cap_fen,
        },
        min_gift_fen=pool.min_gift_fen,
    )


def cap_hunting(
    pool: MatchingPool, *, min_payers: int = 5, minutes: int = 60, flagged: Collection[str] | None = None
) -> list[Signal]:
    """Projects where at least ``min_payers`` payers gave exactly a cap-winning amount inside ``minutes``."""
    amounts = cap_amounts_for(pool)
    if not amounts:
        return []
    flagged = _flagged(pool, flagged)
    width = timedelta(minutes=minutes)
    signals = []
    queryset = pool_gifts(pool).filter(amount_fen__in=list(amounts)).order_by("project_id", "paid_at", "id")
    rows = (GiftRow(*row) for row in _rows(queryset))
    for project_id, group in groupby(rows, key=lambda row: row.project_id):
        gifts = list(group)
        start, end, payers = densest_distinct_window(
            [row.paid_at for row in gifts], [row.donor_key for row in gifts], width
        )
        if payers < min_payers:
            continue
        window = gifts[start:end]
        donors = _distinct(row.donor_key for row in window)
        used = sorted({row.amount_fen for row in window})
        evidence = _gift_evidence(window)
        evidence.update(
            window_minutes=minutes,
            donor_keys=donors,
            amounts=[{"amount_fen": amount, "why": amounts[amount]} for amount in used],
        )
        signals.append(
            Signal(
                kind=CAP_HUNTING,
                pool_id=pool.pk,
                donor_key=None,
                project_id=project_id,
                severity=HIGH if payers >= 2 * min_payers else MEDIUM,
                score=payers,
                summary=(
                    f"{payers} 个付款人在 {minutes} 分钟内向同一项目捐出恰好配满上限的金额"
                    f"（{'、'.join(format_yuan(a) for a in used)}）共 {len(window)} 笔，"
                    f"获配捐 {format_yuan(evidence['matched_fen'])}"
                ),
                evidence=evidence,
                already_flagged=_all_flagged(donors, flagged),
            )
        )
    return signals


def own_staff(
    pool: MatchingPool,
    *,
    staff_donor_keys: Iterable[str] = (),
    flagged: Collection[str] | None = None,
) -> list[Signal]:
    """Gifts signed with the project's lead's or its organisation's contact's name, or from known staff payers."""
    flagged = _flagged(pool, flagged)
    staff_keys = sorted(set(staff_donor_keys))
    queryset = pool_gifts(pool).annotate(
        signed=Trim("donor_name"),
        lead=Trim("project__lead_name"),
        contact=Trim("project__organisation__contact_person"),
    )
    same_name = ~Q(signed="") & (Q(signed=F("lead")) | Q(signed=F("contact")))
    condition = same_name | Q(donor_key__in=staff_keys) if staff_keys else same_name
    queryset = queryset.filter(condition).order_by("donor_key", "project_id", "paid_at", "id")
    staff_set = set(staff_keys)
    signals = []
    rows = (
        (GiftRow(*row[:8]), *row[8:])
        for row in _rows(queryset, "signed", "lead", "contact", "project__organisation_id")
    )
    for (donor, project_id), group in groupby(rows, key=lambda item: (item[0].donor_key, item[0].project_id)):
        items = list(group)
        gifts = [item[0] for item in items]
        matched_on = []
        names = []
        for _, signed, lead, contact, _org in items:
            if signed and signed == lead:
                matched_on.append("lead_name")
            if signed and signed == contact:
                matched_on.append("contact_person")
            if signed:
                names.append(signed)
        if donor in staff_set:
            matched_on.append("staff_donor_keys")
        matched_on = _distinct(matched_on)
        evidence = _gift_evidence(gifts)
        evidence.update(
            donor_keys=[donor],
            matched_on=matched_on,
            names=_distinct(names),
            organisation_id=items[0][4],
        )
        signals.append(
            Signal(
                kind=OWN_STAFF,
                pool_id=pool.pk,
                donor_key=donor,
                project_id=project_id,
                severity=MEDIUM if evidence["matched_fen"] > 0 else LOW,
                score=len(gifts),
                summary=(
                    f"{'；'.join(OWN_STAFF_BASIS[m] for m in matched_on)}：捐赠 {len(gifts)} 笔，"
                    f"合计 {format_yuan(evidence['total_fen'])}，获配捐 {format_yuan(evidence['matched_fen'])}"
                ),
                evidence=evidence,
                already_flagged=donor in flagged,
            )
        )
    return signals


def burst(
    pool: MatchingPool, *, min_gifts: int = 30, factor: int = 10, flagged: Collection[str] | None = None
) -> list[Signal]:
    """Clock minutes in which a project got ``min_gifts`` gifts or more, or ``factor`` × its median minute."""
    flagged = _flagged(pool, flagged)
    signals = []
    rows = (GiftRow(*row) for row in _rows(pool_gifts(pool).order_by("project_id", "paid_at", "id")))
    # The median is 1 or more, so only minutes with min(min_gifts, factor) gifts can be bursts: keep their rows.
    keep_from = min(min_gifts, factor)
    for project_id, group in groupby(rows, key=lambda row: row.project_id):
        counts: dict[datetime, int] = {}
        kept: dict[datetime, list[GiftRow]] = {}
        for minute, in_minute in groupby(group, key=lambda row: minute_of(row.paid_at)):
            gifts = list(in_minute)
            counts[minute] = len(gifts)
            if len(gifts) >= keep_from:
                kept[minute] = gifts
        found, median = burst_minutes(counts, min_gifts=min_gifts, factor=factor)
        for minute, count in found:
            gifts = kept[minute]
            donors = _distinct(row.donor_key for row in gifts)
            evidence = _gift_evidence(gifts)
            evidence.update(minute=minute, count=count, median_per_minute=median, donor_keys=donors)
            absolute = count >= min_gifts
            signals.append(
                Signal(
                    kind=BURST,
                    pool_id=pool.pk,
                    donor_key=None,
                    project_id=project_id,
                    severity=(HIGH if count >= 2 * min_gifts else MEDIUM) if absolute else LOW,
                    score=count,
                    summary=(
                        f"{_local(pool, minute)[:-3]} 这一分钟收到 {count} 笔捐赠（{len(donors)} 个付款人），"
                        f"该项目每分钟中位数 {median:g} 笔，获配捐 {format_yuan(evidence['matched_fen'])}"
                    ),
                    evidence=evidence,
                    already_flagged=_all_flagged(donors, flagged),
                )
            )
    return signals


KIND_ORDER = {RAPID_REPEAT: 0, CAP_HUNTING: 1, OWN_STAFF: 2, BURST: 3}


def sort_signals(signals: Iterable[Signal]) -> list[Signal]:
    """Not yet flagged first, then by severity, kind, score (within a kind), project and payer."""
    return sorted(
        signals,
        key=lambda s: (
            s.already_flagged,
            -s.severity,
            KIND_ORDER.get(s.kind, 9),
            -s.score,
            s.project_id or 0,
            s.donor_key or "",
            str(s.evidence.get("first_at") or ""),
        ),
    )


def all_signals(pool: MatchingPool, *, staff_donor_keys: Iterable[str] = ()) -> list[Signal]:
    """Every detector with its defaults, sorted by severity; flagged donors' signals are marked and come last."""
    flagged = flagged_donor_keys(pool)
    signals = [
        *rapid_repeat(pool, flagged=flagged),
        *cap_hunting(pool, flagged=flagged),
        *own_staff(pool, staff_donor_keys=staff_donor_keys, flagged=flagged),
        *burst(pool, flagged=flagged),
    ]
    return sort_signals(signals)


def signals_for_donor(signals: Iterable[Signal], donor_key: str) -> list[Signal]:
    """The signals naming a payer, e.g. as the evidence of a flag."""
    return [signal for signal in signals if donor_key in signal.donor_keys]
