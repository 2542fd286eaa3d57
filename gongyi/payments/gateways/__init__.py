"""Registry of payment gateway plugins by name.

Which gateways are enabled is decided at call time: the sandbox by ``settings.GONGYI``, WeChat Pay
and Alipay by whether all their environment variables are present (``payments.config``). Each
provider's SDK is imported only inside its own package, and only when that gateway is used.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from gongyi.payments.config import AlipayConfig, ConfigError, GatewayStatus, WechatPayConfig, gateway_statuses
from gongyi.payments.interface import BillRow, GatewayError, PaymentGateway

ALL_GATEWAYS = ("sandbox", "wechatpay", "alipay")


class UnknownGateway(LookupError):
    pass


def enabled_gateways() -> list[str]:
    names = []
    if settings.GONGYI.get("SANDBOX_ENABLED"):
        names.append("sandbox")
    if WechatPayConfig.from_environment() is not None:
        names.append("wechatpay")
    if AlipayConfig.from_environment() is not None:
        names.append("alipay")
    return names


def statuses() -> list[GatewayStatus]:
    """Every known gateway, whether it is configured, and what is missing (for the admin)."""
    return gateway_statuses(sandbox_enabled=bool(settings.GONGYI.get("SANDBOX_ENABLED")))


def get_gateway(name: str) -> PaymentGateway:
    """The plugin for an enabled gateway; UnknownGateway otherwise, GatewayError when its keys are unusable."""
    if name == "sandbox" and settings.GONGYI.get("SANDBOX_ENABLED"):
        from gongyi.payments.gateways.sandbox.gateway import SandboxGateway

        return SandboxGateway(key=settings.GONGYI["SANDBOX_KEY"])
    if name == "wechatpay":
        config = WechatPayConfig.from_environment()
        if config is not None:
            from gongyi.payments.gateways.wechatpay.gateway import wechatpay_gateway

            try:
                return wechatpay_gateway(config)
            except ConfigError as exc:
                raise GatewayError(str(exc)) from None
    if name == "alipay":
        config = AlipayConfig.from_environment()
        if config is not None:
            from gongyi.payments.gateways.alipay.gateway import alipay_gateway

            try:
                return alipay_gateway(config)
            except ConfigError as exc:
                raise GatewayError(str(exc)) from None
    raise UnknownGateway(f"支付渠道 {name!r} 未启用")


def bill_parser(name: str) -> Callable[[bytes], list[BillRow]]:
    """The pure parser of a gateway's daily bill format; works whether or not the gateway is enabled."""
    if name == "sandbox":
        from gongyi.payments.gateways.sandbox.bill import parse_bill
    elif name == "wechatpay":
        from gongyi.payments.gateways.wechatpay.bill import parse_bill
    elif name == "alipay":
        from gongyi.payments.gateways.alipay.bill import parse_bill
    else:
        raise UnknownGateway(f"未知支付渠道 {name!r}")
    return parse_bill
