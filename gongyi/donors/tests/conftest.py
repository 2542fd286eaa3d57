"""Fixtures for donor-account tests: no internet, a clean cache, a recording SMS sender, local fake servers."""

from __future__ import annotations

import socket

import pytest
from django.core.cache import cache

from gongyi.donors.tests import fakes
from gongyi.donors.tests.helpers import RecordingSmsSender

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
WEIXIN_APP = "allauth.socialaccount.providers.weixin"


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Every outbound connection from these tests must go to a loopback fake server."""
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


@pytest.fixture(autouse=True)
def clean_cache():
    """allauth's rate limits and TOTP replay marks live in the cache; start each test with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sms_outbox(settings):
    settings.GONGYI_DONORS = {**settings.GONGYI_DONORS, "SMS_BACKEND": "gongyi.donors.tests.helpers.RecordingSmsSender"}
    RecordingSmsSender.outbox.clear()
    yield RecordingSmsSender.outbox
    RecordingSmsSender.outbox.clear()


@pytest.fixture(scope="session")
def wechat_server():
    server = fakes.FakeWechatServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def aliyun_server():
    server = fakes.FakeAliyunSmsServer()
    yield server
    server.close()


@pytest.fixture
def wechat(settings, wechat_server):
    """The WeChat provider pointed at the local fake, with the fake's AppID and secret."""
    assert WEIXIN_APP in settings.INSTALLED_APPS
    wechat_server.reset()
    provider = dict(settings.SOCIALACCOUNT_PROVIDERS["weixin"])
    provider.update(
        {
            "AUTHORIZE_URL": wechat_server.base_url + "/connect/oauth2/authorize",
            "API_BASE_URL": wechat_server.base_url,
            "APPS": [{"client_id": fakes.APPID, "secret": fakes.APP_SECRET, "key": ""}],
        }
    )
    settings.SOCIALACCOUNT_PROVIDERS = {**settings.SOCIALACCOUNT_PROVIDERS, "weixin": provider}
    settings.WECHAT_MP_APPID = fakes.APPID
    settings.WECHAT_MP_SECRET = fakes.APP_SECRET
    return wechat_server
