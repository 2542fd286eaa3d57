"""allauth.mfa adapter: back-office people may not remove their TOTP authenticator."""

from __future__ import annotations

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator


class OfficeMFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        from gongyi.backoffice.selectors import needs_office_mfa

        if authenticator.type == Authenticator.Type.TOTP and needs_office_mfa(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)
