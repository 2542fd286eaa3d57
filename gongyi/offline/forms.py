"""Staff forms for offline gifts: entering one with its vouchers, checking, reasons, receipts."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from gongyi.funds.accounts import default_federation, federations
from gongyi.funds.forms import parse_yuan
from gongyi.funds.models import FundStatus, NamedFund
from gongyi.offline.models import DonationBox, DonorKind, Method, ReceiptChoice, VoucherKind
from gongyi.projects.models import Project
from gongyi.projects.selectors import PUBLIC_STATUSES
from gongyi.spending.forms import ACCEPT
from gongyi.spending.uploads import MAX_UPLOAD_BYTES


class OfflineGiftForm(forms.Form):
    method = forms.ChoiceField(label="方式", choices=Method.choices)
    donor_kind = forms.ChoiceField(label="捐赠人类型", choices=DonorKind.choices)
    donor_name = forms.CharField(label="捐赠人（单位或个人）", max_length=100, required=False)
    donor_uscc = forms.CharField(label="统一社会信用代码（单位）", max_length=18, required=False)
    donor_contact = forms.CharField(label="联系电话", max_length=32, required=False, help_text="仅用于开具票据")
    anonymous = forms.BooleanField(label="匿名（公开显示为爱心人士）", required=False)
    amount = forms.CharField(label="金额（元）", max_length=16, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    received_on = forms.DateField(label="到账/开箱日期", widget=forms.DateInput(attrs={"type": "date"}))
    organisation = forms.ModelChoiceField(label="接收组织", queryset=federations(), required=False)
    project = forms.ModelChoiceField(
        label="定向项目（不选即非限定性捐赠）",
        queryset=Project.objects.filter(status__in=PUBLIC_STATUSES).order_by("id"),
        required=False,
    )
    fund = forms.ModelChoiceField(
        label="或：冠名基金",
        queryset=NamedFund.objects.exclude(status=FundStatus.CLOSED).order_by("id"),
        required=False,
    )
    to_principal = forms.BooleanField(label="计入冠名基金留本本金", required=False)
    bank_reference = forms.CharField(label="银行流水号（转账）", max_length=64, required=False)
    payer_account_name = forms.CharField(label="付款户名（转账）", max_length=100, required=False)
    box = forms.ModelChoiceField(
        label="捐赠箱（开箱）", queryset=DonationBox.objects.filter(is_active=True), required=False
    )
    counted_by_first = forms.CharField(label="开箱清点人一", max_length=40, required=False)
    counted_by_second = forms.CharField(label="开箱清点人二", max_length=40, required=False)
    receipt_choice = forms.ChoiceField(label="捐赠票据", choices=ReceiptChoice.choices, initial=ReceiptChoice.WANTED)
    note = forms.CharField(label="备注（仅工作人员可见）", max_length=200, required=False)
    voucher_kind = forms.ChoiceField(label="凭证类型", choices=VoucherKind.choices)
    voucher = forms.FileField(
        label="凭证",
        help_text=(
            "银行回单、现金收据或两人签字的开箱清点记录；"
            f"PDF、JPG、PNG、WebP，不超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    extra_voucher_kind = forms.ChoiceField(label="其他凭证类型", choices=VoucherKind.choices, required=False)
    extra_voucher = forms.FileField(
        label="其他凭证（可选）", required=False, widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()
        self.fields["organisation"].initial = default_federation()

    def clean_amount(self) -> int:
        return parse_yuan(self.cleaned_data["amount"])


class VoucherForm(forms.Form):
    kind = forms.ChoiceField(label="凭证类型", choices=VoucherKind.choices)
    file = forms.FileField(label="文件", widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))


class NoteForm(forms.Form):
    note = forms.CharField(label="意见", max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=200)


class ReceiptRequestForm(forms.Form):
    payer_name = forms.CharField(label="交款人（票据抬头）", max_length=100, required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=32, required=False)


class ReceiptIssuedForm(forms.Form):
    receipt_no = forms.CharField(label="票据号码", max_length=40)
    check_code = forms.CharField(label="校验码", max_length=40)
    verify_url = forms.URLField(label="查验链接", required=False, assume_scheme="https")
