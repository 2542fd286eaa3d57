"""Oversight: the disclosure schedule (信息公开) — what each project owes, the reports filed, reminders.

``DisclosureItem`` rows are the schedule of ``oversight.schedule`` made concrete per project (kept in step by
``services.sync_disclosure_schedule``); a ``DisclosureReport`` (text, optional attachment) is published
on the project's account page and satisfies the items it is filed for; the periodic task marks items
overdue and writes a ``DisclosureReminder`` for each reminder it sends.
"""

from __future__ import annotations

import secrets
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils import timezone

from gongyi.oversight import schedule


class ProjectTimeline(models.Model):
    """Dates the project record does not carry: its implementation period and an emergency's response phase."""

    project = models.OneToOneField(
        "projects.Project", verbose_name="项目", on_delete=models.CASCADE, related_name="timeline"
    )
    implementation_starts_on = models.DateField("项目实施开始日期", null=True, blank=True)
    implementation_ends_on = models.DateField("项目实施结束日期", null=True, blank=True)
    response_ends_on = models.DateField(
        "应急处置阶段结束日期", null=True, blank=True, help_text="应急募捐每5日公开一次，直至该日；不填则至募捐结束"
    )

    class Meta:
        verbose_name = verbose_name_plural = "项目实施周期"

    def __str__(self) -> str:
        return f"{self.project_id}"


class DisclosureKind(models.TextChoices):
    QUARTERLY = schedule.QUARTERLY, "季度公开（募捐与实施情况）"
    FINAL = schedule.FINAL, "结束后全面公开"
    IMPLEMENTATION_QUARTERLY = schedule.IMPLEMENTATION_QUARTERLY, "项目实施季度公开"
    IMPLEMENTATION_FINAL = schedule.IMPLEMENTATION_FINAL, "项目实施与资金使用全面公开"
    EMERGENCY = schedule.EMERGENCY, "应急募捐五日公开"


class ItemStatus(models.TextChoices):
    PENDING = "pending", "待公开"
    OVERDUE = "overdue", "已逾期"
    DONE = "done", "已公开"
    WITHDRAWN = "withdrawn", "已撤销"


OPEN_STATUSES = (ItemStatus.PENDING, ItemStatus.OVERDUE)


def report_upload_to(instance, filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()
    now = timezone.now()
    return f"disclosures/{now:%Y}/{now:%m}/{secrets.token_hex(16)}{suffix}"


class DisclosureReport(models.Model):
    """A published disclosure or progress update of a project (public, with an optional attachment)."""

    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="disclosure_reports"
    )
    title = models.CharField("标题", max_length=128)
    body = models.TextField("内容")
    period_start = models.DateField("报告期开始", null=True, blank=True)
    period_end = models.DateField("报告期结束", null=True, blank=True)
    attachment = models.FileField("附件", upload_to=report_upload_to, max_length=200, blank=True)
    attachment_content_type = models.CharField(max_length=32, blank=True)
    attachment_sha256 = models.CharField(max_length=64, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填报人", on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField("发布时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "信息公开报告"
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title


class DisclosureItem(models.Model):
    """One disclosure a project owes: kind, period covered, last day to publish, and how it ended."""

    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", on_delete=models.CASCADE, related_name="disclosure_items"
    )
    kind = models.CharField("类型", max_length=32, choices=DisclosureKind.choices)
    period_start = models.DateField("期间开始")
    period_end = models.DateField("期间结束")
    due_on = models.DateField("截止日期")
    status = models.CharField("状态", max_length=12, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    overdue_since = models.DateField("逾期日期", null=True, blank=True)
    report = models.ForeignKey(
        DisclosureReport, verbose_name="公开报告", null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    done_on = models.DateField("公开日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "信息公开事项"
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind", "due_on"], name="disclosure_item_unique"),
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(report__isnull=False, done_on__isnull=False),
                name="disclosure_done_has_report",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.project_id} {self.kind} {self.due_on}"

    @property
    def filed_late(self) -> bool:
        return self.done_on is not None and self.done_on > self.due_on

    def is_overdue(self, today) -> bool:
        return self.status in OPEN_STATUSES and self.due_on < today


class ReminderKind(models.TextChoices):
    UPCOMING = "upcoming", "即将到期"
    OVERDUE = "overdue", "已逾期"


class DisclosureReminder(models.Model):
    """A reminder sent about an item (a log line for now; a notification channel comes later)."""

    item = models.ForeignKey(DisclosureItem, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=12, choices=ReminderKind.choices)
    on = models.DateField("提醒日期")
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "信息公开提醒"
        ordering = ["-on", "-id"]
        constraints = [models.UniqueConstraint(fields=["item", "kind", "on"], name="disclosure_reminder_once_a_day")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.kind} {self.on}"
