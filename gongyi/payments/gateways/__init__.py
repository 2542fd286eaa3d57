"""Registry of payment gateway plugins by name."""

from __future__ import annotations

from django.conf import settings

from gongyi.payments.interface import PaymentGateway


class UnknownGateway(LookupError):
    pass


def enabled_gateways() -> list[str]:
    names = []
    if settings.GONGYI.get("SANDBOX_ENABLED"):
        names.append("sandbox")
    return names


def get_gateway(name: str) -> PaymentGateway:
    if name not in enabled_gateways():
        raise UnknownGateway(f"支付渠道 {name!r} 未启用")
    if name == "sandbox":
        from gongyi.payments.gateways.sandbox.gateway import SandboxGateway

        return SandboxGateway(key=settings.GONGYI["SANDBOX_KEY"])
    raise UnknownGateway(f"支付渠道 {name!r} 未启用")
