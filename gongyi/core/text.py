"""Free text that a form did not check (a reason or note posted straight to a service, an API body field).

Django's form fields already refuse U+0000 (``ProhibitNullCharactersValidator``); PostgreSQL cannot store it
and psycopg raises on sending it (a 500). Services that take text without a form refuse it with this message,
naming the field in their own error type.
"""

from __future__ import annotations

NUL_MESSAGE = "不能包含空字符（U+0000）"


def has_nul(value) -> bool:
    return isinstance(value, str) and "\x00" in value
