"""Gifts (捐赠): one per paid order, created only by ``confirm_payment``."""

from __future__ import annotations

from django.db import models

from gongyi.core.masking import ANONYMOUS_NAME


class GiftStatus(models.TextChoices):
    CONFIRMED = "confirmed", "已确认"
    REFUNDED = "refunded", "已退款"


class Gift(models.Model):
    """A confirmed gift. One order → at most one gift; one provider transaction → at most one gift."""

    order = models.OneToOneField("payments.Order", verbose_name="订单", on_delete=models.PROTECT, related_name="gift")
    project = models.ForeignKey("projects.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="gifts")
    amount_fen = models.BigIntegerField("金额（分）")
    gateway = models.CharField("支付渠道", max_length=16)
    provider_txn_id = models.CharField("渠道交易号", max_length=64)
    donor_key = models.CharField(
        "捐赠人标识", max_length=160, db_index=True, help_text="支付渠道的付款人标识，如微信 openid"
    )
    donor_name = models.CharField("署名", max_length=40, blank=True)
    anonymous = models.BooleanField("匿名", default=False)
    message = models.CharField("留言", max_length=200, blank=True)
    paid_at = models.DateTimeField("支付时间")
    confirmed_at = models.DateTimeField("确认时间", auto_now_add=True)
    status = models.CharField("状态", max_length=16, choices=GiftStatus.choices, default=GiftStatus.CONFIRMED)
    certificate_no = models.CharField("证书编号", max_length=32, unique=True)
    matched_fen = models.BigIntegerField("配捐（分）", default=0)
    match_ratio_bp = models.IntegerField("配捐比例（基点）", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "捐赠"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "provider_txn_id"], name="gift_provider_txn_unique"),
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="gift_amount_positive"),
            models.CheckConstraint(condition=models.Q(matched_fen__gte=0), name="gift_matched_nonneg"),
        ]
        indexes = [
            models.Index(fields=["project", "-id"]),
            # The daily report, fraud signals and pool windows select gifts by payment time.
            models.Index(fields=["project", "paid_at"], name="gift_project_paid_at"),
            models.Index(fields=["paid_at"], name="gift_paid_at"),
        ]

    def __str__(self) -> str:
        return self.certificate_no

    @property
    def public_name(self) -> str:
        """The name public pages may show: masked, a nickname or 爱心人士, as the donor's privacy settings say."""
        from gongyi.donors.selectors import display_name_for

        return display_name_for(self)

    @property
    def certificate_name(self) -> str:
        """The name on the donor's own certificate."""
        if self.anonymous or not self.donor_name:
            return ANONYMOUS_NAME
        return self.donor_name
