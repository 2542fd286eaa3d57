"""The unit's A4 poster (QR code to its page) and its participation certificate, each as PDF and PNG.

One layout, two renderers: a layout is a list of drawing operations on an A4 sheet measured in points
(595 × 842, origin top left); ``render_pdf`` draws it with reportlab (vector QR, the CJK font embedded),
``render_png`` with Pillow at 150 dpi.
"""

from __future__ import annotations

import io
from functools import lru_cache

import segno

from gongyi.core import posters
from gongyi.core.fonts import cjk_font_path
from gongyi.core.money import format_yuan
from gongyi.core.posters import A4_HEIGHT, A4_WIDTH, Box, Qr, measure

PNG_WIDTH = 1240  # A4 at 150 dpi
RED = (192, 39, 45)
GOLD = (201, 155, 72)
INK = (51, 51, 51)
MUTED = (130, 130, 130)
WHITE = (255, 255, 255)
PAPER = (255, 251, 240)


def Text(x: float, y: float, text: str, size: float, color=INK, centred: bool = True) -> posters.Text:
    """The poster's text: centred and in the unit poster's ink unless told otherwise."""
    return posters.Text(x, y, text, size, color, centred)


_measure = measure


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
    return posters.render_pdf(ops, title=title, author="gongyi", font=_pdf_font(), font_is_initial=False)


def render_png(ops: list) -> bytes:
    return posters.render_png(ops, width_px=PNG_WIDTH)


def qr_png(data: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()
