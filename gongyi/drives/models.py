"""慈善一日捐 drives and 一起捐 teams: work units, their soft credits, league counters, receipts.

How a gift reaches the league tables (see ``docs/drives.md``):

1. The give page or ``POST /api/v1/orders`` resolves the donor's unit (code, QR link or search) and team,
   and stores them in ``OrderAttribution`` beside the order, in the order's transaction.
2. ``confirm_payment`` calls ``services.credit_confirmed_gift`` inside its transaction: one ``GiftCredit``
   row per credited gift (a soft credit — the payer stays the donor), and the ``LeagueTally`` counters of
   each board the gift counts on move by ``F()``; distinct givers move through ``LeagueGiver`` rows.
3. A refund calls ``services.uncredit_refunded_gift``: the credit row flips live → reversed once, and the
   same counters move back. Only a live credit row is ever counted, so ``recompute`` can check the
   counters against a scan of credit rows and gift statuses.

Nothing here assigns an amount to a person: giving is voluntary, the law forbids quotas (摊派).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class UnitKind(models.TextChoices):
    AGENCY = "agency", "机关"
    INSTITUTION = "institution", "事业单位"
    SCHOOL = "school", "学校"
    HOSPITAL = "hospital", "医院"
    COMPANY = "company", "企业"
    SOCIAL_ORG = "social_org", "社会组织"


class UnitStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "未通过"


class UnitSource(models.TextChoices):
    REGISTERED = "registered", "自行登记"
    IMPORTED = "imported", "批量导入"
    STAFF = "staff", "工作人员录入"


class Unit(models.Model):
    """A work unit (单位) taking part in drives: agency, school, hospital, company or social organisation.

    Hierarchy: district (``district``) → system or department (``parent``, itself a unit) → unit. The short
    ``code`` (5 characters and a check character, see ``codes.py``) works on posters and the give page only
    once the unit is approved. ``headcount`` is optional and used only for the participation rate; there is
    deliberately no per-person amount anywhere.
    """

    code = models.CharField("单位代码", max_length=8, unique=True)
    name = models.CharField("单位名称", max_length=100, unique=True)
    kind = models.CharField("单位类型", max_length=16, choices=UnitKind.choices)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True, null=True, blank=True)
    uscc_check_ok = models.BooleanField("信用代码校验通过", default=False)
    district = models.ForeignKey(
        "orgs.Region", verbose_name="所在区", on_delete=models.PROTECT, related_name="drive_units"
    )
    township = models.ForeignKey(
        "orgs.Region",
        verbose_name="乡镇/街道",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="drive_units_in_township",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级单位（系统/部门）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    contact_name = models.CharField("联系人", max_length=32, blank=True)
    contact_phone = models.CharField("联系电话", max_length=32, blank=True)
    headcount = models.PositiveIntegerField("在职人数", null=True, blank=True, help_text="选填，仅用于计算参与率")
    status = models.CharField("状态", max_length=16, choices=UnitStatus.choices, default=UnitStatus.PENDING)
    source = models.CharField("来源", max_length=16, choices=UnitSource.choices)
    review_note = models.CharField("审核意见", max_length=200, blank=True)
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "单位"
        ordering = ["district_id", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(headcount__isnull=True) | Q(headcount__gt=0), name="unit_headcount_positive"
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="unit_not_own_parent"),
        ]
        indexes = [models.Index(fields=["status", "name"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_active(self) -> bool:
        return self.status == UnitStatus.APPROVED


class Drive(models.Model):
    """One 慈善一日捐 drive: a window (often the festival's) whose gifts fill one set of league tables."""

    slug = models.SlugField("标识", max_length=40, unique=True)
    name = models.CharField("名称", max_length=80)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name="所属活动",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="drives",
        help_text="单位页面列出该活动的项目；不填则列出全部募捐中的项目",
    )
    organiser = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="组织单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="海报和证书上的署名，如市慈善总会；不填则用所属活动的主办单位",
    )
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间（不含）")
    is_public = models.BooleanField("公开", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "一日捐活动"
        ordering = ["-starts_at"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="drive_window")]

    def __str__(self) -> str:
        return self.name

    @property
    def organiser_name(self) -> str:
        if self.organiser_id:
            return self.organiser.name
        return self.campaign.host.name if self.campaign_id else "慈善总会"


class Team(models.Model):
    """A 一起捐 team page for one project: anyone may start one; gifts through it count for team and project."""

    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="drive_teams"
    )
    name = models.CharField("团队名称", max_length=30)
    slogan = models.CharField("口号", max_length=60, blank=True)
    goal_fen = models.BigIntegerField("团队目标（分）")
    leader_name = models.CharField("发起人", max_length=20)
    is_visible = models.BooleanField("公开显示", default=True)
    creator_fingerprint = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "一起捐团队"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(goal_fen__gt=0, goal_fen__lte=100_000_000_00), name="team_goal_range")
        ]
        indexes = [models.Index(fields=["creator_fingerprint", "created_at"])]

    def __str__(self) -> str:
        return self.name


class StaffListName(models.TextChoices):
    """How a staff member's name appears on the unit's consolidated receipt list — the donor's choice."""

    MASKED = "masked", "姓名打码（如 王**）"
    FULL = "full", "全名（可凭单位汇总票据扣除个税）"


class OrderAttribution(models.Model):
    """The unit and team an order was given through, stored beside the order when it is created.

    Keyed by the order's ``out_trade_no``. ``as_unit`` marks the unit's own gift (office funds or a day's
    profit), possible only through the signed unit-gift link staff give the unit's contact.
    """

    order = models.OneToOneField(
        "payments.Order",
        to_field="out_trade_no",
        db_column="out_trade_no",
        verbose_name="订单",
        on_delete=models.PROTECT,
        related_name="drive_attribution",
    )
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    as_unit = models.BooleanField("以单位名义捐赠", default=False)
    list_name = models.CharField(
        "汇总明细中的姓名", max_length=8, choices=StaffListName.choices, default=StaffListName.MASKED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "订单归属（单位/团队）"
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | Q(team__isnull=False), name="attribution_names_something"
            ),
            models.CheckConstraint(
                condition=Q(as_unit=False) | Q(unit__isnull=False), name="attribution_as_unit_needs_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} → {self.unit_id or '-'} / {self.team_id or '-'}"


class CreditStatus(models.TextChoices):
    LIVE = "live", "有效"
    REVERSED = "reversed", "已冲回（退款）"


class GiftCredit(models.Model):
    """The soft credit of one confirmed gift to a unit and/or team; the only thing league counters count.

    District and unit kind are copied when the gift is credited, so the tables never shift under later
    edits; ``services.update_unit`` refuses to move a unit that already has credits.
    """

    gift = models.OneToOneField(
        "giving.Gift", verbose_name="捐赠", on_delete=models.PROTECT, related_name="drive_credit"
    )
    drive = models.ForeignKey(Drive, null=True, blank=True, on_delete=models.PROTECT, related_name="credits")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="credits")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="credits")
    as_unit = models.BooleanField(default=False)
    list_name = models.CharField(max_length=8, choices=StaffListName.choices, default=StaffListName.MASKED)
    donor_key = models.CharField(max_length=160)
    amount_fen = models.BigIntegerField()
    district = models.ForeignKey("orgs.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unit_kind = models.CharField(max_length=16, choices=UnitKind.choices, blank=True)
    status = models.CharField(max_length=16, choices=CreditStatus.choices, default=CreditStatus.LIVE)
    credited_at = models.DateTimeField(auto_now_add=True)
    reversed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "捐赠计入（单位/团队）"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="credit_amount_positive"),
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | Q(team__isnull=False), name="credit_names_something"
            ),
        ]
        indexes = [models.Index(fields=["unit", "status"]), models.Index(fields=["status", "gift"])]

    def __str__(self) -> str:
        return f"credit of gift {self.gift_id}"


class OfflineGiftStatus(models.TextChoices):
    LIVE = "live", "有效"
    VOID = "void", "已作废（冲回）"


class UnitOfflineGift(models.Model):
    """A unit's own gift paid by bank transfer, entered by staff with its voucher and posted to the ledger."""

    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="offline_gifts")
    drive = models.ForeignKey(
        Drive, verbose_name="一日捐活动", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    project = models.ForeignKey("projects.Project", verbose_name="捐入项目", on_delete=models.PROTECT, related_name="+")
    amount_fen = models.BigIntegerField("金额（分）")
    received_on = models.DateField("到账日期")
    bank_reference = models.CharField("银行流水号", max_length=64, unique=True)
    payer_account_name = models.CharField("付款户名", max_length=100)
    voucher = models.FileField("转账凭证", upload_to="drives/vouchers/%Y/%m/")
    note = models.CharField("备注", max_length=200, blank=True)
    district = models.ForeignKey("orgs.Region", null=True, on_delete=models.PROTECT, related_name="+")
    unit_kind = models.CharField(max_length=16, choices=UnitKind.choices)
    status = models.CharField("状态", max_length=8, choices=OfflineGiftStatus.choices, default=OfflineGiftStatus.LIVE)
    entry = models.OneToOneField(
        "ledger.JournalEntry", null=True, on_delete=models.PROTECT, related_name="unit_offline_gift"
    )
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField("录入时间", auto_now_add=True)
    void_reason = models.CharField("作废理由", max_length=200, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "单位线下捐赠（银行转账）"
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="offline_gift_amount_positive")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.bank_reference}"


class LeagueTally(models.Model):
    """One line of a league table, moved with ``F()`` in the gift's transaction (O(1) per gift).

    ``board`` names the table: ``drive:<id>:unit|district|kind|all`` or ``project:<id>:team``; ``key`` the
    line (a unit or team id, a region code, a unit kind, ``all``). ``givers``/``gifts``/``amount_fen`` count
    people's gifts; ``unit_gifts``/``unit_amount_fen`` the units' own gifts; ``total_fen`` both.
    """

    board = models.CharField(max_length=48)
    key = models.CharField(max_length=32)
    givers = models.IntegerField(default=0)
    gifts = models.IntegerField(default=0)
    amount_fen = models.BigIntegerField(default=0)
    unit_gifts = models.IntegerField(default=0)
    unit_amount_fen = models.BigIntegerField(default=0)
    total_fen = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "排行计数"
        constraints = [
            models.UniqueConstraint(fields=["board", "key"], name="league_tally_unique"),
            models.CheckConstraint(
                condition=Q(
                    givers__gte=0,
                    gifts__gte=0,
                    amount_fen__gte=0,
                    unit_gifts__gte=0,
                    unit_amount_fen__gte=0,
                    total_fen__gte=0,
                ),
                name="league_tally_nonneg",
            ),
        ]
        indexes = [models.Index(fields=["board", "-total_fen"])]

    def __str__(self) -> str:
        return f"{self.board}/{self.key}"


class LeagueGiver(models.Model):
    """A distinct giver on one line of a board; ``live_gifts`` > 0 means they count in ``givers``."""

    board = models.CharField(max_length=48)
    key = models.CharField(max_length=32)
    donor_key = models.CharField(max_length=160)
    live_gifts = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["board", "key", "donor_key"], name="league_giver_unique"),
            models.CheckConstraint(condition=Q(live_gifts__gte=0), name="league_giver_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.board}/{self.key}/{self.donor_key}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    CHECKING = "checking", "校验中"
    FAILED = "failed", "有错误，未导入"
    IMPORTED = "imported", "已全部导入"


class UnitImport(models.Model):
    """One Excel upload of units: checked row by row, then imported all at once or not at all."""

    file = models.FileField("文件", upload_to="drives/imports/%Y/%m/")
    original_name = models.CharField("文件名", max_length=200)
    status = models.CharField("状态", max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    total_rows = models.PositiveIntegerField("数据行数", default=0)
    checked_rows = models.PositiveIntegerField("已校验行数", default=0)
    created_units = models.PositiveIntegerField("导入单位数", default=0)
    errors = models.JSONField("错误", default=list)
    warnings = models.JSONField("提示", default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "单位导入"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def progress_percent(self) -> int:
        if self.status in (ImportStatus.IMPORTED, ImportStatus.FAILED):
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.checked_rows * 100 // self.total_rows)


class ReceiptKind(models.TextChoices):
    UNIT_STAFF = "unit_staff", "单位汇总票据（附员工明细）"
    UNIT_OWN = "unit_own", "单位捐赠票据"
    INDIVIDUAL = "individual", "个人捐赠票据"


class ReceiptStatus(models.TextChoices):
    REQUESTED = "requested", "已申请"
    EXPORTED = "exported", "已提交财政票据系统"
    ISSUED = "issued", "已开具"
    REJECTED = "rejected", "未开具"


class ReceiptRequest(models.Model):
    """A request for a donation receipt (捐赠票据) sent to the finance bureau's e-receipt system.

    requested → exported → issued | rejected (also requested → rejected). The platform never mints a
    receipt: ``receipt_no`` and ``check_code`` are copied from the bureau's answer.
    """

    number = models.CharField("申请编号", max_length=24, unique=True)
    kind = models.CharField("类型", max_length=16, choices=ReceiptKind.choices)
    status = models.CharField("状态", max_length=16, choices=ReceiptStatus.choices, default=ReceiptStatus.REQUESTED)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="receipt_requests")
    payer_name = models.CharField("交款人", max_length=100)
    payer_uscc = models.CharField("交款人统一社会信用代码", max_length=18, blank=True)
    contact_phone = models.CharField("联系电话", max_length=32, blank=True)
    total_fen = models.BigIntegerField("金额合计（分）")
    line_count = models.PositiveIntegerField("明细条数")
    issuer = models.CharField("提交方式", max_length=40, blank=True)
    export_path = models.CharField("导出文件", max_length=300, blank=True)
    receipt_no = models.CharField("票据号码", max_length=40, blank=True)
    check_code = models.CharField("校验码", max_length=40, blank=True)
    verify_url = models.URLField("查验链接", blank=True)
    reject_reason = models.CharField("未开具原因", max_length=200, blank=True)
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "票据申请"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total_fen__gt=0, line_count__gt=0), name="receipt_not_empty"),
            models.CheckConstraint(condition=~Q(status="issued") | ~Q(receipt_no=""), name="receipt_issued_has_number"),
        ]

    def __str__(self) -> str:
        return self.number


class ReceiptLine(models.Model):
    """One gift on a receipt request; a gift is on at most one active (not rejected) request."""

    request = models.ForeignKey(ReceiptRequest, on_delete=models.PROTECT, related_name="lines")
    gift = models.ForeignKey("giving.Gift", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    offline_gift = models.ForeignKey(UnitOfflineGift, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name_on_list = models.CharField("姓名", max_length=100)
    amount_fen = models.BigIntegerField("金额（分）")
    paid_at = models.DateTimeField("捐赠时间")
    reference = models.CharField("订单号/流水号", max_length=64)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(gift__isnull=False) & Q(offline_gift__isnull=True))
                | (Q(gift__isnull=True) & Q(offline_gift__isnull=False)),
                name="receipt_line_one_source",
            ),
            models.UniqueConstraint(
                fields=["gift"], condition=Q(is_active=True, gift__isnull=False), name="receipt_line_gift_once"
            ),
            models.UniqueConstraint(
                fields=["offline_gift"],
                condition=Q(is_active=True, offline_gift__isnull=False),
                name="receipt_line_offline_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.amount_fen}"


class EventAction(models.TextChoices):
    UNIT_REGISTERED = "unit_registered", "单位登记"
    UNIT_CREATED = "unit_created", "录入单位"
    UNIT_IMPORTED = "unit_imported", "导入单位"
    UNIT_APPROVED = "unit_approved", "审核通过"
    UNIT_REJECTED = "unit_rejected", "审核未通过"
    UNIT_UPDATED = "unit_updated", "修改单位"
    DRIVE_SAVED = "drive_saved", "保存一日捐活动"
    TEAM_CREATED = "team_created", "创建团队"
    TEAM_HIDDEN = "team_hidden", "隐藏团队"
    OFFLINE_GIFT_RECORDED = "offline_gift_recorded", "录入线下单位捐赠"
    OFFLINE_GIFT_VOIDED = "offline_gift_voided", "作废线下单位捐赠"
    CREDIT_REVERSED = "credit_reversed", "退款冲回计入"
    RECEIPT_REQUESTED = "receipt_requested", "申请票据"
    RECEIPT_EXPORTED = "receipt_exported", "提交票据申请"
    RECEIPT_ISSUED = "receipt_issued", "票据已开具"
    RECEIPT_REJECTED = "receipt_rejected", "票据未开具"


class DriveEvent(models.Model):
    """Append-only trail of every state change in drives: who did what, when, with what details."""

    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=32, choices=EventAction.choices)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    receipt = models.ForeignKey(ReceiptRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    details = models.JSONField(default=dict)

    class Meta:
        verbose_name = verbose_name_plural = "一日捐操作记录"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
