"""Orders (订单) and the record of verified payment notifications (回调)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gongyi.core.money import MAX_GIFT_FEN


class Gateway(models.TextChoices):
    SANDBOX = "sandbox", "沙箱支付"
    WECHATPAY = "wechatpay", "微信支付"
    ALIPAY = "alipay", "支付宝"
    # Gifts staff enter from bank slips, cash and donation boxes (gongyi.offline); never offered to donors.
    OFFLINE = "offline", "线下捐赠"


class OrderStatus(models.TextChoices):
    PENDING = "pending", "待支付"
    PAID = "paid", "已支付"
    CLOSED = "closed", "已关闭"
    REFUNDED = "refunded", "已退款"


class Order(models.Model):
    """A donor's intent to give, identified by our ``out_trade_no`` towards the provider.

    ``(gateway, provider_txn_id)`` is unique: one provider transaction can pay one order only.
    """

    out_trade_no = models.CharField("商户订单号", max_length=32, unique=True)
    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="orders"
    )
    amount_fen = models.BigIntegerField("金额（分）")
    gateway = models.CharField("支付渠道", max_length=16, choices=Gateway.choices)
    channel = models.CharField("支付方式", max_length=16, default="h5")
    donor_name = models.CharField("捐赠人署名", max_length=40, blank=True)
    anonymous = models.BooleanField("匿名", default=False)
    message = models.CharField("留言", max_length=200, blank=True)
    unit_code = models.CharField("单位代码", max_length=16, blank=True)
    status = models.CharField("状态", max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    provider_txn_id = models.CharField("渠道交易号", max_length=64, null=True, blank=True)
    payer = models.CharField("付款人标识", max_length=128, blank=True)
    paid_at = models.DateTimeField("支付时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "订单"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen__gt=0, amount_fen__lte=MAX_GIFT_FEN), name="order_amount_range"
            ),
            models.UniqueConstraint(fields=["gateway", "provider_txn_id"], name="order_provider_txn_unique"),
            models.CheckConstraint(
                condition=~models.Q(status="paid") | models.Q(provider_txn_id__isnull=False, paid_at__isnull=False),
                name="order_paid_has_txn",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            # Reconciliation reads one gateway's paid orders of one day.
            models.Index(fields=["gateway", "paid_at"], name="order_gateway_paid_at"),
        ]

    def __str__(self) -> str:
        return self.out_trade_no


class NotificationOutcome(models.TextChoices):
    CONFIRMED = "confirmed", "已确认捐赠"
    DUPLICATE = "duplicate", "重复通知"
    REFUND_RECORDED = "refund_recorded", "已记录退款"
    REFUND_DUPLICATE = "refund_duplicate", "重复退款通知"
    REFUND_FAILED = "refund_failed", "退款失败"
    CLOSED = "closed", "交易关闭"


class PaymentNotification(models.Model):
    """Append-only copy of every *verified* notification, raw body included, for audit and replay.

    Refused notifications (bad signature, unknown order, wrong amount) are logged, not stored: a forged
    request must not be able to write to the database.
    """

    gateway = models.CharField(max_length=16, choices=Gateway.choices)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="notifications")
    provider_txn_id = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16, choices=NotificationOutcome.choices)
    body = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "支付通知"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.gateway} {self.provider_txn_id} {self.outcome}"


class SandboxTransaction(models.Model):
    """The sandbox provider's own books: what it charged, so it can be queried and refunded like a real one.

    This stands in for the provider's side of the wire, not for our records; our records are Order,
    PaymentNotification, Gift and the ledger, which only change through verified notifications or queries.
    """

    out_trade_no = models.CharField(max_length=32, unique=True)
    transaction_id = models.CharField(max_length=64, unique=True)
    amount_fen = models.BigIntegerField()
    payer = models.CharField(max_length=128)
    paid_at = models.DateTimeField()
    refunded_fen = models.BigIntegerField(default=0)
    refund_no = models.CharField(max_length=64, blank=True, default="")
    refunded_at = models.DateTimeField(null=True, blank=True)
    notify_url = models.CharField(max_length=300)
    deliveries = models.PositiveIntegerField(default=0)
    delivered = models.BooleanField(default=False)
    last_delivery_status = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "沙箱渠道交易"

    def __str__(self) -> str:
        return self.transaction_id


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", "已申请"
    PENDING = "pending", "渠道处理中"
    SUCCEEDED = "succeeded", "已退款"
    FAILED = "failed", "失败"


LIVE_REFUND_STATUSES = (RefundStatus.REQUESTED, RefundStatus.PENDING, RefundStatus.SUCCEEDED)


class RefundRequest(models.Model):
    """A refund staff started, under our ``refund_no`` towards the provider.

    At most one live (requested, pending or succeeded) refund per order — a partial unique index.
    The reversals are posted once, when the row moves to ``succeeded`` by a conditional update
    (``giving.services.record_refund_result``); a failed request frees the order for a new one.
    """

    refund_no = models.CharField("退款单号", max_length=64, unique=True)
    order = models.ForeignKey(Order, verbose_name="订单", on_delete=models.PROTECT, related_name="refunds")
    gateway = models.CharField("支付渠道", max_length=16, choices=Gateway.choices)
    amount_fen = models.BigIntegerField("退款金额（分）")
    reason = models.CharField("退款理由", max_length=200)
    status = models.CharField("状态", max_length=16, choices=RefundStatus.choices, default=RefundStatus.REQUESTED)
    provider_refund_id = models.CharField("渠道退款单号", max_length=64, null=True, blank=True)
    message = models.CharField("渠道说明", max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", null=True, blank=True, on_delete=models.PROTECT
    )
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    submitted_at = models.DateTimeField("最近提交渠道时间", null=True, blank=True)
    attempts = models.PositiveIntegerField("提交次数", default=0)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "退款"
        ordering = ["-id"]
        permissions = [("start_refund", "可以发起退款")]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(status__in=["requested", "pending", "succeeded"]),
                name="refund_one_live_per_order",
            ),
            models.UniqueConstraint(fields=["gateway", "provider_refund_id"], name="refund_provider_id_unique"),
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=~models.Q(status="succeeded") | models.Q(finished_at__isnull=False),
                name="refund_succeeded_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return self.refund_no


class NotificationNonce(models.Model):
    """Nonces of verified WeChat Pay notifications, unique per key id, kept a little past the window.

    Inserted in the same transaction as what the notification changes, so a refused notification
    leaves no row, and an exact replay within the freshness window meets the unique constraint.
    """

    gateway = models.CharField(max_length=16, choices=Gateway.choices)
    serial = models.CharField(max_length=64)
    nonce = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "通知随机串"
        constraints = [
            models.UniqueConstraint(fields=["gateway", "serial", "nonce"], name="notification_nonce_unique"),
        ]
        indexes = [models.Index(fields=["signed_at"])]

    def __str__(self) -> str:
        return f"{self.gateway} {self.serial} {self.nonce}"


class BillSource(models.TextChoices):
    DOWNLOAD = "download", "渠道接口下载"
    UPLOAD = "upload", "工作人员上传"


class Bill(models.Model):
    """A provider's daily bill as imported, kept byte for byte; one row per distinct file."""

    gateway = models.CharField("支付渠道", max_length=16, choices=Gateway.choices)
    bill_date = models.DateField("账单日期")
    source = models.CharField("来源", max_length=16, choices=BillSource.choices)
    filename = models.CharField("文件名", max_length=200, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64)
    content = models.BinaryField("原始文件")
    payments_count = models.PositiveIntegerField("收款笔数", default=0)
    payments_fen = models.BigIntegerField("收款金额（分）", default=0)
    refunds_count = models.PositiveIntegerField("退款笔数", default=0)
    refunds_fen = models.BigIntegerField("退款金额（分）", default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", null=True, blank=True, on_delete=models.PROTECT
    )
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)
    reconciled_at = models.DateTimeField("最近对账时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "渠道对账单"
        ordering = ["-bill_date", "-id"]
        permissions = [("import_bill", "可以导入对账单并对账")]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "bill_date", "sha256"], name="bill_file_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_gateway_display()} {self.bill_date}"


class BillLineKind(models.TextChoices):
    PAYMENT = "payment", "收款"
    REFUND = "refund", "退款"


class BillLine(models.Model):
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="lines")
    line_no = models.PositiveIntegerField("行号")
    kind = models.CharField("类型", max_length=16, choices=BillLineKind.choices)
    out_trade_no = models.CharField("商户订单号", max_length=64)
    provider_txn_id = models.CharField("渠道交易号", max_length=64)
    amount_fen = models.BigIntegerField("金额（分）")
    occurred_at = models.DateTimeField("时间")
    payer = models.CharField("付款人", max_length=128, blank=True)
    refund_no = models.CharField("退款单号", max_length=64, blank=True)
    provider_refund_id = models.CharField("渠道退款单号", max_length=64, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "对账单明细"
        ordering = ["bill", "line_no"]
        constraints = [models.UniqueConstraint(fields=["bill", "line_no"], name="bill_line_unique")]

    def __str__(self) -> str:
        return f"{self.bill} #{self.line_no}"


class DifferenceKind(models.TextChoices):
    PAID_THERE_ONLY = "paid_there_only", "渠道已收款，本地无捐赠"
    PAID_HERE_ONLY = "paid_here_only", "本地已收款，账单无记录"
    AMOUNT_DIFFERS = "amount_differs", "金额不符"
    REFUND_THERE_ONLY = "refund_there_only", "渠道已退款，本地未记"
    REFUND_HERE_ONLY = "refund_here_only", "本地已退款，账单无记录"


class DifferenceStatus(models.TextChoices):
    OPEN = "open", "待处理"
    RECOVERED = "recovered", "已从账单找回捐赠"
    RESOLVED = "resolved", "已人工处理"
    CLEARED = "cleared", "复核时已不存在"


class ReconciliationDifference(models.Model):
    """One difference between a bill and our books; listed for staff, never fixed silently."""

    bill = models.ForeignKey(Bill, verbose_name="对账单", on_delete=models.PROTECT, related_name="differences")
    kind = models.CharField("差异类型", max_length=24, choices=DifferenceKind.choices)
    key = models.CharField("差异键", max_length=80)
    order = models.ForeignKey(
        Order, verbose_name="订单", null=True, blank=True, on_delete=models.PROTECT, related_name="differences"
    )
    bill_line = models.ForeignKey(
        BillLine, verbose_name="账单行", null=True, blank=True, on_delete=models.PROTECT, related_name="differences"
    )
    refund = models.ForeignKey(
        RefundRequest, verbose_name="退款", null=True, blank=True, on_delete=models.PROTECT, related_name="differences"
    )
    out_trade_no = models.CharField("商户订单号", max_length=64, blank=True)
    provider_txn_id = models.CharField("渠道交易号", max_length=64, blank=True)
    refund_no = models.CharField("退款单号", max_length=64, blank=True)
    here_fen = models.BigIntegerField("本地金额（分）", null=True, blank=True)
    there_fen = models.BigIntegerField("账单金额（分）", null=True, blank=True)
    detail = models.CharField("说明", max_length=300, blank=True)
    status = models.CharField("状态", max_length=16, choices=DifferenceStatus.choices, default=DifferenceStatus.OPEN)
    found_at = models.DateTimeField("发现时间", auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolution_note = models.CharField("处理说明", max_length=300, blank=True)
    recovered_gift_id = models.BigIntegerField("找回的捐赠", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "对账差异"
        ordering = ["-bill__bill_date", "id"]
        permissions = [("resolve_difference", "可以处理对账差异（含从账单找回捐赠）")]
        constraints = [
            models.UniqueConstraint(fields=["bill", "kind", "key"], name="difference_unique_per_bill"),
        ]
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"

    @property
    def recoverable(self) -> bool:
        return (
            self.status == DifferenceStatus.OPEN
            and self.kind == DifferenceKind.PAID_THERE_ONLY
            and self.order_id is not None
            and self.bill_line_id is not None
        )


class PaymentEventKind(models.TextChoices):
    REFUND_REQUESTED = "refund_requested", "发起退款"
    REFUND_SUCCEEDED = "refund_succeeded", "退款成功"
    REFUND_FAILED = "refund_failed", "退款失败"
    BILL_IMPORTED = "bill_imported", "导入对账单"
    DIFFERENCE_RECOVERED = "difference_recovered", "从账单找回捐赠"
    DIFFERENCE_RESOLVED = "difference_resolved", "人工处理对账差异"


class PaymentEvent(models.Model):
    """Append-only trail of staff and provider actions on payments outside the gift path itself."""

    kind = models.CharField("事件", max_length=32, choices=PaymentEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT
    )
    order = models.ForeignKey(Order, verbose_name="订单", null=True, blank=True, on_delete=models.PROTECT)
    details = models.JSONField("详情", default=dict)
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "支付操作记录"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
