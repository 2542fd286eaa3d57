"""Campaigns: a giving festival's window, its guiding units, host, co-hosts and sponsor."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from gongyi.orgs.models import Organisation


class Campaign(models.Model):
    """A festival such as 第二届湖北数字公益节: a half-open window [starts_at, ends_at)."""

    slug = models.SlugField("标识", max_length=64, unique=True)
    name = models.CharField("名称", max_length=128)
    tagline = models.CharField("口号", max_length=200, blank=True)
    description = models.TextField("介绍", blank=True)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    guiding_units = models.TextField("指导单位", blank=True, help_text="每行一个")
    host = models.ForeignKey(
        Organisation, verbose_name="主办单位", on_delete=models.PROTECT, related_name="hosted_campaigns"
    )
    co_hosts = models.ManyToManyField(
        Organisation, verbose_name="联合主办", blank=True, related_name="co_hosted_campaigns"
    )
    sponsor = models.ForeignKey(
        Organisation,
        verbose_name="配捐方",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sponsored_campaigns",
    )
    sponsor_commitment_fen = models.BigIntegerField("配捐及激励承诺（分）", default=0)
    is_public = models.BooleanField("公开显示", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "活动"
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="campaign_window_order",
                violation_error_message="结束时间必须晚于开始时间",
            ),
            models.CheckConstraint(
                condition=models.Q(sponsor_commitment_fen__gte=0), name="campaign_commitment_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.starts_at <= at < self.ends_at

    @property
    def guiding_unit_list(self) -> list[str]:
        return [line.strip() for line in self.guiding_units.splitlines() if line.strip()]
