"""Field encryption and blind indexes for aid casework (pure: imports nothing from Django).

Text values are sealed as ``v1:<key_id>:<base64url(nonce || ciphertext || tag)>`` with AES-256-GCM and a
96-bit random nonce. The associated data (AAD) binds a value to where it lives (model, field, row), so a
ciphertext copied into another column or row fails to open. The key id in the token says which key of the
keyring opens it; new values are always sealed under the primary key, and re-sealing under the primary
key is how keys are rotated. Files are sealed the same way in a small binary envelope.

Any failure to open — unknown key id, malformed token, wrong AAD, tampering — raises ``DecryptionError``;
nothing here ever returns a ciphertext in place of a plaintext.

A blind index is HMAC-SHA256 of a normalised value under a separate key, with a purpose label, so equal
values (the same ID number, the same invoice) can be found without decrypting anything. It leaks equality
and, since ID numbers have little entropy, a leaked index key allows brute force: keep it apart from the
encryption keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TOKEN_VERSION = "v1"  # noqa: S105 - a format tag, not a secret
FILE_MAGIC = b"GYA1"
NONCE_BYTES = 12
KEY_BYTES = 32
KEY_ID_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
BLIND_INDEX_HEX = 32  # 128 bits of the HMAC: collisions are negligible, less is stored


class KeyConfigError(ValueError):
    """The keyring is missing a key, or a key is not 32 bytes of base64, or a key id is malformed."""


class DecryptionError(ValueError):
    """A sealed value could not be opened (unknown key, malformed, tampered with, or moved)."""


def _b64decode(text: str) -> bytes:
    text = text.strip()
    padded = text + "=" * (-len(text) % 4)
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyConfigError("不是有效的 base64") from exc


def decode_key(text: str, *, name: str) -> bytes:
    """Base64 (standard or URL-safe) of exactly 32 bytes → bytes; anything else raises KeyConfigError."""
    try:
        raw = _b64decode(text)
    except KeyConfigError:
        raise KeyConfigError(f"{name}: 不是有效的 base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyConfigError(f"{name}: 密钥须为32字节（base64 解码后为 {len(raw)} 字节）")
    return raw


def encode_key(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def generate_key() -> bytes:
    return os.urandom(KEY_BYTES)


@dataclass(frozen=True)
class Keyring:
    """Encryption keys by id, the id new values are sealed under, and the blind-index key."""

    keys: Mapping[str, bytes]
    primary_key_id: str
    blind_index_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyConfigError("没有任何加密密钥")
        for key_id, key in self.keys.items():
            if not KEY_ID_FORMAT.match(key_id):
                raise KeyConfigError(f"密钥编号 {key_id!r} 只能包含字母、数字、- 和 _（1–32 个字符）")
            if len(key) != KEY_BYTES:
                raise KeyConfigError(f"密钥 {key_id} 须为32字节")
        if self.primary_key_id not in self.keys:
            raise KeyConfigError(f"主密钥编号 {self.primary_key_id!r} 不在密钥列表中")
        if len(self.blind_index_key) < KEY_BYTES:
            raise KeyConfigError("盲索引密钥须至少32字节")
        if any(hmac.compare_digest(self.blind_index_key, key) for key in self.keys.values()):
            raise KeyConfigError("盲索引密钥不能与加密密钥相同")

    def __repr__(self) -> str:  # never print key material
        return f"Keyring(key_ids={sorted(self.keys)}, primary_key_id={self.primary_key_id!r})"

    @classmethod
    def from_texts(cls, *, keys_json: str, primary_key_id: str, blind_index_key: str) -> Keyring:
        """Build from the three environment texts; say exactly which one is wrong."""
        try:
            parsed = json.loads(keys_json)
        except json.JSONDecodeError as exc:
            raise KeyConfigError(f"GONGYI_AID_KEYS 不是有效的 JSON：{exc.msg}") from None
        if not isinstance(parsed, dict) or not parsed:
            raise KeyConfigError('GONGYI_AID_KEYS 须为 JSON 对象 {"密钥编号": "base64密钥"}')
        keys = {}
        for key_id, text in parsed.items():
            if not isinstance(text, str):
                raise KeyConfigError(f"GONGYI_AID_KEYS[{key_id}] 须为 base64 字符串")
            keys[str(key_id)] = decode_key(text, name=f"GONGYI_AID_KEYS[{key_id}]")
        primary_key_id = primary_key_id.strip()
        if not primary_key_id:
            raise KeyConfigError("GONGYI_AID_PRIMARY_KEY_ID 未设置")
        if primary_key_id not in keys:
            raise KeyConfigError(f"GONGYI_AID_PRIMARY_KEY_ID={primary_key_id!r} 不在 GONGYI_AID_KEYS 中")
        return cls(
            keys=keys,
            primary_key_id=primary_key_id,
            blind_index_key=decode_key(blind_index_key, name="GONGYI_AID_BLIND_INDEX_KEY"),
        )


def _aead(keyring: Keyring, key_id: str) -> AESGCM:
    key = keyring.keys.get(key_id)
    if key is None:
        raise DecryptionError(f"未知的密钥编号 {key_id!r}")
    return AESGCM(key)


def seal_text(keyring: Keyring, plaintext: str, *, aad: str) -> str:
    """Encrypt under the primary key; the token names the key."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(keyring.keys[keyring.primary_key_id]).encrypt(nonce, plaintext.encode("utf-8"), aad.encode("utf-8"))
    body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
    return f"{TOKEN_VERSION}:{keyring.primary_key_id}:{body}"


def token_key_id(token: str) -> str:
    """The key id a token was sealed under; DecryptionError if it is not a token."""
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != TOKEN_VERSION or not KEY_ID_FORMAT.match(parts[1]):
        raise DecryptionError("不是加密字段的密文格式")
    return parts[1]


def open_text(keyring: Keyring, token: str, *, aad: str) -> str:
    """Decrypt a token; raise DecryptionError on anything but a clean open."""
    key_id = token_key_id(token)
    body = token.split(":", 2)[2]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("密文不是有效的 base64") from exc
    if len(raw) < NONCE_BYTES + 16:
        raise DecryptionError("密文过短")
    try:
        plain = _aead(keyring, key_id).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad.encode("utf-8"))
    except InvalidTag as exc:
        raise DecryptionError("密文校验失败（密钥不符、数据被篡改或被移动）") from exc
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError as exc:  # pragma: no cover - only with a forged yet authentic token
        raise DecryptionError("解密结果不是 UTF-8 文本") from exc


def reseal_text(keyring: Keyring, token: str, *, aad: str) -> str | None:
    """The token sealed under the primary key, or None when it already is."""
    if token_key_id(token) == keyring.primary_key_id:
        return None
    return seal_text(keyring, open_text(keyring, token, aad=aad), aad=aad)


def seal_bytes(keyring: Keyring, data: bytes, *, aad: str) -> bytes:
    """Encrypt a file: ``GYA1`` | key id length (1 byte) | key id | nonce | ciphertext and tag."""
    key_id = keyring.primary_key_id.encode("ascii")
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(keyring.keys[keyring.primary_key_id]).encrypt(nonce, data, aad.encode("utf-8"))
    return FILE_MAGIC + bytes([len(key_id)]) + key_id + nonce + sealed


def blob_key_id(blob: bytes) -> str:
    if not blob.startswith(FILE_MAGIC) or len(blob) < len(FILE_MAGIC) + 1:
        raise DecryptionError("不是加密文件")
    length = blob[len(FILE_MAGIC)]
    key_id = blob[len(FILE_MAGIC) + 1 : len(FILE_MAGIC) + 1 + length]
    try:
        text = key_id.decode("ascii")
    except UnicodeDecodeError as exc:
        raise DecryptionError("加密文件的密钥编号无效") from exc
    if not KEY_ID_FORMAT.match(text):
        raise DecryptionError("加密文件的密钥编号无效")
    return text


def open_bytes(keyring: Keyring, blob: bytes, *, aad: str) -> bytes:
    key_id = blob_key_id(blob)
    start = len(FILE_MAGIC) + 1 + len(key_id)
    nonce, sealed = blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]
    if len(nonce) != NONCE_BYTES or len(sealed) < 16:
        raise DecryptionError("加密文件过短")
    try:
        return _aead(keyring, key_id).decrypt(nonce, sealed, aad.encode("utf-8"))
    except InvalidTag as exc:
        raise DecryptionError("加密文件校验失败（密钥不符、数据被篡改或被移动）") from exc


def blind_index(keyring: Keyring, purpose: str, normalized: str) -> str:
    """HMAC-SHA256(blind-index key, ``<purpose>:v1:<normalized>``), first 128 bits in hex."""
    message = f"{purpose}:v1:{normalized}".encode()
    return hmac.new(keyring.blind_index_key, message, hashlib.sha256).hexdigest()[:BLIND_INDEX_HEX]


def normalize_invoice(code: str, number: str) -> str:
    """票据代码 and 票据号码 without spaces or dashes, upper-case, joined by ``/``."""

    def clean(text: str) -> str:
        return re.sub(r"[\s\-－—]", "", text or "").upper()

    return f"{clean(code)}/{clean(number)}"
