"""Voucher files are checked by name and content, and by size (pure)."""

from __future__ import annotations

import hashlib

import pytest

from gongyi.spending.tests.helpers import pdf_bytes, png_bytes, upload
from gongyi.spending.uploads import MAX_UPLOAD_BYTES, UploadRefused, check_upload


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("a.pdf", pdf_bytes(), "application/pdf"),
        ("a.PNG", png_bytes(), "image/png"),
        ("a.jpg", png_bytes(fmt="JPEG"), "image/jpeg"),
        ("a.jpeg", png_bytes(fmt="JPEG"), "image/jpeg"),
        ("a.webp", png_bytes(fmt="WEBP"), "image/webp"),
    ],
)
def test_accepted_types(name, content, content_type):
    checked = check_upload(upload(name, content))
    assert checked.content_type == content_type
    assert checked.size_bytes == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.exe", b"MZ\x90\x00", "只接受"),
        ("a.svg", b"<svg/>", "只接受"),
        ("a.html", b"<html>", "只接受"),
        ("a.pdf", b"<html><script>alert(1)</script>", "内容不是"),
        ("a.png", pdf_bytes(), "不符"),
        ("a.pdf", b"", "为空"),
    ],
)
def test_refused_types(name, content, message):
    with pytest.raises(UploadRefused) as refused:
        check_upload(upload(name, content), field="file")
    assert refused.value.field == "file"
    assert message in refused.value.message


def test_size_limit_is_ten_megabytes():
    exact = pdf_bytes() + b"\0" * (MAX_UPLOAD_BYTES - len(pdf_bytes()))
    assert check_upload(upload("a.pdf", exact)).size_bytes == MAX_UPLOAD_BYTES
    with pytest.raises(UploadRefused, match="10 MB"):
        check_upload(upload("a.pdf", exact + b"\0"))
