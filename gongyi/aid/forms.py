"""Forms of the staff pages: plain forms (no ModelForms — sealed fields are never bound to a model form)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from gongyi.aid.models import (
    AccessReason,
    ConsentKind,
    ConsentSigner,
    DisbursementMethod,
    DocumentKind,
    FollowUpKind,
    HardshipClass,
    ReviewDecision,
)
from gongyi.core.money import yuan_to_fen


class YuanField(forms.Field):
    """Yuan with up to two decimals in, fen out (blank is 0 when not required)."""

    widget = forms.TextInput

    def __init__(self, *args, required: bool = False, **kwargs):
        super().__init__(*args, required=required, **kwargs)

    def to_python(self, value):
        value = (value or "").strip() if isinstance(value, str) else value
        if value in (None, ""):
            return None if self.required else 0
        if len(str(value)) > 20:
            raise forms.ValidationError("金额格式不正确")
        try:
            fen = yuan_to_fen(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        if fen < 0:
            raise forms.ValidationError("金额不能为负数")
        return fen


class IntakeForm(forms.Form):
    programme = forms.ChoiceField(label="救助项目")
    village = forms.ChoiceField(label="村（社区）")
    name = forms.CharField(label="姓名", max_length=32)
    id_number = forms.CharField(label="身份证号", max_length=20)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    address = forms.CharField(label="住址", max_length=200, required=False)
    household = forms.CharField(
        label="家庭成员情况", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    hardship_class = forms.ChoiceField(label="困难类别", choices=HardshipClass.choices)
    diagnosis = forms.CharField(label="诊断", max_length=500, required=False)
    hospital = forms.CharField(label="就诊医院", max_length=128, required=False)
    situation = forms.CharField(
        label="家庭困难情况", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    guardian_name = forms.CharField(label="监护人姓名（未满14周岁必填）", max_length=32, required=False)
    guardian_id_number = forms.CharField(label="监护人身份证号", max_length=20, required=False)
    guardian_relation = forms.CharField(label="监护关系", max_length=16, required=False)
    guardian_phone = forms.CharField(label="监护人电话", max_length=20, required=False)
    basic_insurance_fen = YuanField(label="基本医保报销（元）")
    critical_illness_insurance_fen = YuanField(label="大病保险报销（元）")
    medical_assistance_fen = YuanField(label="医疗救助（元）")
    commercial_insurance_fen = YuanField(label="商业保险（元）")
    employer_fen = YuanField(label="单位报销（元）")
    other_charity_fen = YuanField(label="其他慈善救助（元）")

    def __init__(self, *args, programmes=(), villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [(p.code, p.name) for p in programmes]
        self.fields["village"].choices = [(v.code, label) for v, label in villages]


class InvoiceForm(forms.Form):
    code = forms.CharField(label="票据代码", max_length=20, required=False)
    number = forms.CharField(label="票据号码", max_length=30)
    amount = YuanField(label="金额（元）", required=True)
    issued_on = forms.DateField(label="开具日期", widget=forms.DateInput(attrs={"type": "date"}))


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(label="同意事项", choices=ConsentKind.choices)
    signer = forms.ChoiceField(label="签署人", choices=ConsentSigner.choices)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label="材料类型", choices=DocumentKind.choices)
    file = forms.FileField(label="文件（PDF、JPG、PNG、WebP，≤10 MB）")


class RevealForm(forms.Form):
    reason = forms.ChoiceField(label="查阅事由", choices=AccessReason.choices)
    note = forms.CharField(label="说明", max_length=200, required=False)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label="审核意见", choices=ReviewDecision.choices)
    opinion = forms.CharField(
        label="意见说明", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    no_conflict_declared = forms.BooleanField(label="本人声明与申请人无利害关系（如有，请回避）", required=False)
    home_visit_on = forms.DateField(
        label="入户调查日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = forms.CharField(label="核定金额（元，终审可填，留空为测算金额）", max_length=20, required=False)

    def clean_amount(self):
        value = (self.cleaned_data.get("amount") or "").strip()
        if not value:
            return None
        try:
            return yuan_to_fen(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class DisbursementForm(forms.Form):
    amount = YuanField(label="拨付金额（元）", required=True)
    method = forms.ChoiceField(label="拨付方式", choices=DisbursementMethod.choices)
    paid_on = forms.DateField(
        label="拨付日期", widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
    account_holder = forms.CharField(label="收款户名", max_length=32, required=False)
    bank_name = forms.CharField(label="开户行", max_length=64, required=False)
    account_number = forms.CharField(label="账号", max_length=32, required=False)
    hospital_name = forms.CharField(label="收款医院", max_length=128, required=False)
    request_key = forms.CharField(widget=forms.HiddenInput, required=False)


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=FollowUpKind.choices)
    on = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate)
    services = forms.CharField(label="服务内容", max_length=200, required=False)
    notes = forms.CharField(label="记录", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    volunteers = forms.CharField(label="参与志愿者", max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=200)


class ResolutionForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label="处理结果",
        choices=[("0", "异议不成立（重新公示）"), ("1", "异议成立（不予救助）")],
        coerce=lambda v: v == "1",
    )
    resolution = forms.CharField(label="处理意见（内部）", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    public_answer = forms.CharField(label="公开答复", max_length=200, required=False)


HONEYPOT_FIELD = "website"


class ObjectionForm(forms.Form):
    text = forms.CharField(label="异议内容", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    contact = forms.CharField(label="联系方式（选填，仅用于回复）", max_length=100, required=False)
    # A field people never see (moved off screen by CSS, skipped by the tab key): bots fill it in. A filled
    # one is refused with 400 and nothing is stored — like the complaint form (oversight), not accepted
    # silently, so a person whose browser filled it by mistake sees why and can send again.
    website = forms.CharField(
        label="website", required=False, widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"})
    )

    def clean_website(self):
        if (self.cleaned_data.get(HONEYPOT_FIELD) or "").strip():
            raise forms.ValidationError("提交未被接受")
        return ""
