"""Offline gifts (线下捐赠): bank transfers, cash and donation-box openings, entered by staff with vouchers.

One staff member enters a gift with its vouchers (a bank slip, a cash receipt, or a box-opening record
signed by the two people who opened and counted the box); a second staff member, holding
``offline.check_offlinegift``, checks it. Only then, in one transaction, does the money reach the
ledger:

* directed to a project — a real ``Order`` and ``Gift`` through ``giving.services.confirm_payment`` with
  gateway ``offline`` (so the project's figures, gift and donor counts move exactly as for an online
  gift; the gift entry is ``clearing:offline`` Dr / project donations Cr), followed by the settlement
  ``bank:main`` (or ``cash:main``) Dr / ``clearing:offline`` Cr;
* unrestricted — ``bank:main`` / ``cash:main`` Dr / ``org:<id>:general_fund`` Cr;
* to a named fund — ``bank:main`` / ``cash:main`` Dr / ``fund:<id>:principal`` or ``:available`` Cr.

The database refuses a check by the person who entered the gift, a confirmed gift without its entry, a
box opening without two different counters, and one bank reference entered twice while live.
"""

from __future__ import annotations

import secrets
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from gongyi.core.masking import ANONYMOUS_NAME, mask_name
from gongyi.core.trail import TrailEvent


class Method(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "银行转账"
    CASH = "cash", "现金"
    DONATION_BOX = "donation_box", "捐赠箱开箱"


class DonorKind(models.TextChoices):
    ORGANISATION = "organisation", "单位"
    PERSON = "person", "个人"
    PUBLIC = "public", "社会公众（捐赠箱）"


class Status(models.TextChoices):
    ENTERED = "entered", "待复核"
    CONFIRMED = "confirmed", "已复核入账"
    REJECTED = "rejected", "复核退回"
    VOIDED = "voided", "已作废（冲回）"


class ReceiptChoice(models.TextChoices):
    """Charity Law art. 38: a receipt is issued, or the waiver (or an anonymous gift) is recorded."""

    WANTED = "wanted", "需要捐赠票据"
    WAIVED = "waived", "捐赠人放弃票据"
    ANONYMOUS = "anonymous", "匿名捐赠，无法开具（如捐赠箱）"


class DonationBox(models.Model):
    """A 一张纸献爱心 donation box placed somewhere, optionally for one project."""

    code = models.CharField("箱号", max_length=32, unique=True)
    location = models.CharField("放置地点", max_length=200)
    project = models.ForeignKey(
        "projects.Project", verbose_name="所属项目", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    placed_on = models.DateField("放置日期", null=True, blank=True)
    is_active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "捐赠箱"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.location}"


def new_gift_number() -> str:
    return "XX" + timezone.localdate().strftime("%Y%m%d") + secrets.token_hex(3).upper()


class OfflineGift(models.Model):
    """One offline gift as entered, checked and posted. ``gift`` is the giving app's Gift when directed."""

    number = models.CharField("登记号", max_length=24, unique=True, default=new_gift_number)
    method = models.CharField("方式", max_length=16, choices=Method.choices)
    donor_kind = models.CharField("捐赠人类型", max_length=16, choices=DonorKind.choices)
    donor_name = models.CharField("捐赠人", max_length=100, blank=True)
    donor_uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)
    donor_contact = models.CharField("联系电话", max_length=32, blank=True)
    anonymous = models.BooleanField("匿名（公开显示为爱心人士）", default=False)
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name="接收组织", on_delete=models.PROTECT, related_name="+"
    )
    project = models.ForeignKey(
        "projects.Project", verbose_name="定向项目", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fund = models.ForeignKey(
        "funds.NamedFund",
        verbose_name="冠名基金",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="offline_gifts",
    )
    to_principal = models.BooleanField("计入冠名基金留本本金", default=False)
    amount_fen = models.BigIntegerField("金额（分）")
    received_on = models.DateField("到账/开箱日期")
    bank_reference = models.CharField("银行流水号", max_length=64, blank=True)
    payer_account_name = models.CharField("付款户名", max_length=100, blank=True)
    box = models.ForeignKey(
        DonationBox, verbose_name="捐赠箱", null=True, blank=True, on_delete=models.PROTECT, related_name="openings"
    )
    counted_by_first = models.CharField("开箱清点人一", max_length=40, blank=True)
    counted_by_second = models.CharField("开箱清点人二", max_length=40, blank=True)
    note = models.CharField("备注", max_length=200, blank=True, help_text="仅工作人员可见")
    receipt_choice = models.CharField("捐赠票据", max_length=16, choices=ReceiptChoice.choices)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.ENTERED)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField("录入时间", auto_now_add=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="复核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField("复核时间", null=True, blank=True)
    check_note = models.CharField("复核意见", max_length=200, blank=True)
    gift = models.OneToOneField(
        "giving.Gift", null=True, blank=True, on_delete=models.PROTECT, related_name="offline_gift"
    )
    entry = models.OneToOneField(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="offline_gift"
    )
    settlement_entry = models.OneToOneField(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="offline_settlement"
    )
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField("作废理由", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "线下捐赠"
        ordering = ["-id"]
        permissions = [("check_offlinegift", "可复核线下捐赠"), ("void_offlinegift", "可作废已入账的线下捐赠")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="offline_amount_positive"),
            models.CheckConstraint(
                condition=Q(project__isnull=True) | Q(fund__isnull=True), name="offline_one_destination"
            ),
            models.CheckConstraint(
                condition=Q(fund__isnull=False) | Q(to_principal=False), name="offline_principal_fund"
            ),
            models.CheckConstraint(condition=~Q(checked_by=F("entered_by")), name="offline_not_checked_by_enterer"),
            models.CheckConstraint(
                condition=~Q(status__in=["confirmed", "voided"]) | Q(entry__isnull=False, checked_by__isnull=False),
                name="offline_confirmed_has_entry",
            ),
            models.CheckConstraint(
                condition=~Q(method="donation_box")
                | (
                    Q(box__isnull=False)
                    & ~Q(counted_by_first="")
                    & ~Q(counted_by_second="")
                    & ~Q(counted_by_first=F("counted_by_second"))
                ),
                name="offline_box_two_counters",
            ),
            models.CheckConstraint(
                condition=~Q(method="bank_transfer") | ~Q(bank_reference=""), name="offline_transfer_has_reference"
            ),
            models.UniqueConstraint(
                fields=["bank_reference"],
                condition=~Q(bank_reference="") & Q(status__in=["entered", "confirmed"]),
                name="offline_bank_reference_once",
            ),
        ]
        indexes = [models.Index(fields=["status", "entered_at"]), models.Index(fields=["project", "status"])]

    def __str__(self) -> str:
        return self.number

    @property
    def public_donor(self) -> str:
        """Organisations by name, people masked, anonymous gifts and boxes as 爱心人士 / 社会公众."""
        if self.donor_kind == DonorKind.PUBLIC:
            return "社会公众（捐赠箱）"
        if self.anonymous or not self.donor_name:
            return ANONYMOUS_NAME
        if self.donor_kind == DonorKind.PERSON:
            return mask_name(self.donor_name)
        return self.donor_name

    @property
    def destination_label(self) -> str:
        if self.project_id:
            return self.project.title
        if self.fund_id:
            return self.fund.name
        return "非限定性捐赠（统筹使用）"


class VoucherKind(models.TextChoices):
    BANK_SLIP = "bank_slip", "银行回单"
    CASH_RECEIPT = "cash_receipt", "现金收款收据"
    BOX_RECORD = "box_record", "开箱清点记录（两人签字）"
    AGREEMENT = "agreement", "捐赠协议"
    OTHER = "other", "其他"


# The voucher each method needs before it can be checked.
REQUIRED_VOUCHER = {
    Method.BANK_TRANSFER: VoucherKind.BANK_SLIP,
    Method.CASH: VoucherKind.CASH_RECEIPT,
    Method.DONATION_BOX: VoucherKind.BOX_RECORD,
}


def voucher_upload_to(instance, filename: str) -> str:
    """A random name: the uploaded name may carry a person's name."""
    suffix = PurePosixPath(filename).suffix.lower()
    now = timezone.now()
    return f"offline/{now:%Y}/{now:%m}/{secrets.token_hex(16)}{suffix}"


class OfflineVoucher(models.Model):
    """A voucher of an offline gift: staff only (slips and signed records carry names and account numbers)."""

    gift = models.ForeignKey(OfflineGift, on_delete=models.PROTECT, related_name="vouchers")
    kind = models.CharField("凭证类型", max_length=16, choices=VoucherKind.choices)
    file = models.FileField("文件", upload_to=voucher_upload_to, max_length=200)
    content_type = models.CharField(max_length=32)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField("原文件名", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "线下捐赠凭证"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class ReceiptStatus(models.TextChoices):
    REQUESTED = "requested", "已申请"
    EXPORTED = "exported", "已提交财政票据系统"
    ISSUED = "issued", "已开具"
    REJECTED = "rejected", "未开具"


class ReceiptKind(models.TextChoices):
    ORGANISATION = "organisation", "单位捐赠票据"
    INDIVIDUAL = "individual", "个人捐赠票据"


def new_receipt_number() -> str:
    return "PX" + timezone.localtime().strftime("%Y%m%d") + secrets.token_hex(4).upper()


class OfflineReceipt(models.Model):
    """A receipt request for one offline gift, handed to the e-receipt system through the drives app's
    ``ReceiptIssuer`` adapter (same fields the adapter reads from its own requests)."""

    number = models.CharField("申请编号", max_length=24, unique=True, default=new_receipt_number)
    gift = models.ForeignKey(OfflineGift, on_delete=models.PROTECT, related_name="receipts")
    kind = models.CharField("类型", max_length=16, choices=ReceiptKind.choices)
    status = models.CharField("状态", max_length=16, choices=ReceiptStatus.choices, default=ReceiptStatus.REQUESTED)
    payer_name = models.CharField("交款人", max_length=100)
    payer_uscc = models.CharField("交款人统一社会信用代码", max_length=18, blank=True)
    contact_phone = models.CharField("联系电话", max_length=32, blank=True)
    total_fen = models.BigIntegerField("金额合计（分）")
    line_count = models.PositiveIntegerField("明细条数", default=1)
    issuer = models.CharField("提交方式", max_length=40, blank=True)
    export_path = models.CharField("导出文件", max_length=300, blank=True)
    receipt_no = models.CharField("票据号码", max_length=40, blank=True)
    check_code = models.CharField("校验码", max_length=40, blank=True)
    verify_url = models.URLField("查验链接", blank=True)
    reject_reason = models.CharField("未开具原因", max_length=200, blank=True)
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    exported_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "线下捐赠票据申请"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["gift"], condition=~Q(status="rejected"), name="offline_receipt_once_per_gift"
            ),
            models.CheckConstraint(condition=Q(total_fen__gt=0), name="offline_receipt_positive"),
            models.CheckConstraint(
                condition=~Q(status="issued") | ~Q(receipt_no=""), name="offline_receipt_issued_has_number"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class EventKind(models.TextChoices):
    ENTERED = "entered", "录入"
    VOUCHER_ADDED = "voucher_added", "上传凭证"
    VOUCHER_VIEWED = "voucher_viewed", "查看凭证"
    CONFIRMED = "confirmed", "复核入账"
    REJECTED = "rejected", "复核退回"
    VOIDED = "voided", "作废冲回"
    RECEIPT_REQUESTED = "receipt_requested", "申请票据"
    RECEIPT_EXPORTED = "receipt_exported", "提交票据申请"
    RECEIPT_ISSUED = "receipt_issued", "票据已开具"
    RECEIPT_REJECTED = "receipt_rejected", "票据未开具"


class OfflineEvent(TrailEvent):
    """Append-only trail of an offline gift: who did what, when, with which details."""

    gift = models.ForeignKey(OfflineGift, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=EventKind.choices)

    class Meta(TrailEvent.Meta):
        verbose_name = verbose_name_plural = "线下捐赠操作记录"
