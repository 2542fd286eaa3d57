"""Typed settings read from the environment, in one place.

Demo mode (the default) works with no environment at all: it keeps its data, a generated secret key and
a generated sandbox key under the data directory. Production mode (``GONGYI_ENV=production``) refuses to
start without its secrets.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

REPO_ROOT = Path(__file__).resolve().parent.parent


def _flag(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _persisted_secret(data_dir: Path, name: str) -> str:
    """Return a random secret kept in the data directory, made on first use (demo mode only)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / name
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    # O_EXCL so two processes starting together agree on one value.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


@dataclass(frozen=True)
class Config:
    production: bool
    debug: bool
    data_dir: Path
    secret_key: str
    database_url: str
    allowed_hosts: list[str]
    sandbox_enabled: bool
    sandbox_key: str
    public_base_url: str
    huey_immediate: bool
    redis_url: str = ""

    @classmethod
    def from_environment(cls) -> Config:
        production = os.environ.get("GONGYI_ENV", "demo").strip().lower() == "production"
        data_dir = Path(os.environ.get("GONGYI_DATA_DIR") or (REPO_ROOT / "var")).resolve()

        secret_key = os.environ.get("GONGYI_SECRET_KEY", "")
        if not secret_key:
            if production:
                raise ImproperlyConfigured("GONGYI_SECRET_KEY must be set when GONGYI_ENV=production")
            secret_key = _persisted_secret(data_dir, "secret_key")

        sandbox_enabled = _flag("GONGYI_SANDBOX_ENABLED", default=not production)
        sandbox_key = os.environ.get("GONGYI_SANDBOX_KEY", "")
        if sandbox_enabled and not sandbox_key:
            if production:
                raise ImproperlyConfigured(
                    "GONGYI_SANDBOX_KEY must be set when the sandbox gateway is enabled"
                )
            sandbox_key = _persisted_secret(data_dir, "sandbox_key")

        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'gongyi.sqlite3'}"
        hosts = os.environ.get("GONGYI_ALLOWED_HOSTS", "" if production else "*")
        return cls(
            production=production,
            debug=_flag("GONGYI_DEBUG"),
            data_dir=data_dir,
            secret_key=secret_key,
            database_url=database_url,
            allowed_hosts=[h.strip() for h in hosts.split(",") if h.strip()],
            sandbox_enabled=sandbox_enabled,
            sandbox_key=sandbox_key,
            public_base_url=os.environ.get("GONGYI_PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            huey_immediate=_flag("GONGYI_HUEY_IMMEDIATE"),
            redis_url=os.environ.get("GONGYI_REDIS_URL", "").strip(),
        )
