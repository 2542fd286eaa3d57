"""The staff form for writing a story (the service checks every rule again)."""

from __future__ import annotations

from django import forms

from gongyi.backoffice.models import ProgressUpdate
from gongyi.campaigns.models import Campaign
from gongyi.drives.models import Unit
from gongyi.orgs.models import Organisation
from gongyi.projects.models import Project, ProjectStatus
from gongyi.stories.models import EXEMPLARY_SUBJECTS, PosterColour, StoryKind, SubjectKind


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class StoryForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=StoryKind.choices)
    title = forms.CharField(label="标题", max_length=60, required=False, help_text="项目进展可留空，使用进展的标题")
    summary = forms.CharField(label="摘要", max_length=120, required=False)
    text = forms.CharField(
        label="正文",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="受助故事只用脱敏称呼（如“张女士”），不写全名、电话、证件号、住址和具体病情。",
    )
    campaign = forms.ModelChoiceField(label="活动", queryset=Campaign.objects.order_by("-starts_at"), required=False)
    project = forms.ModelChoiceField(
        label="项目",
        queryset=Project.objects.filter(status__in=[ProjectStatus.PUBLISHED, ProjectStatus.CLOSED]).order_by("title"),
        required=False,
    )
    organisation = forms.ModelChoiceField(
        label="机构/企业", queryset=Organisation.objects.order_by("name"), required=False
    )
    unit_code = forms.CharField(label="单位代码", max_length=8, required=False, help_text="一日捐单位的代码（选填）")
    progress_update = forms.ModelChoiceField(
        label="项目进展",
        queryset=ProgressUpdate.objects.filter(withdrawn_at__isnull=True)
        .select_related("project")
        .order_by("-published_at"),
        required=False,
    )
    subject_kind = forms.ChoiceField(
        label="先进典型类别",
        choices=[("", "—"), *[(k.value, k.label) for k in SubjectKind if k in EXEMPLARY_SUBJECTS]],
        required=False,
    )
    subject_name = forms.CharField(label="先进典型名称", max_length=40, required=False)
    subject_agreed = forms.BooleanField(label="本人/单位已同意公开姓名和事迹", required=False)
    aid_case_number = forms.CharField(
        label="救助案件编号", max_length=32, required=False, help_text="受助故事必填；发布时核对受助人的公开同意"
    )
    colour = forms.ChoiceField(label="海报底色", choices=PosterColour.choices, initial=PosterColour.RED)
    photos = MultipleFileField(
        label="照片", required=False, help_text="JPEG、PNG 或 WebP，最多 9 张，上传后去除位置信息"
    )

    def clean_unit_code(self):
        code = (self.cleaned_data.get("unit_code") or "").strip().upper()
        if not code:
            return None
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise forms.ValidationError("没有这个单位代码")
        return unit
