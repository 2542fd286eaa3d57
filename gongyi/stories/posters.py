"""Shareable posters of a story or a project: a PNG for WeChat, the same layout as an A4 PDF for printing.

One layout, two renderers (like ``drives.posters``): a layout is a list of drawing operations on an A4 sheet
in points (595 × 842, origin top left). ``render_png`` draws it with Pillow, ``render_pdf`` with reportlab
(vector QR code, the CJK font embedded). Each poster has a title, a photo (cropped to fill) or a colour
block, the platform's name and a QR code back to the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from gongyi.core import posters
from gongyi.core.money import format_yuan
from gongyi.core.posters import A4_HEIGHT, A4_WIDTH, Box, Picture, Qr, Text, measure
from gongyi.reports.pdffont import pdf_cjk_font
from gongyi.stories.selectors import flatten

PNG_WIDTH = 900  # sharp on a phone, small enough to send
PLATFORM_NAME = "鄂州公益"
SLOGAN = "阳光慈善 · 每一分钱公开可查"
WHITE = (255, 255, 255)
INK = (40, 40, 40)
MUTED = (120, 120, 120)
PAPER = (255, 251, 244)
COLOURS = {
    "red": (192, 39, 45),
    "orange": (222, 104, 38),
    "green": (20, 122, 104),
    "blue": (28, 96, 168),
}
DOMAIN_COLOURS = {
    "life_health": "red",
    "military_families": "red",
    "environment": "green",
    "rural": "green",
    "education": "blue",
    "elderly": "orange",
    "orphans": "orange",
}
PICTURE_HEIGHT = 360.0


@dataclass(frozen=True)
class PosterContent:
    badge: str
    title: str
    lines: list[str]  # a few short lines under the title (who, figures)
    excerpt: str
    url: str
    colour: str = "red"
    picture: str | None = None  # storage name of the photo, or a colour block
    call_to_action: str = "长按识别二维码 · 阅读全文"
    campaign: str = ""


# --- text measuring and wrapping ----------------------------------------------------------------------------

CLOSING = "，。、；：！？）」』”’》…"


_measure = measure


def wrap(text: str, size: float, width: float, max_lines: int | None = None) -> list[str]:
    """Break ``text`` into lines no wider than ``width``; closing punctuation never starts a line; an
    ellipsis ends the last line when the text is longer than ``max_lines``."""
    lines, line = [], ""
    for ch in " ".join(text.split()):
        if line and ch not in CLOSING and _measure(line + ch, size) > width:
            lines.append(line)
            line = "" if ch == " " else ch
        else:
            line += ch
    if line:
        lines.append(line)
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _measure(last + "…", size) > width:
            last = last[:-1]
        lines[-1] = last.rstrip("，。、；： ") + "…"
    return lines


# --- the layout ---------------------------------------------------------------------------------------------


def layout(content: PosterContent) -> list:
    colour = COLOURS.get(content.colour, COLOURS["red"])
    ops: list = [Box(0, 0, A4_WIDTH, A4_HEIGHT, fill=PAPER)]
    if content.picture:
        ops.append(Picture(0, 0, A4_WIDTH, PICTURE_HEIGHT, content.picture))
        ops.append(Box(0, PICTURE_HEIGHT - 6, A4_WIDTH, 6, fill=colour))
    else:
        # The colour block: the platform's name large, two soft circles, the badge as a watermark line.
        light = tuple(min(255, c + 40) for c in colour)
        ops += [
            Box(0, 0, A4_WIDTH, PICTURE_HEIGHT, fill=colour),
            Box(A4_WIDTH - 210, -90, 300, 300, fill=light, round=150),
            Box(-90, PICTURE_HEIGHT - 215, 200, 200, fill=light, round=100),
            # A seal-like ring with 善 (drawn, not an emoji: the CJK font has no emoji glyphs).
            Box(A4_WIDTH / 2 - 38, 88, 76, 76, outline=WHITE, line_width=3, round=38),
            Text(A4_WIDTH / 2, 103, "善", 40, WHITE, centred=True),
            Text(A4_WIDTH / 2, 200, content.badge, 34, WHITE, centred=True),
            Text(A4_WIDTH / 2, 258, content.campaign or PLATFORM_NAME, 16, WHITE, centred=True),
        ]
    y = PICTURE_HEIGHT + 24
    badge_width = _measure(content.badge, 13) + 24
    ops += [Box(40, y, badge_width, 24, fill=colour, round=12), Text(52, y + 4.5, content.badge, 13, WHITE)]
    y += 40
    for line in wrap(content.title, 27, A4_WIDTH - 80, max_lines=3):
        ops.append(Text(40, y, line, 27, INK))
        y += 38
    y += 4
    for line in content.lines[:2]:
        for part in wrap(line, 14, A4_WIDTH - 80, max_lines=1):
            ops.append(Text(40, y, part, 14, colour))
            y += 22
    y += 6
    room = max(1, int((670 - y) // 24))
    for line in wrap(content.excerpt, 15, A4_WIDTH - 80, max_lines=min(7, room)):
        ops.append(Text(40, y, line, 15, MUTED))
        y += 24
    ops += [
        Box(0, 680, A4_WIDTH, A4_HEIGHT - 680, fill=WHITE),
        Box(0, 680, A4_WIDTH, 3, fill=colour),
        Box(38, 698, 128, 128, fill=WHITE, outline=(230, 230, 230), line_width=1),
        Qr(42, 702, 120, content.url),
        Text(186, 706, PLATFORM_NAME, 26, colour),
        Text(186, 746, content.call_to_action, 14, INK),
        Text(186, 772, SLOGAN, 12, MUTED),
        Text(186, 796, content.url, 8, MUTED),
    ]
    return ops


def poster_texts(ops: list) -> list[str]:
    """Every string a layout prints (for the missing-glyph check)."""
    return [op.text for op in ops if isinstance(op, Text)]


# --- renderers ----------------------------------------------------------------------------------------------


def render_png(ops: list) -> bytes:
    return posters.render_png(ops, width_px=PNG_WIDTH)


def render_pdf(ops: list, *, title: str) -> bytes:
    return posters.render_pdf(ops, title=title, author=PLATFORM_NAME, font=pdf_cjk_font())


# --- what goes on each poster -------------------------------------------------------------------------------


def story_poster(story, *, url: str, excerpt: str, picture: str | None) -> PosterContent:
    lines = []
    if story.subject_name:
        label = story.get_subject_kind_display() if story.subject_kind else "主人公"
        note = "（经本人同意公开，姓名已脱敏）" if story.kind == "case" else ""
        lines.append(f"{label}：{story.subject_name}{note}")
    if story.project is not None:
        lines.append(f"项目：{story.project.title}")
    elif story.organisation is not None:
        lines.append(story.organisation.name)
    return PosterContent(
        badge=story.badge,
        title=story.title,
        lines=lines,
        excerpt=excerpt,
        url=url,
        colour=story.colour,
        picture=picture,
        campaign=story.campaign.name if story.campaign else "",
    )


def project_poster(project, figures, *, url: str, picture: str | None) -> PosterContent:
    lines = [
        f"已筹 {format_yuan(figures.raised_fen)} · 配捐 {format_yuan(figures.matched_fen)} · {figures.gifts} 笔捐赠"
    ]
    lines.append(f"{project.organisation.name} · 目标 {format_yuan(figures.target_fen)}")
    return PosterContent(
        badge=f"募捐项目 · {project.get_domain_display()}",
        title=project.title,
        lines=lines,
        excerpt=flatten(f"{project.summary.rstrip('。')}。{project.story}"),
        url=url,
        colour=DOMAIN_COLOURS.get(project.domain, "red"),
        picture=picture,
        call_to_action="长按识别二维码 · 一起捐",
        campaign=project.campaign.name if project.campaign else "",
    )
