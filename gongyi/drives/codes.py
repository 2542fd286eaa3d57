"""Unit codes (单位代码): five random characters and a check character (pure; no Django).

The alphabet keeps one of each pair people confuse when they read a poster or type a code (no 0, 1, I, O,
S, V, Z), which leaves 29 characters — a prime, so the weighted check character catches every single wrong
character and every swap of two characters of the body.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRTUWXY"
BASE = len(ALPHABET)  # 29
BODY_LENGTH = 5
CODE_LENGTH = BODY_LENGTH + 1
# Weights 2..6 for the body, 1 for the check character; all differ mod 29.
WEIGHTS = tuple(range(2, 2 + BODY_LENGTH))


def normalize_code(text: str | None) -> str:
    """Upper-case and drop spaces and dashes: ' k7m-3qx ' → 'K7M3QX'."""
    return "".join(ch for ch in (text or "").upper() if ch not in " -\u3000\t")


def check_character(body: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(body, WEIGHTS, strict=True))
    return ALPHABET[(-total) % BASE]


def is_valid_code(text: str | None) -> bool:
    """True when the text is six alphabet characters whose last is the right check character."""
    code = normalize_code(text)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return False
    return check_character(code[:BODY_LENGTH]) == code[BODY_LENGTH]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_character(body)
