"""Staff form for filing a disclosure report."""

from __future__ import annotations

from django import forms

from gongyi.oversight.models import OPEN_STATUSES, DisclosureItem
from gongyi.spending.forms import ACCEPT


class ItemChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: DisclosureItem) -> str:
        return f"{obj.get_kind_display()}（{obj.period_start}至{obj.period_end}，截止 {obj.due_on}）"


class ReportForm(forms.Form):
    items = ItemChoiceField(
        label="完成的公开事项",
        queryset=DisclosureItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    title = forms.CharField(label="标题", max_length=128)
    body = forms.CharField(
        label="公开内容", widget=forms.Textarea(attrs={"rows": 8}), help_text="公开显示，请勿填写个人信息"
    )
    period_start = forms.DateField(label="报告期开始", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label="报告期结束", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    attachment = forms.FileField(
        label="附件（可选）",
        required=False,
        help_text="PDF、JPG、PNG、WebP，不超过 10 MB；公开显示，须已去除个人信息",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = DisclosureItem.objects.filter(
            project=project, status__in=OPEN_STATUSES
        ).order_by("due_on", "id")
