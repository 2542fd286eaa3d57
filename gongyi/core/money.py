"""Money is integer fen everywhere; this module turns fen into yuan text and back (pure)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MAX_GIFT_FEN = 100_000_000_00  # ¥100,000,000: above this an online gift is refused as implausible


def format_yuan(fen: int, *, symbol: bool = True) -> str:
    """12345 → '¥123.45'; negative amounts keep their sign."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(int(fen)), 100)
    text = f"{sign}{whole:,}.{part:02d}"
    return f"¥{text}" if symbol else text


def yuan_to_fen(text: str) -> int:
    """'10', '10.5', '10.50' → fen; more than two decimals or non-numbers raise ValueError."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation as exc:
        raise ValueError("金额格式不正确") from exc
    if not value.is_finite():
        raise ValueError("金额格式不正确")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise ValueError("金额最多两位小数")
    return int(fen)

MAX_DATABASE_ID = 2**63 - 1  # the largest primary key either database can hold
