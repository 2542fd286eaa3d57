"""Checks that Chinese text in our PDFs and PNGs really shows: no missing-glyph (.notdef) boxes.

Pure Python: the font's character map (reportlab's view of the file) and Pillow's rendering of each
character compared with the font's .notdef glyph; for PDFs, which font each text-showing operator uses.
``render_pdf_page`` uses poppler's ``pdftoppm`` when installed, to look at the result.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

from gongyi.core.fonts import cjk_font_path

NOT_IN_ANY_FONT = "\U000f0000"  # plane 15 private use: the font draws its .notdef glyph for it
ARTIFACTS = Path(settings.BASE_DIR).parent / "test-artifacts"


def _bitmap(font: ImageFont.FreeTypeFont, ch: str) -> bytes:
    image = Image.new("L", (64, 64), 0)
    ImageDraw.Draw(image).text((8, 4), ch, font=font, fill=255)
    return image.tobytes()


def missing_glyphs(texts: list[str]) -> set[str]:
    """Characters of ``texts`` the CJK font cannot draw: absent from its map, blank, or drawn as .notdef."""
    from reportlab.pdfbase.ttfonts import TTFont

    path = cjk_font_path()
    assert path, "no CJK font installed (apt-get install fonts-wqy-microhei)"
    face = TTFont("glyph-check", path, **({"subfontIndex": 0} if path.endswith(".ttc") else {})).face
    font = ImageFont.truetype(path, 40)
    notdef = _bitmap(font, NOT_IN_ANY_FONT)
    missing = set()
    for ch in set("".join(texts)):
        if ch.isspace():
            continue
        if ord(ch) not in face.charToGlyph:
            missing.add(ch)
        elif font.getmask(ch).getbbox() is None or _bitmap(font, ch) == notdef:
            missing.add(ch)
    return missing


def _objects(pdf: bytes) -> dict[int, bytes]:
    return {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S)}


def _streams(pdf: bytes) -> list[bytes]:
    """Every stream of the PDF, decoded (reportlab writes ASCII85 then Flate for page content)."""
    out = []
    for body in _objects(pdf).values():
        if b"stream" not in body:
            continue
        header, _, rest = body.partition(b"stream")
        data = rest.lstrip(b"\r\n").rpartition(b"endstream")[0].rstrip(b"\r\n")
        try:
            if b"/ASCII85Decode" in header:
                data = base64.a85decode(data.strip().removesuffix(b"~>"))
            if b"/FlateDecode" in header:
                data = zlib.decompress(data)
        except (ValueError, zlib.error):
            continue
        out.append(data)
    return out


def fonts_showing_text(pdf: bytes) -> set[str]:
    """BaseFont names of the fonts that text-showing operators (Tj, TJ) use, across the PDF's pages."""
    objects = _objects(pdf)
    resource_names: dict[bytes, bytes] = {}
    for body in objects.values():
        for name, number in re.findall(rb"/(F\d+(?:\+\d+)?) (\d+) 0 R", body):
            base = re.search(rb"/BaseFont /([^\s/>]+)", objects.get(int(number), b""))
            if base:
                resource_names[name] = base.group(1)
    used = set()
    for stream in _streams(pdf):
        for block in re.findall(rb"BT(.*?)ET", stream, re.S):
            current = None
            for token in re.finditer(rb"/(F\d+(?:\+\d+)?) [\d.]+ Tf|(Tj|TJ)\b", block):
                if token.group(1):
                    current = token.group(1)
                elif current is not None:
                    used.add(resource_names.get(current, current).decode())
    return used


def cjk_face_name() -> str:
    from reportlab.pdfbase.ttfonts import TTFont

    path = cjk_font_path()
    face = TTFont("face-name", path, **({"subfontIndex": 0} if path.endswith(".ttc") else {})).face
    return face.name.decode() if isinstance(face.name, bytes) else str(face.name)


def pdf_page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page[^s]", pdf))


def render_pdf_page(pdf: bytes, artifact: str, *, dpi: int = 110) -> Path:
    """Render the PDF's first page to ``test-artifacts/<artifact>`` with pdftoppm, to look at it.

    Skips with the reason when poppler-utils is not installed; ``GONGYI_REQUIRE_BROWSER=1`` makes that a failure.
    """
    if shutil.which("pdftoppm") is None:
        message = "rendering PDFs needs pdftoppm (apt-get install poppler-utils)"
        if os.environ.get("GONGYI_REQUIRE_BROWSER") == "1":
            pytest.fail(message + "; GONGYI_REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(message)
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / artifact
    source = target.with_suffix(".pdf.tmp")
    source.write_bytes(pdf)
    try:
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(source), str(target.with_suffix(""))],
            check=True,
            timeout=60,
        )
    finally:
        source.unlink(missing_ok=True)
    return target


def ink_ratio(png: Path | bytes, box=None) -> float:
    """The share of pixels that are not near-white (a blank render is 0)."""
    import io

    image = Image.open(io.BytesIO(png) if isinstance(png, bytes) else png).convert("L")
    if box is not None:
        image = image.crop(box)
    histogram = image.histogram()
    return sum(histogram[:230]) / max(1, sum(histogram))
