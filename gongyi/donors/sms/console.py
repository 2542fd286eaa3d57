"""The demo's SMS sender: prints each text on the server's stderr instead of sending it."""

from __future__ import annotations

import secrets
import sys

from gongyi.donors.phones import national_number
from gongyi.donors.sms.interface import SmsResult

CODE_TEXT = "【{sign}】您的验证码是 {code}，5分钟内有效。如非本人操作，请忽略。"


class ConsoleSmsSender:
    name = "console"

    def __init__(self, *, sign_name: str = "鄂州公益", stream=None):
        self.sign_name = sign_name
        self.stream = stream

    def _print(self, phone: str, text: str) -> SmsResult:
        out = self.stream or sys.stderr
        print(f"[短信·控制台] → {national_number(phone)}：{text}", file=out, flush=True)
        return SmsResult(ok=True, provider_message_id="console-" + secrets.token_hex(4))

    def send_code(self, *, phone: str, code: str) -> SmsResult:
        return self._print(phone, CODE_TEXT.format(sign=self.sign_name, code=code))

    def send_notice(self, *, phone: str, template: str, params: dict[str, str]) -> SmsResult:
        details = "，".join(f"{k}={v}" for k, v in params.items())
        return self._print(phone, f"【{self.sign_name}】（{template}）{details}")
