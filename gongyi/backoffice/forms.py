"""Back-office forms: a project draft (the 募捐方案 of Charity Law art. 24), a progress update with photos."""

from __future__ import annotations

from django import forms

from gongyi.backoffice.services import DRAFT_FIELDS, MAX_PHOTOS
from gongyi.core.money import yuan_to_fen
from gongyi.projects.models import Project
from gongyi.spending.forms import ExpenditureForm


class ProjectDraftForm(forms.ModelForm):
    target_yuan = forms.CharField(label="筹款目标（元）", max_length=14)

    class Meta:
        model = Project
        fields = [f for f in DRAFT_FIELDS if f != "target_fen"]
        widgets = {
            "fundraising_starts_on": forms.DateInput(attrs={"type": "date"}),
            "fundraising_ends_on": forms.DateInput(attrs={"type": "date"}),
            "story": forms.Textarea(attrs={"rows": 5}),
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "beneficiaries": forms.Textarea(attrs={"rows": 2}),
            "use_of_funds": forms.Textarea(attrs={"rows": 3}),
            "leftover_handling": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"filing_number": "在“慈善中国”备案后填写；发布前必须有备案编号"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.pk and not self.is_bound:
            self.initial["target_yuan"] = f"{self.instance.target_fen / 100:.2f}"
        self.order_fields(["title", "summary", "target_yuan"])

    def clean_target_yuan(self) -> int:
        try:
            fen = yuan_to_fen(self.cleaned_data["target_yuan"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if fen <= 0:
            raise forms.ValidationError("筹款目标必须大于0")
        return fen

    def _post_clean(self):
        # The service validates the model (with the organisation it belongs to); skip ModelForm's own pass.
        pass

    def draft_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["target_fen"] = self.cleaned_data["target_yuan"]
        return data


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(f"最多 {MAX_PHOTOS} 张照片")
        return [super(MultipleImageField, self).clean(f, initial) for f in files]


class ProgressUpdateForm(forms.Form):
    title = forms.CharField(label="标题", max_length=60)
    text = forms.CharField(label="内容", max_length=4000, widget=forms.Textarea(attrs={"rows": 6}))
    photos = MultipleImageField(label=f"照片（最多{MAX_PHOTOS}张，JPEG/PNG/WebP）", required=False)
    caption = forms.CharField(label="照片说明（选填）", max_length=60, required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="撤回原因", max_length=200)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "审核通过并发布"), ("return", "退回修改")])
    note = forms.CharField(label="审核意见", max_length=200, required=False)


class SubmitForm(forms.Form):
    note = forms.CharField(label="说明（选填）", max_length=200, required=False)


class OfficeExpenditureForm(ExpenditureForm):
    """The spending app's expenditure form, for one project the page already names."""

    project = None

