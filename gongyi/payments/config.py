"""Each real gateway's configuration, read from the environment when asked (never at import time).

A gateway is enabled exactly when every one of its required variables is present and not blank.
Key variables name a PEM file; a value that is itself PEM text (``-----BEGIN …``) is accepted too,
for secret stores that hand out contents rather than files. Nothing here ever returns or logs a
secret's value: ``gateway_statuses`` reports variable names only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

WECHATPAY_REQUIRED = (
    "GONGYI_WECHATPAY_MCHID",
    "GONGYI_WECHATPAY_APPID",
    "GONGYI_WECHATPAY_APIV3_KEY",
    "GONGYI_WECHATPAY_PRIVATE_KEY",
    "GONGYI_WECHATPAY_CERT_SERIAL",
    "GONGYI_WECHATPAY_PUBLIC_KEY",
    "GONGYI_WECHATPAY_PUBLIC_KEY_ID",
)
WECHATPAY_DEFAULT_API_BASE = "https://api.mch.weixin.qq.com"

ALIPAY_REQUIRED = (
    "GONGYI_ALIPAY_APPID",
    "GONGYI_ALIPAY_PRIVATE_KEY",
    "GONGYI_ALIPAY_PUBLIC_KEY",
)
ALIPAY_DEFAULT_GATEWAY = "https://openapi.alipay.com/gateway.do"


class ConfigError(ValueError):
    """A gateway's variables are all present but one of them cannot be used (unreadable key file …)."""


def _env(name: str) -> str:
    return (os.environ.get(name) or "").strip()


def missing_variables(names: tuple[str, ...]) -> list[str]:
    return [name for name in names if not _env(name)]


def read_pem(value: str, *, variable: str) -> str:
    """PEM text from a path (or the text itself); raise ConfigError naming the variable, not the value."""
    if value.lstrip().startswith("-----BEGIN"):
        return value
    try:
        return Path(value).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{variable}: 无法读取密钥文件（{exc.strerror or exc.__class__.__name__}）") from None


def key_fingerprint(value: str) -> tuple:
    """What identifies a key variable's current content cheaply: the path and its mtime, or the text."""
    if value.lstrip().startswith("-----BEGIN"):
        return ("pem", value)
    try:
        stat = os.stat(value)
    except OSError:
        return ("path", value, None)
    return ("path", value, stat.st_mtime_ns, stat.st_size)


@dataclass(frozen=True)
class WechatPayConfig:
    mchid: str
    appid: str
    apiv3_key: str
    private_key: str  # path or PEM text (merchant API key)
    cert_serial: str
    public_key: str  # path or PEM text (WeChat Pay platform public key)
    public_key_id: str
    api_base: str

    @classmethod
    def from_environment(cls) -> WechatPayConfig | None:
        if missing_variables(WECHATPAY_REQUIRED):
            return None
        return cls(
            mchid=_env("GONGYI_WECHATPAY_MCHID"),
            appid=_env("GONGYI_WECHATPAY_APPID"),
            apiv3_key=_env("GONGYI_WECHATPAY_APIV3_KEY"),
            private_key=_env("GONGYI_WECHATPAY_PRIVATE_KEY"),
            cert_serial=_env("GONGYI_WECHATPAY_CERT_SERIAL"),
            public_key=_env("GONGYI_WECHATPAY_PUBLIC_KEY"),
            public_key_id=_env("GONGYI_WECHATPAY_PUBLIC_KEY_ID"),
            api_base=(_env("GONGYI_WECHATPAY_API_BASE") or WECHATPAY_DEFAULT_API_BASE).rstrip("/"),
        )

    def problems(self) -> list[str]:
        found = []
        if len(self.apiv3_key.encode()) != 32:
            found.append("GONGYI_WECHATPAY_APIV3_KEY: APIv3 密钥必须是 32 个字节")
        return found


@dataclass(frozen=True)
class AlipayConfig:
    appid: str
    private_key: str  # path or PEM text (our application's private key)
    public_key: str  # path or PEM text (Alipay's public key)
    gateway_url: str

    @classmethod
    def from_environment(cls) -> AlipayConfig | None:
        if missing_variables(ALIPAY_REQUIRED):
            return None
        return cls(
            appid=_env("GONGYI_ALIPAY_APPID"),
            private_key=_env("GONGYI_ALIPAY_PRIVATE_KEY"),
            public_key=_env("GONGYI_ALIPAY_PUBLIC_KEY"),
            gateway_url=_env("GONGYI_ALIPAY_GATEWAY") or ALIPAY_DEFAULT_GATEWAY,
        )

    def problems(self) -> list[str]:
        return []


@dataclass(frozen=True)
class GatewayStatus:
    name: str
    label: str
    enabled: bool
    missing: list[str]
    problems: list[str]
    endpoint: str = ""


def gateway_statuses(*, sandbox_enabled: bool) -> list[GatewayStatus]:
    """Which gateways are configured, and what is missing for the others (variable names only)."""
    statuses = [
        GatewayStatus(
            name="sandbox",
            label="沙箱支付",
            enabled=sandbox_enabled,
            missing=[] if sandbox_enabled else ["GONGYI_SANDBOX_ENABLED"],
            problems=[],
        )
    ]
    wechat = WechatPayConfig.from_environment()
    statuses.append(
        GatewayStatus(
            name="wechatpay",
            label="微信支付",
            enabled=wechat is not None,
            missing=missing_variables(WECHATPAY_REQUIRED),
            problems=_key_problems(wechat) if wechat else [],
            endpoint=wechat.api_base if wechat else "",
        )
    )
    alipay = AlipayConfig.from_environment()
    statuses.append(
        GatewayStatus(
            name="alipay",
            label="支付宝",
            enabled=alipay is not None,
            missing=missing_variables(ALIPAY_REQUIRED),
            problems=_key_problems(alipay) if alipay else [],
            endpoint=alipay.gateway_url if alipay else "",
        )
    )
    return statuses


def _key_problems(config: WechatPayConfig | AlipayConfig) -> list[str]:
    found = list(config.problems())
    for variable, value in (
        ("PRIVATE_KEY", config.private_key),
        ("PUBLIC_KEY", config.public_key),
    ):
        prefix = "GONGYI_WECHATPAY_" if isinstance(config, WechatPayConfig) else "GONGYI_ALIPAY_"
        try:
            read_pem(value, variable=prefix + variable)
        except ConfigError as exc:
            found.append(str(exc))
    return found
