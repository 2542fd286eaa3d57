"""Live matching inside ``confirm_payment`` (filled in with the pool models of the matching issue)."""

from __future__ import annotations


def match_confirmed_gift(*, gift) -> None:
    """Match a just-confirmed gift from its campaign's pool; campaigns without a pool match nothing."""
    return None
