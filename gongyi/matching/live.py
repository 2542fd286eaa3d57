"""Live matching: the engine's one formula applied to confirmed gifts in the database.

Runs inside ``confirm_payment``'s transaction. The pool row is locked first (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's IMMEDIATE transaction already serialises writers), so the usage the engine reads is
the usage the match is written against. The pool is then debited by a conditional UPDATE that cannot take
it past its total, and the database's ``pool_never_overspent`` check stands behind that.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError
from django.db.models import F
from django.utils import timezone

from gongyi.ledger.models import AccountKind, EntryKind, JournalEntry
from gongyi.ledger.services import Leg, get_account, post_entry, project_account
from gongyi.matching import engine
from gongyi.matching.models import (
    DonorFlag,
    Match,
    MatchingPool,
    MatchStatus,
    MatchUsageCounter,
    RatioKind,
    UsageScope,
)


class PoolOverspent(IntegrityError):
    """The conditional debit found less in the pool than the engine decided: never expected under the lock."""


def rules_for(pool: MatchingPool) -> engine.Rules:
    if pool.ratio_kind == RatioKind.RANDOM:
        ratio = engine.Ratio.random(pool.ratio_seed, pool.ratio_min_bp, pool.ratio_max_bp)
    else:
        ratio = engine.Ratio.fixed(pool.ratio_bp)
    projects = None
    if pool.limit_to_projects:
        projects = frozenset(str(pk) for pk in pool.projects.values_list("pk", flat=True))
    return engine.Rules(
        timezone=pool.timezone,
        window_start=pool.window_start,
        window_end=pool.window_end,
        match_from=pool.match_from_minute,
        match_to=pool.match_to_minute,
        min_gift_fen=pool.min_gift_fen,
        ratio=ratio,
        per_gift_cap_fen=pool.per_gift_cap_fen,
        per_donor_daily_cap_fen=pool.per_donor_daily_cap_fen,
        per_donor_project_daily_cap_fen=pool.per_donor_project_daily_cap_fen,
        per_project_daily_cap_fen=pool.per_project_daily_cap_fen,
        per_project_cap_fen=pool.per_project_cap_fen,
        projects=projects,
        refund_returns_to_pool=pool.refund_returns_to_pool,
        clawback_returns_to_pool=pool.clawback_returns_to_pool,
    )


def engine_pool_for(pool: MatchingPool) -> engine.Pool:
    return engine.Pool(total_fen=pool.total_fen, tranches=tuple(pool.tranches.values_list("at", "fen")))


def pool_account(pool: MatchingPool):
    return get_account(code=f"pool:{pool.pk}", name=f"{pool.name} · 配捐池", kind=AccountKind.MATCHING_POOL)


def sponsor_account(pool: MatchingPool):
    return get_account(
        code=f"sponsor:{pool.sponsor_id}", name=f"{pool.sponsor} · 应拨付", kind=AccountKind.SPONSOR_COMMITMENT
    )


def forfeited_account(pool: MatchingPool):
    return get_account(
        code=f"pool:{pool.pk}:forfeited", name=f"{pool.name} · 收回配捐", kind=AccountKind.FORFEITED_MATCHING
    )


def _usage_keys(donor: str, project: str, day: date) -> list[tuple[str, str]]:
    return [
        (UsageScope.DONOR_DAY, f"{donor}|{day.isoformat()}"),
        (UsageScope.DONOR_PROJECT_DAY, f"{donor}|{project}|{day.isoformat()}"),
        (UsageScope.PROJECT_DAY, f"{project}|{day.isoformat()}"),
        (UsageScope.PROJECT, project),
    ]


class DatabaseUsage:
    """``engine.MatchUsage`` read from the counters of a locked pool row."""

    def __init__(self, pool: MatchingPool, released: engine.Pool):
        self.pool = pool
        self.released = released

    def _counter(self, scope: str, key: str) -> int:
        value = (
            MatchUsageCounter.objects.filter(pool=self.pool, scope=scope, key=key)
            .values_list("matched_fen", flat=True)
            .first()
        )
        return value or 0

    def donor_day_matched(self, donor: str, day: date) -> int:
        return self._counter(UsageScope.DONOR_DAY, f"{donor}|{day.isoformat()}")

    def donor_project_day_matched(self, donor: str, project: str, day: date) -> int:
        return self._counter(UsageScope.DONOR_PROJECT_DAY, f"{donor}|{project}|{day.isoformat()}")

    def project_day_matched(self, project: str, day: date) -> int:
        return self._counter(UsageScope.PROJECT_DAY, f"{project}|{day.isoformat()}")

    def project_matched(self, project: str) -> int:
        return self._counter(UsageScope.PROJECT, project)

    def pool_available(self, at: datetime) -> int:
        return self.released.released_fen(at) - self.pool.matched_fen - self.pool.forfeited_fen

    def is_flagged(self, donor: str) -> bool:
        return DonorFlag.objects.filter(pool=self.pool, donor_key=donor).exists()


def _move_usage(pool: MatchingPool, donor: str, project: str, day: date, delta: int) -> None:
    for scope, key in _usage_keys(donor, project, day):
        updated = MatchUsageCounter.objects.filter(pool=pool, scope=scope, key=key).update(
            matched_fen=F("matched_fen") + delta
        )
        if not updated:
            MatchUsageCounter.objects.create(pool=pool, scope=scope, key=key, matched_fen=delta)


def locked_pool(pool_id: int) -> MatchingPool:
    return MatchingPool.objects.select_for_update().get(pk=pool_id)


def pool_for_gift(gift) -> MatchingPool | None:
    campaign_id = gift.project.campaign_id
    if campaign_id is None:
        return None
    return MatchingPool.objects.filter(campaign_id=campaign_id, is_active=True).only("pk").first()


def match_confirmed_gift(*, gift) -> Match | None:
    """Match a just-confirmed gift from its campaign's pool (none: no match) and post the match entry."""
    if gift.gateway == "offline":  # offline gifts (gongyi.offline) are not matched: the pool is for online giving
        return None
    found = pool_for_gift(gift)
    if found is None:
        return None
    pool = locked_pool(found.pk)
    rules = rules_for(pool)
    gift_in = engine.GiftIn(
        id=gift.order.out_trade_no,
        at=gift.paid_at,
        donor=gift.donor_key,
        project=str(gift.project_id),
        fen=gift.amount_fen,
    )
    decision = engine.decide_match(rules, gift_in, DatabaseUsage(pool, engine_pool_for(pool)))
    matched = decision.matched_fen
    match = Match.objects.create(
        gift=gift,
        pool=pool,
        project_id=gift.project_id,
        donor_key=gift.donor_key,
        local_day=decision.local_day,
        eligible=decision.eligible,
        ratio_bp=decision.ratio_bp,
        wanted_fen=decision.wanted_fen,
        matched_fen=matched,
        limited_by=decision.limited_by or "",
        status=MatchStatus.LIVE if matched else MatchStatus.NONE,
    )
    type(gift).objects.filter(pk=gift.pk).update(match_ratio_bp=decision.ratio_bp, matched_fen=matched)
    gift.match_ratio_bp, gift.matched_fen = decision.ratio_bp, matched
    if matched <= 0:
        return match
    debited = MatchingPool.objects.filter(
        pk=pool.pk, total_fen__gte=F("matched_fen") + F("forfeited_fen") + matched
    ).update(matched_fen=F("matched_fen") + matched)
    if debited != 1:
        raise PoolOverspent(f"pool {pool.pk} cannot give {matched} fen")
    _move_usage(pool, gift.donor_key, str(gift.project_id), decision.local_day, matched)
    post_entry(
        kind=EntryKind.MATCH,
        idempotency_key=f"match:{gift.pk}",
        occurred_at=gift.paid_at,
        memo=f"配捐 {gift.order.out_trade_no} → {gift.project.title}",
        legs=[
            Leg(pool_account(pool), matched),
            Leg(project_account(gift.project, AccountKind.PROJECT_MATCHING), -matched),
        ],
        gift=gift,
        project=gift.project,
    )
    return match


def take_back_match(*, match: Match, to_pool: bool, why: str) -> int:
    """Take a live match back (refund or claw-back), to the pool or forfeited; return the fen taken back."""
    if match.status != MatchStatus.LIVE or match.matched_fen <= 0:
        return 0
    pool = locked_pool(match.pool_id)
    fen = match.matched_fen
    updated = Match.objects.filter(pk=match.pk, status=MatchStatus.LIVE).update(
        status=MatchStatus.RETURNED if to_pool else MatchStatus.FORFEITED
    )
    if not updated:
        return 0
    if to_pool:
        MatchingPool.objects.filter(pk=pool.pk).update(matched_fen=F("matched_fen") - fen)
        target = pool_account(pool)
    else:
        MatchingPool.objects.filter(pk=pool.pk).update(
            matched_fen=F("matched_fen") - fen, forfeited_fen=F("forfeited_fen") + fen
        )
        target = forfeited_account(pool)
    _move_usage(pool, match.donor_key, str(match.project_id), match.local_day, -fen)
    gift = match.gift
    original = JournalEntry.objects.get(idempotency_key=f"match:{gift.pk}")
    post_entry(
        kind=EntryKind.MATCH_REVERSAL,
        idempotency_key=f"match-reversal:{gift.pk}",
        occurred_at=timezone.now(),
        reverses=original,
        memo=f"配捐{'退回池中' if to_pool else '收回'}（{why}） {gift.order.out_trade_no}",
        legs=[Leg(project_account(gift.project, AccountKind.PROJECT_MATCHING), fen), Leg(target, -fen)],
        gift=gift,
        project=gift.project,
    )
    type(gift).objects.filter(pk=gift.pk).update(matched_fen=0)
    match.status = MatchStatus.RETURNED if to_pool else MatchStatus.FORFEITED
    return fen
