"""allauth.mfa adapter: people who must sign in with TOTP may not remove their TOTP authenticator.

That is back-office people and holders of an active aid role (``gongyi.core.mfa.needs_mfa``).
"""

from __future__ import annotations

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator


class OfficeMFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        from gongyi.core.mfa import needs_mfa

        if authenticator.type == Authenticator.Type.TOTP and needs_mfa(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)
