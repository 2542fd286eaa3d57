"""Template helpers of the oversight pages: table cells, percentages, yuan from fen."""

from __future__ import annotations

from django import template

from gongyi.oversight.finance import percent, yuan

register = template.Library()


@register.simple_tag
def stat_cell(stats, subject: str, outcome: str) -> int:
    """The count of complaints about ``subject`` with ``outcome`` ("" = not yet replied)."""
    return stats.count(subject, outcome)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, 0) if mapping else 0


@register.filter
def lookup(mapping, key):
    """``mapping[key]``, or None."""
    return mapping.get(key) if mapping else None


@register.filter(name="bp_percent")
def bp_percent(value) -> str:
    """7143 → 71.43%."""
    return percent(value)


@register.filter(name="fen_yuan")
def fen_yuan(value) -> str:
    """123456 → ¥1,234.56 (negative amounts keep their sign)."""
    return "—" if value is None else yuan(int(value))
