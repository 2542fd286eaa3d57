"""``{% gift_log_proof gift %}``: the gift's records in the public log, for the certificate page."""

from __future__ import annotations

from django import template

from gongyi.ledger.translog import keys, selectors

register = template.Library()


@register.inclusion_tag("translog/_gift_proof_panel.html")
def gift_log_proof(gift):
    view = selectors.gift_log_view(gift)
    return {
        "gift": gift,
        "view": view,
        "checkpoint": view.checkpoint,
        "key": keys.public_key_info() if view.checkpoint else None,
    }
