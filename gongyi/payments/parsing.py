"""Pure helpers the gateways share: exact yuan text ↔ fen, provider local times, bill format errors."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_YUAN = re.compile(r"-?(0|[1-9]\d{0,12})(\.\d{1,2})?")


class BillFormatError(ValueError):
    """A bill that is not in the provider's format; names the line."""


def yuan_text_to_fen(text: str) -> int:
    """'12.30' → 1230 exactly; refuse more than two decimals, exponents, blanks and other noise."""
    value = (text or "").strip()
    if not _YUAN.fullmatch(value):
        raise ValueError(f"金额 {value[:20]!r} 不是至多两位小数的元")
    return int(Decimal(value) * 100)


def fen_to_yuan_text(fen: int) -> str:
    """1230 → '12.30' (what Alipay expects in ``total_amount`` and ``refund_amount``)."""
    if isinstance(fen, bool) or not isinstance(fen, int) or fen < 0:
        raise ValueError("金额必须是非负整数（分）")
    return f"{fen // 100}.{fen % 100:02d}"


def shanghai_time(text: str) -> datetime:
    """'2024-05-20 10:00:00' in Beijing time → an aware datetime."""
    return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)


def rfc3339_time(text: str) -> datetime:
    """'2024-05-20T10:00:00+08:00' → aware datetime; a time without an offset is refused."""
    parsed = datetime.fromisoformat(text.strip())
    if parsed.tzinfo is None:
        raise ValueError("时间缺少时区偏移")
    return parsed


class FieldProblem(ValueError):
    """A field of a provider's message is missing or wrong; the gateway decides how to refuse."""

    def __init__(self, name: str, message: str):
        super().__init__(f"字段 {name}：{message}")
        self.name = name
        self.message = message


def text_field(data: dict, name: str, max_length: int, *, required: bool = True) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise FieldProblem(name, "必须是非空字符串")
    if len(value) > max_length:
        raise FieldProblem(name, f"长度不能超过 {max_length}")
    return value.strip()


def fen_field(data: dict, name: str, *, maximum: int) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldProblem(name, "必须是整数（分）")
    if value <= 0 or value > maximum:
        raise FieldProblem(name, f"必须在 1 到 {maximum} 分之间")
    return value


def object_field(data: dict, name: str) -> dict:
    value = data.get(name)
    if not isinstance(value, dict):
        raise FieldProblem(name, "必须是 JSON 对象")
    return value
