"""Donor messages as WeChat official-account 订阅通知 (``cgi-bin/message/subscribe/bizsend``).

Needs the account's AppID and AppSecret (for the ``client_credential`` access token, cached until shortly
before it expires) and, per message kind, an approved template id with the keywords our fields fill. Every
call has an explicit timeout; an expired token is fetched again once; any failure is a ``SendResult``.
"""

from __future__ import annotations

import logging

import requests
from django.conf import settings
from django.core.cache import cache

from gongyi.donors.notifications.interface import OutboundMessage, SendResult

logger = logging.getLogger(__name__)

TOKEN_ERRORS = {40001, 40014, 42001}  # invalid, malformed, expired access token
KEYWORD_LIMITS = {"thing": 20, "time": 30, "amount": 20, "phrase": 5, "character_string": 32}


def _limit(keyword: str, value: str) -> str:
    kind = keyword.rstrip("0123456789")
    limit = KEYWORD_LIMITS.get(kind, 20)
    return value if len(value) <= limit else value[: limit - 1] + "…"


class WechatSubscribeSender:
    channel = "wechat"

    def __init__(self, *, appid: str, secret: str, api_base: str, templates: dict, timeout: float = 5.0):
        self.appid = appid
        self.secret = secret
        self.api_base = api_base.rstrip("/")
        self.templates = templates
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> WechatSubscribeSender:
        provider = settings.SOCIALACCOUNT_PROVIDERS.get("weixin", {})
        return cls(
            appid=settings.WECHAT_MP_APPID,
            secret=settings.WECHAT_MP_SECRET,
            api_base=provider.get("API_BASE_URL", "https://api.weixin.qq.com"),
            templates=settings.GONGYI_DONORS["WECHAT_TEMPLATES"],
            timeout=settings.GONGYI_DONORS.get("NOTIFY_TIMEOUT_SECONDS", 5.0),
        )

    @property
    def _token_key(self) -> str:
        return f"gongyi.donors.wechat-access-token:{self.appid}"

    def _access_token(self, *, fresh: bool = False) -> str | None:
        if not fresh:
            token = cache.get(self._token_key)
            if token:
                return token
        response = requests.get(
            f"{self.api_base}/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            timeout=self.timeout,
        )
        answer = response.json()
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not token:
            logger.warning("wechat token refused: %s", answer.get("errcode") if isinstance(answer, dict) else "?")
            return None
        expires_in = int(answer.get("expires_in") or 7200)
        cache.set(self._token_key, token, max(60, expires_in - 300))
        return token

    def send(self, message: OutboundMessage) -> SendResult:
        template = self.templates.get(message.template) or {}
        if not (self.appid and self.secret and template.get("template_id")):
            return SendResult(ok=False, error="未配置微信订阅通知模板")
        payload = {
            "touser": message.recipient,
            "template_id": template["template_id"],
            "page": message.link,
            "data": {
                kw: {"value": _limit(kw, message.params.get(field, ""))} for kw, field in template["data"].items()
            },
        }
        try:
            for attempt in range(2):
                token = self._access_token(fresh=attempt > 0)
                if token is None:
                    return SendResult(ok=False, error="无法获取微信 access_token")
                response = requests.post(
                    f"{self.api_base}/cgi-bin/message/subscribe/bizsend",
                    params={"access_token": token},
                    json=payload,
                    timeout=self.timeout,
                )
                answer = response.json()
                errcode = int(answer.get("errcode", -1)) if isinstance(answer, dict) else -1
                if errcode == 0:
                    return SendResult(ok=True, provider_id=str(answer.get("msgid", "")))
                if errcode not in TOKEN_ERRORS:
                    break
                cache.delete(self._token_key)
        except (requests.RequestException, ValueError) as exc:
            logger.warning("wechat subscribe message failed: %s", exc.__class__.__name__)
            return SendResult(ok=False, error=exc.__class__.__name__)
        errmsg = answer.get("errmsg", "") if isinstance(answer, dict) else ""
        return SendResult(ok=False, error=f"{errcode} {errmsg}"[:200])
