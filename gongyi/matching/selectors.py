"""Reads for matching: the pool's public status and its rules in plain Chinese."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from gongyi.core.money import format_yuan
from gongyi.matching.live import engine_pool_for
from gongyi.matching.models import MatchingPool, RatioKind


@dataclass(frozen=True)
class PoolStatus:
    pool: MatchingPool
    total_fen: int
    matched_fen: int
    forfeited_fen: int
    left_fen: int
    available_now_fen: int
    next_tranche_at: datetime | None
    next_tranche_fen: int
    window_open: bool
    in_match_hours: bool
    seed_revealed: bool
    rules: list[str]


def pool_for_campaign(campaign) -> MatchingPool | None:
    if campaign is None:
        return None
    return MatchingPool.objects.filter(campaign=campaign, is_active=True).select_related("sponsor").first()


def _clock(minute: int) -> str:
    return "24:00" if minute >= 1440 else f"{minute // 60:02d}:{minute % 60:02d}"


def rules_in_chinese(pool: MatchingPool) -> list[str]:
    """The pool's rules as a donor reads them."""
    tz = timezone.get_current_timezone()
    lines = [
        f"配捐时间：{timezone.localtime(pool.window_start, tz):%Y年%m月%d日 %H:%M} 至 "
        f"{timezone.localtime(pool.window_end, tz):%Y年%m月%d日 %H:%M}，"
        f"每天 {_clock(pool.match_from_minute)}–{_clock(pool.match_to_minute)}。",
    ]
    if pool.ratio_kind == RatioKind.FIXED:
        lines.append(f"配捐比例：每捐 1 元配 {pool.ratio_bp / 10000:g} 元。")
    else:
        lines.append(
            f"配捐比例：随机，在 {pool.ratio_min_bp / 100:g}% 至 {pool.ratio_max_bp / 100:g}% 之间，"
            "由公开的随机种子和订单号计算，人人可验证。"
        )
    lines.append(f"单笔捐款不少于 {format_yuan(pool.min_gift_fen)} 才参与配捐。")
    caps = [
        (pool.per_gift_cap_fen, "每笔配捐最多"),
        (pool.per_donor_daily_cap_fen, "每人每天配捐最多"),
        (pool.per_donor_project_daily_cap_fen, "每人每天对同一项目配捐最多"),
        (pool.per_project_daily_cap_fen, "每个项目每天配捐最多"),
        (pool.per_project_cap_fen, "每个项目配捐总额最多"),
    ]
    lines += [f"{label} {format_yuan(value)}。" for value, label in caps if value is not None]
    tranches = list(pool.tranches.all())
    if tranches:
        parts = "；".join(f"{timezone.localtime(t.at, tz):%m月%d日 %H:%M} 释放 {format_yuan(t.fen)}" for t in tranches)
        lines.append(f"配捐资金分批释放：{parts}，当批用完即止。")
    lines.append(
        "退款的捐赠不再配捐，" + ("其配捐退回池中。" if pool.refund_returns_to_pool else "其配捐收回不再使用。")
    )
    lines.append(
        "发现刷单、套捐的，追回其全部配捐，" + ("退回池中。" if pool.clawback_returns_to_pool else "不再使用。")
    )
    if pool.limit_to_projects:
        lines.append("仅限指定项目参与配捐。")
    return lines


def pool_status(pool: MatchingPool, now: datetime | None = None) -> PoolStatus:
    now = now or timezone.now()
    released = engine_pool_for(pool)
    used = pool.matched_fen + pool.forfeited_fen
    upcoming = [t for t in pool.tranches.all() if t.at > now]
    local = timezone.localtime(now)
    minute = local.hour * 60 + local.minute
    return PoolStatus(
        pool=pool,
        total_fen=pool.total_fen,
        matched_fen=pool.matched_fen,
        forfeited_fen=pool.forfeited_fen,
        left_fen=pool.left_fen,
        available_now_fen=max(0, released.released_fen(now) - used),
        next_tranche_at=upcoming[0].at if upcoming else None,
        next_tranche_fen=upcoming[0].fen if upcoming else 0,
        window_open=pool.window_start <= now < pool.window_end,
        in_match_hours=pool.match_from_minute <= minute < pool.match_to_minute,
        seed_revealed=now >= pool.window_end,
        rules=rules_in_chinese(pool),
    )
