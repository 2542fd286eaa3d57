"""Matching pools (配捐池), their rules, the matches they made, donor flags and incentive awards.

One pool per campaign. The rules here are turned into ``engine.Rules`` by ``live.rules_for``, so the live
path and the simulator share one formula. ``matched_fen`` and ``forfeited_fen`` move with every match,
return and forfeit, under a database check that their sum never exceeds ``total_fen``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RatioKind(models.TextChoices):
    FIXED = "fixed", "固定比例"
    RANDOM = "random", "随机比例（可验证）"


class MatchingPool(models.Model):
    campaign = models.OneToOneField(
        "campaigns.Campaign", verbose_name="活动", on_delete=models.PROTECT, related_name="matching_pool"
    )
    sponsor = models.ForeignKey(
        "orgs.Organisation", verbose_name="配捐方", on_delete=models.PROTECT, related_name="matching_pools"
    )
    name = models.CharField("名称", max_length=128)
    total_fen = models.BigIntegerField("配捐总额（分）")
    matched_fen = models.BigIntegerField("已配捐（分）", default=0, editable=False)
    forfeited_fen = models.BigIntegerField("已收回不再使用（分）", default=0, editable=False)
    timezone = models.CharField("时区", max_length=64, default="Asia/Shanghai")
    window_start = models.DateTimeField("配捐开始")
    window_end = models.DateTimeField("配捐结束")
    match_from_minute = models.PositiveSmallIntegerField(
        "每日配捐开始（分钟）", default=0, help_text="当地时间，0 = 00:00，600 = 10:00"
    )
    match_to_minute = models.PositiveSmallIntegerField(
        "每日配捐结束（分钟）", default=1440, help_text="当地时间，1440 = 24:00"
    )
    min_gift_fen = models.BigIntegerField("最低配捐捐款（分）", default=100)
    ratio_kind = models.CharField("比例类型", max_length=8, choices=RatioKind.choices, default=RatioKind.FIXED)
    ratio_bp = models.PositiveIntegerField("固定比例（基点，10000=1:1）", null=True, blank=True, default=10000)
    ratio_min_bp = models.PositiveIntegerField("随机比例下限（基点）", null=True, blank=True)
    ratio_max_bp = models.PositiveIntegerField("随机比例上限（基点）", null=True, blank=True)
    ratio_seed = models.CharField("随机种子（活动结束后公开）", max_length=128, blank=True)
    ratio_seed_sha256 = models.CharField("随机种子 SHA-256", max_length=64, blank=True, editable=False)
    per_gift_cap_fen = models.BigIntegerField("单笔配捐上限（分）", null=True, blank=True)
    per_donor_daily_cap_fen = models.BigIntegerField("每人每日配捐上限（分）", null=True, blank=True)
    per_donor_project_daily_cap_fen = models.BigIntegerField("每人每项目每日上限（分）", null=True, blank=True)
    per_project_daily_cap_fen = models.BigIntegerField("每项目每日上限（分）", null=True, blank=True)
    per_project_cap_fen = models.BigIntegerField("每项目总上限（分）", null=True, blank=True)
    limit_to_projects = models.BooleanField("仅限指定项目", default=False)
    projects = models.ManyToManyField(
        "projects.Project", verbose_name="指定项目", blank=True, related_name="matching_pools"
    )
    refund_returns_to_pool = models.BooleanField("退款后配捐退回池中", default=True)
    clawback_returns_to_pool = models.BooleanField("追回的配捐退回池中", default=True)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "配捐池"
        constraints = [
            models.CheckConstraint(condition=models.Q(total_fen__gt=0), name="pool_total_positive"),
            models.CheckConstraint(
                condition=models.Q(matched_fen__gte=0, forfeited_fen__gte=0), name="pool_usage_nonneg"
            ),
            # The last line of defence: whatever the code does, the pool is never overspent.
            models.CheckConstraint(
                condition=models.Q(total_fen__gte=models.F("matched_fen") + models.F("forfeited_fen")),
                name="pool_never_overspent",
            ),
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")), name="pool_window_order"
            ),
            models.CheckConstraint(
                condition=models.Q(match_to_minute__gt=models.F("match_from_minute"), match_to_minute__lte=1440),
                name="pool_match_hours",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def left_fen(self) -> int:
        return self.total_fen - self.matched_fen - self.forfeited_fen


class PoolTranche(models.Model):
    """Part of the pool released at a moment (e.g. each festival day at 10:00)."""

    pool = models.ForeignKey(MatchingPool, on_delete=models.CASCADE, related_name="tranches")
    at = models.DateTimeField("释放时间")
    fen = models.BigIntegerField("金额（分）")

    class Meta:
        verbose_name = verbose_name_plural = "配捐分批释放"
        ordering = ["at", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(fen__gte=0), name="tranche_fen_nonneg")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.fen}"


class MatchStatus(models.TextChoices):
    LIVE = "live", "有效"
    NONE = "none", "未配捐"
    RETURNED = "returned", "已退回池中"
    FORFEITED = "forfeited", "已收回"


class Match(models.Model):
    """The matching decision for one confirmed gift, with its explanation; ``entry`` is its ledger entry."""

    gift = models.OneToOneField("giving.Gift", on_delete=models.PROTECT, related_name="match")
    pool = models.ForeignKey(MatchingPool, on_delete=models.PROTECT, related_name="matches")
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="matches")
    donor_key = models.CharField(max_length=160)
    local_day = models.DateField()
    eligible = models.BooleanField()
    ratio_bp = models.PositiveIntegerField(null=True)
    wanted_fen = models.BigIntegerField(default=0)
    matched_fen = models.BigIntegerField(default=0)
    limited_by = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=12, choices=MatchStatus.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "配捐记录"
        constraints = [models.CheckConstraint(condition=models.Q(matched_fen__gte=0), name="match_nonneg")]
        indexes = [models.Index(fields=["pool", "donor_key", "status"])]

    def __str__(self) -> str:
        return f"gift {self.gift_id}: {self.matched_fen}"


class UsageScope(models.TextChoices):
    DONOR_DAY = "donor_day"
    DONOR_PROJECT_DAY = "donor_project_day"
    PROJECT_DAY = "project_day"
    PROJECT = "project"


class MatchUsageCounter(models.Model):
    """Live matched fen per cap scope, so every cap check is one indexed read, not a scan."""

    pool = models.ForeignKey(MatchingPool, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=20, choices=UsageScope.choices)
    key = models.CharField(max_length=240, help_text="donor / project / day joined by '|'")
    matched_fen = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pool", "scope", "key"], name="usage_counter_unique"),
            models.CheckConstraint(condition=models.Q(matched_fen__gte=0), name="usage_counter_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}={self.matched_fen}"


class DonorFlag(models.Model):
    """A donor found cheating (刷单, 套捐): their matches are clawed back, later gifts not matched."""

    pool = models.ForeignKey(MatchingPool, on_delete=models.PROTECT, related_name="flags")
    donor_key = models.CharField(max_length=160)
    reason = models.CharField("理由", max_length=300)
    evidence = models.JSONField("证据", default=dict, blank=True)
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    flagged_at = models.DateTimeField(auto_now_add=True)
    clawed_back_fen = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "违规捐赠人标记"
        constraints = [models.UniqueConstraint(fields=["pool", "donor_key"], name="donor_flag_unique")]

    def __str__(self) -> str:
        return self.donor_key


class IncentiveKind(models.TextChoices):
    TIERS = "tiers", "阶梯奖励"
    SHARE = "share", "按比例分配"


class IncentiveMetric(models.TextChoices):
    DONORS = "donors", "捐赠人数"
    GIFTS = "gifts", "捐赠笔数"


class IncentiveRule(models.Model):
    pool = models.ForeignKey(MatchingPool, on_delete=models.CASCADE, related_name="incentive_rules")
    kind = models.CharField("类型", max_length=8, choices=IncentiveKind.choices)
    metric = models.CharField("指标", max_length=8, choices=IncentiveMetric.choices)
    tiers = models.JSONField(
        "阶梯", default=list, blank=True, help_text='如 [{"min": 100, "fen": 100000}, {"min": 1000, "fen": 1000000}]'
    )
    pool_fen = models.BigIntegerField("分配总额（分）", null=True, blank=True)
    min_metric = models.PositiveIntegerField("最低指标", null=True, blank=True)
    cap_fen = models.BigIntegerField("单项目上限（分）", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "激励规则"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_metric_display()}"


class IncentiveAward(models.Model):
    """What one project was awarded by a pool's incentives; posted to the ledger once."""

    pool = models.ForeignKey(MatchingPool, on_delete=models.PROTECT, related_name="awards")
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="incentive_awards")
    fen = models.BigIntegerField()
    metrics = models.JSONField(default=dict)
    awarded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "激励发放"
        constraints = [models.UniqueConstraint(fields=["pool", "project"], name="incentive_award_once")]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.fen}"
