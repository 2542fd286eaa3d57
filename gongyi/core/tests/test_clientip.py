"""The caller's address behind our proxies: X-Forwarded-For only as far as the configured proxies vouch."""

from __future__ import annotations

from django.test import RequestFactory, override_settings

from gongyi.core.clientip import client_ip, client_network

rf = RequestFactory()


def request(remote="10.0.0.2", **headers):
    return rf.get("/", REMOTE_ADDR=remote, **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})


def test_without_trusted_proxies_a_written_forwarded_for_is_ignored():
    assert client_ip(request("198.51.100.7", **{"x-forwarded-for": "1.2.3.4"})) == "198.51.100.7"


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_one_trusted_proxy_vouches_for_the_last_hop_only():
    # The donor wrote "1.2.3.4"; our proxy appended the address it saw.
    assert client_ip(request(**{"x-forwarded-for": "1.2.3.4, 203.0.113.9"})) == "203.0.113.9"
    assert client_ip(request(**{"x-forwarded-for": "203.0.113.9"})) == "203.0.113.9"
    # Not through our proxy: the socket's address.
    assert client_ip(request("198.51.100.7")) == "198.51.100.7"


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=2)
def test_fewer_hops_than_proxies_falls_back_to_the_socket():
    assert client_ip(request("10.0.0.3", **{"x-forwarded-for": "203.0.113.9"})) == "10.0.0.3"


@override_settings(ALLAUTH_TRUSTED_CLIENT_IP_HEADER="X-Real-IP")
def test_a_trusted_header_names_the_address():
    assert client_ip(request(**{"x-real-ip": "203.0.113.10"})) == "203.0.113.10"
    assert client_ip(request(**{"x-real-ip": "not an address"})) == "10.0.0.2"  # the socket, as a last resort


def test_rate_limit_keys_cut_ipv6_to_the_subscribers_64():
    assert client_network(request("2001:db8:1:2:aaaa::1")) == client_network(request("2001:db8:1:2:bbbb::9"))
    assert client_network(request("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::"
    assert client_network(request("198.51.100.7")) == "198.51.100.7"
