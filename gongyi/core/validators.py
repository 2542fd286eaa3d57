"""Django-side wrappers around the pure check-digit code."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from gongyi.core.checkdigits import IdNumberError, check_uscc, parse_id_number


def validate_uscc_format(value: str) -> None:
    """Refuse a credit code that is not even well formed; a failed check character only warns."""
    result = check_uscc(value)
    if not result.well_formed:
        raise ValidationError(f"统一社会信用代码格式不正确：{result.message}", code="uscc_format")


def validate_id_number(value: str) -> None:
    try:
        parse_id_number(value)
    except IdNumberError as exc:
        raise ValidationError(str(exc), code="id_number") from exc
