"""Fixtures for the payments tests: a fake provider server, gateways configured against it, no internet."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from gongyi.payments.tests import fakes

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Every outbound connection from these tests must go to the loopback fake server."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOOPBACK:
            raise OSError(f"tests may not reach {address[0]}")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOOPBACK and host is not None:
            raise OSError(f"tests may not resolve {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(scope="session")
def fake_server():
    server = fakes.FakeProviderServer()
    yield server
    server.close()


@pytest.fixture
def provider(fake_server):
    fake_server.reset()
    return fake_server


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@dataclass
class Configured:
    server: fakes.FakeProviderServer
    keys_dir: Path


@pytest.fixture
def wechatpay(provider, tmp_path, monkeypatch):
    """WeChat Pay enabled from the environment, pointed at the fake server, with keys made for the test."""
    merchant = fakes.keypair("wechat-merchant")
    platform = fakes.keypair("wechat-platform")
    env = {
        "GONGYI_WECHATPAY_MCHID": fakes.WECHAT_MCHID,
        "GONGYI_WECHATPAY_APPID": fakes.WECHAT_APPID,
        "GONGYI_WECHATPAY_APIV3_KEY": fakes.APIV3_KEY,
        "GONGYI_WECHATPAY_PRIVATE_KEY": _write(tmp_path / "apiclient_key.pem", merchant.private_pem),
        "GONGYI_WECHATPAY_CERT_SERIAL": fakes.WECHAT_CERT_SERIAL,
        "GONGYI_WECHATPAY_PUBLIC_KEY": _write(tmp_path / "pub_key.pem", platform.public_pem),
        "GONGYI_WECHATPAY_PUBLIC_KEY_ID": fakes.WECHAT_PUBLIC_KEY_ID,
        "GONGYI_WECHATPAY_API_BASE": provider.base_url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Configured(server=provider, keys_dir=tmp_path)


@pytest.fixture
def alipay(provider, tmp_path, monkeypatch):
    """Alipay enabled from the environment, pointed at the fake server, with keys made for the test."""
    app = fakes.keypair("alipay-app")
    platform = fakes.keypair("alipay-platform")
    env = {
        "GONGYI_ALIPAY_APPID": fakes.ALIPAY_APPID,
        "GONGYI_ALIPAY_PRIVATE_KEY": _write(tmp_path / "app_private_key.pem", app.private_pem),
        "GONGYI_ALIPAY_PUBLIC_KEY": _write(tmp_path / "alipay_public_key.pem", platform.public_pem),
        "GONGYI_ALIPAY_GATEWAY": provider.base_url + "/gateway.do",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Configured(server=provider, keys_dir=tmp_path)
