"""Alibaba Cloud SMS (阿里云短信服务, dysmsapi ``SendSms``) over its HTTP RPC API, with an explicit timeout.

The request is a signed GET (RPC signature version 1.0: HMAC-SHA1 over the sorted, RFC 3986 percent-encoded
query, keyed with ``AccessKeySecret + "&"``). The answer is JSON; ``Code == "OK"`` means accepted. Every
failure — network, timeout, HTTP error, a refusal such as ``isv.BUSINESS_LIMIT_CONTROL`` — comes back as an
``SmsResult`` with ``ok=False``; nothing raises past this module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from gongyi.donors.phones import national_number
from gongyi.donors.sms.interface import SmsResult

logger = logging.getLogger(__name__)

API_VERSION = "2017-05-25"


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as the RPC signature wants it: space → %20, ``*`` → %2A, ``~`` kept."""
    return quote(str(value), safe="~")


def canonical_query(params: dict[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def rpc_signature(params: dict[str, str], access_key_secret: str, method: str = "GET") -> str:
    """The ``Signature`` of an RPC request (every parameter but ``Signature`` itself)."""
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"
    digest = hmac.new(f"{access_key_secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSmsSender:
    name = "aliyun"

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        templates: dict[str, str],
        endpoint: str = "https://dysmsapi.aliyuncs.com/",
        region_id: str = "cn-hangzhou",
        timeout: float = 5.0,
    ):
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.templates = templates
        self.endpoint = endpoint
        self.region_id = region_id
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> AliyunSmsSender:
        config = settings.GONGYI_DONORS
        aliyun = config["ALIYUN_SMS"]
        missing = [k for k in ("ACCESS_KEY_ID", "ACCESS_KEY_SECRET") if not aliyun.get(k)]
        if not aliyun["TEMPLATES"].get("code"):
            missing.append("TEMPLATES.code")
        if missing:
            raise ImproperlyConfigured("Aliyun SMS needs GONGYI_ALIYUN_SMS_" + ", ".join(missing))
        return cls(
            access_key_id=aliyun["ACCESS_KEY_ID"],
            access_key_secret=aliyun["ACCESS_KEY_SECRET"],
            sign_name=config.get("SMS_SIGN_NAME", ""),
            templates=aliyun["TEMPLATES"],
            endpoint=aliyun["ENDPOINT"],
            region_id=aliyun["REGION_ID"],
            timeout=config.get("SMS_TIMEOUT_SECONDS", 5.0),
        )

    def send_code(self, *, phone: str, code: str) -> SmsResult:
        return self._send(phone=phone, template_code=self.templates.get("code", ""), params={"code": code})

    def send_notice(self, *, phone: str, template: str, params: dict[str, str]) -> SmsResult:
        return self._send(phone=phone, template_code=self.templates.get(template, ""), params=params)

    def signed_url(self, *, phone: str, template_code: str, params: dict[str, str]) -> str:
        query = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": national_number(phone),
            "RegionId": self.region_id,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
        }
        signature = rpc_signature(query, self.access_key_secret)
        return f"{self.endpoint}?Signature={percent_encode(signature)}&{canonical_query(query)}"

    def _send(self, *, phone: str, template_code: str, params: dict[str, str]) -> SmsResult:
        if not template_code:
            return SmsResult(ok=False, error_code="NO_TEMPLATE", error_message="未配置短信模板")
        url = self.signed_url(phone=phone, template_code=template_code, params=params)
        try:
            response = requests.get(url, timeout=self.timeout)
        except requests.Timeout:
            logger.warning("aliyun sms: timed out after %ss", self.timeout)
            return SmsResult(ok=False, error_code="TIMEOUT", error_message="短信服务超时")
        except requests.RequestException as exc:
            logger.warning("aliyun sms: %s", exc.__class__.__name__)
            return SmsResult(ok=False, error_code="NETWORK", error_message="无法连接短信服务")
        try:
            answer = response.json()
        except ValueError:
            return SmsResult(ok=False, error_code=f"HTTP_{response.status_code}", error_message="短信服务应答无法解析")
        if not isinstance(answer, dict):
            return SmsResult(ok=False, error_code=f"HTTP_{response.status_code}", error_message="短信服务应答无法解析")
        code = str(answer.get("Code") or "")
        if response.status_code == 200 and code == "OK":
            return SmsResult(ok=True, provider_message_id=str(answer.get("BizId") or ""))
        message = str(answer.get("Message") or "")[:200]
        logger.warning("aliyun sms refused: %s %s (request %s)", code, message, answer.get("RequestId"))
        return SmsResult(ok=False, error_code=code or f"HTTP_{response.status_code}", error_message=message)
