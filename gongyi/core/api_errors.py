"""The API's one error shape, ``{"message": "...", "errors": [{"field", "message"}]}`` (see ``gongyi.api``)."""

from __future__ import annotations

from ninja import Schema, Status


class ErrorOut(Schema):
    message: str
    errors: list[dict]


def field_error(status: int, field: str, message: str) -> Status:
    """A refusal naming the field a caller can fix (``field`` may be empty for the request as a whole)."""
    return Status(
        status,
        {"message": f"{field}: {message}" if field else message, "errors": [{"field": field, "message": message}]},
    )
