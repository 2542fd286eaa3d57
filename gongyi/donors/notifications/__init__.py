"""Messages to donors — thank-yous and project progress — through one contract (``interface.py``) and one
sender per channel: WeChat 订阅通知 (``wechat.py``), SMS (``sms.py``), e-mail (``email.py``), and the console
for the demo (``console.py``). ``get_sender(channel)`` picks one from ``GONGYI_DONORS["NOTIFY_BACKEND"]``."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from gongyi.donors.notifications.interface import NotificationSender, OutboundMessage, SendResult

__all__ = ["NotificationSender", "OutboundMessage", "SendResult", "get_sender"]

CHANNELS = ("wechat", "sms", "email")


def get_sender(channel: str) -> NotificationSender:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel}")
    backend = settings.GONGYI_DONORS.get("NOTIFY_BACKEND", "console")
    if backend == "console":
        from gongyi.donors.notifications.console import ConsoleNotificationSender

        return ConsoleNotificationSender(channel=channel)
    if backend != "live":
        raise ImproperlyConfigured(f"GONGYI_NOTIFY_BACKEND must be console or live, not {backend!r}")
    if channel == "wechat":
        from gongyi.donors.notifications.wechat import WechatSubscribeSender

        return WechatSubscribeSender.from_settings()
    if channel == "sms":
        from gongyi.donors.notifications.sms import SmsNotificationSender

        return SmsNotificationSender()
    from gongyi.donors.notifications.email import EmailNotificationSender

    return EmailNotificationSender()
