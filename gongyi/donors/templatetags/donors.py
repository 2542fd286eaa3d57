"""Template helpers for sign-in pages: is WeChat sign-in offered, is the page open inside WeChat."""

from __future__ import annotations

from django import template

from gongyi.donors import selectors

register = template.Library()


@register.simple_tag
def wechat_login_available() -> bool:
    return selectors.wechat_login_available()


@register.simple_tag(takes_context=True)
def opened_in_wechat(context) -> bool:
    request = context.get("request")
    return bool(request is not None and selectors.in_wechat(request))
