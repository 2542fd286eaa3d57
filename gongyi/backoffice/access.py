"""Who gets into the back office: signed in, a member (or federation staff), TOTP enrolled and used.

``office_view`` wraps every page, ``OfficeAuth`` every API operation; both put the caller's ``OfficeScope`` on
``request.office_scope`` for the selectors. allauth's login stages already ask for the TOTP code at every
sign-in once it is enrolled; this also refuses a session that signed in before the authenticator existed
and never used it (someone else's session with the same password).
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from ninja.errors import HttpError
from ninja.security import SessionAuth

from gongyi.backoffice.selectors import OfficeScope, scope_for

AUTH_RECORDS_SESSION_KEY = "account_authentication_methods"


def totp_of(user) -> Authenticator | None:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).first()


def session_passed_mfa(request, totp: Authenticator) -> bool:
    """This session used the second factor, or enrolled it after signing in."""
    from allauth.account.internal.flows.login import get_authentication_records

    records = get_authentication_records(request, request.user)
    if any(record.get("method") == "mfa" for record in records):
        return True
    signed_in_at = min((record.get("at", 0) for record in records), default=None)
    return signed_in_at is not None and totp.created_at.timestamp() >= signed_in_at


class Refusal:
    LOGIN = "login"
    NO_ACCESS = "no_access"
    ENROLL = "enroll"
    REAUTHENTICATE = "reauthenticate"


def check_access(request) -> tuple[OfficeScope | None, str | None]:
    user = request.user
    if not user.is_authenticated:
        return None, Refusal.LOGIN
    scope = scope_for(user)
    if scope.is_empty:
        return None, Refusal.NO_ACCESS
    totp = totp_of(user)
    if totp is None:
        return None, Refusal.ENROLL
    if not session_passed_mfa(request, totp):
        return None, Refusal.REAUTHENTICATE
    return scope, None


def office_view(view):
    """Decorate a back-office page: see the module docstring. Sets ``request.office_scope``."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        scope, refusal = check_access(request)
        if refusal == Refusal.LOGIN:
            return redirect_to_login(request.get_full_path(), reverse("account_login"))
        if refusal == Refusal.NO_ACCESS:
            return render(request, "backoffice/no_access.html", status=403)
        if refusal == Refusal.ENROLL:
            return redirect(reverse("mfa_activate_totp") + "?" + urlencode({"next": request.get_full_path()}))
        if refusal == Refusal.REAUTHENTICATE:
            logout(request)
            return redirect_to_login(request.get_full_path(), reverse("account_login"))
        request.office_scope = scope
        return view(request, *args, **kwargs)

    return wrapper


class OfficeAuth(SessionAuth):
    """Session auth (with CSRF on writes) for ``/api/v1/office``: 401 unsigned, 403 without access or TOTP."""

    def authenticate(self, request, key):
        scope, refusal = check_access(request)
        if refusal == Refusal.LOGIN:
            return None
        if refusal == Refusal.NO_ACCESS:
            raise HttpError(403, "没有机构后台权限")
        if refusal is not None:
            raise HttpError(403, "机构后台需要两步验证：请先在网页上启用并使用身份验证器登录")
        request.office_scope = scope
        return request.user


office_auth = OfficeAuth()
