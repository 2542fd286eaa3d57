"""Sending SMS: the ``SmsSender`` contract (``interface.py``), a console sender for the demo and an adapter
for Alibaba Cloud SMS (``aliyun.py``). ``get_sms_sender()`` picks one from ``GONGYI_DONORS["SMS_BACKEND"]``."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from gongyi.donors.sms.interface import SmsResult, SmsSender

__all__ = ["SmsResult", "SmsSender", "get_sms_sender"]


def get_sms_sender() -> SmsSender:
    """The configured sender; the console sender is refused in production (codes would land in logs)."""
    config = settings.GONGYI_DONORS
    backend = config.get("SMS_BACKEND", "console")
    if backend == "console":
        if settings.CONFIG.production:
            raise ImproperlyConfigured("GONGYI_SMS_BACKEND=console is for the demo; set a real SMS sender")
        from gongyi.donors.sms.console import ConsoleSmsSender

        return ConsoleSmsSender(sign_name=config.get("SMS_SIGN_NAME", ""))
    if backend == "aliyun":
        from gongyi.donors.sms.aliyun import AliyunSmsSender

        return AliyunSmsSender.from_settings()
    return import_string(backend)()
