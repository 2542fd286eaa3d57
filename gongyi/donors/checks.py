"""System checks: production must not print sign-in codes to the console, and must send them somewhere."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def sms_sender_check(app_configs, **kwargs):
    config = getattr(settings, "GONGYI_DONORS", {})
    production = getattr(getattr(settings, "CONFIG", None), "production", False)
    problems = []
    if production and config.get("SMS_BACKEND", "console") == "console":
        problems.append(
            Error(
                "GONGYI_SMS_BACKEND=console prints sign-in codes to the log",
                id="donors.E001",
                hint="Set GONGYI_SMS_BACKEND=aliyun and its GONGYI_ALIYUN_SMS_* variables.",
            )
        )
    if config.get("SMS_BACKEND") == "aliyun":
        aliyun = config.get("ALIYUN_SMS", {})
        if not (
            aliyun.get("ACCESS_KEY_ID") and aliyun.get("ACCESS_KEY_SECRET") and aliyun.get("TEMPLATES", {}).get("code")
        ):
            problems.append(Error("Aliyun SMS is selected but not configured", id="donors.E002"))
    if production and config.get("NOTIFY_BACKEND", "console") == "console":
        problems.append(Warning("GONGYI_NOTIFY_BACKEND=console: donor messages are only printed", id="donors.W001"))
    return problems
