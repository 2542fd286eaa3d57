"""The regulator reads everything and changes nothing: every unsafe request of a read-only user is refused.

``RegulatorReadOnlyMiddleware`` answers 403 to any POST, PUT, PATCH or DELETE — pages, the API, the admin,
allauth — from a signed-in user who is the regulator and not federation staff (``gongyi.core.roles``),
before anything after it in ``MIDDLEWARE`` or any view runs, so nothing can be written whatever the view
would do. Pages get a short page saying
why; ``/api/`` gets the API's JSON error shape.

Exempt (by URL name, so a moved path keeps its exemption):

* signing out: ``admin:logout``, ``account_logout`` (allauth), ``aid-logout``;
* the language switch: ``set_language``;
* enrolling one's own second factor, which aid casework requires of the regulator's aid role
  (``gongyi.core.mfa``): allauth's ``account_reauthenticate``, ``mfa_reauthenticate`` (the password or code
  asked again first) and ``mfa_activate_totp`` — they write only the user's own authenticator;
* audited reads of the aid app, which are POSTs only so that the reason for reading can be given and the
  read written to the aid access log — the only row they write: ``aid-case-reveal``,
  ``aid-case-document-open`` and the API's ``case_personal`` (``POST /api/v1/aid/cases/{n}/personal``).
  The aid app itself allows the regulator nothing else.

Install it after ``AuthenticationMiddleware`` (it needs ``request.user``).
"""

from __future__ import annotations

import logging

from django.http import HttpResponseForbidden, JsonResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve

from gongyi.core.roles import is_read_only

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
MESSAGE = "监管账户为只读账户，不能提交、修改或删除任何数据。"

SIGN_OUT = frozenset({"admin:logout", "account_logout", "aid-logout"})
LANGUAGE_SWITCH = frozenset({"set_language"})
OWN_SECOND_FACTOR = frozenset({"account_reauthenticate", "mfa_reauthenticate", "mfa_activate_totp"})
AUDITED_READS = frozenset(
    {
        "aid-case-reveal",
        "aid-case-document-open",
        # ninja names each path after its first view; the aid router is mounted in one of these namespaces.
        "api-v1:case_personal",
        "api-v1-aid:case_personal",
    }
)
EXEMPT_VIEW_NAMES = SIGN_OUT | LANGUAGE_SWITCH | OWN_SECOND_FACTOR | AUDITED_READS


def is_exempt(resolver_match) -> bool:
    return resolver_match is not None and resolver_match.view_name in EXEMPT_VIEW_NAMES


def refusal(request):
    """The 403 a read-only user gets for an unsafe request."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"message": MESSAGE, "errors": [{"field": "user", "message": MESSAGE}]}, status=403)
    body = render_to_string("oversight/read_only.html", {"message": MESSAGE}, request=request)
    return HttpResponseForbidden(body)


class RegulatorReadOnlyMiddleware:
    """Refuse every unsafe request of a regulator-only user (see the module docstring for the exemptions)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in SAFE_METHODS and self._refused(request):
            return refusal(request)
        return self.get_response(request)

    def _refused(self, request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not is_read_only(user):
            return False
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            match = None  # nothing there; refused all the same
        if is_exempt(match):
            return False
        logger.warning("read-only user %s refused: %s %s", user.pk, request.method, request.path_info)
        return True
