"""Check characters of Chinese identifiers (pure; no Django).

- 统一社会信用代码 (GB 32100-2015): 18 characters, mod-31 check character.
- 公民身份号码 (GB 11643-1999): 18 characters, ISO 7064 MOD 11-2 check character.

Some early pilot credit codes are legal yet fail the check, so callers warn on a failed USCC check
rather than refuse it (see ``reference/regulation.md`` §9.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
USCC_FORMAT = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
ID_CHECK_CHARS = "10X98765432"
ID_FORMAT = re.compile(r"^\d{17}[\dX]$")


def normalize_uscc(code: str) -> str:
    return code.strip().upper().replace(" ", "")


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


@dataclass(frozen=True)
class UsccCheck:
    code: str
    well_formed: bool
    check_ok: bool
    message: str


def check_uscc(code: str) -> UsccCheck:
    """Check the format and the check character of a credit code; say what is wrong in words."""
    normalized = normalize_uscc(code)
    if len(normalized) != 18:
        return UsccCheck(normalized, False, False, f"应为18位，实际{len(normalized)}位")
    if not USCC_FORMAT.match(normalized):
        return UsccCheck(normalized, False, False, "含有不允许的字符（I、O、S、V、Z 不用于信用代码）")
    expected = uscc_check_char(normalized[:17])
    if normalized[17] != expected:
        return UsccCheck(normalized, True, False, f"校验位应为 {expected}，实际为 {normalized[17]}")
    return UsccCheck(normalized, True, True, "校验通过")


def normalize_id_number(number: str) -> str:
    return number.strip().upper().replace(" ", "")


def id_check_char(first17: str) -> str:
    return ID_CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


class IdNumberError(ValueError):
    """An 18-digit citizen ID number that is malformed, has a wrong check digit or an impossible date."""


@dataclass(frozen=True)
class IdNumber:
    number: str
    region_code: str
    birth_date: date
    male: bool


def parse_id_number(number: str) -> IdNumber:
    """Validate an 18-digit 公民身份号码 and return its parts; raise IdNumberError saying why not."""
    normalized = normalize_id_number(number)
    if not ID_FORMAT.match(normalized):
        raise IdNumberError("身份证号应为17位数字加1位校验位（数字或X）")
    expected = id_check_char(normalized[:17])
    if normalized[17] != expected:
        raise IdNumberError(f"身份证号校验位应为 {expected}")
    try:
        birth = date(int(normalized[6:10]), int(normalized[10:12]), int(normalized[12:14]))
    except ValueError as exc:
        raise IdNumberError("身份证号中的出生日期不存在") from exc
    return IdNumber(normalized, normalized[:6], birth, int(normalized[16]) % 2 == 1)
