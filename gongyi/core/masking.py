"""Masking of personal data for public pages (pure; no Django).

Public surfaces never show a full name, phone or ID number: names keep the family name, phones the
first three and last four digits, ID numbers the first and last few characters.
"""

from __future__ import annotations

ANONYMOUS_NAME = "爱心人士"


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def mask_name(name: str | None) -> str:
    """王小明 → 王**, 李四 → 李*, Alice → A***; an empty name is 爱心人士."""
    name = (name or "").strip()
    if not name:
        return ANONYMOUS_NAME
    if _is_cjk(name):
        return name[0] + "*" * max(1, len(name) - 1)
    return name[0] + "***"


def mask_phone(phone: str | None) -> str:
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:]


def mask_id_number(number: str | None) -> str:
    number = (number or "").strip()
    if len(number) < 8:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_payer(payer: str | None) -> str:
    """Provider payer ids (openids, buyer ids) are shown only as their last four characters."""
    payer = (payer or "").strip()
    if len(payer) <= 4:
        return "*" * len(payer)
    return "****" + payer[-4:]
