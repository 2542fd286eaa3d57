"""WeChat official-account web OAuth (网页授权) on allauth's ``weixin`` provider.

allauth's provider speaks the open-platform QR login (``snsapi_login``). Inside WeChat's browser a site
uses the official account's OAuth instead: ``connect/oauth2/authorize`` ending in ``#wechat_redirect``,
scope ``snsapi_base`` (silent, openid only — the same openid JSAPI payments need) or ``snsapi_userinfo``.
``WechatOfficialAccountProvider`` subclasses allauth's provider for that and is swapped in through
``SOCIALACCOUNT_PROVIDERS["weixin"]["provider_class"]``; the API host is a setting (``API_BASE_URL``) so tests
point it at a local fake server.
"""
