"""Forms of the drives pages: they parse input; the checks that matter live in ``services``."""

from __future__ import annotations

from django import forms

from gongyi.core.money import yuan_to_fen
from gongyi.drives.models import StaffListName, UnitKind
from gongyi.drives.services import DISTRICT_LEVELS, DriveInputError, resolve_attribution
from gongyi.orgs.models import Region

MAX_VOUCHER_BYTES = 10 * 1024 * 1024
MAX_IMPORT_BYTES = 20 * 1024 * 1024


def _yuan_field_to_fen(value: str, *, label: str) -> int:
    try:
        fen = yuan_to_fen(value)
    except ValueError as exc:
        raise forms.ValidationError(f"{label}：{exc}") from exc
    if fen <= 0:
        raise forms.ValidationError(f"{label}应大于0")
    return fen


class DriveInputForm(forms.Form):
    """A form whose service errors land on the field they name (or on the form when it has no such field)."""

    def add_service_error(self, error: DriveInputError) -> None:
        self.add_error(error.field if error.field in self.fields else None, error.message)


class GiveAttributionForm(DriveInputForm):
    """The give page's 一日捐 part: the donor's unit (code or name), team, and how their name is listed."""

    unit = forms.CharField(
        label="所在单位（选填）",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "输入单位名称或单位代码", "autocomplete": "off"}),
    )
    team = forms.CharField(required=False, max_length=12, widget=forms.HiddenInput)
    as_unit = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    list_name = forms.ChoiceField(
        label="单位汇总票据明细中的姓名",
        choices=StaffListName.choices,
        initial=StaffListName.MASKED,
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.attribution = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.attribution = resolve_attribution(
                project_id=self.project.pk,
                unit=data.get("unit", ""),
                team=data.get("team") or None,
                as_unit_token=data.get("as_unit", ""),
                list_name=data.get("list_name") or StaffListName.MASKED,
            )
        except DriveInputError as error:
            self.add_service_error(error)
        return data


def district_choices():
    return [("", "请选择")] + [
        (r.code, r.name) for r in Region.objects.filter(level__in=DISTRICT_LEVELS).order_by("code")
    ]


class UnitRegistrationForm(DriveInputForm):
    """A unit registers itself; ``website`` is a honeypot people never see and bots fill in."""

    name = forms.CharField(label="单位名称", max_length=100)
    kind = forms.ChoiceField(label="单位类型", choices=[("", "请选择"), *UnitKind.choices])
    uscc = forms.CharField(label="统一社会信用代码", max_length=24, required=False)
    district = forms.ChoiceField(label="所在区", choices=())
    township = forms.CharField(label="乡镇/街道（选填）", max_length=40, required=False)
    parent = forms.CharField(
        label="上级单位（系统/部门，选填）",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "上级单位名称或单位代码"}),
    )
    contact_name = forms.CharField(label="联系人", max_length=32)
    contact_phone = forms.CharField(label="联系电话", max_length=32)
    headcount = forms.IntegerField(
        label="在职人数（选填，仅用于计算参与率）", required=False, min_value=1, max_value=1_000_000
    )
    website = forms.CharField(required=False, label="请勿填写", max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = district_choices()

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website")) if hasattr(self, "cleaned_data") else False


class TeamForm(DriveInputForm):
    """Start a 一起捐 team; ``website`` is a honeypot."""

    name = forms.CharField(label="团队名称", max_length=30)
    slogan = forms.CharField(label="口号（选填）", max_length=60, required=False)
    goal = forms.CharField(
        label="团队目标（元）", max_length=12, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    leader_name = forms.CharField(label="发起人称呼", max_length=20)
    website = forms.CharField(required=False, label="请勿填写", max_length=100)

    def clean_goal(self) -> int:
        return _yuan_field_to_fen(self.cleaned_data["goal"], label="团队目标")


class OfflineGiftForm(DriveInputForm):
    unit = forms.CharField(label="单位代码", max_length=12)
    project = forms.TypedChoiceField(label="捐入项目", coerce=int, choices=())
    amount = forms.CharField(label="金额（元）", max_length=14)
    received_on = forms.DateField(label="到账日期", widget=forms.DateInput(attrs={"type": "date"}))
    bank_reference = forms.CharField(label="银行流水号", max_length=64)
    payer_account_name = forms.CharField(label="付款户名", max_length=100)
    voucher = forms.FileField(label="转账凭证（图片或 PDF）")
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [(p.pk, p.title) for p in projects]

    def clean_amount(self) -> int:
        return _yuan_field_to_fen(self.cleaned_data["amount"], label="金额")

    def clean_voucher(self):
        voucher = self.cleaned_data["voucher"]
        if voucher.size > MAX_VOUCHER_BYTES:
            raise forms.ValidationError("凭证文件不能超过10MB")
        if not voucher.name.lower().endswith((".png", ".jpg", ".jpeg", ".pdf")):
            raise forms.ValidationError("凭证应为 PNG、JPG 图片或 PDF")
        return voucher


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx）")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("请上传 .xlsx 文件（可先下载模板）")
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError("文件不能超过20MB")
        return upload


class IndividualReceiptForm(DriveInputForm):
    certificate_no = forms.CharField(label="捐赠证书编号", max_length=32)
    payer_name = forms.CharField(label="交款人姓名（票据抬头）", max_length=100)
    contact_phone = forms.CharField(label="联系电话（选填）", max_length=32, required=False)


class ReceiptIssuedForm(DriveInputForm):
    receipt_no = forms.CharField(label="票据号码", max_length=40)
    check_code = forms.CharField(label="校验码", max_length=40)
    verify_url = forms.URLField(label="查验链接（选填）", required=False, assume_scheme="https")
