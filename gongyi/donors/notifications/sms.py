"""Donor messages by SMS, through the configured SMS sender and its approved templates."""

from __future__ import annotations

from gongyi.donors.notifications.interface import OutboundMessage, SendResult
from gongyi.donors.sms import get_sms_sender


class SmsNotificationSender:
    channel = "sms"

    def __init__(self, sms_sender=None):
        self.sms_sender = sms_sender or get_sms_sender()

    def send(self, message: OutboundMessage) -> SendResult:
        result = self.sms_sender.send_notice(phone=message.recipient, template=message.template, params=message.params)
        if result.ok:
            return SendResult(ok=True, provider_id=result.provider_message_id)
        return SendResult(ok=False, error=f"{result.error_code} {result.error_message}".strip())
