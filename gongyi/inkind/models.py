"""In-kind gifts (物资捐赠): items valued with evidence, quality-checked, stocked by warehouse, handed out.

Charity Law art. 36 (goods must have use value and meet safety and hygiene standards), art. 54 (donated
property registered, 登记造册) and regulation §5.1 practice (in-kind income is recognised on receipt at
its valuation) shape the flow:

1. staff register the gift: donor, items (name, spec, unit, quantity, valuation in fen with its basis)
   and the valuation evidence (invoice, market-price document, appraisal);
2. each item is quality-checked, passed or failed, by a named checker;
3. a second person accepts the gift into a warehouse: the passed items go into stock and the gift is
   posted at its valuation — ``inkind:item:<id>:stock`` Dr / in-kind donations Cr — without any cash;
4. hand-outs to institutions and people, each with its signed record, take quantity out of a
   warehouse's stock and post in-kind hand-outs Dr / the item's stock Cr at the proportional value.

Stock never goes negative: ``Stock.quantity`` has a CHECK constraint and every decrement is a conditional
``UPDATE … WHERE quantity >= n``; the item row's counters have the same kind of constraints.
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


class DonorKind(models.TextChoices):
    ORGANISATION = "organisation", "单位"
    PERSON = "person", "个人"


class GiftStatus(models.TextChoices):
    REGISTERED = "registered", "待验收入库"
    ACCEPTED = "accepted", "已入库"
    REJECTED = "rejected", "拒收/退回"
    VOIDED = "voided", "已作废（冲回）"


class QualityStatus(models.TextChoices):
    PENDING = "pending", "待检验"
    PASSED = "passed", "检验合格"
    FAILED = "failed", "检验不合格（不入库）"


class ValuationBasis(models.TextChoices):
    INVOICE = "invoice", "发票价格"
    MARKET_PRICE = "market_price", "市场价格"
    APPRAISAL = "appraisal", "第三方评估"


class Warehouse(models.Model):
    """A place where donated goods are kept."""

    name = models.CharField("仓库名称", max_length=100, unique=True)
    address = models.CharField("地址", max_length=200, blank=True)
    keeper = models.CharField("保管人", max_length=40, blank=True, help_text="仅工作人员可见")
    is_active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "仓库"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


def new_gift_number() -> str:
    return "WZ" + timezone.localdate().strftime("%Y%m%d") + secrets.token_hex(3).upper()


class InKindGift(models.Model):
    """One donation of goods, possibly of several items, to a project or to the organisation itself."""

    number = models.CharField("登记号", max_length=24, unique=True, default=new_gift_number)
    donor_kind = models.CharField("捐赠人类型", max_length=16, choices=DonorKind.choices)
    donor_name = models.CharField("捐赠人", max_length=100)
    donor_uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)
    donor_contact = models.CharField("联系电话", max_length=32, blank=True)
    anonymous = models.BooleanField("匿名（公开显示为爱心人士）", default=False)
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name="接收组织", on_delete=models.PROTECT, related_name="+"
    )
    project = models.ForeignKey(
        "projects.Project", verbose_name="定向项目", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_on = models.DateField("接收日期")
    description = models.CharField("说明", max_length=200, blank=True, help_text="公开显示，请勿填写个人信息")
    status = models.CharField("状态", max_length=16, choices=GiftStatus.choices, default=GiftStatus.REGISTERED)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="验收人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="in_kind_gift"
    )
    reversal_entry = models.OneToOneField(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="in_kind_gift_reversed"
    )
    closing_note = models.CharField("退回/作废理由", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "物资捐赠"
        ordering = ["-received_on", "-id"]
        permissions = [("accept_inkindgift", "可验收入库物资捐赠"), ("check_quality", "可检验捐赠物资质量")]
        constraints = [
            models.CheckConstraint(condition=~Q(accepted_by=F("entered_by")), name="inkind_not_accepted_by_enterer"),
            models.CheckConstraint(
                condition=~Q(status__in=["accepted", "voided"]) | Q(entry__isnull=False, accepted_by__isnull=False),
                name="inkind_accepted_has_entry",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def public_donor(self) -> str:
        if self.anonymous or not self.donor_name:
            return ANONYMOUS_NAME
        if self.donor_kind == DonorKind.PERSON:
            return mask_name(self.donor_name)
        return self.donor_name

    @property
    def accepted_value_fen(self) -> int:
        """The valuation of the items that passed their check (what acceptance posts); uses prefetched items."""
        return sum(item.valuation_fen for item in self.items.all() if item.quality_status == QualityStatus.PASSED)


class InKindItem(models.Model):
    """One line of goods in a gift: what, how many, what it is worth (and on what basis), whether it passed.

    While in stock, ``stock_value_fen`` is the book value of ``in_stock_quantity`` units; a hand-out of n
    units takes ``stock_value_fen × n // in_stock_quantity`` (rounded down) and the hand-out that empties
    the stock takes what is left, so the value reaches exactly 0 with the last unit.
    """

    gift = models.ForeignKey(InKindGift, on_delete=models.PROTECT, related_name="items")
    name = models.CharField("物资名称", max_length=100)
    spec = models.CharField("规格", max_length=100, blank=True)
    unit = models.CharField("单位", max_length=16)
    quantity = models.BigIntegerField("数量")
    valuation_fen = models.BigIntegerField("估值（分）")
    valuation_basis = models.CharField("估值依据", max_length=16, choices=ValuationBasis.choices)
    expires_on = models.DateField("有效期至", null=True, blank=True)
    quality_status = models.CharField(
        "质量检验", max_length=16, choices=QualityStatus.choices, default=QualityStatus.PENDING
    )
    quality_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="检验人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    quality_checked_at = models.DateTimeField(null=True, blank=True)
    quality_note = models.CharField("检验说明", max_length=200, blank=True)
    in_stock_quantity = models.BigIntegerField("库存数量", default=0)
    stock_value_fen = models.BigIntegerField("库存价值（分）", default=0)
    handed_out_quantity = models.BigIntegerField("已发放数量", default=0)
    handed_out_value_fen = models.BigIntegerField("已发放价值（分）", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "捐赠物资明细"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0, valuation_fen__gt=0), name="inkind_item_positive"),
            models.CheckConstraint(
                condition=Q(
                    in_stock_quantity__gte=0,
                    stock_value_fen__gte=0,
                    handed_out_quantity__gte=0,
                    handed_out_value_fen__gte=0,
                ),
                name="inkind_item_counters_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(in_stock_quantity__lte=F("quantity") - F("handed_out_quantity")),
                name="inkind_item_stock_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(stock_value_fen__lte=F("valuation_fen") - F("handed_out_value_fen")),
                name="inkind_item_value_within_valuation",
            ),
            models.CheckConstraint(
                condition=~Q(in_stock_quantity=0) | Q(stock_value_fen=0), name="inkind_item_empty_stock_no_value"
            ),
            models.CheckConstraint(
                condition=Q(quality_status="passed") | Q(in_stock_quantity=0, handed_out_quantity=0),
                name="inkind_item_only_passed_stocked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}{self.unit}"

    @property
    def unit_value_fen(self) -> int:
        return self.valuation_fen // self.quantity


class Stock(models.Model):
    """How many units of an item one warehouse holds; never negative (CHECK, and conditional updates)."""

    item = models.ForeignKey(InKindItem, on_delete=models.PROTECT, related_name="stocks")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stocks")
    quantity = models.BigIntegerField("库存数量", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "库存"
        ordering = ["warehouse_id", "item_id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stock_never_negative"),
            models.UniqueConstraint(fields=["item", "warehouse"], name="stock_one_row_per_item_warehouse"),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse_id}/{self.item_id}: {self.quantity}"


class RecipientKind(models.TextChoices):
    INSTITUTION = "institution", "机构（养老院、福利院、学校等）"
    PERSON = "person", "个人"


class HandoutStatus(models.TextChoices):
    LIVE = "live", "有效"
    VOIDED = "voided", "已作废（冲回）"


def record_upload_to(instance, filename: str) -> str:
    """A random name: a signed record's file name may carry a person's name."""
    suffix = PurePosixPath(filename).suffix.lower()
    now = timezone.now()
    return f"inkind/{now:%Y}/{now:%m}/{secrets.token_hex(16)}{suffix}"


def new_handout_number() -> str:
    return "FF" + timezone.localdate().strftime("%Y%m%d") + secrets.token_hex(4).upper()


class Handout(models.Model):
    """Goods handed to an institution or a person, with the record they signed; people are masked in public."""

    number = models.CharField("发放单号", max_length=24, unique=True, default=new_handout_number)
    item = models.ForeignKey(InKindItem, on_delete=models.PROTECT, related_name="handouts")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="handouts")
    quantity = models.BigIntegerField("数量")
    value_fen = models.BigIntegerField("价值（分）")
    recipient_kind = models.CharField("受赠方类型", max_length=16, choices=RecipientKind.choices)
    recipient_name = models.CharField("受赠方", max_length=100)
    recipient_region = models.ForeignKey(
        "orgs.Region", verbose_name="所在地区", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField("用途", max_length=200, help_text="公开显示，请勿填写个人信息")
    handed_on = models.DateField("发放日期")
    signed_record = models.FileField("签收记录", upload_to=record_upload_to, max_length=200)
    signed_record_content_type = models.CharField(max_length=32)
    signed_record_sha256 = models.CharField(max_length=64)
    status = models.CharField("状态", max_length=8, choices=HandoutStatus.choices, default=HandoutStatus.LIVE)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)
    entry = models.OneToOneField(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="in_kind_handout"
    )
    reversal_entry = models.OneToOneField(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="in_kind_handout_reversed"
    )
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField("作废理由", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "物资发放"
        ordering = ["-handed_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0, value_fen__gte=0), name="handout_positive"),
            models.CheckConstraint(condition=Q(value_fen=0) | Q(entry__isnull=False), name="handout_valued_has_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} × {self.quantity} → {self.recipient_kind}"

    @property
    def public_recipient(self) -> str:
        """Institutions by name; a person masked (王**)."""
        if self.recipient_kind == RecipientKind.PERSON:
            return mask_name(self.recipient_name)
        return self.recipient_name


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", "发票"
    MARKET_PRICE = "market_price", "市场价格证明"
    APPRAISAL = "appraisal", "评估报告"
    QUALITY_REPORT = "quality_report", "质检报告/合格证"
    AGREEMENT = "agreement", "捐赠协议"
    PHOTO = "photo", "照片"
    OTHER = "other", "其他"


VALUATION_EVIDENCE = (DocumentKind.INVOICE, DocumentKind.MARKET_PRICE, DocumentKind.APPRAISAL)


def document_upload_to(instance, filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()
    now = timezone.now()
    return f"inkind/{now:%Y}/{now:%m}/{secrets.token_hex(16)}{suffix}"


class InKindDocument(models.Model):
    """Evidence for a gift or one of its items. ``is_public`` only for documents without personal data
    (a company's invoice, a price list); public images are served re-encoded, without metadata."""

    gift = models.ForeignKey(InKindGift, on_delete=models.PROTECT, related_name="documents")
    item = models.ForeignKey(InKindItem, null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField("文件类型", max_length=16, choices=DocumentKind.choices)
    description = models.CharField("说明", max_length=200, blank=True)
    file = models.FileField("文件", upload_to=document_upload_to, max_length=200)
    content_type = models.CharField(max_length=32)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=200, blank=True)
    is_public = models.BooleanField("公开", default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "物资捐赠文件"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class EventKind(models.TextChoices):
    REGISTERED = "registered", "登记"
    DOCUMENT_ADDED = "document_added", "上传文件"
    QUALITY_CHECKED = "quality_checked", "质量检验"
    ACCEPTED = "accepted", "验收入库"
    REJECTED = "rejected", "拒收"
    VOIDED = "voided", "作废冲回"
    HANDED_OUT = "handed_out", "发放"
    HANDOUT_VOIDED = "handout_voided", "发放作废"
    STOCK_MOVED = "stock_moved", "移库"
    FILE_VIEWED = "file_viewed", "查看文件"


class InKindEvent(TrailEvent):
    """Append-only trail of an in-kind gift: who did what, when, with which details."""

    gift = models.ForeignKey(InKindGift, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=EventKind.choices)

    class Meta(TrailEvent.Meta):
        verbose_name = verbose_name_plural = "物资捐赠操作记录"
