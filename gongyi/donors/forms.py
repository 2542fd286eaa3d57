"""Forms of the donors app: the phone field, phone sign-in, the give page's optional phone, claims, settings."""

from __future__ import annotations

import re

from allauth.account.forms import RequestLoginCodeForm
from django import forms

from gongyi.donors.models import NameDisplay, NotifyChannel
from gongyi.donors.phones import normalize_mobile

CLOSE_CONFIRMATION = "注销账户"


class MobileField(forms.CharField):
    """A mainland mobile number as people type it; cleans to E.164 (``+8613800138000``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "手机号")
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel", "placeholder": "11位手机号"}
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return ""
        normalized = normalize_mobile(value)
        if normalized is None:
            raise forms.ValidationError("请输入正确的中国大陆手机号", code="invalid_mobile")
        return normalized


class PhoneLoginCodeForm(RequestLoginCodeForm):
    """allauth's "send me a sign-in code" form, by phone, that also signs new donors up.

    allauth looks the phone up and rate-limits the request (per phone and per address). For a phone no account
    holds yet we make a dormant account with the phone unverified, so the code goes out either way and the page
    reads the same whether or not the number was known; entering the code verifies the phone and signs in.
    """

    def clean_phone(self) -> str:
        from gongyi.donors.services import ensure_donor_for_phone

        phone = super().clean_phone()
        if phone and getattr(self, "_user", None) is None:
            self._user = ensure_donor_for_phone(phone=phone)
        return phone


class GiveContactForm(forms.Form):
    """The give page's optional phone: never required, only used to find the gift again."""

    phone = MobileField(
        label="留下手机号，方便日后查看捐赠",
        required=False,
        help_text="选填。用于日后凭短信验证码在「我的公益」查看本笔捐赠，不公开、不用于营销。",
    )


class ClaimForm(forms.Form):
    out_trade_no = forms.CharField(
        label="订单号（商户单号）",
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "如 GY20260520100501…", "autocomplete": "off"}),
    )
    last_digits = forms.CharField(
        label="支付单号后6位",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"placeholder": "微信/支付宝账单中的交易单号后6位", "autocomplete": "off"}),
    )

    def clean_out_trade_no(self) -> str:
        return "".join(self.cleaned_data["out_trade_no"].split()).upper()

    def clean_last_digits(self) -> str:
        return self.cleaned_data["last_digits"].strip()


_DIGIT_RUN = re.compile(r"\d{7,}")


class SettingsForm(forms.Form):
    name_display = forms.ChoiceField(
        label="公开页面上我的署名", choices=NameDisplay.choices, widget=forms.RadioSelect, initial=NameDisplay.MASKED
    )
    nickname = forms.CharField(label="昵称", max_length=20, required=False, help_text="选择“显示我的昵称”时使用")
    show_messages = forms.BooleanField(label="公开显示我的留言", required=False)
    wants_thanks = forms.BooleanField(label="捐赠成功后收到感谢消息", required=False)
    wants_progress = forms.BooleanField(label="收到我捐助项目的进展", required=False)
    notify_channel = forms.ChoiceField(label="消息渠道", choices=NotifyChannel.choices, initial=NotifyChannel.AUTO)

    def clean_nickname(self) -> str:
        nickname = " ".join(self.cleaned_data["nickname"].split())
        if _DIGIT_RUN.search(nickname) or "http" in nickname.lower() or "www." in nickname.lower():
            raise forms.ValidationError("昵称中不能包含电话号码或网址")
        return nickname

    def clean(self):
        data = super().clean()
        if data.get("name_display") == NameDisplay.NICKNAME and not data.get("nickname"):
            self.add_error("nickname", "选择显示昵称时请填写昵称")
        return data


class ReceiptForm(forms.Form):
    payer_name = forms.CharField(label="交款人（票据上的姓名）", max_length=100)


class CloseAccountForm(forms.Form):
    confirmation = forms.CharField(label=f"请输入“{CLOSE_CONFIRMATION}”以确认", max_length=20)

    def clean_confirmation(self) -> str:
        value = self.cleaned_data["confirmation"].strip()
        if value != CLOSE_CONFIRMATION:
            raise forms.ValidationError(f"请输入“{CLOSE_CONFIRMATION}”")
        return value
