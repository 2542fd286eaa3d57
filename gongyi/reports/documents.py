"""The daily report as files: an Excel workbook (every line) and a one-page A4 PDF in Chinese (the top lines).

Both are drawn from a ``DailyFigures`` only, so a stored report's figures and its files always agree.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from gongyi.core.money import format_yuan
from gongyi.reports.pdffont import pdf_cjk_font
from gongyi.reports.selectors import METRICS, REPORT_TIMEZONE, DailyFigures, Figures, Line

PLATFORM_NAME = "鄂州公益"
DEFINITIONS = (
    "口径：已确认且未退款的捐赠，按支付时间（北京时间）计入当日；捐赠人数按付款账户去重；"
    "配捐为当前有效的配捐；区、单位按慈善一日捐的计入；单位线下转账不在本表。"
)
METRIC_LABELS = {
    "gifts": "捐赠笔数",
    "givers": "捐赠人数",
    "amount_fen": "捐赠金额（元）",
    "matched_fen": "配捐金额（元）",
}
SECTIONS = (("by_project", "按项目"), ("by_district", "按区"), ("by_unit", "按单位"))


# --- text helpers (shared by both files and the staff page) --------------------------------------------------


def money(fen: int) -> str:
    return format_yuan(fen, symbol=False)


def signed_money(fen: int) -> str:
    return ("+" if fen > 0 else "") + format_yuan(fen, symbol=False)


def signed_count(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def percent_text(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value:+.1f}%"


def metric_text(metric: str, value: int) -> str:
    return money(value) if metric.endswith("_fen") else str(value)


def delta_text(metric: str, value: int) -> str:
    return signed_money(value) if metric.endswith("_fen") else signed_count(value)


def day_title(figures: DailyFigures) -> str:
    return f"{figures.campaign_name} · 日报"


def day_subtitle(figures: DailyFigures, generated_at=None) -> str:
    generated = timezone.localtime(generated_at or figures.computed_at or timezone.now(), REPORT_TIMEZONE)
    return (
        f"{figures.day.year}年{figures.day.month}月{figures.day.day}日（北京时间）"
        f"  对比 {figures.previous_day.month}月{figures.previous_day.day}日  ·  生成于 {generated:%Y-%m-%d %H:%M}"
    )


# --- Excel ---------------------------------------------------------------------------------------------------


def _yuan_number(fen: int) -> Decimal:
    return Decimal(fen) / 100


def render_xlsx(figures: DailyFigures, *, generated_at=None) -> bytes:
    """A workbook: 总览 (headline), then 按项目 / 按区 / 按单位 with every line and all four metrics."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook = Workbook()
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="FDECEA")
    money_format, percent_format = "#,##0.00", "+0.0%;-0.0%;0.0%"

    def put(sheet, row: int, col: int, value, *, metric: str | None = None, percent: bool = False):
        cell = sheet.cell(row=row, column=col)
        if percent:
            cell.value = "—" if value is None else value / 100
            cell.number_format = percent_format
            cell.alignment = Alignment(horizontal="right")
        elif metric is not None and metric.endswith("_fen"):
            cell.value = _yuan_number(value)
            cell.number_format = money_format
        else:
            cell.value = value
        return cell

    overview = workbook.active
    overview.title = "总览"
    overview["A1"] = day_title(figures)
    overview["A1"].font = Font(bold=True, size=14)
    overview["A2"] = day_subtitle(figures, generated_at)
    headers = ["指标", "当日", "前一日", "增减", "增减幅度", "累计（截至当日）"]
    for col, text in enumerate(headers, start=1):
        cell = overview.cell(row=4, column=col, value=text)
        cell.font, cell.fill = bold, header_fill
    for row, metric in enumerate(METRICS, start=5):
        overview.cell(row=row, column=1, value=METRIC_LABELS[metric])
        put(overview, row, 2, getattr(figures.total.day, metric), metric=metric)
        put(overview, row, 3, getattr(figures.total.previous, metric), metric=metric)
        put(overview, row, 4, figures.total.delta(metric), metric=metric)
        put(overview, row, 5, figures.total.percent(metric), percent=True)
        put(overview, row, 6, getattr(figures.cumulative, metric), metric=metric)
    overview["A10"] = DEFINITIONS
    overview["A11"] = f"活动标识：{figures.campaign_slug}；时区：{figures.timezone}；{PLATFORM_NAME}"
    overview.column_dimensions["A"].width = 18
    for letter in "BCDEF":
        overview.column_dimensions[letter].width = 16

    for attribute, title in SECTIONS:
        sheet = workbook.create_sheet(title)
        head = ["代码", "名称"]
        for metric in METRICS:
            label = METRIC_LABELS[metric]
            head += [f"当日{label}", f"前一日{label}", f"{label}增减", f"{label.split('（')[0]}增减幅度"]
        for col, text in enumerate(head, start=1):
            cell = sheet.cell(row=1, column=col, value=text)
            cell.font, cell.fill = bold, header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        lines: list[Line] = getattr(figures, attribute)
        for row, line in enumerate([*lines, figures.total], start=2):
            sheet.cell(row=row, column=1, value=line.key)
            sheet.cell(row=row, column=2, value=line.label).font = bold if line is figures.total else Font()
            col = 3
            for metric in METRICS:
                put(sheet, row, col, getattr(line.day, metric), metric=metric)
                put(sheet, row, col + 1, getattr(line.previous, metric), metric=metric)
                put(sheet, row, col + 2, line.delta(metric), metric=metric)
                put(sheet, row, col + 3, line.percent(metric), percent=True)
                col += 4
        sheet.freeze_panes = "C2"
        sheet.column_dimensions["A"].width = 10
        sheet.column_dimensions["B"].width = 30
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- PDF -----------------------------------------------------------------------------------------------------

RED = "#C0272D"
UP = "#B3261E"  # red rises, green falls: the Chinese convention for figures
DOWN = "#1B7F3B"
PAGE_MARGIN = 30
SECTION_COLUMNS = ["名称", "笔数", "人数", "金额（元）", "配捐（元）", "前一日金额", "金额增减", "增减幅度"]
SECTION_WIDTHS = [151, 38, 38, 66, 60, 66, 62, 54]
# Rows per section tried in turn until the page holds everything: (projects, districts, units).
ROW_LIMITS = ((15, 9, 15), (12, 8, 10), (10, 7, 8), (8, 6, 6), (5, 5, 4), (3, 3, 3))


@dataclass(frozen=True)
class PdfSection:
    title: str
    rows: list[list[str]]  # the header row first
    shown: int
    total: int


def _fit(text: str, width: float, size: float) -> str:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    font = pdf_cjk_font()
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _section_rows(lines: list[Line], limit: int) -> list[list[str]]:
    shown, rest = lines[:limit], lines[limit:]
    rows = [SECTION_COLUMNS]
    for line in shown:
        rows.append(
            [
                _fit(line.label, SECTION_WIDTHS[0] - 6, 7.5),
                str(line.day.gifts),
                str(line.day.givers),
                money(line.day.amount_fen),
                money(line.day.matched_fen),
                money(line.previous.amount_fen),
                signed_money(line.delta("amount_fen")),
                percent_text(line.percent("amount_fen")),
            ]
        )
    if rest:
        day = Figures(
            sum(ln.day.gifts for ln in rest),
            0,
            sum(ln.day.amount_fen for ln in rest),
            sum(ln.day.matched_fen for ln in rest),
        )
        before = sum(ln.previous.amount_fen for ln in rest)
        rows.append(
            [
                f"其余 {len(rest)} 项（明细见 Excel）",
                str(day.gifts),
                "—",
                money(day.amount_fen),
                money(day.matched_fen),
                money(before),
                signed_money(day.amount_fen - before),
                "—",
            ]
        )
    return rows


def pdf_sections(figures: DailyFigures, limits: tuple[int, int, int]) -> list[PdfSection]:
    sections = []
    for (attribute, title), limit in zip(SECTIONS, limits, strict=True):
        lines = getattr(figures, attribute)
        sections.append(PdfSection(title, _section_rows(lines, limit), min(limit, len(lines)), len(lines)))
    return sections


def headline_rows(figures: DailyFigures) -> list[list[str]]:
    rows = [["指标", "当日", "前一日", "增减", "增减幅度", "累计（截至当日）"]]
    for metric in METRICS:
        rows.append(
            [
                METRIC_LABELS[metric],
                metric_text(metric, getattr(figures.total.day, metric)),
                metric_text(metric, getattr(figures.total.previous, metric)),
                delta_text(metric, figures.total.delta(metric)),
                percent_text(figures.total.percent(metric)),
                metric_text(metric, getattr(figures.cumulative, metric)),
            ]
        )
    return rows


def pdf_texts(figures: DailyFigures, *, generated_at=None, limits=ROW_LIMITS[0]) -> list[str]:
    """Every string the PDF prints (for the missing-glyph check)."""
    texts = [day_title(figures), day_subtitle(figures, generated_at), DEFINITIONS, PLATFORM_NAME]
    for row in headline_rows(figures):
        texts += row
    for section in pdf_sections(figures, limits):
        texts.append(_section_title(section))
        for row in section.rows:
            texts += row
    return texts


def _section_title(section: PdfSection) -> str:
    if section.shown < section.total:
        return f"{section.title}（当日金额前 {section.shown} 项，共 {section.total} 项）"
    return f"{section.title}（共 {section.total} 项）"


def _build_pdf(figures: DailyFigures, limits: tuple[int, int, int], generated_at) -> tuple[bytes, int]:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_cjk_font()
    title_style = ParagraphStyle("title", fontName=font, fontSize=15, leading=19, textColor=colors.HexColor(RED))
    small = ParagraphStyle("small", fontName=font, fontSize=7.5, leading=10, textColor=colors.HexColor("#555555"))
    heading = ParagraphStyle("heading", fontName=font, fontSize=10, leading=13, spaceBefore=6, spaceAfter=3)

    def table(rows: list[list[str]], widths: list[float], *, size: float) -> Table:
        t = Table(rows, colWidths=widths, repeatRows=1, rowHeights=size + 5.5)
        style = [
            ("FONT", (0, 0), (-1, -1), font, size),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(RED)),
            ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#DDDDDD")),
        ]
        for index, row in enumerate(rows[1:], start=1):
            if index % 2 == 0:
                style.append(("BACKGROUND", (0, index), (-1, index), colors.HexColor("#FAF7F2")))
            for col, text in enumerate(row):
                if col and text.startswith("+"):
                    style.append(("TEXTCOLOR", (col, index), (col, index), colors.HexColor(UP)))
                elif col and text.startswith("-"):
                    style.append(("TEXTCOLOR", (col, index), (col, index), colors.HexColor(DOWN)))
        t.setStyle(TableStyle(style))
        return t

    story = [
        Paragraph(day_title(figures), title_style),
        Paragraph(day_subtitle(figures, generated_at), small),
        Spacer(1, 6),
        table(headline_rows(figures), [111, 84, 84, 84, 66, 106], size=8.5),
    ]
    for section in pdf_sections(figures, limits):
        story.append(Paragraph(_section_title(section), heading))
        if section.total:
            story.append(table(section.rows, SECTION_WIDTHS, size=7.5))
        else:
            story.append(Paragraph("当日及前一日均无捐赠。", small))
    story += [
        Spacer(1, 6),
        Paragraph(DEFINITIONS, small),
        Paragraph(f"{PLATFORM_NAME} · {figures.campaign_slug}", small),
    ]

    pages = []
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=PAGE_MARGIN,
        rightMargin=PAGE_MARGIN,
        topMargin=PAGE_MARGIN,
        bottomMargin=PAGE_MARGIN,
        title=day_title(figures),
        author=PLATFORM_NAME,
        subject=f"{figures.campaign_slug} {figures.day.isoformat()}",
        # The canvas starts in the CJK font too, so the PDF names no unembedded Helvetica.
        initialFontName=font,
    )
    doc.build(
        story,
        onFirstPage=lambda c, d: pages.append(1),
        onLaterPages=lambda c, d: pages.append(1),
    )
    return out.getvalue(), len(pages)


def render_pdf(figures: DailyFigures, *, generated_at=None) -> bytes:
    """The one-page A4 report; sections keep their top lines, fewer of them until the page holds everything."""
    for limits in ROW_LIMITS:
        data, pages = _build_pdf(figures, limits, generated_at)
        if pages == 1:
            return data
    return data


def pdf_limits_used(figures: DailyFigures, *, generated_at=None) -> tuple[int, int, int]:
    for limits in ROW_LIMITS:
        if _build_pdf(figures, limits, generated_at)[1] == 1:
            return limits
    return ROW_LIMITS[-1]
