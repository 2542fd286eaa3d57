"""The donation certificate (捐赠证书) as a PNG with a QR code back to the gift's page."""

from __future__ import annotations

import io

import segno
from django.utils import timezone
from PIL import Image, ImageDraw

from gongyi.core.fonts import cjk_font
from gongyi.core.money import format_yuan

WIDTH, HEIGHT = 750, 1060
RED = (192, 39, 45)
GOLD = (201, 155, 72)
INK = (51, 51, 51)


def _centered(draw: ImageDraw.ImageDraw, y: int, text: str, size: int, fill) -> None:
    font = cjk_font(size)
    width = draw.textlength(text, font=font)
    draw.text(((WIDTH - width) / 2, y), text, font=font, fill=fill)


def _wrap(draw, text: str, size: int, max_width: int) -> list[str]:
    font = cjk_font(size)
    lines, line = [], ""
    for ch in text:
        if draw.textlength(line + ch, font=font) > max_width:
            lines.append(line)
            line = ch
        else:
            line += ch
    if line:
        lines.append(line)
    return lines


def render_certificate_png(gift, url: str) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), (255, 251, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, WIDTH - 20, HEIGHT - 20), outline=GOLD, width=6)
    draw.rectangle((36, 36, WIDTH - 36, HEIGHT - 36), outline=RED, width=2)
    _centered(draw, 90, "捐赠证书", 64, RED)
    _centered(draw, 170, "CERTIFICATE OF DONATION", 22, GOLD)

    project = gift.project
    org = project.organisation
    body = (
        f"尊敬的 {gift.certificate_name}：感谢您于 {timezone.localtime(gift.paid_at):%Y年%m月%d日} "
        f"向「{project.title}」捐赠 {format_yuan(gift.amount_fen)}，"
        f"您的善款将用于{project.summary.rstrip('。')}。特发此证，以致谢忱！"
    )
    y = 250
    for line in _wrap(draw, body, 30, WIDTH - 160):
        draw.text((80, y), line, font=cjk_font(30), fill=INK)
        y += 48
    if gift.matched_fen:
        draw.text((80, y + 10), f"本笔捐赠获配捐 {format_yuan(gift.matched_fen)}", font=cjk_font(26), fill=RED)
        y += 50

    qr = segno.make(url, error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=6, border=2)
    buffer.seek(0)
    qr_image = Image.open(buffer).convert("RGB").resize((220, 220))
    image.paste(qr_image, (80, HEIGHT - 330))
    draw.text((80, HEIGHT - 100), "扫码查看捐赠记录", font=cjk_font(20), fill=INK)

    draw.text((340, HEIGHT - 230 - 70), org.name, font=cjk_font(28), fill=INK)
    draw.text(
        (340, HEIGHT - 250),
        f"{timezone.localtime(gift.confirmed_at):%Y年%m月%d日}",
        font=cjk_font(24),
        fill=INK,
    )
    draw.text((340, HEIGHT - 200), f"证书编号：{gift.certificate_no}", font=cjk_font(18), fill=INK)
    draw.text((340, HEIGHT - 172), f"订单号：{gift.order.out_trade_no}", font=cjk_font(18), fill=INK)
    # A seal-like circle; the certificate is a thank-you, not a tax receipt (票据 come from the finance bureau).
    draw.ellipse((560, HEIGHT - 380, 700, HEIGHT - 240), outline=RED, width=4)
    _seal = cjk_font(22)
    draw.text((585, HEIGHT - 322), "爱心捐赠", font=_seal, fill=RED)
    draw.text((60, HEIGHT - 70), "本证书不作为捐赠票据使用", font=cjk_font(18), fill=(150, 150, 150))

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
