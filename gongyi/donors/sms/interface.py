"""The contract every SMS sender keeps: send, and answer with a result — never raise past the sender."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SmsResult:
    ok: bool
    provider_message_id: str = ""
    error_code: str = ""
    error_message: str = ""


class SmsSender(Protocol):
    """Sends texts to mainland mobiles given in E.164 (``+8613800138000``).

    Chinese providers only send pre-approved templates, so a text is a template name (``code``, ``thanks``,
    ``progress``) and its parameters, not free text.
    """

    name: str

    def send_code(self, *, phone: str, code: str) -> SmsResult: ...

    def send_notice(self, *, phone: str, template: str, params: dict[str, str]) -> SmsResult: ...
