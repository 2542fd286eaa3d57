"""Writes for matching: pools and their funding, donor flags with claw-back, incentive awards."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from gongyi.giving.models import GiftStatus
from gongyi.ledger.models import AccountKind, EntryKind, JournalLine
from gongyi.ledger.services import Leg, post_entry, project_account
from gongyi.matching import engine
from gongyi.matching.live import locked_pool, pool_account, sponsor_account, take_back_match
from gongyi.matching.models import (
    DonorFlag,
    IncentiveAward,
    IncentiveRule,
    Match,
    MatchingPool,
    MatchStatus,
    RatioKind,
)
from gongyi.projects.models import Project


class PoolRuleError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def validate_pool_rules(pool: MatchingPool) -> None:
    """Refuse rules that make no sense, naming the field."""
    if pool.total_fen is None or pool.total_fen <= 0:
        raise PoolRuleError("total_fen", "配捐总额必须大于0")
    if pool.window_start and pool.window_end and pool.window_end <= pool.window_start:
        raise PoolRuleError("window_end", "配捐结束时间必须晚于开始时间")
    if not (0 <= pool.match_from_minute < pool.match_to_minute <= 1440):
        raise PoolRuleError("match_to_minute", "每日配捐时段须满足 0 ≤ 开始 < 结束 ≤ 1440")
    if pool.min_gift_fen < 0:
        raise PoolRuleError("min_gift_fen", "不能为负")
    if pool.ratio_kind == RatioKind.FIXED:
        if pool.ratio_bp is None or pool.ratio_bp <= 0:
            raise PoolRuleError("ratio_bp", "固定比例须大于0（10000 = 1:1）")
    else:
        if pool.ratio_min_bp is None or pool.ratio_max_bp is None:
            raise PoolRuleError("ratio_min_bp", "随机比例须填写上下限")
        if pool.ratio_min_bp > pool.ratio_max_bp:
            raise PoolRuleError("ratio_max_bp", "随机比例上限不能小于下限")
        if len(pool.ratio_seed or "") < 16:
            raise PoolRuleError("ratio_seed", "随机种子至少16个字符（留空将自动生成）")
    for name in (
        "per_gift_cap_fen",
        "per_donor_daily_cap_fen",
        "per_donor_project_daily_cap_fen",
        "per_project_daily_cap_fen",
        "per_project_cap_fen",
    ):
        value = getattr(pool, name)
        if value is not None and value <= 0:
            raise PoolRuleError(name, "上限须大于0，不限请留空")
    if pool.pk and pool.total_fen < pool.matched_fen + pool.forfeited_fen:
        raise PoolRuleError("total_fen", "配捐总额不能少于已配捐与已收回之和")


def prepare_pool(pool: MatchingPool) -> None:
    """Fill in what is derived: a random seed when none was given, and its published SHA-256."""
    if pool.ratio_kind == RatioKind.RANDOM and not pool.ratio_seed:
        pool.ratio_seed = secrets.token_hex(24)
    pool.ratio_seed_sha256 = hashlib.sha256(pool.ratio_seed.encode()).hexdigest() if pool.ratio_seed else ""


def save_pool(*, pool: MatchingPool, actor=None) -> MatchingPool:
    """Validate, save and fund a pool: its ledger account always holds total − matched − forfeited.

    Every change of the rules is recorded with its before and after for the regulator's audit trail.
    """
    from gongyi.oversight.audit import record_rule_change, rule_snapshot

    prepare_pool(pool)
    validate_pool_rules(pool)
    with transaction.atomic():
        before = None
        if pool.pk:
            # Only the rules change here; matched and forfeited move with matches alone.
            current = locked_pool(pool.pk)
            before = rule_snapshot(current)
            pool.matched_fen, pool.forfeited_fen = current.matched_fen, current.forfeited_fen
            validate_pool_rules(pool)
        pool.save()
        sync_pool_funding(pool=pool)
        record_rule_change(actor=actor, subject=pool, before=before, after=rule_snapshot(pool))
    return pool


def pool_related_snapshot(pool: MatchingPool) -> dict:
    """The pool's rules kept outside its row: the projects it matches, its tranches and its incentive rules."""
    from gongyi.oversight.audit import rule_snapshot

    return {
        "projects": sorted(pool.projects.values_list("pk", flat=True)),
        "tranches": [rule_snapshot(t, exclude=("pool",)) for t in pool.tranches.order_by("pk")],
        "incentive_rules": [rule_snapshot(r, exclude=("pool",)) for r in pool.incentive_rules.order_by("pk")],
    }


EMPTY_RELATED = {"projects": [], "tranches": [], "incentive_rules": []}


def record_pool_related_change(*, pool: MatchingPool, before: dict | None, actor=None):
    """Record a change of the pool's projects, tranches or incentive rules (the admin saves them after the pool)."""
    from gongyi.oversight.audit import record_rule_change

    return record_rule_change(
        actor=actor,
        subject=pool,
        before=before or EMPTY_RELATED,
        after=pool_related_snapshot(pool),
        note="配捐项目、分批释放与激励规则",
    )


def sync_pool_funding(*, pool: MatchingPool) -> int:
    """Post the difference between the pool's total and what has been credited to it as funding."""
    account = pool_account(pool)
    funded = -(
        JournalLine.objects.filter(account=account, entry__kind=EntryKind.POOL_FUNDING).aggregate(s=Sum("amount_fen"))[
            "s"
        ]
        or 0
    )
    delta = pool.total_fen - funded
    if delta == 0:
        return 0
    count = JournalLine.objects.filter(account=account, entry__kind=EntryKind.POOL_FUNDING).count()
    post_entry(
        kind=EntryKind.POOL_FUNDING,
        idempotency_key=f"pool-funding:{pool.pk}:{count}",
        occurred_at=timezone.now(),
        memo=f"{pool.sponsor} 注资配捐池 {pool.name}",
        legs=[Leg(sponsor_account(pool), delta), Leg(account, -delta)],
    )
    return delta


@dataclass(frozen=True)
class FlagResult:
    flag: DonorFlag
    created: bool
    clawed_back_fen: int


def flag_donor(*, pool: MatchingPool, donor_key: str, reason: str, actor=None, evidence=None) -> FlagResult:
    """Flag a cheating donor: every live match of theirs is clawed back, later gifts are not matched."""
    if not reason.strip():
        raise PoolRuleError("reason", "请填写标记理由")
    with transaction.atomic():
        locked_pool(pool.pk)
        try:
            with transaction.atomic():
                flag = DonorFlag.objects.create(
                    pool=pool, donor_key=donor_key, reason=reason[:300], evidence=evidence or {}, flagged_by=actor
                )
        except IntegrityError:
            return FlagResult(DonorFlag.objects.get(pool=pool, donor_key=donor_key), False, 0)
        clawed = 0
        matches = (
            Match.objects.select_related("gift", "gift__order", "gift__project")
            .filter(pool=pool, donor_key=donor_key, status=MatchStatus.LIVE)
            .order_by("pk")
        )
        for match in matches:
            clawed += take_back_match(match=match, to_pool=pool.clawback_returns_to_pool, why="违规标记")
        DonorFlag.objects.filter(pk=flag.pk).update(clawed_back_fen=clawed)
        flag.clawed_back_fen = clawed
    return FlagResult(flag, True, clawed)


def incentive_rules_for(pool: MatchingPool) -> list[engine.IncentiveRule]:
    rules = []
    for rule in pool.incentive_rules.all().order_by("pk"):
        rules.append(
            engine.IncentiveRule(
                kind=rule.kind,
                metric=rule.metric,
                tiers=tuple((int(t["min"]), int(t["fen"])) for t in rule.tiers) if rule.kind == "tiers" else None,
                pool_fen=rule.pool_fen,
                min=rule.min_metric,
                cap_fen=rule.cap_fen,
            )
        )
    return rules


def incentive_metrics(pool: MatchingPool) -> dict[str, dict[str, int]]:
    """Per project of the campaign with a gift: distinct unflagged donors and gifts counting for incentives."""
    projects = Project.objects.filter(campaign_id=pool.campaign_id, gifts__isnull=False).distinct()
    if pool.limit_to_projects:
        projects = projects.filter(pk__in=pool.projects.values("pk"))
    flagged = DonorFlag.objects.filter(pool=pool).values("donor_key")
    counting = Q(
        gifts__status=GiftStatus.CONFIRMED,
        gifts__amount_fen__gte=pool.min_gift_fen,
        gifts__paid_at__gte=pool.window_start,
        gifts__paid_at__lt=pool.window_end,
    ) & ~Q(gifts__donor_key__in=flagged)
    rows = projects.annotate(
        donors=Count("gifts__donor_key", filter=counting, distinct=True),
        gift_count=Count("gifts", filter=counting),
    ).values_list("pk", "donors", "gift_count")
    return {str(pk): {"donors": donors, "gifts": gifts} for pk, donors, gifts in rows}


@dataclass(frozen=True)
class IncentiveReport:
    awarded: dict[int, int]
    already_awarded: bool


def award_incentives(*, pool: MatchingPool, now=None) -> IncentiveReport:
    """Compute incentives after the window and post them once; running again changes nothing."""
    now = now or timezone.now()
    if now < pool.window_end:
        raise PoolRuleError("window_end", "激励须在配捐窗口结束后计算")
    with transaction.atomic():
        pool = locked_pool(pool.pk)
        if IncentiveAward.objects.filter(pool=pool).exists():
            return IncentiveReport({a.project_id: a.fen for a in pool.awards.all()}, True)
        metrics = incentive_metrics(pool)
        awarded = engine.compute_incentives(incentive_rules_for(pool), metrics)
        result = {}
        for project_key, fen in sorted(awarded.items(), key=lambda item: int(item[0])):
            project = Project.objects.get(pk=int(project_key))
            IncentiveAward.objects.create(pool=pool, project=project, fen=fen, metrics=metrics[project_key])
            result[project.pk] = fen
            if fen > 0:
                post_entry(
                    kind=EntryKind.INCENTIVE,
                    idempotency_key=f"incentive:{pool.pk}:{project.pk}",
                    occurred_at=now,
                    memo=f"{pool.sponsor} 激励 → {project.title}",
                    legs=[
                        Leg(sponsor_account(pool), fen),
                        Leg(project_account(project, AccountKind.PROJECT_INCENTIVES), -fen),
                    ],
                    project=project,
                )
    return IncentiveReport(result, False)


def award_due_incentives(now=None) -> list[int]:
    """For the periodic task: award every pool whose window ended over half an hour ago and has no awards.

    The half hour lets late notifications and the stuck-order sweep settle the window's last gifts first.
    """
    now = now or timezone.now()
    done = []
    settled = now - timedelta(minutes=30)
    for pool in MatchingPool.objects.filter(window_end__lte=settled).exclude(awards__isnull=False):
        if IncentiveRule.objects.filter(pool=pool).exists():
            award_incentives(pool=pool, now=now)
            done.append(pool.pk)
    return done
