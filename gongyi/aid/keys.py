"""Where the aid keyring comes from: the environment, or (demo only) files in the data directory.

Read at call time, never at import time. Production (``GONGYI_ENV=production``) needs all three of
``GONGYI_AID_KEYS`` (JSON ``{key_id: base64 of 32 bytes}``), ``GONGYI_AID_PRIMARY_KEY_ID`` and
``GONGYI_AID_BLIND_INDEX_KEY``; without them the aid app refuses to start (``AidConfig.ready``) and every
use raises ``ImproperlyConfigured``. In demo mode, when none of them is set, a keyring is generated once
and kept in ``<DATA_DIR>/aid_keys.json`` (mode 0600), like the demo's secret key.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from gongyi.aid.crypto import KeyConfigError, Keyring, encode_key, generate_key

ENV_KEYS = "GONGYI_AID_KEYS"
ENV_PRIMARY = "GONGYI_AID_PRIMARY_KEY_ID"
ENV_BLIND_INDEX = "GONGYI_AID_BLIND_INDEX_KEY"
DEMO_KEYRING_FILE = "aid_keys.json"


def _production() -> bool:
    config = getattr(settings, "CONFIG", None)
    return bool(getattr(config, "production", False))


def demo_keyring_path() -> Path:
    return Path(settings.GONGYI["DATA_DIR"]) / DEMO_KEYRING_FILE


@lru_cache(maxsize=8)
def _from_environment(keys_json: str, primary: str, blind_index: str) -> Keyring:
    return Keyring.from_texts(keys_json=keys_json, primary_key_id=primary, blind_index_key=blind_index)


@lru_cache(maxsize=8)
def _from_file(path: str, mtime_ns: int, size: int) -> Keyring:
    data = json.loads(Path(path).read_text())
    return Keyring.from_texts(
        keys_json=json.dumps(data["keys"]),
        primary_key_id=data["primary_key_id"],
        blind_index_key=data["blind_index_key"],
    )


def _write_demo_keyring(path: Path, data: dict, *, exclusive: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, sort_keys=True)
    if exclusive:
        # O_EXCL so two processes starting together agree on one keyring.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        return
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)


def _demo_keyring() -> Keyring:
    path = demo_keyring_path()
    if not path.exists():
        data = {
            "primary_key_id": "demo1",
            "keys": {"demo1": encode_key(generate_key())},
            "blind_index_key": encode_key(generate_key()),
        }
        try:
            _write_demo_keyring(path, data, exclusive=True)
        except FileExistsError:
            pass
    stat = path.stat()
    return _from_file(str(path), stat.st_mtime_ns, stat.st_size)


def current_keyring() -> Keyring:
    """The keyring in force now; ImproperlyConfigured (with what to set) when there is none."""
    keys_json = os.environ.get(ENV_KEYS, "")
    primary = os.environ.get(ENV_PRIMARY, "")
    blind_index = os.environ.get(ENV_BLIND_INDEX, "")
    if keys_json or primary or blind_index:
        missing = [
            name
            for name, value in ((ENV_KEYS, keys_json), (ENV_PRIMARY, primary), (ENV_BLIND_INDEX, blind_index))
            if not value
        ]
        if missing:
            raise ImproperlyConfigured(f"救助模块密钥配置不完整：缺少 {', '.join(missing)}")
        try:
            return _from_environment(keys_json, primary, blind_index)
        except KeyConfigError as exc:
            raise ImproperlyConfigured(f"救助模块密钥配置错误：{exc}") from None
    if _production():
        raise ImproperlyConfigured(
            f"生产环境须设置 {ENV_KEYS}（JSON：{{密钥编号: 32字节base64}}）、{ENV_PRIMARY} 和 {ENV_BLIND_INDEX}，"
            "否则救助模块不能启动（见 docs/aid.md）"
        )
    try:
        return _demo_keyring()
    except (KeyConfigError, KeyError, ValueError) as exc:
        raise ImproperlyConfigured(f"演示密钥文件 {demo_keyring_path()} 无法读取：{exc}") from None


def add_demo_primary_key() -> str:
    """Demo mode only: add a new key to the persisted keyring and make it primary; return its id."""
    if _production() or os.environ.get(ENV_KEYS):
        raise ImproperlyConfigured(
            f"密钥来自环境变量：请在 {ENV_KEYS} 中加入新密钥并把 {ENV_PRIMARY} 改为其编号，再运行 rotate_aid_keys"
        )
    _demo_keyring()
    path = demo_keyring_path()
    data = json.loads(path.read_text())
    number = 1 + max(int(k[4:]) for k in data["keys"] if k.startswith("demo") and k[4:].isdigit())
    key_id = f"demo{number}"
    data["keys"][key_id] = encode_key(generate_key())
    data["primary_key_id"] = key_id
    _write_demo_keyring(path, data, exclusive=False)
    return key_id
