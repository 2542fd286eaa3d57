"""The demo's notification sender: writes each message to the server's stderr."""

from __future__ import annotations

import secrets
import sys

from gongyi.donors.notifications.interface import OutboundMessage, SendResult


class ConsoleNotificationSender:
    def __init__(self, *, channel: str, stream=None):
        self.channel = channel
        self.stream = stream

    def send(self, message: OutboundMessage) -> SendResult:
        out = self.stream or sys.stderr
        print(
            f"[消息·控制台·{message.channel}] → {message.recipient[-4:]:>4}：{message.title}｜{message.body}"
            f"｜{message.link}｜退订：{message.unsubscribe_link}",
            file=out,
            flush=True,
        )
        return SendResult(ok=True, provider_id="console-" + secrets.token_hex(4))
