"""Mainland mobile numbers (pure; no Django): accept what people type, store E.164, show masked."""

from __future__ import annotations

import re

from gongyi.core.masking import mask_phone

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = str.maketrans("", "", " -()（）\u00a0\t")


def normalize_mobile(text: str | None) -> str | None:
    """'138 0013 8000', '+86 138-0013-8000', '008613800138000' → '+8613800138000'; anything else → None."""
    digits = (text or "").strip().translate(_SEPARATORS)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not _MOBILE.match(digits):
        return None
    return "+86" + digits


def national_number(e164: str) -> str:
    """'+8613800138000' → '13800138000' (what Chinese SMS providers expect)."""
    return e164[3:] if e164.startswith("+86") else e164.lstrip("+")


def masked(e164: str | None) -> str:
    """'+8613800138000' → '138****8000'."""
    return mask_phone(national_number(e164 or "")) if e164 else ""
