"""The ``weixin`` provider for the official account's web OAuth (see the package docstring)."""

from __future__ import annotations

from allauth.socialaccount.providers.weixin.provider import WeixinAccount, WeixinProvider

from gongyi.donors.wechat.views import WechatOfficialAccountOAuth2Adapter


class WechatOfficialAccount(WeixinAccount):
    def to_str(self):
        nickname = self.account.extra_data.get("nickname")
        return nickname or "微信用户"


class WechatOfficialAccountProvider(WeixinProvider):
    """Same id (``weixin``) as allauth's provider, so the openid lands in ``SocialAccount(provider="weixin")``."""

    name = "微信"
    account_class = WechatOfficialAccount
    oauth2_adapter_class = WechatOfficialAccountOAuth2Adapter

    def get_default_scope(self):
        return ["snsapi_base"]

    def extract_uid(self, data):
        return str(data["openid"])

    def extract_extra_data(self, data):
        # Keep identifiers and the public profile only; never tokens.
        keep = ("openid", "unionid", "scope", "nickname", "headimgurl")
        return {k: data[k] for k in keep if data.get(k)}

    def extract_common_fields(self, data):
        nickname = data.get("nickname") or ""
        return {"username": "", "first_name": nickname[:30]} if nickname else {"username": ""}


provider_classes = [WechatOfficialAccountProvider]
