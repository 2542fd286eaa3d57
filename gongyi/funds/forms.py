"""Staff forms for named funds: creating a fund, transfers and income, grant proposals; ``parse_yuan``."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from gongyi.core.money import yuan_to_fen
from gongyi.funds.models import FounderKind, FundKind
from gongyi.projects.models import Project
from gongyi.projects.selectors import PUBLIC_STATUSES


def parse_yuan(text: str, *, allow_zero: bool = False) -> int:
    """Yuan text → fen for a form field, with the field's error message."""
    try:
        fen = yuan_to_fen(text)
    except ValueError as exc:
        raise forms.ValidationError(str(exc)) from None
    if fen < 0 or (fen == 0 and not allow_zero):
        raise forms.ValidationError("金额必须大于0")
    return fen


class NamedFundForm(forms.Form):
    name = forms.CharField(label="基金名称", max_length=100, help_text="如“鄂州××实业冠名慈善基金”")
    founder_kind = forms.ChoiceField(label="冠名方类型", choices=FounderKind.choices)
    founder_name = forms.CharField(label="冠名方", max_length=100)
    founder_uscc = forms.CharField(label="统一社会信用代码（单位）", max_length=18, required=False)
    kind = forms.ChoiceField(label="基金类型", choices=FundKind.choices)
    purpose = forms.CharField(label="资助方向（公开显示）", max_length=300)
    agreement_signed_on = forms.DateField(label="协议签订日期", widget=forms.DateInput(attrs={"type": "date"}))
    minimum = forms.CharField(label="起设金额（元，留空用默认值）", max_length=20, required=False)
    yearly_commitment = forms.CharField(label="每年承诺注资（元，留空用默认值）", max_length=20, required=False)
    commitment_years = forms.IntegerField(
        label="承诺年限（年，留空用默认值）", min_value=0, max_value=50, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement_signed_on"].initial = timezone.localdate()

    def clean_minimum(self):
        text = self.cleaned_data["minimum"].strip()
        return parse_yuan(text, allow_zero=True) if text else None

    def clean_yearly_commitment(self):
        text = self.cleaned_data["yearly_commitment"].strip()
        return parse_yuan(text, allow_zero=True) if text else None


class AmountForm(forms.Form):
    amount = forms.CharField(label="金额（元）", max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    to_principal = forms.BooleanField(label="计入留本本金", required=False)
    received_on = forms.DateField(label="到账日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="说明", max_length=64, required=False)

    def clean_amount(self) -> int:
        return parse_yuan(self.cleaned_data["amount"])


class GrantForm(forms.Form):
    project = forms.ModelChoiceField(
        label="项目", queryset=Project.objects.filter(status__in=PUBLIC_STATUSES).order_by("id")
    )
    amount = forms.CharField(label="金额（元）", max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    purpose = forms.CharField(label="用途（公开显示）", max_length=200)

    def clean_amount(self) -> int:
        return parse_yuan(self.cleaned_data["amount"])
