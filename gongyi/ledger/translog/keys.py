"""The log's secrets and name: the Ed25519 signing key, the salt of donor hashes, the origin.

Read at call time, never at import. In production (``GONGYI_ENV=production``) the key and the salt
must come from the environment; in demo mode they are generated once and kept in the data
directory, like the secret key (``gongyi.config``).

- ``GONGYI_LOG_SIGNING_KEY``: a path to a PKCS#8 PEM file, or the key itself (PEM text, or the raw
  32-byte seed as base64 or hex). Demo: ``<data dir>/log_signing_key.pem``.
- ``GONGYI_LOG_SALT``: any long random text. Demo: ``<data dir>/log_salt``.
- ``GONGYI_LOG_ORIGIN``: the log's name in checkpoints; default ``<host of GONGYI_PUBLIC_BASE_URL>/log``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import merkle

SIGNING_KEY_ENV = "GONGYI_LOG_SIGNING_KEY"
SALT_ENV = "GONGYI_LOG_SALT"
ORIGIN_ENV = "GONGYI_LOG_ORIGIN"
SIGNING_KEY_FILE = "log_signing_key.pem"
SALT_FILE = "log_salt"


def is_production() -> bool:
    config = getattr(settings, "CONFIG", None)
    return bool(getattr(config, "production", False))


def _data_dir() -> Path:
    return Path(settings.GONGYI["DATA_DIR"])


def _persisted(path: Path, make: Callable[[], bytes]) -> bytes:
    """Bytes kept in ``path``, made on first use; O_EXCL so two processes starting together agree."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(value)
    return value


def missing_production_secrets() -> list[str]:
    """Names of the log's secrets production needs but the environment lacks."""
    return [name for name in (SIGNING_KEY_ENV, SALT_ENV) if not os.environ.get(name, "").strip()]


# ---------------------------------------------------------------------------------------------
# salt and the hashes made with it


def log_salt() -> bytes:
    return _log_salt(os.environ.get(SALT_ENV, "").strip(), str(_data_dir()), is_production())


@lru_cache(maxsize=8)
def _log_salt(configured: str, data_dir: str, production: bool) -> bytes:
    if configured:
        return configured.encode()
    if production:
        raise ImproperlyConfigured(f"{SALT_ENV} must be set when GONGYI_ENV=production")
    return _persisted(Path(data_dir) / SALT_FILE, lambda: secrets.token_urlsafe(48).encode()).strip()


def donor_hash(donor_key: str) -> str:
    """HMAC-SHA256(salt, "donor:" + donor_key), hex: the same donor always gets the same pseudonym."""
    return hmac.new(log_salt(), b"donor:" + donor_key.encode(), hashlib.sha256).hexdigest()


def order_key(out_trade_no: str) -> bytes:
    """The per-order key that opens the order commitment; given only to the holder of the certificate."""
    return hmac.new(log_salt(), b"order-key:" + out_trade_no.encode(), hashlib.sha256).digest()


def order_commitment(out_trade_no: str) -> str:
    """HMAC-SHA256(order_key, out_trade_no), hex.

    The order number opens the order's certificate page, so the public log carries only this
    commitment; the certificate's proof bundle reveals the order's own key, which lets its holder
    check offline that the leaf is their gift without exposing any other order.
    """
    return hmac.new(order_key(out_trade_no), out_trade_no.encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------------------------
# the signing key


def signing_key():
    """The Ed25519 private key that signs checkpoints."""
    return _signing_key(os.environ.get(SIGNING_KEY_ENV, "").strip(), str(_data_dir()), is_production())


@lru_cache(maxsize=8)
def _signing_key(configured: str, data_dir: str, production: bool):
    if configured:
        path = Path(configured)
        try:
            is_file = len(configured) < 4096 and path.is_file()
        except OSError:
            is_file = False
        material: bytes | str = path.read_bytes() if is_file else configured
        try:
            return merkle.load_private_key(material)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{SIGNING_KEY_ENV}: {exc}") from exc
    if production:
        raise ImproperlyConfigured(f"{SIGNING_KEY_ENV} must be set when GONGYI_ENV=production")
    pem = _persisted(
        Path(data_dir) / SIGNING_KEY_FILE, lambda: merkle.private_key_to_pem(merkle.generate_private_key())
    )
    return merkle.load_private_key(pem)


def public_key():
    return signing_key().public_key()


# ---------------------------------------------------------------------------------------------
# the log's name


def log_origin() -> str:
    """The log's name in every checkpoint: ``GONGYI_LOG_ORIGIN``, else ``<public host>/log``."""
    configured = os.environ.get(ORIGIN_ENV, "").strip()
    if configured:
        return configured
    parts = urlsplit(settings.GONGYI["PUBLIC_BASE_URL"])
    host = parts.netloc or parts.path or "localhost"
    return f"{host}{parts.path.rstrip('/') if parts.netloc else ''}/log".replace(" ", "").replace("+", "")


def public_key_info() -> dict[str, str]:
    """Everything a verifier may want to pin: the raw key, PEM, the signed-note verifier key, key id."""
    key = public_key()
    origin = log_origin()
    return {
        "algorithm": "Ed25519",
        "origin": origin,
        "key_name": origin,
        "key_id": merkle.note_key_id(origin, key).hex(),
        "public_key": base64.b64encode(merkle.public_key_to_raw(key)).decode(),
        "public_key_hex": merkle.public_key_to_raw(key).hex(),
        "public_key_pem": merkle.public_key_to_pem(key).decode(),
        "verifier_key": merkle.note_verifier_key(origin, key),
    }
