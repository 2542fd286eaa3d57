"""Who gets into the back office: signed in, a member (or federation staff), TOTP enrolled and used.

``office_view`` wraps every page, ``OfficeAuth`` every API operation; both put the caller's ``OfficeScope`` on
``request.office_scope`` for the selectors. The checks themselves are shared with aid casework and live in
``gongyi.core.mfa`` (see its docstring): allauth's login stages already ask for the TOTP code at every
sign-in once it is enrolled; this also refuses a session that signed in before the authenticator existed
and never used it (someone else's session with the same password).
"""

from __future__ import annotations

from django.shortcuts import render

from gongyi.backoffice.selectors import OfficeScope, scope_for
from gongyi.core.mfa import (  # noqa: F401 - re-exported: the back office's names for the shared checks
    AUTH_RECORDS_SESSION_KEY,
    MFASessionAuth,
    Refusal,
    mfa_page,
    session_passed_mfa,
    totp_of,
)
from gongyi.core.mfa import check_access as _check_access


def check_access(request) -> tuple[OfficeScope | None, str | None]:
    return _check_access(request, scope_for)


def _no_access(request):
    return render(request, "backoffice/no_access.html", status=403)


office_view = mfa_page(scope_for, no_access=_no_access, attr="office_scope")
"""Decorate a back-office page: see the module docstring. Sets ``request.office_scope``."""


class OfficeAuth(MFASessionAuth):
    """Session auth (with CSRF on writes) for ``/api/v1/office``: 401 unsigned, 403 without access or TOTP."""

    def __init__(self, csrf: bool = True) -> None:
        super().__init__(
            scope_for,
            attr="office_scope",
            no_access_message="没有机构后台权限",
            mfa_message="机构后台需要两步验证：请先在网页上启用并使用身份验证器登录",
            csrf=csrf,
        )


office_auth = OfficeAuth()
