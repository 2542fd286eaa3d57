"""Daily reports (日报) of a campaign: figures of one local day compared with the day before, as files.

Every generation is a new row (``version`` 1, 2, …) keeping the figures it computed and the Excel and PDF
files it wrote; rows are never edited, so what was sent to whom on which morning can always be shown again.
The figures come from one selector (``selectors.daily_figures``) reading the gifts themselves — there are
no report counters to drift.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q


class ReportTrigger(models.TextChoices):
    SCHEDULED = "scheduled", "定时生成"
    STAFF = "staff", "工作人员生成"
    COMMAND = "command", "命令行生成"
    DEMO = "demo", "演示数据"


def _report_path(instance: DailyReport, filename: str) -> str:
    # A random part keeps the name unguessable where MEDIA_ROOT is served directly (DEBUG).
    extension = filename.rsplit(".", 1)[-1]
    slug = instance.campaign.slug
    return (
        f"reports/daily/{slug}/{instance.day:%Y-%m-%d}/"
        f"daily-{slug}-{instance.day:%Y%m%d}-v{instance.version}-{secrets.token_hex(6)}.{extension}"
    )


class DailyReport(models.Model):
    """One generated daily report of a campaign for one local (Asia/Shanghai) day."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", verbose_name="活动", on_delete=models.PROTECT, related_name="daily_reports"
    )
    day = models.DateField("日期（北京时间）")
    version = models.PositiveIntegerField("版本", default=1)
    trigger = models.CharField("生成方式", max_length=16, choices=ReportTrigger.choices)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="生成人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    generated_at = models.DateTimeField("生成时间", auto_now_add=True)
    gifts = models.PositiveIntegerField("捐赠笔数")
    givers = models.PositiveIntegerField("捐赠人数")
    amount_fen = models.BigIntegerField("捐赠金额（分）")
    matched_fen = models.BigIntegerField("配捐金额（分）")
    figures = models.JSONField("数据（生成时）")
    xlsx = models.FileField("Excel", upload_to=_report_path, max_length=300)
    pdf = models.FileField("PDF", upload_to=_report_path, max_length=300)

    class Meta:
        verbose_name = verbose_name_plural = "日报"
        ordering = ["-day", "-version", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "day", "version"], name="daily_report_version_unique"),
            models.CheckConstraint(
                condition=Q(amount_fen__gte=0, matched_fen__gte=0, version__gte=1), name="daily_report_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.day:%Y-%m-%d} v{self.version}"
