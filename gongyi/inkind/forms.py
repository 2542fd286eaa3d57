"""Staff forms for in-kind gifts: registering a gift and its items, evidence, checks, hand-outs."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from gongyi.funds.accounts import default_federation, federations
from gongyi.funds.forms import parse_yuan
from gongyi.inkind.models import DocumentKind, DonorKind, RecipientKind, ValuationBasis, Warehouse
from gongyi.orgs.models import Region
from gongyi.projects.models import Project
from gongyi.projects.selectors import PUBLIC_STATUSES
from gongyi.spending.forms import ACCEPT


class InKindGiftForm(forms.Form):
    donor_kind = forms.ChoiceField(label="捐赠人类型", choices=DonorKind.choices)
    donor_name = forms.CharField(label="捐赠人", max_length=100)
    donor_uscc = forms.CharField(label="统一社会信用代码（单位）", max_length=18, required=False)
    donor_contact = forms.CharField(label="联系电话", max_length=32, required=False)
    anonymous = forms.BooleanField(label="匿名（公开显示为爱心人士）", required=False)
    received_on = forms.DateField(label="接收日期", widget=forms.DateInput(attrs={"type": "date"}))
    organisation = forms.ModelChoiceField(label="接收组织", queryset=federations(), required=False)
    project = forms.ModelChoiceField(
        label="定向项目（可选）",
        queryset=Project.objects.filter(status__in=PUBLIC_STATUSES).order_by("id"),
        required=False,
    )
    description = forms.CharField(label="说明（公开显示）", max_length=200, required=False)
    evidence_kind = forms.ChoiceField(
        label="估值依据文件类型",
        choices=[(k, DocumentKind(k).label) for k in ("invoice", "market_price", "appraisal")],
    )
    evidence = forms.FileField(
        label="估值依据（发票、市场价格证明或评估报告）",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text="适用于本次全部物资；也可在登记后按物资分别上传",
    )
    evidence_public = forms.BooleanField(label="估值依据可公开（不含个人信息）", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()
        self.fields["organisation"].initial = default_federation()


class ItemForm(forms.Form):
    name = forms.CharField(label="物资名称", max_length=100)
    spec = forms.CharField(label="规格", max_length=100, required=False)
    unit = forms.CharField(label="单位", max_length=16)
    quantity = forms.IntegerField(label="数量", min_value=1)
    valuation = forms.CharField(
        label="估值合计（元）", max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    valuation_basis = forms.ChoiceField(label="估值依据", choices=ValuationBasis.choices)
    expires_on = forms.DateField(label="有效期至", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_valuation(self) -> int:
        return parse_yuan(self.cleaned_data["valuation"])


ItemFormSet = forms.formset_factory(ItemForm, extra=3, min_num=1, validate_min=True, max_num=30)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label="文件类型", choices=DocumentKind.choices)
    item = forms.TypedChoiceField(label="对应物资", coerce=int, required=False, empty_value=None)
    description = forms.CharField(label="说明", max_length=200, required=False)
    file = forms.FileField(label="文件", widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))
    is_public = forms.BooleanField(label="可公开（不含个人信息）", required=False)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "全部物资")] + [(item.pk, str(item)) for item in items]


class AcceptForm(forms.Form):
    warehouse = forms.ModelChoiceField(label="入库仓库", queryset=Warehouse.objects.filter(is_active=True))


class HandoutForm(forms.Form):
    warehouse = forms.ModelChoiceField(label="出库仓库", queryset=Warehouse.objects.all())
    quantity = forms.IntegerField(label="数量", min_value=1)
    recipient_kind = forms.ChoiceField(label="受赠方类型", choices=RecipientKind.choices)
    recipient_name = forms.CharField(label="受赠方", max_length=100, help_text="个人姓名在公开页面脱敏显示")
    recipient_region = forms.ModelChoiceField(label="所在地区", queryset=Region.objects.all(), required=False)
    purpose = forms.CharField(label="用途（公开显示）", max_length=200)
    handed_on = forms.DateField(label="发放日期", widget=forms.DateInput(attrs={"type": "date"}))
    signed_record = forms.FileField(
        label="签收记录（受赠方签字/盖章）", widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )

    def __init__(self, *args, warehouses=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handed_on"].initial = timezone.localdate()
        if warehouses is not None:
            self.fields["warehouse"].queryset = warehouses


class MoveForm(forms.Form):
    from_warehouse = forms.ModelChoiceField(label="从", queryset=Warehouse.objects.all())
    to_warehouse = forms.ModelChoiceField(label="到", queryset=Warehouse.objects.filter(is_active=True))
    quantity = forms.IntegerField(label="数量", min_value=1)
