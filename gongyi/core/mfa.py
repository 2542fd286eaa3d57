"""The second factor for staff areas: signed in, a role there, TOTP enrolled, and used in this session.

Shared by the organisation back office (``backoffice.access``: ``office_view``, ``OfficeAuth``) and aid
casework (``aid.views.staff_page``, ``aid.api.AidAuth``). Each area passes its own ``scope_for(user)``
(anything with ``is_empty``); the checks and their order are the same everywhere:

1. not signed in → pages: allauth's sign-in page (``account_login``) with ``next``; API: 401;
2. signed in without a role in the area → pages: the area's own 403 page; API: 403;
3. a role but no TOTP authenticator → pages: allauth's TOTP activation (``mfa_activate_totp``) with
   ``next``; API: 403;
4. TOTP enrolled, but this session never used it (signed in before the authenticator existed, e.g. someone
   else's session with the same password) → pages: signed out and sent to sign in; API: 403.

allauth's login stages ask for the TOTP code at every sign-in once it is enrolled (also a sign-in by SMS
code), so step 4 only catches sessions older than the authenticator. The API errors are ``HttpError``s, so
they come back in the API's one error shape (``gongyi.api``).

``needs_mfa(user)`` is who may not remove their TOTP (``backoffice.mfa.OfficeMFAAdapter``): back-office
people and holders of an active aid role.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from ninja.errors import HttpError
from ninja.security import SessionAuth

AUTH_RECORDS_SESSION_KEY = "account_authentication_methods"

ScopeFor = Callable[[Any], Any]  # user → a scope with ``is_empty``


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


def check_access(request, scope_for: ScopeFor) -> tuple[Any, str | None]:
    """(scope, None) when the caller may in, else (None, the first ``Refusal`` that applies)."""
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


def login_redirect(request):
    return redirect_to_login(request.get_full_path(), reverse("account_login"))


def enroll_redirect(request):
    return redirect(reverse("mfa_activate_totp") + "?" + urlencode({"next": request.get_full_path()}))


def mfa_page(scope_for: ScopeFor, *, no_access: Callable, attr: str):
    """Decorator factory for a staff page: see the module docstring. ``no_access(request)`` renders the area's
    403; on success the scope is put on ``request.<attr>``."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            scope, refusal = check_access(request, scope_for)
            if refusal == Refusal.LOGIN:
                return login_redirect(request)
            if refusal == Refusal.NO_ACCESS:
                return no_access(request)
            if refusal == Refusal.ENROLL:
                return enroll_redirect(request)
            if refusal == Refusal.REAUTHENTICATE:
                logout(request)
                return login_redirect(request)
            setattr(request, attr, scope)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class MFASessionAuth(SessionAuth):
    """Session auth (CSRF on writes) for a staff API: 401 unsigned, 403 without a role, TOTP or its use.

    Sets ``request.<attr>`` to the caller's scope.
    """

    def __init__(
        self,
        scope_for: ScopeFor,
        *,
        attr: str,
        no_access_message: str,
        mfa_message: str,
        login_message: str = "请先登录",
        csrf: bool = True,
    ) -> None:
        super().__init__(csrf=csrf)
        self.scope_for = scope_for
        self.attr = attr
        self.no_access_message = no_access_message
        self.mfa_message = mfa_message
        self.login_message = login_message

    def authenticate(self, request, key):
        scope, refusal = check_access(request, self.scope_for)
        if refusal == Refusal.LOGIN:
            raise HttpError(401, self.login_message)
        if refusal == Refusal.NO_ACCESS:
            raise HttpError(403, self.no_access_message)
        if refusal is not None:
            raise HttpError(403, self.mfa_message)
        setattr(request, self.attr, scope)
        return request.user


def needs_mfa(user) -> bool:
    """Who must keep a TOTP: back-office people (members, unit contacts, federation staff) and holders of an
    active aid role (casework staff, social workers, the regulator's aid role)."""
    from gongyi.aid.selectors import needs_aid_mfa
    from gongyi.backoffice.selectors import needs_office_mfa

    return needs_office_mfa(user) or needs_aid_mfa(user)
