"""The unit's A4 poster (QR code to its page) and its participation certificate, each as PDF and PNG.

One layout, two renderers: a layout is a list of drawing operations on an A4 sheet measured in points
(595 × 842, origin top left); ``render_pdf`` draws it with reportlab (vector QR, the CJK font embedded),
``render_png`` with Pillow at 150 dpi.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import segno
from PIL import Image, ImageDraw

from gongyi.core.fonts import cjk_font, cjk_font_path
from gongyi.core.money import format_yuan

A4_WIDTH, A4_HEIGHT = 595.0, 842.0
PNG_WIDTH = 1240  # A4 at 150 dpi
RED = (192, 39, 45)
GOLD = (201, 155, 72)
INK = (51, 51, 51)
MUTED = (130, 130, 130)
WHITE = (255, 255, 255)
PAPER = (255, 251, 240)


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    fill: tuple[int, int, int] | None = None
    outline: tuple[int, int, int] | None = None
    line_width: float = 1


@dataclass(frozen=True)
class Text:
    x: float  # the centre when ``centred``, else the left edge
    y: float  # the top of the line
    text: str
    size: float
    color: tuple[int, int, int] = INK
    centred: bool = True


@dataclass(frozen=True)
class Qr:
    x: float
    y: float
    size: float
    data: str


def _measure(text: str, size: float) -> float:
    # Pillow's measure at 10× the point size, scaled back: the same proportions reportlab uses.
    return cjk_font(int(size * 10)).getlength(text) / 10


CLOSING = "，。、；：！？）」』”’》…"


def wrap(text: str, size: float, width: float) -> list[str]:
    """Break text into lines no wider than ``width``; closing punctuation never starts a line."""
    lines, line = [], ""
    for ch in text:
        if line and ch not in CLOSING and _measure(line + ch, size) > width:
            lines.append(line)
            line = ch
        else:
            line += ch
    return [*lines, line] if line else lines


def _paragraph(text: str, *, y: float, size: float, width: float, color=INK, leading: float = 1.45) -> list[Text]:
    return [
        Text(A4_WIDTH / 2, y + i * size * leading, line, size, color) for i, line in enumerate(wrap(text, size, width))
    ]


def poster_layout(*, unit, drive_name: str, host_name: str, url: str) -> list:
    """The poster: drive title band, unit name, a big QR code to the unit's page, the code, three steps."""
    ops: list = [
        Box(0, 0, A4_WIDTH, A4_HEIGHT, fill=WHITE),
        Box(0, 0, A4_WIDTH, 150, fill=RED),
        Text(A4_WIDTH / 2, 34, "慈善一日捐", 46, WHITE),
        Text(A4_WIDTH / 2, 98, drive_name, 18, WHITE),
    ]
    ops += _paragraph(unit.name, y=180, size=28 if len(unit.name) <= 16 else 22, width=A4_WIDTH - 80)
    ops += [
        Box(A4_WIDTH / 2 - 150, 262, 300, 300, outline=GOLD, line_width=3),
        Qr(A4_WIDTH / 2 - 140, 272, 280, url),
        Text(A4_WIDTH / 2, 580, f"单位代码  {' '.join(unit.code)}", 26, RED),
        Text(A4_WIDTH / 2, 626, "① 微信扫码  ② 选择项目、填写金额  ③ 支付后计入本单位", 15),
        Text(A4_WIDTH / 2, 656, "也可在捐赠页面输入单位代码", 13, MUTED),
        Box(40, 700, A4_WIDTH - 80, 1, fill=GOLD),
        Text(A4_WIDTH / 2, 716, "捐赠自愿，不设摊派 · 每一笔善款公开可查", 15, RED),
        Text(A4_WIDTH / 2, 748, host_name, 15),
        Text(A4_WIDTH / 2, 776, url, 10, MUTED),
        Text(A4_WIDTH / 2, 800, "捐赠票据由财政电子票据系统开具，单位可申请汇总票据", 10, MUTED),
    ]
    return ops


def certificate_layout(
    *, unit, drive_name: str, host_name: str, url: str, figures, certificate_no: str, issued_on: str
) -> list:
    """The unit's certificate of participation: who took part, how many gave, what was given."""
    body = f"{unit.name}：在「{drive_name}」中，贵单位"
    if figures.givers:
        body += f" {figures.givers} 名干部职工踊跃参与，个人捐款 {format_yuan(figures.amount_fen)}"
    if figures.unit_amount_fen:
        body += ("，" if figures.givers else "") + f"单位捐赠 {format_yuan(figures.unit_amount_fen)}"
    body += f"，合计 {format_yuan(figures.total_fen)}。热心公益，奉献爱心，特发此证，以资鼓励。"
    ops: list = [
        Box(0, 0, A4_WIDTH, A4_HEIGHT, fill=PAPER),
        Box(14, 14, A4_WIDTH - 28, A4_HEIGHT - 28, outline=GOLD, line_width=5),
        Box(26, 26, A4_WIDTH - 52, A4_HEIGHT - 52, outline=RED, line_width=1.5),
        Text(A4_WIDTH / 2, 80, "荣誉证书", 48, RED),
        Text(A4_WIDTH / 2, 144, "CERTIFICATE OF HONOUR", 14, GOLD),
    ]
    ops += [
        Text(64, 210 + i * 34, line, 21, INK, centred=False) for i, line in enumerate(wrap(body, 21, A4_WIDTH - 128))
    ]
    ops += [
        Qr(64, 600, 130, url),
        Text(129, 738, "扫码查看单位捐赠", 11, MUTED),
        Box(330, 606, 180, 1.5, fill=RED),
        Text(420, 620, host_name, 18),
        Text(420, 652, issued_on, 15),
        Text(A4_WIDTH / 2, 772, f"证书编号：{certificate_no}", 11, MUTED),
        Text(A4_WIDTH / 2, 792, "本证书不作为捐赠票据使用", 11, MUTED),
    ]
    return ops


@lru_cache(maxsize=1)
def _pdf_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = cjk_font_path()
    if path is None:
        return "Helvetica"
    kwargs = {"subfontIndex": 0} if path.lower().endswith(".ttc") else {}
    pdfmetrics.registerFont(TTFont("GongyiCJK", path, **kwargs))
    return "GongyiCJK"


def render_pdf(ops: list, *, title: str) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(A4_WIDTH, A4_HEIGHT), pageCompression=1)
    pdf.setTitle(title)
    pdf.setAuthor("gongyi")
    font = _pdf_font()

    def rgb(color):
        return tuple(c / 255 for c in color)

    for op in ops:
        if isinstance(op, Box):
            if op.fill:
                pdf.setFillColorRGB(*rgb(op.fill))
            if op.outline:
                pdf.setStrokeColorRGB(*rgb(op.outline))
                pdf.setLineWidth(op.line_width)
            pdf.rect(
                op.x,
                A4_HEIGHT - op.y - op.height,
                op.width,
                op.height,
                fill=int(bool(op.fill)),
                stroke=int(bool(op.outline)),
            )
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
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def render_png(ops: list) -> bytes:
    scale = PNG_WIDTH / A4_WIDTH
    image = Image.new("RGB", (PNG_WIDTH, round(A4_HEIGHT * scale)), WHITE)
    draw = ImageDraw.Draw(image)

    def px(value: float) -> int:
        return round(value * scale)

    for op in ops:
        if isinstance(op, Box):
            draw.rectangle(
                (px(op.x), px(op.y), px(op.x + op.width) - 1, px(op.y + op.height) - 1),
                fill=op.fill,
                outline=op.outline,
                width=max(1, px(op.line_width)) if op.outline else 0,
            )
        elif isinstance(op, Text):
            font = cjk_font(px(op.size))
            anchor = "ma" if op.centred else "la"
            draw.text((px(op.x), px(op.y)), op.text, font=font, fill=op.color, anchor=anchor)
        elif isinstance(op, Qr):
            qr = segno.make(op.data, error="m")
            buffer = io.BytesIO()
            qr.save(buffer, kind="png", scale=10, border=0)
            buffer.seek(0)
            qr_image = Image.open(buffer).convert("RGB").resize((px(op.size), px(op.size)), Image.NEAREST)
            image.paste(qr_image, (px(op.x), px(op.y)))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def qr_png(data: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()
