"""Fundraising projects (募捐项目) with their 募捐方案 (Charity Law art. 24) and review status."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongyi.campaigns.models import Campaign
from gongyi.orgs.models import Organisation


class Domain(models.TextChoices):
    LIFE_HEALTH = "life_health", _("生命健康")
    MILITARY_FAMILIES = "military_families", _("拥军优抚")
    ENVIRONMENT = "environment", _("环境保护")
    POVERTY = "poverty", _("扶贫")
    HARDSHIP = "hardship", _("济困")
    ELDERLY = "elderly", _("扶老")
    ORPHANS = "orphans", _("救孤")
    EDUCATION = "education", _("助学")
    RURAL = "rural", _("乡村振兴")
    EMERGENCY = "emergency", _("应急救灾")


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("审核中")
    PUBLISHED = "published", _("募捐中")
    CLOSED = "closed", _("已结束")


# Which status may follow which; anything else is refused by the service.
PROJECT_TRANSITIONS: dict[str, frozenset[str]] = {
    ProjectStatus.DRAFT: frozenset({ProjectStatus.IN_REVIEW}),
    ProjectStatus.IN_REVIEW: frozenset({ProjectStatus.PUBLISHED, ProjectStatus.DRAFT}),
    ProjectStatus.PUBLISHED: frozenset({ProjectStatus.CLOSED}),
    ProjectStatus.CLOSED: frozenset(),
}


class Project(models.Model):
    """A fundraising project of one organisation, optionally inside a campaign.

    Only a published project takes gifts. The 募捐方案 fields are what art. 24 requires and what the
    public page shows under art. 25. ``gifts_count`` and ``donors_count`` move in the same transaction as
    each confirmed gift; money totals come from the ledger accounts.
    """

    organisation = models.ForeignKey(
        Organisation, verbose_name="募捐组织", on_delete=models.PROTECT, related_name="projects"
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name="所属活动",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    title = models.CharField("项目名称", max_length=128)
    summary = models.CharField("一句话介绍", max_length=200)
    story = models.TextField("项目故事")
    domain = models.CharField("领域", max_length=24, choices=Domain.choices)
    target_fen = models.BigIntegerField("筹款目标（分）")
    status = models.CharField(
        "状态", max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT
    )
    status_changed_at = models.DateTimeField("状态变更时间", null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="状态变更人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # 募捐方案 (Charity Law art. 24) and its filing.
    filing_number = models.CharField("备案编号", max_length=64, blank=True)
    purpose = models.TextField("募捐目的")
    fundraising_starts_on = models.DateField("募捐开始日期")
    fundraising_ends_on = models.DateField("募捐结束日期")
    fundraising_area = models.CharField("募捐地域", max_length=128, default="全国")
    lead_name = models.CharField("活动负责人", max_length=32)
    lead_office_address = models.CharField("负责人办公地址", max_length=200)
    donation_methods = models.CharField("接受捐赠方式", max_length=200, default="微信支付、支付宝、银行转账")
    bank_account_name = models.CharField("收款户名", max_length=128)
    bank_name = models.CharField("开户银行", max_length=128)
    bank_account_number = models.CharField("银行账号", max_length=40)
    beneficiaries = models.TextField("受益人")
    use_of_funds = models.TextField("募得款物用途")
    fundraising_cost = models.CharField(
        "募捐成本", max_length=200, default="募捐成本从项目管理费中列支，不超过募得款物的3%"
    )
    leftover_handling = models.TextField("剩余财产的处理", default="用于同类慈善项目并向社会公开")
    enquiry_method = models.CharField(
        "募捐信息查询方法",
        max_length=200,
        default="登录“慈善中国”（cishan.chinanpo.gov.cn）按备案编号查询，或致电募捐组织",
    )

    gifts_count = models.PositiveIntegerField("捐赠笔数", default=0, editable=False)
    donors_count = models.PositiveIntegerField("捐赠人数", default=0, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "募捐项目"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target_fen__gt=0),
                name="project_target_positive",
                violation_error_message="筹款目标必须大于0",
            ),
            models.CheckConstraint(
                condition=models.Q(fundraising_ends_on__gte=models.F("fundraising_starts_on")),
                name="project_dates_order",
                violation_error_message="募捐结束日期不能早于开始日期",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=ProjectStatus.PUBLISHED) | ~models.Q(filing_number=""),
                name="project_published_needs_filing",
                violation_error_message="发布前须填写备案编号",
            ),
        ]
        indexes = [models.Index(fields=["status", "domain"])]

    def __str__(self) -> str:
        return self.title

    @property
    def accepts_gifts(self) -> bool:
        return self.status == ProjectStatus.PUBLISHED


class ProjectStatusChange(models.Model):
    """Append-only trail of a project's review: who moved it from which status to which, and when."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=ProjectStatus.choices)
    to_status = models.CharField(max_length=16, choices=ProjectStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField("说明", max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "项目状态变更"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.from_status} → {self.to_status}"


class ProjectDonor(models.Model):
    """One row per distinct donor of a project, so the donor count moves in O(1) per gift."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    donor_key = models.CharField(max_length=128)
    first_gift_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "donor_key"], name="project_donor_unique")]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.donor_key}"
