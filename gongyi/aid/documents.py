"""Uploaded documents: checked by name and content, stored encrypted, opened only through ``access``.

Files are sealed with the aid keyring (AAD ``gongyi.aid/document/<uid>``) and written under
``<MEDIA_ROOT>/aid/<yyyy>/<random>.bin`` — a name that says nothing about the person. They are never
served by the static/media server; ``access.open_document`` logs the read and decrypts.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from gongyi.aid import crypto
from gongyi.aid.keys import current_keyring

MAX_BYTES = 10 * 1024 * 1024
ALLOWED = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}


class UploadRefused(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes
    content_type: str
    name: str


def sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_upload(upload) -> CheckedUpload:
    """Refuse a file that is empty, over 10 MB, or not a PDF, JPEG, PNG or WebP by both name and content."""
    name = (getattr(upload, "name", "") or "")[-200:]
    extension = PurePosixPath(name).suffix.lower()
    if extension not in ALLOWED:
        raise UploadRefused("只接受 PDF、JPG、PNG、WebP 文件")
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise UploadRefused("文件不能超过 10 MB")
    upload.seek(0)
    content = upload.read(MAX_BYTES + 1)
    if not content:
        raise UploadRefused("文件为空")
    if len(content) > MAX_BYTES:
        raise UploadRefused("文件不能超过 10 MB")
    detected = sniff(content[:16])
    if detected is None:
        raise UploadRefused("文件内容不是 PDF、JPG、PNG 或 WebP")
    if detected != ALLOWED[extension]:
        raise UploadRefused("文件扩展名与内容不符")
    return CheckedUpload(content=content, content_type=detected, name=name)


def document_aad(uid) -> str:
    return f"gongyi.aid/document/{uid}"


def store_sealed(uid, content: bytes) -> tuple[str, str]:
    """Encrypt and store; return (storage name, key id)."""
    keyring = current_keyring()
    blob = crypto.seal_bytes(keyring, content, aad=document_aad(uid))
    name = f"aid/{timezone.now():%Y}/{secrets.token_hex(16)}.bin"
    return default_storage.save(name, ContentFile(blob)), keyring.primary_key_id


def read_document(document) -> bytes:
    """Decrypt a stored document (callers log the access first)."""
    with default_storage.open(document.storage_name, "rb") as handle:
        blob = handle.read()
    return crypto.open_bytes(current_keyring(), blob, aad=document_aad(document.uid))


def reseal_document(document, keyring: crypto.Keyring) -> str | None:
    """Re-encrypt a stored document under the primary key in place; the new key id, or None if current."""
    with default_storage.open(document.storage_name, "rb") as handle:
        blob = handle.read()
    if crypto.blob_key_id(blob) == keyring.primary_key_id:
        return None
    content = crypto.open_bytes(keyring, blob, aad=document_aad(document.uid))
    fresh = crypto.seal_bytes(keyring, content, aad=document_aad(document.uid))
    path = default_storage.path(document.storage_name)
    temporary = f"{path}.rotating"
    with open(temporary, "wb") as handle:
        handle.write(fresh)
    os.replace(temporary, path)
    return keyring.primary_key_id


def delete_document_file(document) -> None:
    if document.storage_name and default_storage.exists(document.storage_name):
        default_storage.delete(document.storage_name)
