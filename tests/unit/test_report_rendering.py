"""The report's chart and spreadsheet, drawn without Telegram."""

import io
from datetime import date

import openpyxl
import pytest
from PIL import Image

from bot.services.reports.chart import HEIGHT_PX, WIDTH_PX, BarChart, Series, render_png
from bot.services.reports.finance import Money, Month, chart_buckets
from bot.services.reports.workbook import Column, Kind, Sheet, render_xlsx, sheet_title

MONEY = '#,##0 "soʻm"'


def chart(values_a, values_b, categories) -> BarChart:
    return BarChart(
        title="Moliya — dekabr 2026",
        categories=categories,
        series=[Series("Hisoblangan", values_a), Series("Yigʻilgan", values_b)],
        axis_label="soʻm",
        empty_text="Bu davr uchun maʼlumot yoʻq",
    )


def test_a_chart_is_a_png_of_the_expected_size():
    png = render_png(chart([2_893_000, 0], [1_643_000, 600_000], ["dek", "yan"]))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX)
    assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) > 10  # bars, not a blank page


def test_an_empty_chart_says_so():
    empty = chart([0, 0], [0, 0], ["dek", "yan"])
    assert empty.is_empty
    image = Image.open(io.BytesIO(render_png(empty)))
    assert image.size == (WIDTH_PX, HEIGHT_PX)
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 2  # the title and the text are drawn


def test_at_most_twelve_bars():
    with pytest.raises(ValueError):
        render_png(chart([1] * 13, [1] * 13, [str(i) for i in range(13)]))
    months = [Month(date(2024 + i // 12, i % 12 + 1, 1), Money()) for i in range(37)]
    buckets = chart_buckets(months)
    assert len(buckets) == 10 and [len(b) for b in buckets] == [4] * 9 + [1]
    assert sum(len(b) for b in buckets) == 37
    assert len(chart_buckets(months[:12])) == 12


def test_a_workbook_has_numbers_formats_a_frozen_header_and_totals():
    sheet = Sheet(
        title="By group: [A]/B",
        intro=[("Report", "Finance"), ("Period", "December 2026"), ("Filter", "Whole centre")],
        columns=[
            Column("Group", width=30),
            Column("Charged", Kind.MONEY, 18),
            Column("Paid", Kind.MONEY, 18),
            Column("Rate", Kind.RATE, 10, ratio_of=(2, 1)),
        ],
        rows=[("A", 600_000, 300_000, 0.5), ("B", 400_000, 400_000, 1.0)],
        totals_label="Total",
    )
    data = render_xlsx([sheet], MONEY)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == [sheet_title("By group: [A]/B")] == ["By group   A  B"]
    ws = workbook.active
    assert [ws.cell(row=r, column=2).value for r in (1, 2, 3)] == [
        "Finance",
        "December 2026",
        "Whole centre",
    ]
    assert [c.value for c in ws[5]] == ["Group", "Charged", "Paid", "Rate"]
    assert ws.freeze_panes == "A6"
    assert [c.value for c in ws[6]] == ["A", 600_000, 300_000, 0.5]
    assert ws["B6"].number_format == MONEY and ws["D6"].number_format == "0.0%"
    assert [c.value for c in ws[8]] == ["Total", "=SUM(B6:B7)", "=SUM(C6:C7)", '=IF(B8=0,"",C8/B8)']
    assert ws.column_dimensions["A"].width == 30


def test_a_percent_column_holds_the_number_of_percent_rounded_and_its_total_a_formula():
    sheet = Sheet(
        title="By student",
        intro=[],
        columns=[
            Column("Student", width=30),
            Column("Marks", Kind.NUMBER, 10),
            Column("Absent", Kind.NUMBER, 10),
            Column("Absent, %", Kind.PERCENT, 10, ratio_of=(2, 1)),
        ],
        rows=[("Ann", 3, 1, 1 / 3), ("Sam", 0, 0, None), ("Eve", 8, 8, 1.0)],
        totals_label="Total",
    )
    ws = openpyxl.load_workbook(io.BytesIO(render_xlsx([sheet], MONEY))).active
    assert [tuple(c.value for c in ws[r]) for r in (2, 3, 4)] == [
        ("Ann", 3, 1, 33.3),
        ("Sam", 0, 0, None),
        ("Eve", 8, 8, 100),
    ]
    assert ws["D2"].number_format == "General"
    assert ws["D5"].value == '=IF(B5=0,"",ROUND(100*C5/B5,1))'
