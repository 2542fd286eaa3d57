"""The daily report's files: the Excel holds the selector's figures; the PDF is one A4 page whose Chinese
text is drawn with the embedded CJK font and has no missing glyphs; rendered and kept for looking at."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from gongyi.reports.documents import METRIC_LABELS, pdf_limits_used, pdf_texts, render_pdf, render_xlsx
from gongyi.reports.selectors import METRICS, DailyFigures, Figures, Line, daily_figures
from gongyi.reports.tests.glyphs import (
    cjk_face_name,
    fonts_showing_text,
    ink_ratio,
    missing_glyphs,
    pdf_page_count,
    render_pdf_page,
)
from gongyi.reports.tests.helpers import give_at, local, make_festival, refund


def festival_figures() -> DailyFigures:
    festival = make_festival(starts_at=local(2026, 5, 19, 0))
    a, b, c = festival.projects
    u1, u2, u3 = festival.units
    give_at(a, paid_at=local(2026, 5, 20, 9), fen=10_000, payer="p1", unit=u1)
    give_at(b, paid_at=local(2026, 5, 20, 10), fen=5_000, payer="p2")
    give_at(a, paid_at=local(2026, 5, 21, 9), fen=20_000, payer="p1", unit=u1)
    give_at(a, paid_at=local(2026, 5, 21, 10), fen=8_800, payer="p3", unit=u3)
    give_at(c, paid_at=local(2026, 5, 21, 11), fen=1_000, payer="p4", unit=u2)
    refund(give_at(b, paid_at=local(2026, 5, 21, 12), fen=66_600, payer="p5"))
    return daily_figures(festival.campaign, date(2026, 5, 21))


def many_lines(count: int) -> list[Line]:
    return [
        Line(
            str(n),
            f"鄂州市某某区某某街道某某社区第{n}号爱心企业有限责任公司",
            Figures(n + 1, n + 1, (n + 1) * 12_345, (n + 1) * 6_000),
            Figures(n, n, n * 10_000, n * 5_000),
        )
        for n in range(count)
    ]


def synthetic(projects: int, districts: int, units: int) -> DailyFigures:
    total = Line("all", "合计", Figures(500, 420, 98_765_43, 45_678_90), Figures(300, 280, 50_000_00, 25_000_00))
    return DailyFigures(
        campaign_id=1,
        campaign_slug="hubei-digital-2",
        campaign_name="第二届湖北数字公益节 · 鄂州慈善一日捐",
        day=date(2026, 5, 21),
        previous_day=date(2026, 5, 20),
        total=total,
        cumulative=Figures(800, 650, 148_765_43, 70_678_90),
        by_project=many_lines(projects),
        by_district=many_lines(districts),
        by_unit=many_lines(units),
        computed_at=datetime(2026, 5, 22, 0, 10, tzinfo=local(2026, 5, 22).tzinfo),
    )


def yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


@pytest.mark.django_db
def test_the_workbook_holds_every_line_with_the_selector_figures():
    figures = festival_figures()
    workbook = load_workbook(io.BytesIO(render_xlsx(figures)))
    assert workbook.sheetnames == ["总览", "按项目", "按区", "按单位"]

    overview = workbook["总览"]
    for row, metric in enumerate(METRICS, start=5):
        assert overview.cell(row=row, column=1).value == METRIC_LABELS[metric]
        day, before = getattr(figures.total.day, metric), getattr(figures.total.previous, metric)
        expected = (yuan(day), yuan(before)) if metric.endswith("_fen") else (day, before)
        assert (
            Decimal(str(overview.cell(row=row, column=2).value)),
            Decimal(str(overview.cell(row=row, column=3).value)),
        ) == expected
    assert overview.cell(row=7, column=2).value == 298  # ¥200 + ¥88 + ¥10; the refunded ¥666 is left out

    for title, lines in (("按项目", figures.by_project), ("按区", figures.by_district), ("按单位", figures.by_unit)):
        sheet = workbook[title]
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert len(rows) == len(lines) + 1 and rows[-1][1] == "合计"
        for line, row in zip(lines, rows, strict=False):
            assert (row[0], row[1]) == (line.key, line.label)
            assert row[2] == line.day.gifts and row[3] == line.previous.gifts
            assert row[6] == line.day.givers
            assert Decimal(str(row[10])) == yuan(line.day.amount_fen)
            assert Decimal(str(row[11])) == yuan(line.previous.amount_fen)
            assert Decimal(str(row[12])) == yuan(line.delta("amount_fen"))
            percent = line.percent("amount_fen")
            assert row[13] == "—" if percent is None else Decimal(str(row[13])) == percent / 100
            assert Decimal(str(row[14])) == yuan(line.day.matched_fen)


@pytest.mark.django_db
def test_the_pdf_is_one_page_of_chinese_drawn_with_the_embedded_cjk_font_and_looked_at():
    figures = festival_figures()
    pdf = render_pdf(figures)
    assert pdf.startswith(b"%PDF") and pdf_page_count(pdf) == 1

    face = cjk_face_name()
    used = fonts_showing_text(pdf)
    assert used and all(face in name for name in used), used  # every string is drawn with the CJK font
    assert b"/BaseFont /Helvetica" not in pdf  # not even named: the canvas starts in the CJK font
    texts = pdf_texts(figures, limits=pdf_limits_used(figures))
    assert "鄂州慈善幸福家园" in texts and "华容区" in texts and "未计入单位" in texts
    assert missing_glyphs(texts) == set()

    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
        text = text.decode()
        for expected in ("第二届湖北数字公益节 · 日报", "按项目", "按区", "按单位", "鄂州慈善幸福家园", "298.00"):
            assert expected in text
    png = render_pdf_page(pdf, "daily-report.png")
    assert ink_ratio(png) > 0.02
    assert ink_ratio(png, box=(40, 40, 600, 90)) > 0.03  # the red title is there


def test_a_long_report_still_fits_one_page_keeping_the_top_lines():
    figures = synthetic(projects=40, districts=9, units=300)
    pdf = render_pdf(figures)
    assert pdf_page_count(pdf) == 1
    limits = pdf_limits_used(figures)
    texts = pdf_texts(figures, limits=limits)
    assert any(t.startswith("其余 ") for t in texts)
    assert any("按单位（当日金额前" in t and "共 300 项" in t for t in texts)
    assert missing_glyphs(texts) == set()
    # Names too long for the column are cut with an ellipsis, never run into the next column.
    assert any(t.endswith("…") for t in texts)


def test_an_empty_day_is_a_valid_report():
    empty = Line("all", "合计", Figures(), Figures())
    figures = DailyFigures(1, "x", "空活动", date(2026, 5, 21), date(2026, 5, 20), empty, Figures())
    pdf = render_pdf(figures)
    assert pdf_page_count(pdf) == 1
    assert "按项目（共 0 项）" in pdf_texts(figures)
    assert all(cjk_face_name() in name for name in fonts_showing_text(pdf))
    workbook = load_workbook(io.BytesIO(render_xlsx(figures)))
    assert workbook["总览"].cell(row=5, column=5).value == "—"
