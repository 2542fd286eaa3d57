"""django-allauth settings (and the donors app's own), owned by the donors app, imported by gongyi.settings.

Donors sign in by phone number and SMS code (allauth's login by code, with our adapter speaking to an SMS
sender) or, inside WeChat, by the official account's web OAuth (allauth's ``weixin`` provider, swapped for
our subclass through ``provider_class`` so it asks for ``snsapi_base`` and its endpoints can be pointed at a
local fake). Organisation staff sign in with username and password plus TOTP (allauth.mfa). See
``docs/accounts.md``.

Everything secret or deployment-specific comes from the environment; nothing here reaches the network.
"""

from __future__ import annotations

import os


def _env(name: str, default: str = "") -> str:
    return (os.environ.get(name) or default).strip()


# --- accounts ---------------------------------------------------------------------------------------------

ACCOUNT_ADAPTER = "gongyi.donors.adapter.DonorAccountAdapter"
SOCIALACCOUNT_ADAPTER = "gongyi.donors.adapter.DonorSocialAccountAdapter"
MFA_ADAPTER = "gongyi.backoffice.mfa.OfficeMFAAdapter"

# Donors use their phone (a code, no password); staff use their username and password (then TOTP).
ACCOUNT_LOGIN_METHODS = {"username", "phone"}
# The signup form is closed (adapter.is_open_for_signup): a donor's account is made when they first ask for a
# code. ``phone`` is listed so allauth offers its phone verification and change pages, ``password1`` so the
# sign-in form keeps its password field for staff.
ACCOUNT_SIGNUP_FIELDS = ["username*", "phone", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_FORMS = {"request_login_code": "gongyi.donors.forms.PhoneLoginCodeForm"}

# Sign-in codes by SMS: six digits, five minutes, five wrong tries then the code is dropped (the sixth try is
# refused even with the right code); a new code needs a new request, which the rate limits below hold back.
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 5 * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 5
ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND = False
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_PHONE_VERIFICATION_TIMEOUT = 5 * 60
ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS = 5
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}

# Keys are the phone number (hashed by allauth) or the client address. Requesting a code: one per 50 s and
# five per hour per phone, twenty per minute per address. These live in Django's cache: with several server
# processes the cache must be shared (database or Redis cache) for the limits to hold across them.
ACCOUNT_RATE_LIMITS = {
    "request_login_code": "20/m/ip,1/50s/key,5/h/key",
    "verify_phone": "1/50s/key,3/m/ip,5/h/key",
    "change_phone": "1/m/user",
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
}

# Where the caller's address is behind our reverse proxies (see gongyi/core/clientip.py); 0 = no proxy.
ALLAUTH_TRUSTED_PROXY_COUNT = int(_env("GONGYI_TRUSTED_PROXY_COUNT", "0") or 0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = _env("GONGYI_TRUSTED_CLIENT_IP_HEADER") or None

LOGIN_REDIRECT_URL = "/me/"
# allauth's own pages (2FA, phone change) use Django's login_required: send people to our sign-in page, not
# to the Django admin's. Staff pages elsewhere use staff_member_required, which names the admin login itself.
LOGIN_URL = "account_login"

# --- WeChat official account web OAuth (网页授权) ----------------------------------------------------------

# The openid must come from the same AppID that takes JSAPI payments, so gifts paid in WeChat find the donor.
WECHAT_MP_APPID = _env("GONGYI_WECHAT_MP_APPID") or _env("GONGYI_WECHATPAY_APPID")
WECHAT_MP_SECRET = _env("GONGYI_WECHAT_MP_SECRET")

SOCIALACCOUNT_PROVIDERS = {
    "weixin": {
        "provider_class": "gongyi.donors.wechat.provider.WechatOfficialAccountProvider",
        # snsapi_base: silent, openid only (all we need); snsapi_userinfo asks the donor and adds a nickname.
        "SCOPE": [_env("GONGYI_WECHAT_OAUTH_SCOPE", "snsapi_base")],
        "AUTHORIZE_URL": _env("GONGYI_WECHAT_AUTHORIZE_URL", "https://open.weixin.qq.com/connect/oauth2/authorize"),
        "API_BASE_URL": _env("GONGYI_WECHAT_API_BASE_URL", "https://api.weixin.qq.com"),
        "APPS": (
            [{"client_id": WECHAT_MP_APPID, "secret": WECHAT_MP_SECRET, "key": ""}]
            if WECHAT_MP_APPID and WECHAT_MP_SECRET
            else []
        ),
    }
}
# Inside WeChat, the first donor page tries a silent snsapi_base sign-in once per session (donors/wechat/silent.py).
GONGYI_WECHAT_SILENT_SIGNIN = _env("GONGYI_WECHAT_SILENT_SIGNIN", "1").strip().lower() not in {
    "0",
    "false",
    "no",
    "off",
}
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 5

# --- MFA for the organisation back office -------------------------------------------------------------------

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "鄂州公益机构后台"
MFA_TRUST_ENABLED = False

# --- the donors app: SMS, notifications --------------------------------------------------------------------

GONGYI_DONORS = {
    # "console" prints codes and messages on the server's stderr (demo only: refused in production);
    # "aliyun" sends through Alibaba Cloud SMS (dysmsapi); or a dotted path to an SmsSender class.
    "SMS_BACKEND": _env("GONGYI_SMS_BACKEND", "console"),
    "SMS_TIMEOUT_SECONDS": float(_env("GONGYI_SMS_TIMEOUT_SECONDS", "5")),
    "SMS_SIGN_NAME": _env("GONGYI_SMS_SIGN_NAME", "鄂州公益"),
    "ALIYUN_SMS": {
        "ENDPOINT": _env("GONGYI_ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
        "ACCESS_KEY_ID": _env("GONGYI_ALIYUN_SMS_ACCESS_KEY_ID"),
        "ACCESS_KEY_SECRET": _env("GONGYI_ALIYUN_SMS_ACCESS_KEY_SECRET"),
        "REGION_ID": _env("GONGYI_ALIYUN_SMS_REGION_ID", "cn-hangzhou"),
        # Template codes approved by the provider, per purpose.
        "TEMPLATES": {
            "code": _env("GONGYI_ALIYUN_SMS_TEMPLATE_CODE"),
            "thanks": _env("GONGYI_ALIYUN_SMS_TEMPLATE_THANKS"),
            "progress": _env("GONGYI_ALIYUN_SMS_TEMPLATE_PROGRESS"),
        },
    },
    # "console" writes every donor message to stderr (demo); "live" sends through each channel's sender.
    "NOTIFY_BACKEND": _env("GONGYI_NOTIFY_BACKEND", "console"),
    "NOTIFY_TIMEOUT_SECONDS": float(_env("GONGYI_NOTIFY_TIMEOUT_SECONDS", "5")),
    # 订阅通知 templates of the official account: template id and which of our fields fill which keyword.
    "WECHAT_TEMPLATES": {
        "thanks": {
            "template_id": _env("GONGYI_WECHAT_TEMPLATE_THANKS"),
            "data": {"thing1": "project", "amount2": "amount", "time3": "time"},
        },
        "progress": {
            "template_id": _env("GONGYI_WECHAT_TEMPLATE_PROGRESS"),
            "data": {"thing1": "project", "thing2": "title", "time3": "time"},
        },
    },
}

EMAIL_BACKEND = _env("GONGYI_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = _env("GONGYI_DEFAULT_FROM_EMAIL", "鄂州公益 <noreply@example.invalid>")
