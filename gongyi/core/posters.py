"""One layout, two renderers: A4 posters and certificates as a PNG (Pillow) and a PDF (reportlab).

A layout is a list of drawing operations on an A4 sheet measured in points (595 × 842, origin top left):
``Box``, ``Text``, ``Qr`` and ``Picture``. ``render_png`` draws it with Pillow at the width asked for,
``render_pdf`` with reportlab (vector QR code, the CJK font embedded). Units' posters (drives) and stories'
posters share these renderers; each keeps its own layout.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from gongyi.core.fonts import cjk_font

A4_WIDTH, A4_HEIGHT = 595.0, 842.0
WHITE = (255, 255, 255)


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    fill: tuple[int, int, int] | None = None
    outline: tuple[int, int, int] | None = None
    line_width: float = 1
    round: float = 0


@dataclass(frozen=True)
class Text:
    x: float  # the centre when ``centred``, else the left edge
    y: float  # the top of the line
    text: str
    size: float
    color: tuple[int, int, int] = (40, 40, 40)
    centred: bool = False


@dataclass(frozen=True)
class Qr:
    x: float
    y: float
    size: float
    data: str


@dataclass(frozen=True)
class Picture:
    """An uploaded image (a storage name), cropped to fill the box."""

    x: float
    y: float
    width: float
    height: float
    name: str


def measure(text: str, size: float) -> float:
    """Width of ``text`` in points: Pillow's measure at 10× the size, scaled back (reportlab's proportions)."""
    return cjk_font(int(size * 10)).getlength(text) / 10


def _open_picture(name: str, size: tuple[int, int]) -> Image.Image | None:
    try:
        with default_storage.open(name, "rb") as handle, Image.open(handle) as image:
            return ImageOps.fit(image.convert("RGB"), size, method=Image.LANCZOS)
    except (FileNotFoundError, UnidentifiedImageError, OSError):
        return None


def render_png(ops: list, *, width_px: int) -> bytes:
    scale = width_px / A4_WIDTH
    image = Image.new("RGB", (width_px, round(A4_HEIGHT * scale)), WHITE)
    draw = ImageDraw.Draw(image)

    def px(value: float) -> int:
        return round(value * scale)

    for op in ops:
        if isinstance(op, Box):
            box = (px(op.x), px(op.y), px(op.x + op.width) - 1, px(op.y + op.height) - 1)
            width = max(1, px(op.line_width)) if op.outline else 0
            if op.round:
                draw.rounded_rectangle(box, radius=px(op.round), fill=op.fill, outline=op.outline, width=width)
            else:
                draw.rectangle(box, fill=op.fill, outline=op.outline, width=width)
        elif isinstance(op, Text):
            font = cjk_font(px(op.size))
            draw.text((px(op.x), px(op.y)), op.text, font=font, fill=op.color, anchor="ma" if op.centred else "la")
        elif isinstance(op, Qr):
            buffer = io.BytesIO()
            segno.make(op.data, error="m").save(buffer, kind="png", scale=10, border=0)
            buffer.seek(0)
            qr_image = Image.open(buffer).convert("RGB").resize((px(op.size), px(op.size)), Image.NEAREST)
            image.paste(qr_image, (px(op.x), px(op.y)))
        elif isinstance(op, Picture):
            picture = _open_picture(op.name, (px(op.width), px(op.height)))
            if picture is not None:
                image.paste(picture, (px(op.x), px(op.y)))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def render_pdf(ops: list, *, title: str, author: str, font: str, font_is_initial: bool = True) -> bytes:
    """Draw ``ops`` on one A4 page with ``font`` (a reportlab font name already registered).

    ``font_is_initial`` makes it the canvas's initial font too, so the PDF never names Helvetica.
    """
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    initial = {"initialFontName": font} if font_is_initial else {}
    pdf = canvas.Canvas(out, pagesize=(A4_WIDTH, A4_HEIGHT), pageCompression=1, **initial)
    pdf.setTitle(title)
    pdf.setAuthor(author)

    def rgb(color):
        return tuple(c / 255 for c in color)

    for op in ops:
        if isinstance(op, Box):
            if op.fill:
                pdf.setFillColorRGB(*rgb(op.fill))
            if op.outline:
                pdf.setStrokeColorRGB(*rgb(op.outline))
                pdf.setLineWidth(op.line_width)
            args = (op.x, A4_HEIGHT - op.y - op.height, op.width, op.height)
            if op.round:
                pdf.roundRect(*args, op.round, fill=int(bool(op.fill)), stroke=int(bool(op.outline)))
            else:
                pdf.rect(*args, fill=int(bool(op.fill)), stroke=int(bool(op.outline)))
        elif isinstance(op, Text):
            pdf.setFillColorRGB(*rgb(op.color))
            pdf.setFont(font, op.size)
            baseline = A4_HEIGHT - op.y - op.size * 0.88
            if op.centred:
                pdf.drawCentredString(op.x, baseline, op.text)
            else:
                pdf.drawString(op.x, baseline, op.text)
        elif isinstance(op, Qr):
            matrix = segno.make(op.data, error="m").matrix
            module = op.size / len(matrix)
            pdf.setFillColorRGB(0, 0, 0)
            for row_index, row in enumerate(matrix):
                for col_index, dark in enumerate(row):
                    if dark:
                        pdf.rect(
                            op.x + col_index * module,
                            A4_HEIGHT - op.y - (row_index + 1) * module,
                            module,
                            module,
                            fill=1,
                            stroke=0,
                        )
        elif isinstance(op, Picture):
            # Twice the point size in pixels: sharp in print, and the PDF stays small.
            picture = _open_picture(op.name, (round(op.width * 2), round(op.height * 2)))
            if picture is not None:
                pdf.drawImage(ImageReader(picture), op.x, A4_HEIGHT - op.y - op.height, op.width, op.height)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
