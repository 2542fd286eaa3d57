"""Checking uploaded vouchers and report attachments: type by content and name, size (pure)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# extension → content type; the content must agree with the extension.
ALLOWED = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}


class UploadRefused(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    extension: str
    size_bytes: int
    sha256: str


def sniff(head: bytes) -> str | None:
    """The content type the first bytes announce, among the allowed ones."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_upload(upload, *, field: str = "file") -> CheckedUpload:
    """Refuse a file that is empty, over 10 MB, or not a PDF, JPEG, PNG or WebP by both name and content."""
    name = getattr(upload, "name", "") or ""
    extension = PurePosixPath(name).suffix.lower()
    if extension not in ALLOWED:
        raise UploadRefused(field, "只接受 PDF、JPG、PNG、WebP 文件")
    size = getattr(upload, "size", None)
    if size is None:
        raise UploadRefused(field, "无法读取文件大小")
    if size <= 0:
        raise UploadRefused(field, "文件为空")
    if size > MAX_UPLOAD_BYTES:
        raise UploadRefused(field, "文件不能超过 10 MB")
    upload.seek(0)
    digest = hashlib.sha256()
    head = b""
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b""):
        if len(head) < 16:
            head += chunk[: 16 - len(head)]
        digest.update(chunk)
    upload.seek(0)
    detected = sniff(head)
    if detected is None:
        raise UploadRefused(field, "文件内容不是 PDF、JPG、PNG 或 WebP")
    if detected != ALLOWED[extension]:
        raise UploadRefused(field, "文件扩展名与内容不符")
    return CheckedUpload(content_type=detected, extension=extension, size_bytes=size, sha256=digest.hexdigest())
