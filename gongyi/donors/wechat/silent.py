"""Silent sign-in inside WeChat: the first donor page opened in WeChat's browser goes once through the official
account's ``snsapi_base`` OAuth, which WeChat answers without asking the donor anything.

* An openid that belongs to an account signs that account in (its gifts, 我的公益), back on the same page.
* An unknown openid makes no account (PIPL: collect only what is needed). It is kept in the session, where the
  give page's JSAPI payment needs it, and the donor is back on the page they opened. Tapping "微信授权登录"
  later makes the account as before.
* One try per session: the mark is set before leaving, so a refusal, an error or a lost cookie never loops.
  An error of a silent try goes back to the page, not to allauth's error page.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

SESSION_TRIED = "gongyi_wechat_silent_tried"
SESSION_OPENID = "gongyi_wechat_openid"
STATE_MARK = "gongyi_silent"

# Staff, machine and sign-in paths never take the detour; donor pages (projects, drives, stories, public
# accounts, 我的公益) do.
SKIPPED_PREFIXES = (
    "/admin/",
    "/api/",
    "/i18n/",
    "/static/",
    "/media/",
    "/me/auth/",
    "/office/",
    "/staff/",
    "/aid/",
    "/oversight/",
    "/inkind/",
    "/funds/",
    "/offline/",
    "/reports/",
)


def wanted(request) -> bool:
    """Whether this request should first try the silent sign-in."""
    from gongyi.donors.selectors import in_wechat, wechat_login_available

    if request.method != "GET" or not getattr(settings, "GONGYI_WECHAT_SILENT_SIGNIN", True):
        return False
    if request.user.is_authenticated or not in_wechat(request):
        return False
    if request.session.get(SESSION_TRIED) or request.path.startswith(SKIPPED_PREFIXES):
        return False
    if request.headers.get("x-requested-with") or "text/html" not in request.headers.get("accept", "text/html"):
        return False
    return wechat_login_available()


def start(request):
    """Mark the session, then send the donor to WeChat's authorize URL (``snsapi_base``) with our state."""
    from allauth.socialaccount.adapter import get_adapter
    from allauth.socialaccount.models import SocialApp

    request.session[SESSION_TRIED] = True
    try:
        provider = get_adapter().get_provider(request, "weixin")
    except SocialApp.DoesNotExist:
        return None
    return provider.redirect(
        request, process="login", next_url=request.get_full_path(), data={STATE_MARK: True}, scope=["snsapi_base"]
    )


def is_silent(state) -> bool:
    return bool(((state or {}).get("data") or {}).get(STATE_MARK))


def back_to_page(request, state):
    """Where a silent try ends when it does not sign anybody in: the page it started from."""
    next_url = (state or {}).get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    return redirect(next_url)


def remember_openid(request, openid: str) -> None:
    request.session[SESSION_OPENID] = openid


def session_openid(request) -> str:
    return request.session.get(SESSION_OPENID, "") if hasattr(request, "session") else ""


class WechatSilentSignInMiddleware:
    """After the session, auth and allauth middleware: see the module docstring."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if wanted(request):
            response = start(request)
            if response is not None:
                return response
        return self.get_response(request)
