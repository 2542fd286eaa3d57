"""Sealing a complainant's name and contact (AES-256-GCM), and the masked hint staff lists may show.

Keys, read at call time: ``GONGYI_COMPLAINT_CONTACT_KEY`` (base64 of 32 bytes) when set, else a key derived
with HKDF-SHA256 from ``SECRET_KEY``; keys derived from ``SECRET_KEY_FALLBACKS`` still open old values, so a
secret-key rotation keeps contacts readable while the old key is a fallback. A token is
``c1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>``; the associated data binds it to one complaint and one
field, so a token copied elsewhere does not open.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from gongyi.core.masking import mask_name, mask_phone

ENV_KEY = "GONGYI_COMPLAINT_CONTACT_KEY"
PREFIX = "c1"
HKDF_INFO = b"gongyi.oversight.complaint-contact.v1"


class ContactUnreadable(ValueError):
    """A token no configured key opens (unknown key, tampered, or moved to another row)."""


def _derive(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret.encode())


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"key-id:" + key).hexdigest()[:8]


def _keys() -> list[bytes]:
    """The sealing key first, then every key that may still open older tokens."""
    keys: list[bytes] = []
    configured = os.environ.get(ENV_KEY, "").strip()
    if configured:
        try:
            raw = base64.b64decode(configured, validate=True)
        except ValueError:
            raise ImproperlyConfigured(f"{ENV_KEY} is not valid base64") from None
        if len(raw) != 32:
            raise ImproperlyConfigured(f"{ENV_KEY} must be 32 bytes (base64), got {len(raw)}")
        keys.append(raw)
    keys.append(_derive(settings.SECRET_KEY))
    keys.extend(_derive(old) for old in getattr(settings, "SECRET_KEY_FALLBACKS", []) or [])
    return keys


def seal(plaintext: str, *, aad: str) -> str:
    """Encrypt ``plaintext`` under the current key; an empty text stays empty."""
    if not plaintext:
        return ""
    key = _keys()[0]
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), aad.encode())
    return f"{PREFIX}:{_key_id(key)}:{base64.b64encode(nonce + sealed).decode()}"


def open_sealed(token: str, *, aad: str) -> str:
    """Decrypt a token made by ``seal``; raise ``ContactUnreadable`` rather than return anything wrong."""
    if not token:
        return ""
    try:
        prefix, key_id, body = token.split(":", 2)
        blob = base64.b64decode(body, validate=True)
    except ValueError:
        raise ContactUnreadable("not a sealed value") from None
    if prefix != PREFIX or len(blob) < 12 + 16:
        raise ContactUnreadable("not a sealed value")
    for key in _keys():
        if _key_id(key) == key_id:
            try:
                return AESGCM(key).decrypt(blob[:12], blob[12:], aad.encode()).decode()
            except Exception:
                raise ContactUnreadable("tampered, or sealed for another record") from None
    raise ContactUnreadable(f"no key {key_id} configured")


def aad_for(tracking_number: str, field: str) -> str:
    return f"gongyi.oversight/complaint.{field}/{tracking_number}"


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def contact_hint(contact: str) -> str:
    """A masked form for lists: ``138****1234``, ``w***@example.com``, otherwise the first character."""
    contact = contact.strip()
    if not contact:
        return ""
    if EMAIL.match(contact):
        local, domain = contact.split("@", 1)
        return f"{local[0]}***@{domain}"[:40]
    digits = "".join(ch for ch in contact if ch.isdigit())
    if len(digits) >= 7 and len(digits) >= len(contact.replace(" ", "").replace("-", "")) - 1:
        return mask_phone(contact)
    return mask_name(contact)[:40]
