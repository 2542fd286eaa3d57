"""Stories (宣传): people helped, companies and people who give (先进典型), projects' progress updates.

Rules (``services``; see ``docs/stories-and-reports.md``):

- a **case story** (受助故事) names an aid case by its case number only — the one identifier that leaves the
  casework — and is published only while that case has a live publication consent (PIPL art. 25; for a
  child under 14 the guardian's consent too, art. 31). The consent is looked up in the aid app when the
  story is published and again every time it is shown; ``consent_reference`` records which consent it was.
  The person is shown only by the masked name the aid app keeps (``张*``), a child not even by that, and a
  child's story carries no photos;
- an **exemplary story** (先进典型) about a company, work unit, volunteer or giver is published only when
  they agreed to be named (Charity Law art. 82: no donor's name without their agreement);
- a **progress story** (项目进展) features an organisation's ``backoffice.ProgressUpdate``: its text and
  photos are the update's, never copied, and it disappears with the update when that is withdrawn.

Published stories are not edited: they are withdrawn (with a reason) and, corrected, published again.
``StoryEvent`` keeps every step.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class StoryKind(models.TextChoices):
    CASE = "case", "受助故事"
    EXEMPLARY = "exemplary", "先进典型"
    PROGRESS = "progress", "项目进展"


class SubjectKind(models.TextChoices):
    COMPANY = "company", "爱心企业"
    UNIT = "unit", "爱心单位"
    PERSON = "person", "爱心人士"
    VOLUNTEER = "volunteer", "志愿者"
    BENEFICIARY = "beneficiary", "受助人"


EXEMPLARY_SUBJECTS = (SubjectKind.COMPANY, SubjectKind.UNIT, SubjectKind.PERSON, SubjectKind.VOLUNTEER)


class StoryStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    WITHDRAWN = "withdrawn", "已撤回"


class PosterColour(models.TextChoices):
    RED = "red", "中国红"
    ORANGE = "orange", "暖橙"
    GREEN = "green", "青绿"
    BLUE = "blue", "湖蓝"


class Story(models.Model):
    kind = models.CharField("类型", max_length=12, choices=StoryKind.choices)
    status = models.CharField("状态", max_length=12, choices=StoryStatus.choices, default=StoryStatus.DRAFT)
    title = models.CharField("标题", max_length=60)
    summary = models.CharField("摘要", max_length=120, blank=True)
    text = models.TextField("正文", max_length=6000, blank=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name="活动",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stories",
    )
    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", null=True, blank=True, on_delete=models.PROTECT, related_name="stories"
    )
    organisation = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="机构/企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stories",
    )
    unit = models.ForeignKey(
        "drives.Unit", verbose_name="单位", null=True, blank=True, on_delete=models.PROTECT, related_name="stories"
    )
    progress_update = models.ForeignKey(
        "backoffice.ProgressUpdate",
        verbose_name="项目进展",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stories",
    )
    subject_kind = models.CharField("人物/单位类别", max_length=12, choices=SubjectKind.choices, blank=True)
    subject_name = models.CharField(
        "展示的名称", max_length=40, blank=True, help_text="受助故事由系统填入脱敏姓名，不可手填"
    )
    subject_agreed = models.BooleanField("本人/单位同意公开姓名和事迹", default=False)
    aid_case_number = models.CharField("救助案件编号", max_length=32, blank=True)
    consent_reference = models.CharField("公开同意记录", max_length=120, blank=True, editable=False)
    colour = models.CharField("海报底色", max_length=8, choices=PosterColour.choices, default=PosterColour.RED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdraw_reason = models.CharField("撤回原因", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "宣传故事"
        ordering = ["-published_at", "-id"]
        permissions = [("publish_story", "可发布、撤回宣传故事")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=StoryKind.CASE) | ~Q(aid_case_number=""), name="story_case_names_case"
            ),
            models.CheckConstraint(
                condition=~Q(kind=StoryKind.PROGRESS) | Q(progress_update__isnull=False),
                name="story_progress_names_update",
            ),
            # The last line behind the service: a published case story always names the consent it rests on.
            models.CheckConstraint(
                condition=~Q(kind=StoryKind.CASE, status=StoryStatus.PUBLISHED) | ~Q(consent_reference=""),
                name="story_published_case_has_consent",
            ),
            models.CheckConstraint(
                condition=~Q(kind=StoryKind.EXEMPLARY, status=StoryStatus.PUBLISHED) | Q(subject_agreed=True),
                name="story_published_exemplary_agreed",
            ),
            models.CheckConstraint(
                condition=~Q(status=StoryStatus.PUBLISHED) | Q(published_at__isnull=False),
                name="story_published_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=StoryStatus.WITHDRAWN) | ~Q(withdraw_reason=""), name="story_withdrawn_has_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"]),
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["project", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == StoryStatus.PUBLISHED

    @property
    def badge(self) -> str:
        """What the story is, as shown on cards and posters: 先进典型 · 爱心企业."""
        if self.kind == StoryKind.EXEMPLARY and self.subject_kind:
            return f"{self.get_kind_display()} · {self.get_subject_kind_display()}"
        return self.get_kind_display()


class StoryPhoto(models.Model):
    """A photo of a story, re-encoded on upload (metadata such as GPS dropped, longest side ≤ 1600 px)."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField("照片", upload_to="stories/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    caption = models.CharField("说明", max_length=60, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "故事照片"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.image.name


class StoryEventKind(models.TextChoices):
    CREATED = "created", "创建"
    EDITED = "edited", "修改"
    PUBLISHED = "published", "发布"
    WITHDRAWN = "withdrawn", "撤回"
    CONSENT_LOST = "consent_lost", "同意失效自动撤回"


class StoryEvent(models.Model):
    """Append-only trail of stories: who did what, when, with what details (the consent used, the reason)."""

    story = models.ForeignKey(Story, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=StoryEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "宣传故事操作记录"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.story_id} {self.kind}"
