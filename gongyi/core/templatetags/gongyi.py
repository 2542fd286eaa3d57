from django import template

from gongyi.core.money import format_yuan

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """Fen as ¥ with two decimals."""
    try:
        return format_yuan(int(fen))
    except (TypeError, ValueError):
        return ""


@register.filter
def yuan_plain(fen) -> str:
    try:
        return format_yuan(int(fen), symbol=False)
    except (TypeError, ValueError):
        return ""
