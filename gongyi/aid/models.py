"""Aid casework (救助): the station network, staff roles and scopes, programmes with review chains as
data, beneficiaries and cases with their personal data sealed at rest, public notices, objections,
disbursements, follow-ups, and the append-only event and access logs.

Personal data — names, ID numbers, birth dates, phones, addresses, households, diagnoses, hospitals,
guardians, bank accounts, free-text notes, uploaded documents — is held only in ``EncryptedTextField``
columns or encrypted files (see ``fields`` and ``crypto``). Plain columns hold what scoping, the
calculator and public notices need: the village, the hardship class, amounts, dates, a masked name
(``张*``) and blind indexes.

Scoping: every case and station carries the ``region_path`` of its region (``/420000/420700/…/``, from
the Region parent chain); a role's scope is a path prefix. See ``selectors.visible_cases``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongyi.aid.calculator import HARDSHIP_CLASSES, CalculatorParams
from gongyi.aid.fields import EncryptedTextField, SealedModel
from gongyi.aid.schedule import NOTICE_LENGTHS

# --- the network ------------------------------------------------------------------------------------


class StationLevel(models.TextChoices):
    DISTRICT = "district", _("区级服务站")
    TOWNSHIP = "township", _("乡镇（街道）服务站")
    VILLAGE = "village", _("村（社区）服务站")


class Station(models.Model):
    """A 慈善服务站 of the three-level network, one per region."""

    region = models.OneToOneField(
        "orgs.Region", verbose_name="所在区划", on_delete=models.PROTECT, related_name="aid_station"
    )
    level = models.CharField("级别", max_length=16, choices=StationLevel.choices)
    name = models.CharField("名称", max_length=128)
    address = models.CharField("地址", max_length=200, blank=True)
    phone = models.CharField("联系电话", max_length=32, blank=True)
    is_active = models.BooleanField("运行中", default=True)
    region_path = models.CharField("区划路径", max_length=128, db_index=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "慈善服务站"
        ordering = ["region_path"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    STATION_STAFF = "station_staff", _("服务站工作人员")
    DISTRICT_STAFF = "district_staff", _("区级工作人员")
    CITY_STAFF = "city_staff", _("市级工作人员")
    FEDERATION_STAFF = "federation_staff", _("慈善总会工作人员")
    REGULATOR = "regulator", _("民政监管（只读）")
    SOCIAL_WORKER = "social_worker", _("社工")


ALL_REGION_ROLES = (Role.FEDERATION_STAFF, Role.REGULATOR)


class AidRole(models.Model):
    """A user's role in casework and the region it covers (its subtree).

    Station staff hold their station's region; district and city staff and social workers a region;
    federation staff and the regulator everything (no region). The regulator may read, never write.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.PROTECT, related_name="aid_roles"
    )
    role = models.CharField("角色", max_length=24, choices=Role.choices)
    region = models.ForeignKey(
        "orgs.Region", verbose_name="管辖区划", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    station = models.ForeignKey(
        Station, verbose_name="服务站", null=True, blank=True, on_delete=models.PROTECT, related_name="staff_roles"
    )
    region_path = models.CharField("区划路径", max_length=128, blank=True, editable=False)
    is_active = models.BooleanField("有效", default=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "救助工作角色"
        ordering = ["user_id", "role"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="station_staff") | Q(station__isnull=False, region__isnull=False),
                name="aid_role_station_staff_has_station",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=["federation_staff", "regulator"]) | Q(region__isnull=True, region_path=""),
                name="aid_role_all_regions_has_no_region",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["federation_staff", "regulator"])
                | (Q(region__isnull=False) & ~Q(region_path="")),
                name="aid_role_scoped_has_region",
            ),
        ]
        indexes = [models.Index(fields=["user", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.get_role_display()} {self.region_id or '全部'}"


# --- programmes ---------------------------------------------------------------------------------------


class NoticeLength(models.TextChoices):
    THREE_DAYS = "3d", "3天"
    FIVE_DAYS = "5d", "5天"
    SEVEN_DAYS = "7d", "7天"
    SEVEN_WORKING_DAYS = "7wd", "7个工作日"


assert set(NoticeLength.values) == set(NOTICE_LENGTHS)


class DocumentKind(models.TextChoices):
    APPLICATION_FORM = "application_form", _("申请表")
    ID_CARD = "id_card", _("身份证件")
    HOUSEHOLD_REGISTER = "household_register", _("户口簿")
    HARDSHIP_PROOF = "hardship_proof", _("家庭困难证明")
    DIAGNOSIS = "diagnosis", _("诊断证明/出院小结")
    INVOICE = "invoice", _("医疗费用票据")
    SETTLEMENT = "settlement", _("医保及其他保险结算单")
    CONSENT_FORM = "consent_form", _("知情同意书")
    BANK_CARD = "bank_card", _("本人银行账户")
    SCHOOL_PROOF = "school_proof", _("在读证明")
    DISBURSEMENT_VOUCHER = "disbursement_voucher", _("拨付凭证")
    VISIT_RECORD = "visit_record", _("走访记录")
    OTHER = "other", _("其他")


class AidProgramme(models.Model):
    """An aid programme funded by one project: its review chain (``steps``), notice length, calculator,
    caps, required documents and retention — all data, edited in the admin."""

    code = models.SlugField("代码", max_length=32, unique=True)
    case_prefix = models.CharField("案件编号前缀", max_length=8, unique=True)
    name = models.CharField("名称", max_length=64)
    project = models.ForeignKey(
        "projects.Project", verbose_name="资金来源项目", on_delete=models.PROTECT, related_name="aid_programmes"
    )
    standards = models.TextField("救助标准与工作流程", help_text="公开显示，告知申请人（慈善法第八十一条）")
    is_active = models.BooleanField("受理中", default=True)
    notice_length = models.CharField(
        "公示期", max_length=4, choices=NoticeLength.choices, default=NoticeLength.SEVEN_DAYS
    )
    calculator = models.JSONField("计算参数", default=dict)
    per_case_cap_fen = models.BigIntegerField("单笔救助上限（分）", null=True, blank=True)
    per_year_cap_fen = models.BigIntegerField("年度救助上限（分）", null=True, blank=True)
    required_documents = models.JSONField("必备材料", default=list, blank=True)
    requires_diagnosis = models.BooleanField("须填写诊断", default=True)
    retention_years = models.PositiveSmallIntegerField("结案后个人信息保存年限", default=5)
    complaint_channel = models.CharField(
        "投诉渠道", max_length=200, default="监督电话：0711-3201234（鄂州市慈善总会）；也可在本页提出异议"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "救助项目"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(per_case_cap_fen__isnull=True) | Q(per_case_cap_fen__gt=0),
                name="aid_programme_case_cap_pos",
            ),
            models.CheckConstraint(
                condition=Q(per_year_cap_fen__isnull=True) | Q(per_year_cap_fen__gt=0),
                name="aid_programme_year_cap_pos",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def params(self) -> CalculatorParams:
        """The calculator parameters; ParamsError if the stored JSON is unusable."""
        return CalculatorParams.from_dict(
            self.calculator, per_case_cap_fen=self.per_case_cap_fen, per_year_cap_fen=self.per_year_cap_fen
        )

    def clean(self):
        from django.core.exceptions import ValidationError

        from gongyi.aid.calculator import ParamsError

        try:
            self.params()
        except ParamsError as exc:
            raise ValidationError({"calculator": [f"{p.field}: {p.message}" for p in exc.problems]}) from None
        unknown = [k for k in self.required_documents or [] if k not in DocumentKind.values]
        if unknown:
            raise ValidationError({"required_documents": f"未知的材料类型：{', '.join(map(str, unknown))}"})


class ReviewLevel(models.TextChoices):
    VILLAGE = "village", _("村（社区）")
    TOWNSHIP = "township", _("乡镇（街道）")
    DISTRICT = "district", _("区")
    CITY = "city", _("市")


class ReviewStep(models.Model):
    """One level of a programme's review chain: who (role) at which level, in which order."""

    programme = models.ForeignKey(AidProgramme, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField("顺序")
    level = models.CharField("层级", max_length=16, choices=ReviewLevel.choices)
    role = models.CharField(
        "审核角色",
        max_length=24,
        choices=[
            (r.value, r.label)
            for r in (Role.STATION_STAFF, Role.DISTRICT_STAFF, Role.CITY_STAFF, Role.FEDERATION_STAFF)
        ],
    )
    name = models.CharField("名称", max_length=64)
    requires_home_visit = models.BooleanField("须入户调查", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "审核环节"
        ordering = ["programme_id", "position"]
        constraints = [models.UniqueConstraint(fields=["programme", "position"], name="aid_step_position_unique")]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class AidCalendarDay(models.Model):
    """A day that is not what its weekday says: a public holiday, or a make-up working day (调休)."""

    day = models.DateField("日期", unique=True)
    is_working = models.BooleanField("是工作日")
    note = models.CharField("说明", max_length=64, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "节假日与调休"
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'班' if self.is_working else '休'}"


# --- beneficiaries and cases ---------------------------------------------------------------------------


class HardshipClass(models.TextChoices):
    TEKUN = "tekun", _("特困")
    DIBAO = "dibao", _("低保")
    DIBIAN = "dibian", _("低边")
    YINBING = "yinbing", _("因病致贫")
    OTHER = "other", _("其他")


assert dict(HardshipClass.choices).keys() == HARDSHIP_CLASSES.keys()


class Beneficiary(SealedModel):
    """A person aid is for. Found again by the blind index of the ID number, never by decrypting."""

    region = models.ForeignKey(
        "orgs.Region", verbose_name="户籍/居住村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    region_path = models.CharField(max_length=128, db_index=True, editable=False)
    name = EncryptedTextField("姓名")
    id_number = EncryptedTextField("身份证号")
    id_number_index = models.CharField("身份证号盲索引", max_length=32, null=True, unique=True, editable=False)
    birth_date = EncryptedTextField("出生日期")
    phone = EncryptedTextField("联系电话")
    address = EncryptedTextField("住址")
    household = EncryptedTextField("家庭成员情况")
    masked_name = models.CharField("脱敏姓名", max_length=16, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    anonymised_at = models.DateTimeField("匿名化时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "受助人"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"受助人 #{self.pk} {self.masked_name}"


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("待提交")
    IN_REVIEW = "in_review", _("审核中")
    RETURNED = "returned", _("退回补充材料")
    NOTICE = "notice", _("公示中")
    OBJECTION = "objection", _("异议处理中（暂停）")
    APPROVED = "approved", _("待拨付")
    DISBURSED = "disbursed", _("已拨付")
    CLOSED = "closed", _("已结案")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")


EDITABLE_STATUSES = (CaseStatus.DRAFT, CaseStatus.RETURNED)
FINISHED_STATUSES = (CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN)
# Statuses in which the case's award counts against the beneficiary's yearly cap.
AWARDED_STATUSES = (
    CaseStatus.NOTICE,
    CaseStatus.OBJECTION,
    CaseStatus.APPROVED,
    CaseStatus.DISBURSED,
    CaseStatus.CLOSED,
)


class AidCase(SealedModel):
    """One application for aid under one programme (救助申请/案件), from intake to closing.

    ``case_number`` is the only identifier that leaves the casework (ledger memos, public notices).
    ``calculated_fen`` is the calculator's award at submission, ``approved_fen`` what the last review
    step approved (never more), ``disbursed_fen`` what has been paid (never more than approved).
    """

    case_number = models.CharField("案件编号", max_length=32, unique=True, null=True, editable=False)
    programme = models.ForeignKey(AidProgramme, verbose_name="救助项目", on_delete=models.PROTECT, related_name="cases")
    beneficiary = models.ForeignKey(Beneficiary, verbose_name="受助人", on_delete=models.PROTECT, related_name="cases")
    region = models.ForeignKey("orgs.Region", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=128, db_index=True, editable=False)
    station = models.ForeignKey(
        Station, verbose_name="受理服务站", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    status = models.CharField("状态", max_length=16, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    current_step = models.ForeignKey(
        ReviewStep, verbose_name="当前审核环节", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_round = models.PositiveSmallIntegerField("审核轮次", default=1)
    hardship_class = models.CharField("困难类别", max_length=16, choices=HardshipClass.choices)
    diagnosis = EncryptedTextField("诊断")
    hospital = EncryptedTextField("就诊医院")
    situation = EncryptedTextField("家庭困难情况")
    applicant_under_14 = models.BooleanField("申请时未满14周岁", default=False)
    guardian_name = EncryptedTextField("监护人姓名")
    guardian_id_number = EncryptedTextField("监护人身份证号")
    guardian_phone = EncryptedTextField("监护人电话")
    guardian_relation = models.CharField("监护关系", max_length=16, blank=True)
    basic_insurance_fen = models.BigIntegerField("基本医保报销（分）", default=0)
    critical_illness_insurance_fen = models.BigIntegerField("大病保险报销（分）", default=0)
    medical_assistance_fen = models.BigIntegerField("医疗救助（分）", default=0)
    commercial_insurance_fen = models.BigIntegerField("商业保险（分）", default=0)
    employer_fen = models.BigIntegerField("单位报销（分）", default=0)
    other_charity_fen = models.BigIntegerField("其他慈善救助（分）", default=0)
    total_cost_fen = models.BigIntegerField("医疗总费用（分）", default=0, editable=False)
    calculated_fen = models.BigIntegerField("测算救助金额（分）", null=True, blank=True, editable=False)
    calculation = models.JSONField("测算过程", null=True, blank=True, editable=False)
    approved_fen = models.BigIntegerField("核定救助金额（分）", null=True, blank=True, editable=False)
    disbursed_fen = models.BigIntegerField("已拨付（分）", default=0, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    decided_at = models.DateTimeField("审定时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    retention_until = models.DateField("个人信息保存至", null=True, blank=True)
    anonymised_at = models.DateTimeField("匿名化时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "救助案件"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    basic_insurance_fen__gte=0,
                    critical_illness_insurance_fen__gte=0,
                    medical_assistance_fen__gte=0,
                    commercial_insurance_fen__gte=0,
                    employer_fen__gte=0,
                    other_charity_fen__gte=0,
                    total_cost_fen__gte=0,
                    disbursed_fen__gte=0,
                ),
                name="aid_case_amounts_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(approved_fen__isnull=True)
                | Q(approved_fen__gte=0, approved_fen__lte=models.F("calculated_fen")),
                name="aid_case_approved_within_calculated",
            ),
            models.CheckConstraint(
                condition=Q(disbursed_fen=0) | Q(disbursed_fen__lte=models.F("approved_fen")),
                name="aid_case_disbursed_within_approved",
            ),
        ]
        indexes = [models.Index(fields=["status", "programme"]), models.Index(fields=["beneficiary", "programme"])]

    def __str__(self) -> str:
        return self.case_number or f"案件 #{self.pk}"

    @property
    def remaining_fen(self) -> int:
        return max(0, (self.approved_fen or 0) - self.disbursed_fen)


class Invoice(SealedModel):
    """A medical bill claimed by a case. An unreleased bill's ``invoice_key`` (blind index of
    票据代码/票据号码) is unique across all cases: the database refuses a bill used twice. A bill is
    released when its case is rejected or withdrawn, so it may be claimed again."""

    case = models.ForeignKey(AidCase, on_delete=models.CASCADE, related_name="invoices")
    number = EncryptedTextField("票据代码/号码")
    label = models.CharField("票据尾号", max_length=16, editable=False)
    invoice_key = models.CharField("票据盲索引", max_length=32, editable=False)
    amount_fen = models.BigIntegerField("金额（分）")
    issued_on = models.DateField("开具日期")
    released = models.BooleanField("已释放", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "医疗费用票据"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice_key"], condition=Q(released=False), name="aid_invoice_used_once"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="aid_invoice_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"票据 {self.label}"


class ConsentKind(models.TextChoices):
    SENSITIVE = "sensitive", _("同意处理敏感个人信息（医疗健康、身份证件）")
    PUBLICATION = "publication", _("同意公示（姓名脱敏、村名、救助金额）")
    SHARING = "sharing", _("同意向民政、医保部门及医院提供信息")
    GUARDIAN = "guardian", _("监护人同意（未满14周岁）")


class ConsentSigner(models.TextChoices):
    SELF = "self", _("本人")
    GUARDIAN = "guardian", _("监护人")
    AGENT = "agent", _("委托代理人")


class Consent(models.Model):
    """One separate consent (PIPL arts. 25, 29, 31): what, who signed, which text, when; withdrawable."""

    case = models.ForeignKey(AidCase, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField("同意事项", max_length=16, choices=ConsentKind.choices)
    signer = models.CharField("签署人", max_length=16, choices=ConsentSigner.choices)
    text_version = models.CharField("告知书版本", max_length=32, default="2026-01")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "知情同意"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"], condition=Q(withdrawn_at__isnull=True), name="aid_consent_once_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class Document(SealedModel):
    """An uploaded file, stored encrypted (AAD: the document's uid) under ``storage_name``."""

    case = models.ForeignKey(AidCase, on_delete=models.CASCADE, related_name="documents")
    disbursement = models.ForeignKey(
        "Disbursement", null=True, blank=True, on_delete=models.CASCADE, related_name="vouchers"
    )
    kind = models.CharField("材料类型", max_length=24, choices=DocumentKind.choices)
    storage_name = models.CharField(max_length=200, editable=False)
    key_id = models.CharField(max_length=32, editable=False)
    original_name = EncryptedTextField("原文件名")
    content_type = models.CharField(max_length=32)
    size_bytes = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "申请材料"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", _("同意")
    RETURN = "return", _("退回补充")
    REJECT = "reject", _("不同意")


class Review(SealedModel):
    """A reviewer's decision at one step of one round, with the conflict-of-interest declaration."""

    case = models.ForeignKey(AidCase, on_delete=models.CASCADE, related_name="reviews")
    step = models.ForeignKey(ReviewStep, on_delete=models.PROTECT, related_name="+")
    review_round = models.PositiveSmallIntegerField()
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField("意见", max_length=8, choices=ReviewDecision.choices)
    opinion = EncryptedTextField("审核意见")
    no_conflict_declared = models.BooleanField("已声明无利害关系")
    home_visit_on = models.DateField("入户调查日期", null=True, blank=True)
    amount_fen = models.BigIntegerField("核定金额（分）", null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "审核记录"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "step", "review_round"], name="aid_review_once_per_step"),
            models.CheckConstraint(condition=Q(no_conflict_declared=True), name="aid_review_declares_no_conflict"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.step_id} {self.decision}"


class NoticeStatus(models.TextChoices):
    RUNNING = "running", _("公示中")
    PAUSED = "paused", _("因异议暂停")
    COMPLETED = "completed", _("公示期满")
    WITHDRAWN = "withdrawn", _("已撤下")


LIVE_NOTICE_STATUSES = (NoticeStatus.RUNNING, NoticeStatus.PAUSED)


class Notice(models.Model):
    """A public notice (公示) of one case: only masked data, copied when it starts."""

    case = models.ForeignKey(AidCase, on_delete=models.PROTECT, related_name="notices")
    programme = models.ForeignKey(AidProgramme, on_delete=models.PROTECT, related_name="notices")
    masked_name = models.CharField("姓名（脱敏）", max_length=16)
    place = models.CharField("乡镇·村（社区）", max_length=128)
    amount_fen = models.BigIntegerField("拟救助金额（分）")
    starts_on = models.DateField("公示开始")
    ends_on = models.DateField("公示截止")
    status = models.CharField("状态", max_length=12, choices=NoticeStatus.choices, default=NoticeStatus.RUNNING)
    published_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "公示"
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status__in=["running", "paused"]), name="aid_one_live_notice_per_case"
            ),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="aid_notice_dates_order"),
        ]
        indexes = [models.Index(fields=["status", "ends_on"])]

    def __str__(self) -> str:
        return f"公示 {self.case_id} {self.masked_name}"


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("处理中")
    UPHELD = "upheld", _("异议成立")
    DISMISSED = "dismissed", _("异议不成立")


class Objection(SealedModel):
    """An objection (异议) to a notice from anyone; while open the case is paused."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="objections")
    case = models.ForeignKey(AidCase, on_delete=models.PROTECT, related_name="objections")
    tracking_number = models.CharField("受理编号", max_length=24, unique=True)
    text = EncryptedTextField("异议内容")
    contact = EncryptedTextField("联系方式")
    status = models.CharField("状态", max_length=12, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = EncryptedTextField("处理意见")
    public_answer = models.CharField("公开答复", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "公示异议"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.tracking_number


class DisbursementMethod(models.TextChoices):
    BENEFICIARY_ACCOUNT = "beneficiary_account", _("转入受助人（或监护人）本人账户")
    HOSPITAL = "hospital", _("直接支付给医院")


class Disbursement(SealedModel):
    """A payment of (part of) a case's approved aid from the programme's project, posted to the ledger."""

    case = models.ForeignKey(AidCase, on_delete=models.PROTECT, related_name="disbursements")
    amount_fen = models.BigIntegerField("金额（分）")
    method = models.CharField("拨付方式", max_length=24, choices=DisbursementMethod.choices)
    account_holder = EncryptedTextField("收款户名")
    bank_name = EncryptedTextField("开户行")
    account_number = EncryptedTextField("账号")
    account_last4 = models.CharField("账号尾号", max_length=4, blank=True)
    hospital_name = models.CharField("收款医院", max_length=128, blank=True)
    paid_on = models.DateField("拨付日期")
    entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, related_name="aid_disbursement", editable=False
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "救助款拨付"
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="aid_disbursement_positive")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.amount_fen}"


class FollowUpKind(models.TextChoices):
    HOME_VISIT = "home_visit", _("入户回访")
    PHONE = "phone", _("电话回访")
    SERVICE = "service", _("专业服务（心理疏导、康复、照护等）")
    MATERIAL = "material", _("物资帮扶")
    REFERRAL = "referral", _("转介其他救助")


class FollowUp(SealedModel):
    """A follow-up visit or service by a social worker, volunteer or station (物质+服务)."""

    case = models.ForeignKey(AidCase, on_delete=models.CASCADE, related_name="follow_ups")
    kind = models.CharField("类型", max_length=16, choices=FollowUpKind.choices)
    on = models.DateField("日期")
    services = models.CharField("服务内容（类别）", max_length=200, blank=True)
    notes = EncryptedTextField("记录")
    volunteers = EncryptedTextField("参与志愿者")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "跟踪服务"
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.on}"


# --- logs -----------------------------------------------------------------------------------------------


class CaseEvent(models.Model):
    """Append-only trail of every change to a case: who, what, when; details never hold personal data."""

    case = models.ForeignKey(AidCase, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("事件", max_length=32)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "案件事件"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class AccessReason(models.TextChoices):
    INTAKE = "intake", _("受理核对")
    REVIEW = "review", _("审核")
    HOME_VISIT = "home_visit", _("入户调查")
    DISBURSEMENT = "disbursement", _("拨付核对")
    FOLLOW_UP = "follow_up", _("跟踪服务")
    OBJECTION = "objection", _("异议核查")
    SUPERVISION = "supervision", _("监督检查")
    RIGHTS_REQUEST = "rights_request", _("本人查阅复制请求")
    OTHER = "other", _("其他（须说明）")


class AccessLog(models.Model):
    """One read of personal data by a staff user: who, which case and fields, when, why, through what."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    roles = models.CharField("当时角色", max_length=200)
    case = models.ForeignKey(AidCase, null=True, blank=True, on_delete=models.PROTECT, related_name="access_logs")
    beneficiary = models.ForeignKey(
        Beneficiary, null=True, blank=True, on_delete=models.PROTECT, related_name="access_logs"
    )
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    fields = models.CharField("读取字段", max_length=400)
    reason = models.CharField("事由", max_length=16, choices=AccessReason.choices)
    note = models.CharField("说明", max_length=200, blank=True)
    channel = models.CharField("途径", max_length=16)
    path = models.CharField("地址", max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "个人信息访问日志"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.case_id} {self.at:%Y-%m-%d %H:%M}"
