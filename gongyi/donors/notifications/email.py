"""Donor messages by e-mail (Django's mail backend), with the unsubscribe link in the text and the header."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from django.core.mail import EmailMessage

from gongyi.donors.notifications.interface import OutboundMessage, SendResult

logger = logging.getLogger(__name__)


class EmailNotificationSender:
    channel = "email"

    def send(self, message: OutboundMessage) -> SendResult:
        body = f"{message.body}\n\n查看详情：{message.link}\n\n不想再收到此类消息？退订：{message.unsubscribe_link}\n"
        email = EmailMessage(subject=message.title, body=body, to=[message.recipient])
        if message.unsubscribe_link:
            email.extra_headers["List-Unsubscribe"] = f"<{message.unsubscribe_link}>"
        try:
            email.send(fail_silently=False)
        except (SMTPException, OSError) as exc:
            logger.warning("donor e-mail failed: %s", exc.__class__.__name__)
            return SendResult(ok=False, error=exc.__class__.__name__)
        return SendResult(ok=True)
