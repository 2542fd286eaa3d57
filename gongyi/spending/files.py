"""Serving vouchers and report attachments through our own views (never MEDIA_URL)."""

from __future__ import annotations

from io import BytesIO

from django.http import FileResponse, HttpResponse
from PIL import Image, ImageOps

PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def image_without_metadata(fieldfile, content_type: str) -> bytes:
    """Re-encode only the pixels (upright), so EXIF GPS positions, camera serials and comments never leave."""
    with fieldfile.open("rb") as handle:
        image = Image.open(handle)
        image.load()
    image = ImageOps.exif_transpose(image)
    fmt = PIL_FORMATS[content_type]
    if fmt == "JPEG":
        mode = "L" if image.mode == "L" else "RGB"
    else:
        mode = image.mode if image.mode in ("RGB", "RGBA", "L", "LA") else "RGBA"
    if image.mode != mode:
        image = image.convert(mode)
    clean = Image.frombytes(mode, image.size, image.tobytes())
    out = BytesIO()
    clean.save(out, fmt, **({"quality": 90} if fmt in ("JPEG", "WEBP") else {}))
    return out.getvalue()


def file_response(fieldfile, content_type: str, *, name: str, public: bool) -> HttpResponse:
    """The file inline, with its checked content type; images of public responses lose their metadata."""
    filename = f"{name}.{EXTENSIONS.get(content_type, 'bin')}"
    if public and content_type in PIL_FORMATS:
        response = HttpResponse(image_without_metadata(fieldfile, content_type), content_type=content_type)
    else:
        response = FileResponse(fieldfile.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    return response
