"""OAuth views and client for the official account's web OAuth (see the package docstring)."""

from __future__ import annotations

from functools import wraps

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.weixin.client import WeixinOAuth2Client
from allauth.socialaccount.providers.weixin.views import WeixinOAuth2Adapter
from django.http import Http404

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com"
DEFAULT_AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"


class WechatOfficialAccountOAuth2Client(WeixinOAuth2Client):
    def get_redirect_url(self, authorization_url, scope, extra_params):
        # WeChat asks for the fragment on every authorize URL opened inside its browser.
        return super().get_redirect_url(authorization_url, scope, extra_params) + "#wechat_redirect"


class WechatOfficialAccountOAuth2Adapter(WeixinOAuth2Adapter):
    client_class = WechatOfficialAccountOAuth2Client
    access_token_method = "GET"  # noqa: S105 - an HTTP method: sns/oauth2/access_token is documented as a GET

    def _setting(self, name: str, default: str) -> str:
        return (self.get_provider().get_settings().get(name) or default).rstrip("/")

    @property
    def access_token_url(self):
        return self._setting("API_BASE_URL", DEFAULT_API_BASE_URL) + "/sns/oauth2/access_token"

    @property
    def profile_url(self):
        return self._setting("API_BASE_URL", DEFAULT_API_BASE_URL) + "/sns/userinfo"

    @property
    def authorize_url(self):
        return self._setting("AUTHORIZE_URL", DEFAULT_AUTHORIZE_URL)

    def complete_login(self, request, app, token, **kwargs):
        """The token answer already carries the openid; ask for the profile only under ``snsapi_userinfo``."""
        response = kwargs.get("response") or {}
        data = {k: response[k] for k in ("openid", "unionid", "scope") if response.get(k)}
        if not data.get("openid"):
            raise OAuth2Error("WeChat answered without an openid")
        if "snsapi_userinfo" in str(response.get("scope", "")):
            with get_adapter().get_requests_session() as session:
                answer = session.get(self.profile_url, params={"access_token": token.token, "openid": data["openid"]})
                answer.raise_for_status()
                profile = answer.json()
            if profile.get("openid") == data["openid"]:
                data.update({k: profile[k] for k in ("nickname", "headimgurl", "unionid") if profile.get(k)})
        return self.get_provider().sociallogin_from_response(request, data)


def _only_when_configured(view):
    # Without an AppID and secret there is no WeChat sign-in: 404, not allauth's SocialApp.DoesNotExist (500).
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        from gongyi.donors.selectors import wechat_login_available

        if not wechat_login_available():
            raise Http404("未启用微信登录")
        return view(request, *args, **kwargs)

    return wrapper


oauth2_login = _only_when_configured(OAuth2LoginView.adapter_view(WechatOfficialAccountOAuth2Adapter))
oauth2_callback = _only_when_configured(OAuth2CallbackView.adapter_view(WechatOfficialAccountOAuth2Adapter))
