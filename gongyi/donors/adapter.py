"""allauth adapters: where allauth asks us about phones, SMS and who may sign up.

The phone hooks (``set_phone``, ``get_phone``, ``set_phone_verified``, ``get_user_by_phone``) store the phone
on ``DonorProfile`` through the donors services; ``send_verification_code_sms`` hands the code to the
configured SMS sender. The signup form is closed: a donor's account is made when they first ask for a code
(``forms.PhoneLoginCodeForm``) or first sign in with WeChat (social signup stays open).
"""

from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib import messages

from gongyi.donors import selectors, services
from gongyi.donors.phones import masked, normalize_mobile
from gongyi.donors.wechat import silent

logger = logging.getLogger(__name__)


class DonorAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def phone_form_field(self, **kwargs):
        from gongyi.donors.forms import MobileField

        return MobileField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        normalized = normalize_mobile(phone)
        if normalized is None:
            raise _invalid()
        return normalized

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        from gongyi.donors.sms import get_sms_sender

        result = get_sms_sender().send_code(phone=phone, code=code)
        if not result.ok:
            logger.warning("sign-in code to %s not sent: %s", masked(phone), result.error_code)
            if self.request is not None:
                messages.error(self.request, "短信发送失败，请稍后重试。")

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        # Never reached for sign-in (an unknown phone gets a dormant account and a code); nothing to send.
        return None

    def send_account_already_exists_sms(self, phone: str) -> None:
        return None

    def set_phone(self, user, phone: str, verified: bool) -> None:
        services.set_phone(user=user, phone=phone, verified=verified)

    def get_phone(self, user):
        return selectors.phone_of(user)

    def set_phone_verified(self, user, phone: str) -> None:
        services.set_phone_verified(user=user, phone=phone)

    def get_user_by_phone(self, phone: str):
        return selectors.user_by_phone(phone)


def _invalid():
    from django import forms

    return forms.ValidationError("请输入正确的中国大陆手机号", code="invalid_mobile")


class DonorSocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return True

    def pre_social_login(self, request, sociallogin):
        # A silent try inside WeChat signs in an existing account only; an unknown openid just stays in the
        # session for JSAPI payments (see ``wechat.silent``).
        if silent.is_silent(sociallogin.state) and not sociallogin.is_existing:
            silent.remember_openid(request, sociallogin.account.uid)
            raise ImmediateHttpResponse(silent.back_to_page(request, sociallogin.state))

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        state = (extra_context or {}).get("state")
        if silent.is_silent(state):
            logger.info("silent WeChat sign-in did not complete: %s", error or exception)
            raise ImmediateHttpResponse(silent.back_to_page(request, state))
        super().on_authentication_error(request, provider, error, exception, extra_context)

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        services.ensure_profile(user=user, origin="wechat")
        return user
