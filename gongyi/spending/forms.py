"""Staff forms for spending: recording an expenditure, attaching vouchers, giving a reason."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from gongyi.core.money import yuan_to_fen
from gongyi.projects.models import Project
from gongyi.projects.selectors import PUBLIC_STATUSES
from gongyi.spending.models import Category, PayeeKind, Publication, VoucherKind
from gongyi.spending.uploads import MAX_UPLOAD_BYTES, UploadRefused, check_upload

ACCEPT = ".pdf,.jpg,.jpeg,.png,.webp,application/pdf,image/jpeg,image/png,image/webp"


class ExpenditureForm(forms.Form):
    project = forms.ModelChoiceField(
        label="项目",
        queryset=Project.objects.filter(status__in=PUBLIC_STATUSES).select_related("organisation").order_by("id"),
    )
    category = forms.ChoiceField(label="支出类别", choices=Category.choices)
    amount = forms.CharField(label="金额（元）", max_length=16, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    payee = forms.CharField(label="收款方", max_length=128)
    payee_kind = forms.ChoiceField(
        label="收款方类型",
        choices=PayeeKind.choices,
        initial=PayeeKind.ORGANISATION,
        help_text="个人姓名在公开页面脱敏显示",
    )
    purpose = forms.CharField(
        label="用途",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="公开显示，请勿填写个人身份信息",
    )
    spent_on = forms.DateField(label="支出日期", widget=forms.DateInput(attrs={"type": "date"}))
    aid_case_ref = forms.CharField(label="救助案件编号", max_length=64, required=False, help_text="仅救助款拨付填写")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["spent_on"].initial = timezone.localdate()

    def clean_amount(self) -> int:
        try:
            fen = yuan_to_fen(self.cleaned_data["amount"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        if fen <= 0:
            raise forms.ValidationError("支出金额必须大于0")
        return fen


class VoucherForm(forms.Form):
    kind = forms.ChoiceField(label="凭证类型", choices=VoucherKind.choices)
    description = forms.CharField(label="说明（公开显示）", max_length=200, required=False)
    file = forms.FileField(
        label="原件",
        help_text=f"PDF、JPG、PNG、WebP，不超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    redacted_file = forms.FileField(
        label="脱敏件（可选）",
        required=False,
        help_text="遮盖姓名、身份证号、电话、银行账号后的副本",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    # Checked here too (the service checks again), so a page can refuse a bad file before it records anything.
    def _checked(self, name: str):
        upload = self.cleaned_data.get(name)
        if upload:
            try:
                check_upload(upload, field=name)
            except UploadRefused as exc:
                raise forms.ValidationError(exc.message) from None
        return upload

    def clean_file(self):
        return self._checked("file")

    def clean_redacted_file(self):
        return self._checked("redacted_file")


class PublicationForm(forms.Form):
    publication = forms.ChoiceField(label="公开方式", choices=Publication.choices)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=200)


class ApprovalForm(forms.Form):
    note = forms.CharField(label="审批意见", max_length=200, required=False)
