"""The organisation back office: who belongs to which organisation or work unit, and progress updates.

Scoping rule (``selectors.scope_for``): a member sees only their organisations' projects, gifts, updates and
spending, and only their units' drive figures and gifts; federation staff (superusers, ``backoffice.see_all``,
the group ``federation_staff``) see all. Every back-office page and API goes through the selectors, and an
object outside the caller's scope answers 404 — never 403, which would confirm it exists.

Outside organisations never get the Django admin: memberships grant no ``is_staff``, and the back office is
its own pages under ``/office/``, behind TOTP (allauth.mfa).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class OrgRole(models.TextChoices):
    MANAGER = "manager", "管理员（全部操作，可导出捐赠明细）"
    EDITOR = "editor", "编辑（起草项目、发布进展、登记支出）"
    VIEWER = "viewer", "查看"


class OrganisationMembership(models.Model):
    """A person works for an organisation in the back office, with one role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="office_memberships"
    )
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name="机构", on_delete=models.CASCADE, related_name="office_members"
    )
    role = models.CharField("角色", max_length=12, choices=OrgRole.choices, default=OrgRole.VIEWER)
    created_at = models.DateTimeField("加入时间", auto_now_add=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "机构成员"
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="office_membership_unique")]
        permissions = [
            ("see_all", "可查看所有机构和单位的后台数据（慈善总会工作人员）"),
            ("review_projects", "可审核、发布或退回机构提交的项目"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.organisation_id} ({self.role})"


class UnitMembership(models.Model):
    """A work unit's contact person, who sees the unit's drive: figures, staff gifts, receipts."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="unit_memberships"
    )
    unit = models.ForeignKey(
        "drives.Unit", verbose_name="单位", on_delete=models.CASCADE, related_name="office_members"
    )
    created_at = models.DateTimeField("加入时间", auto_now_add=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "单位联系人"
        constraints = [models.UniqueConstraint(fields=["user", "unit"], name="unit_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} @ unit {self.unit_id}"


class ProgressUpdate(models.Model):
    """A progress report an organisation posts on its project's public page (反馈, Charity Law art. 42).

    Published at once; a mistake is withdrawn (hidden, with a reason), never edited or deleted.
    """

    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="progress_updates"
    )
    title = models.CharField("标题", max_length=60)
    text = models.TextField("内容", max_length=4000)
    published_at = models.DateTimeField("发布时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdraw_reason = models.CharField("撤回原因", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "项目进展"
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdraw_reason=""), name="update_withdrawn_has_reason"
            )
        ]
        indexes = [models.Index(fields=["project", "-published_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.withdrawn_at is None


class ProgressPhoto(models.Model):
    """A photo of an update, re-encoded on upload (metadata such as GPS stripped, longest side ≤ 1600 px)."""

    update = models.ForeignKey(ProgressUpdate, on_delete=models.PROTECT, related_name="photos")
    image = models.ImageField("照片", upload_to="progress/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    caption = models.CharField("说明", max_length=60, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "进展照片"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.image.name


class OfficeEventKind(models.TextChoices):
    MEMBER_ADDED = "member_added", "添加成员"
    PROJECT_DRAFTED = "project_drafted", "起草项目"
    PROJECT_EDITED = "project_edited", "修改草稿"
    PROJECT_SUBMITTED = "project_submitted", "提交审核"
    PROJECT_PUBLISHED = "project_published", "审核通过发布"
    PROJECT_RETURNED = "project_returned", "退回修改"
    UPDATE_PUBLISHED = "update_published", "发布进展"
    UPDATE_WITHDRAWN = "update_withdrawn", "撤回进展"
    GIFTS_EXPORTED = "gifts_exported", "导出捐赠明细"


class OfficeEvent(models.Model):
    """Append-only trail of back-office actions: who did what to which organisation's or unit's data."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=OfficeEventKind.choices)
    organisation = models.ForeignKey(
        "orgs.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey("drives.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey("projects.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "机构后台操作记录"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor_id}"
