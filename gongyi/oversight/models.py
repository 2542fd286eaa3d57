"""Oversight: the disclosure schedule (信息公开), complaints (举报/投诉), rule changes, finance limits.

``DisclosureItem`` rows are the schedule of ``oversight.schedule`` made concrete per project (kept in step by
``services.sync_disclosure_schedule``); a ``DisclosureReport`` (text, optional attachment) is published
on the project's account page and satisfies the items it is filed for; the periodic task marks items
overdue and writes a ``DisclosureReminder`` for each reminder it sends.

A ``Complaint`` is filed by anyone (``oversight.complaints``) and followed by its tracking number; each of
its changes is a ``ComplaintEvent``. ``RuleChangeEvent`` keeps rule changes with their before and after;
``FinanceLimit`` holds the configurable spending and cost limits of ``oversight.finance``.
"""

from __future__ import annotations

import secrets
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils import timezone

from gongyi.orgs.models import OrganisationKind
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


# --- complaints (举报/投诉, Charity Law art. 108) ------------------------------------------------------------


class ComplaintSubject(models.TextChoices):
    PROJECT = "project", "募捐项目"
    ORGANISATION = "organisation", "慈善组织"
    AID_CASE = "aid_case", "救助案件"
    UNIT = "unit", "一日捐单位"
    OTHER = "other", "其他"


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", "已收到"
    TRIAGED = "triaged", "已受理"
    INVESTIGATING = "investigating", "调查核实中"
    ANSWERED = "answered", "已答复"
    CLOSED = "closed", "已办结"
    REJECTED = "rejected", "不予受理"
    DUPLICATE = "duplicate", "重复举报（合并处理）"


# Statuses in which the complainant is still waiting for an answer: these can fall overdue.
OPEN_COMPLAINT_STATUSES = (ComplaintStatus.RECEIVED, ComplaintStatus.TRIAGED, ComplaintStatus.INVESTIGATING)
# Statuses in which the complainant has had a reply (an answer, a refusal with reasons, a merge).
REPLIED_COMPLAINT_STATUSES = (
    ComplaintStatus.ANSWERED,
    ComplaintStatus.CLOSED,
    ComplaintStatus.REJECTED,
    ComplaintStatus.DUPLICATE,
)


class ComplaintOutcome(models.TextChoices):
    UPHELD = "upheld", "反映属实"
    PARTLY_UPHELD = "partly_upheld", "部分属实"
    NOT_UPHELD = "not_upheld", "反映不属实"
    REFERRED = "referred", "已转交有关部门"
    NOT_ACCEPTED = "not_accepted", "不予受理"
    MERGED = "merged", "合并处理"


# The outcomes staff choose when answering; the other two follow from rejecting and merging.
ANSWER_OUTCOMES = (
    ComplaintOutcome.UPHELD,
    ComplaintOutcome.PARTLY_UPHELD,
    ComplaintOutcome.NOT_UPHELD,
    ComplaintOutcome.REFERRED,
)


class Complaint(models.Model):
    """A complaint or report (举报/投诉) from anyone, anonymous allowed, followed by its tracking number.

    The complainant's name and contact are sealed (``oversight.contact``) and shown to complaint handlers
    only; the text and attachments are never public. The public tracking page shows the subject, the dates,
    the status and — when ``answer_is_public`` — the answer. ``answer_due_on`` is the last day to reply,
    fixed when the complaint is received from ``GONGYI_COMPLAINT_ANSWER_DAYS``; the periodic task sets
    ``overdue_flagged_at`` once when it passes with no reply, and the regulator's dashboard lists it.
    Every change goes through ``oversight.complaints`` and writes a ``ComplaintEvent``.
    """

    tracking_number = models.CharField("查询编号", max_length=24, unique=True)
    subject_kind = models.CharField("举报对象类型", max_length=16, choices=ComplaintSubject.choices)
    subject_ref = models.CharField("举报对象编号", max_length=64, blank=True)
    subject_label = models.CharField("举报对象", max_length=160, blank=True)
    project = models.ForeignKey(
        "projects.Project",
        verbose_name="项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    organisation = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    text = models.TextField("举报内容")
    is_anonymous = models.BooleanField("匿名", default=True)
    complainant_name_sealed = models.TextField("举报人姓名（加密）", blank=True, editable=False)
    contact_sealed = models.TextField("联系方式（加密）", blank=True, editable=False)
    contact_hint = models.CharField("联系方式（脱敏）", max_length=40, blank=True, editable=False)
    ip_digest = models.CharField(max_length=32, blank=True, editable=False)
    status = models.CharField("状态", max_length=16, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED)
    received_at = models.DateTimeField("收到时间", default=timezone.now)
    answer_due_on = models.DateField("答复期限")
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    triaged_at = models.DateTimeField("受理时间", null=True, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    outcome = models.CharField("处理结果", max_length=16, choices=ComplaintOutcome.choices, blank=True)
    answer = models.TextField("答复", blank=True)
    answer_is_public = models.BooleanField("答复公开", default=True)
    answer_private_reason = models.CharField("不公开理由", max_length=200, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name="合并至",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    overdue_flagged_at = models.DateTimeField("逾期标记时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "举报投诉"
        ordering = ["-received_at", "-id"]
        permissions = [("handle_complaint", "可受理、调查和答复举报投诉")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=["answered", "closed"]) | ~models.Q(answer=""),
                name="complaint_answered_has_answer",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["answered", "closed", "rejected", "duplicate"])
                | (models.Q(answered_at__isnull=False) & ~models.Q(outcome="")),
                name="complaint_replied_has_outcome",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="duplicate") | models.Q(duplicate_of__isnull=False),
                name="complaint_duplicate_names_original",
            ),
            models.CheckConstraint(
                condition=models.Q(answer_is_public=True) | ~models.Q(answer_private_reason=""),
                name="complaint_private_answer_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(is_anonymous=False) | models.Q(complainant_name_sealed=""),
                name="complaint_anonymous_has_no_name",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "answer_due_on"]),
            models.Index(fields=["ip_digest", "received_at"]),
        ]

    def __str__(self) -> str:
        return self.tracking_number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_COMPLAINT_STATUSES

    def is_overdue(self, today) -> bool:
        """Still waiting for a reply after its last day."""
        return self.is_open and self.answer_due_on < today

    @property
    def answered_late(self) -> bool:
        if self.answered_at is None:
            return False
        return timezone.localdate(self.answered_at) > self.answer_due_on


def complaint_upload_to(instance, filename: str) -> str:
    """A random name: the uploaded name may itself carry a person's name."""
    suffix = PurePosixPath(filename).suffix.lower()
    now = timezone.now()
    return f"complaints/{now:%Y}/{now:%m}/{secrets.token_hex(16)}{suffix}"


class ComplaintAttachment(models.Model):
    """Evidence sent with a complaint: a PDF or image, at most 10 MB, never publicly served."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField("附件", upload_to=complaint_upload_to, max_length=200)
    content_type = models.CharField("文件类型", max_length=32)
    size_bytes = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "举报附件"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} #{self.pk}"


class ComplaintEventKind(models.TextChoices):
    FILED = "filed", "收到举报"
    TRIAGED = "triaged", "受理"
    INVESTIGATING = "investigating", "开始调查"
    ANSWERED = "answered", "答复"
    CLOSED = "closed", "办结"
    REJECTED = "rejected", "不予受理"
    DUPLICATE = "duplicate", "合并处理"
    OVERDUE_FLAGGED = "overdue_flagged", "逾期未答复（已报监管部门）"
    ATTACHMENT_VIEWED = "attachment_viewed", "查看附件"
    CONTACT_VIEWED = "contact_viewed", "查看举报人联系方式"


class ComplaintEvent(models.Model):
    """Append-only trail of a complaint: who moved it from which status to which, when, with what note."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("事件", max_length=20, choices=ComplaintEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField("原状态", max_length=16, choices=ComplaintStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=16, choices=ComplaintStatus.choices, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "举报处理记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind}"


# --- rule changes (before and after) -------------------------------------------------------------------------


class RuleChangeEvent(models.Model):
    """A change to a rule others depend on (a matching pool's rules, a finance limit): before and after.

    Written by ``oversight.audit.record_rule_change`` in the same transaction as the change; ``before`` is
    empty for a new rule, ``after`` empty for a deleted one. Secrets (a random-ratio seed before the window
    ends) are never copied here: ``rule_snapshot`` leaves them out.
    """

    subject_type = models.CharField("对象类型", max_length=64)
    subject_id = models.CharField("对象编号", max_length=64)
    subject_label = models.CharField("对象", max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    before = models.JSONField("修改前", default=dict, blank=True)
    after = models.JSONField("修改后", default=dict, blank=True)
    changed_fields = models.JSONField("修改的字段", default=list, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "规则变更记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.subject_type}:{self.subject_id} {self.at:%Y-%m-%d %H:%M}"


# --- finance controls (regulation §4) ---------------------------------------------------------------------------


class FinanceLimit(models.Model):
    """The spending and cost limits for an organisation kind, or for one organisation (which wins).

    Ratios are basis points (7000 = 70.00%). Charity Law art. 61 and 民发〔2016〕189号: charity spending at
    least ``min_charity_spending_bp`` of the previous year's income (or of the three-year average); management
    cost at most ``max_management_bp`` of the year's total spending, unless the year's management cost is under
    ``management_exemption_fen`` (189号 art. 11); fundraising cost at most ``max_fundraising_cost_bp`` of the
    year's donations (a 2025 draft; empty = shown, not checked). A figure within ``warning_margin_bp`` of its
    limit is a warning.
    """

    organisation_kind = models.CharField(
        "组织类型",
        max_length=24,
        choices=OrganisationKind.choices,
        blank=True,
        help_text="按组织类型设定；为某一组织单独设定时留空",
    )
    organisation = models.OneToOneField(
        "orgs.Organisation",
        verbose_name="组织（单独设定）",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="finance_limit",
    )
    min_charity_spending_bp = models.PositiveIntegerField(
        "慈善活动支出下限（基点，占上年收入）", default=7000, help_text="7000 = 70%"
    )
    max_management_bp = models.PositiveIntegerField(
        "管理费用上限（基点，占当年总支出）", help_text="1000 = 10%（基金会），1300 = 13%（社会团体）"
    )
    max_fundraising_cost_bp = models.PositiveIntegerField(
        "募捐成本上限（基点，占当年捐赠收入）", null=True, blank=True, help_text="留空则只显示不预警"
    )
    warning_margin_bp = models.PositiveIntegerField(
        "预警幅度（基点）", default=200, help_text="200 = 距限额 2 个百分点"
    )
    management_exemption_fen = models.BigIntegerField(
        "管理费用豁免额（分）", default=20_000_000, help_text="年度管理费用低于此数不受比例限制（20万元）"
    )
    basis = models.CharField("依据", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "财务控制限额"
        ordering = ["organisation_kind", "organisation_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation_kind"],
                condition=models.Q(organisation__isnull=True),
                name="finance_limit_one_per_kind",
            ),
            models.CheckConstraint(
                condition=(models.Q(organisation__isnull=True) & ~models.Q(organisation_kind=""))
                | (models.Q(organisation__isnull=False) & models.Q(organisation_kind="")),
                name="finance_limit_kind_or_organisation",
            ),
            models.CheckConstraint(
                condition=models.Q(min_charity_spending_bp__lte=10000, max_management_bp__lte=10000),
                name="finance_limit_ratios_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(management_exemption_fen__gte=0), name="finance_limit_exemption_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return self.organisation.name if self.organisation_id else self.organisation_kind
