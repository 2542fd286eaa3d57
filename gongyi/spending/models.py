"""Spending (项目支出): expenditures against a project, their vouchers, approvals and audit trail.

An expenditure is recorded by a staff user, approved by other users holding
``spending.approve_expenditure`` (nobody approves their own; the number needed is snapshotted from the
setting ``GONGYI_EXPENDITURE_APPROVALS`` when it is recorded), and posted to the ledger in the same
transaction as the last approval: project spending (by category) Dr / the organisation's expenditure
payable Cr. A posted expenditure is never edited; a mistake is reversed by a mirror entry.

Every figure shown publicly comes from the ledger; the rows here say *what* was paid for, to whom, and
with which vouchers.
"""

from __future__ import annotations

import secrets
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils import timezone

from gongyi.core.masking import mask_name


class Category(models.TextChoices):
    """Spending categories; ``AID`` is cash to aid cases (posted as a disbursement)."""

    AID = "aid", "救助款拨付"
    MATERIALS = "materials", "物资采购"
    SERVICES = "services", "服务采购"
    CONSTRUCTION = "construction", "工程建设"
    ACTIVITIES = "activities", "项目活动"
    MANAGEMENT = "management", "管理费用"
    FUNDRAISING = "fundraising", "募捐成本"
    OTHER = "other", "其他"


class PayeeKind(models.TextChoices):
    ORGANISATION = "organisation", "单位"
    PERSON = "person", "个人"


class ExpenditureStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    POSTED = "posted", "已审批入账"
    REJECTED = "rejected", "已驳回"
    REVERSED = "reversed", "已冲回"


class Expenditure(models.Model):
    """One payment out of a project's funds, with its purpose, payee and vouchers.

    ``entry`` is the ledger entry posted when the last required approval landed; ``reversal_entry`` the
    mirror entry of a reversal. Personal payees (``PayeeKind.PERSON``) are masked on public pages.
    """

    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="expenditures"
    )
    category = models.CharField("支出类别", max_length=16, choices=Category.choices)
    amount_fen = models.BigIntegerField("金额（分）")
    payee = models.CharField("收款方", max_length=128)
    payee_kind = models.CharField(
        "收款方类型", max_length=16, choices=PayeeKind.choices, default=PayeeKind.ORGANISATION
    )
    purpose = models.CharField("用途", max_length=500, help_text="公开显示，请勿填写个人身份信息")
    spent_on = models.DateField("支出日期")
    aid_case_ref = models.CharField(
        "救助案件编号", max_length=64, blank=True, help_text="救助款拨付时填写案件编号（公开显示，不含个人信息）"
    )
    status = models.CharField(
        "状态", max_length=16, choices=ExpenditureStatus.choices, default=ExpenditureStatus.PENDING
    )
    required_approvals = models.PositiveSmallIntegerField("所需审批人数")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)
    entry = models.OneToOneField(
        "ledger.JournalEntry",
        verbose_name="记账分录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="expenditure",
    )
    posted_at = models.DateTimeField("入账时间", null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="驳回人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rejected_at = models.DateTimeField("驳回时间", null=True, blank=True)
    rejection_reason = models.CharField("驳回理由", max_length=200, blank=True)
    reversal_entry = models.OneToOneField(
        "ledger.JournalEntry",
        verbose_name="冲回分录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_expenditure",
    )
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="冲回人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reversed_at = models.DateTimeField("冲回时间", null=True, blank=True)
    reversal_reason = models.CharField("冲回理由", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "项目支出"
        ordering = ["-spent_on", "-id"]
        permissions = [("approve_expenditure", "可审批项目支出")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="expenditure_amount_positive"),
            models.CheckConstraint(condition=models.Q(required_approvals__gte=1), name="expenditure_needs_approval"),
            models.CheckConstraint(
                condition=~models.Q(status__in=["posted", "reversed"]) | models.Q(entry__isnull=False),
                name="expenditure_posted_has_entry",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="reversed") | models.Q(reversal_entry__isnull=False),
                name="expenditure_reversed_has_reversal",
            ),
        ]
        indexes = [models.Index(fields=["project", "status"]), models.Index(fields=["status", "recorded_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_category_display()} {self.amount_fen} 分"

    @property
    def public_payee(self) -> str:
        """The payee as public pages may show it: organisations in full, people masked."""
        if self.payee_kind == PayeeKind.PERSON:
            return mask_name(self.payee)
        return self.payee

    @property
    def is_counted(self) -> bool:
        """Whether the expenditure is in the project's spent total (posted and not reversed)."""
        return self.status == ExpenditureStatus.POSTED


class ExpenditureApproval(models.Model):
    """One approval. The recorder is copied here so the database itself refuses a self-approval."""

    expenditure = models.ForeignKey(Expenditure, on_delete=models.PROTECT, related_name="approvals")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审批人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField("审批意见", max_length=200, blank=True)
    approved_at = models.DateTimeField("审批时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "支出审批"
        ordering = ["approved_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["expenditure", "approver"], name="approval_once_per_approver"),
            models.CheckConstraint(
                condition=~models.Q(approver=models.F("recorded_by")), name="approval_not_by_recorder"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.expenditure_id} ✓ {self.approver_id}"


class VoucherKind(models.TextChoices):
    INVOICE = "invoice", "发票"
    RECEIPT = "receipt", "收据"
    CONTRACT = "contract", "合同"
    HANDOVER_LIST = "handover_list", "签收/发放清单"
    PHOTO = "photo", "现场照片"
    OTHER = "other", "其他凭证"


class Publication(models.TextChoices):
    PRIVATE = "private", "不公开"
    ORIGINAL = "original", "公开原件"
    REDACTED = "redacted", "公开脱敏件"


def voucher_upload_to(instance, filename: str) -> str:
    """A random name: the uploaded file name may itself carry a person's name."""
    suffix = PurePosixPath(filename).suffix.lower()
    now = timezone.now()
    return f"vouchers/{now:%Y}/{now:%m}/{secrets.token_hex(16)}{suffix}"


class Voucher(models.Model):
    """An attachment proving an expenditure (invoice, photo, signed hand-over list).

    The original may hold personal data and is shown to staff only. Public pages show it only when an
    approver chose ``ORIGINAL``, or the uploader's redacted copy when an approver chose ``REDACTED``;
    either is served through ``spending.views.public_voucher``, never from MEDIA_URL.
    """

    expenditure = models.ForeignKey(Expenditure, on_delete=models.PROTECT, related_name="vouchers")
    kind = models.CharField("凭证类型", max_length=16, choices=VoucherKind.choices)
    description = models.CharField("说明", max_length=200, blank=True, help_text="公开显示")
    file = models.FileField("原件", upload_to=voucher_upload_to, max_length=200)
    content_type = models.CharField("文件类型", max_length=32)
    size_bytes = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    original_name = models.CharField("原文件名", max_length=200, blank=True)
    redacted_file = models.FileField("脱敏件", upload_to=voucher_upload_to, max_length=200, blank=True)
    redacted_content_type = models.CharField("脱敏件文件类型", max_length=32, blank=True)
    redacted_sha256 = models.CharField("脱敏件 SHA-256", max_length=64, blank=True)
    publication = models.CharField("公开方式", max_length=16, choices=Publication.choices, default=Publication.PRIVATE)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="公开决定人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "支出凭证"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(publication="redacted") | ~models.Q(redacted_file=""),
                name="voucher_redacted_needs_copy",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_public(self) -> bool:
        return self.publication != Publication.PRIVATE

    @property
    def public_content_type(self) -> str:
        if self.publication == Publication.REDACTED:
            return self.redacted_content_type
        return self.content_type

    @property
    def public_is_image(self) -> bool:
        return self.public_content_type.startswith("image/")


class EventKind(models.TextChoices):
    RECORDED = "recorded", "登记"
    VOUCHER_ADDED = "voucher_added", "上传凭证"
    APPROVED = "approved", "审批通过"
    POSTED = "posted", "入账"
    REJECTED = "rejected", "驳回"
    VOUCHER_PUBLICATION = "voucher_publication", "凭证公开方式"
    VOUCHER_VIEWED = "voucher_viewed", "查看凭证原件"
    REVERSED = "reversed", "冲回"


class ExpenditureEvent(models.Model):
    """Append-only audit trail of an expenditure: who did what, when, with which details."""

    expenditure = models.ForeignKey(Expenditure, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("事件", max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    details = models.JSONField("详情", default=dict, blank=True)
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "支出事件"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.expenditure_id} {self.kind}"
