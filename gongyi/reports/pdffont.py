"""The CJK font for reportlab documents (daily reports, posters), registered once per process."""

from __future__ import annotations

from functools import lru_cache

from gongyi.core.fonts import cjk_font_path

PDF_FONT_NAME = "cjk"


@lru_cache(maxsize=1)
def pdf_cjk_font() -> str:
    """Register the CJK font with reportlab and return its name; Helvetica when none is installed.

    A ``.ttc`` collection needs ``subfontIndex``: the first face is the regular Simplified Chinese one
    (WenQuanYi Micro Hei, Noto Sans CJK SC).
    """
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = cjk_font_path()
    if path is None:
        return "Helvetica"
    kwargs = {"subfontIndex": 0} if path.lower().endswith(".ttc") else {}
    pdfmetrics.registerFont(TTFont(PDF_FONT_NAME, path, **kwargs))
    return PDF_FONT_NAME


def missing_glyphs(text: str) -> set[str]:
    """Characters of ``text`` the registered PDF font has no glyph for (they would print as .notdef boxes)."""
    from reportlab.pdfbase import pdfmetrics

    name = pdf_cjk_font()
    if name != PDF_FONT_NAME:
        return {ch for ch in text if ord(ch) > 127}
    face = pdfmetrics.getFont(name).face
    return {ch for ch in text if not ch.isspace() and ord(ch) not in face.charToGlyph}
