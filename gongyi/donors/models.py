"""Donor accounts (我的公益): who a donor is, which gifts are theirs, what they want to hear from us.

Gifts are never written to here. A donor's gifts are found when read (``selectors.donor_gifts``), as the
union of

- gifts paid in WeChat by the openid the donor signed in with (``Gift.donor_key == "wechatpay:<openid>"``,
  the openid held by allauth's ``SocialAccount`` for the ``weixin`` provider);
- gifts whose order carries the donor's phone, typed on the give page (``OrderContact``), once the donor has
  proved the phone with an SMS code;
- gifts given while signed in (``OrderContact.user``);
- gifts the donor claimed with the order number and the payment's last digits (``GiftClaim``).

Closing an account removes every one of these links and the person's contact data; the gifts, their
certificates and the ledger stay as the law requires (``services.close_account``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class NameDisplay(models.TextChoices):
    MASKED = "masked", "姓名打码（如 王**）"
    NICKNAME = "nickname", "显示我的昵称"
    ANONYMOUS = "anonymous", "匿名（显示为爱心人士）"


class NotifyChannel(models.TextChoices):
    AUTO = "auto", "自动（微信优先，其次短信、邮件）"
    WECHAT = "wechat", "微信订阅通知"
    SMS = "sms", "短信"
    EMAIL = "email", "电子邮件"


class ProfileOrigin(models.TextChoices):
    PHONE = "phone", "手机号登录"
    WECHAT = "wechat", "微信登录"
    OTHER = "other", "其他"


class DonorProfile(models.Model):
    """A person's donor settings and verified phone, beside Django's user.

    The phone is E.164 (``+8613800138000``). An unverified phone may sit on several dormant profiles (someone
    asked for a code and never entered it); once verified it belongs to one profile only — a partial unique
    constraint — and the dormant copies are cleared (``services.set_phone_verified``).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="donor_profile"
    )
    phone = models.CharField("手机号", max_length=20, blank=True, default="")
    phone_verified = models.BooleanField("手机号已验证", default=False)
    phone_verified_at = models.DateTimeField("验证时间", null=True, blank=True)
    nickname = models.CharField("昵称", max_length=20, blank=True)
    name_display = models.CharField(
        "公开署名方式", max_length=12, choices=NameDisplay.choices, default=NameDisplay.MASKED
    )
    show_messages = models.BooleanField("公开显示我的留言", default=True)
    wants_thanks = models.BooleanField("接收感谢消息", default=False)
    wants_progress = models.BooleanField("接收项目进展", default=False)
    notify_channel = models.CharField(
        "消息渠道", max_length=8, choices=NotifyChannel.choices, default=NotifyChannel.AUTO
    )
    origin = models.CharField("来源", max_length=8, choices=ProfileOrigin.choices, default=ProfileOrigin.OTHER)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    closed_at = models.DateTimeField("注销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "捐赠人资料"
        constraints = [
            models.UniqueConstraint(
                fields=["phone"], condition=Q(phone_verified=True) & ~Q(phone=""), name="donor_verified_phone_unique"
            ),
            models.CheckConstraint(condition=Q(phone_verified=False) | ~Q(phone=""), name="donor_verified_has_phone"),
        ]
        indexes = [models.Index(fields=["phone"])]

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class OrderContact(models.Model):
    """The phone a donor left on the give page, and the account they were signed in with, beside the order.

    Keyed by the order's ``out_trade_no`` and written in the order's transaction; the payments models are
    untouched. The phone is unverified here: it shows the gift only to an account that proved the phone.
    """

    order = models.OneToOneField(
        "payments.Order",
        to_field="out_trade_no",
        db_column="out_trade_no",
        verbose_name="订单",
        on_delete=models.PROTECT,
        related_name="donor_contact",
    )
    phone = models.CharField("手机号", max_length=20, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登录账户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "订单联系人"
        constraints = [
            models.CheckConstraint(condition=~Q(phone="") | Q(user__isnull=False), name="order_contact_names_someone")
        ]
        indexes = [models.Index(fields=["phone"])]

    def __str__(self) -> str:
        return f"contact of {self.order_id}"


class GiftClaim(models.Model):
    """A donor claimed a gift that no account held, proving it with the order number and payment digits."""

    gift = models.OneToOneField(
        "giving.Gift", verbose_name="捐赠", on_delete=models.PROTECT, related_name="donor_claim"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="账户", on_delete=models.PROTECT, related_name="gift_claims"
    )
    claimed_at = models.DateTimeField("认领时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "捐赠认领"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"claim of gift {self.gift_id}"


class ClaimAttempt(models.Model):
    """Every claim attempt, kept so guesses are limited per account and per order (in the database, so the
    limit holds across server processes)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    out_trade_no = models.CharField(max_length=40)
    succeeded = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "认领尝试"
        indexes = [models.Index(fields=["user", "at"]), models.Index(fields=["out_trade_no", "at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.out_trade_no} {self.succeeded}"


class MessageKind(models.TextChoices):
    THANKS = "thanks", "感谢"
    PROGRESS = "progress", "项目进展"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"
    SKIPPED = "skipped", "未发送（无可用渠道或已退订）"


class DonorMessage(models.Model):
    """One message to one donor (thank-you or project progress), sent by a background task.

    ``dedupe_key`` is unique (``thanks:<gift>:<user>``, ``progress:<update>:<user>``): queuing the same
    message twice — a retried task, the periodic safety net — writes one row and sends once.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="donor_messages")
    kind = models.CharField("类型", max_length=12, choices=MessageKind.choices)
    dedupe_key = models.CharField(max_length=80, unique=True)
    channel = models.CharField("渠道", max_length=8, blank=True)
    title = models.CharField("标题", max_length=80)
    body = models.CharField("内容", max_length=300)
    link = models.CharField("链接", max_length=300, blank=True)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField("状态", max_length=8, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_id = models.CharField(max_length=80, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "捐赠人消息"
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.dedupe_key


class DonorEventKind(models.TextChoices):
    ACCOUNT_CREATED = "account_created", "创建账户"
    PHONE_VERIFIED = "phone_verified", "验证手机号"
    GIFT_CLAIMED = "gift_claimed", "认领捐赠"
    SETTINGS_CHANGED = "settings_changed", "修改设置"
    UNSUBSCRIBED = "unsubscribed", "退订消息"
    DATA_EXPORTED = "data_exported", "导出个人数据"
    ACCOUNT_CLOSED = "account_closed", "注销账户"


class DonorEvent(models.Model):
    """Append-only trail of what happened to a donor account (never personal data in ``details``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=DonorEventKind.choices)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "捐赠人账户记录"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.user_id}"
