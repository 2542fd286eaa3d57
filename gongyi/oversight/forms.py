"""Forms: filing a disclosure report (staff), filing a complaint (public), handling a complaint (staff)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gongyi.oversight.models import ANSWER_OUTCOMES, OPEN_STATUSES, ComplaintSubject, DisclosureItem
from gongyi.spending.forms import ACCEPT

# The largest id a 64-bit primary key holds.
MAX_ID = 2**63 - 1


class ItemChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        # Django looks the ids up with ``pk__in``, which hands a number past 64 bits to the database driver
        # (OverflowError on SQLite, DataError on PostgreSQL): refuse anything that is not an id first.
        for pk in value if isinstance(value, list | tuple) else [value]:
            text = str(pk).strip()
            if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)

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


# --- complaints ------------------------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks each (type by content, size, count)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        cleaned = single(data, initial)
        return [cleaned] if cleaned else []


class ComplaintForm(forms.Form):
    """The public filing form. Checks are the service's (``file_complaint``), which names the bad field."""

    subject_kind = forms.ChoiceField(label=_("举报对象类型"), choices=ComplaintSubject.choices)
    subject_ref = forms.CharField(
        label=_("举报对象"),
        max_length=64,
        required=False,
        help_text=_("项目编号或名称、组织名称、救助案件编号或一日捐单位代码"),
    )
    text = forms.CharField(
        label=_("举报内容"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("请写明时间、地点、事实经过；不会公开"),
    )
    is_anonymous = forms.BooleanField(label=_("匿名举报"), required=False, initial=True)
    name = forms.CharField(label=_("姓名（实名举报时填写）"), max_length=40, required=False)
    contact = forms.CharField(
        label=_("联系方式（选填）"),
        max_length=100,
        required=False,
        help_text=_("手机或邮箱，仅承办人员可见，用于核实和答复"),
    )
    attachments = MultipleFileField(
        label=_("证据材料（选填）"),
        required=False,
        help_text=_("PDF、JPG、PNG、WebP，最多5个，每个不超过 10 MB；不会公开"),
    )
    # A field people never see: bots fill it in.
    website = forms.CharField(
        label="website",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    SERVICE_FIELDS = ("subject_kind", "subject_ref", "text", "name", "contact", "attachments")


class NoteForm(forms.Form):
    note = forms.CharField(label="说明（选填）", max_length=500, required=False)


class TriageForm(NoteForm):
    handler = forms.ModelChoiceField(
        label="承办人", queryset=get_user_model().objects.none(), required=False, empty_label="本人"
    )

    def __init__(self, *args, handlers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if handlers is not None:
            self.fields["handler"].queryset = handlers


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(label="处理结果", choices=[(o.value, o.label) for o in ANSWER_OUTCOMES])
    answer = forms.CharField(label="答复内容", widget=forms.Textarea(attrs={"rows": 6}))
    is_public = forms.BooleanField(label="答复公开", required=False, initial=True)
    private_reason = forms.CharField(
        label="不公开的理由", max_length=200, required=False, help_text="答复会暴露举报人或当事人时不公开，须说明理由"
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label="不予受理的理由（即答复内容）", widget=forms.Textarea(attrs={"rows": 3}))
    is_public = forms.BooleanField(label="理由公开", required=False, initial=True)
    private_reason = forms.CharField(label="不公开的理由", max_length=200, required=False)


class DuplicateForm(forms.Form):
    original = forms.CharField(label="合并至（举报编号）", max_length=24)
    note = forms.CharField(label="给举报人的说明（选填）", max_length=500, required=False)
