from __future__ import annotations

from django import forms

from gongyi.core.money import MAX_GIFT_FEN, yuan_to_fen

PRESET_YUAN = (10, 20, 50, 100, 200, 500)


class GiveForm(forms.Form):
    """The give page: a preset or free amount in yuan, a name or anonymous, a message."""

    amount = forms.CharField(
        label="捐赠金额（元）",
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "其他金额"}),
    )
    donor = forms.CharField(
        label="署名",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "选填，公开时只显示姓氏"}),
    )
    anonymous = forms.BooleanField(label="匿名捐赠", required=False)
    message = forms.CharField(
        label="留言",
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "写下你的祝福（选填）"}),
    )

    def clean_amount(self) -> int:
        try:
            fen = yuan_to_fen(self.cleaned_data["amount"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if fen <= 0:
            raise forms.ValidationError("金额必须大于0")
        if fen > MAX_GIFT_FEN:
            raise forms.ValidationError(f"单笔金额不能超过 {MAX_GIFT_FEN // 100:,} 元")
        return fen
