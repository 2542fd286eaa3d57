"""Orders (订单) and the record of verified payment notifications (回调)."""

from __future__ import annotations

from django.db import models

from gongyi.core.money import MAX_GIFT_FEN


class Gateway(models.TextChoices):
    SANDBOX = "sandbox", "沙箱支付"
    WECHATPAY = "wechatpay", "微信支付"
    ALIPAY = "alipay", "支付宝"


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
                condition=~models.Q(status="paid")
                | models.Q(provider_txn_id__isnull=False, paid_at__isnull=False),
                name="order_paid_has_txn",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.out_trade_no


class NotificationOutcome(models.TextChoices):
    CONFIRMED = "confirmed", "已确认捐赠"
    DUPLICATE = "duplicate", "重复通知"


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
    notify_url = models.CharField(max_length=300)
    deliveries = models.PositiveIntegerField(default=0)
    delivered = models.BooleanField(default=False)
    last_delivery_status = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "沙箱渠道交易"

    def __str__(self) -> str:
        return self.transaction_id
