"""The caller's address, read one way everywhere: rate limits, WeChat Pay's H5 ``payer_client_ip``, complaints.

Behind reverse proxies the socket's address is the proxy's. ``GONGYI_TRUSTED_PROXY_COUNT`` (how many proxies of
ours add to ``X-Forwarded-For``) or ``GONGYI_TRUSTED_CLIENT_IP_HEADER`` (e.g. ``X-Real-IP``) say where the
donor's address is; they set allauth's ``ALLAUTH_TRUSTED_*`` settings, so its sign-in limits agree. Without
them ``X-Forwarded-For`` is ignored: anyone can write it.
"""

from __future__ import annotations

import ipaddress

from django.core.exceptions import ImproperlyConfigured, PermissionDenied


def client_ip(request) -> str:
    """The caller's IP address as the trusted proxies report it; "" when it cannot be told."""
    from allauth.account.adapter import get_adapter

    try:
        raw = get_adapter().get_client_ip(request) or ""
    except (PermissionDenied, ImproperlyConfigured):
        # Fewer X-Forwarded-For hops than configured: the request did not come through our proxies.
        raw = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        return ""


def client_network(request) -> str:
    """A rate-limit key for the caller: the address, an IPv6 address cut to its /64 (one subscriber)."""
    address = client_ip(request)
    if not address:
        return "unknown"
    parsed = ipaddress.ip_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False).network_address)
    return address
