"""Exports read back: Excel numbers and formats, the chart-data sheet, CSV BOM and formula
neutralisation, a PDF with the chart image."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from kefu.reports.exports import Table, neutralise, to_csv, to_pdf, to_xlsx
from kefu.reports.pivot.present import ChartData

CHART = ChartData(
    "Tickets by channel",
    "channel",
    "tickets",
    ["email", "phone"],
    {"complaint": [3, 4], "inquiry": [5, None]},
    False,
)
TABLE = Table(
    title="Tickets 工单",
    headers=["Channel", "Kind", "Count", "Mean resolution (s)"],
    units=["", "", "count", "s"],
    rows=[["email", '=HYPERLINK("http://x")', 3, 1234.5], ["phone", "inquiry", 12, None]],
    chart=CHART,
    notes=["Data set: Tickets"],
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86 21", "'+86 21"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("normal", "normal"),
        ("客户", "客户"),
        (-2, -2),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_has_a_bom_and_neutralised_cells():
    data = to_csv(TABLE)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == TABLE.headers
    assert rows[1] == ["email", '\'=HYPERLINK("http://x")', "3", "1234.5"]
    assert rows[2] == ["phone", "inquiry", "12", ""]


def test_xlsx_reads_back_with_numbers_formats_and_chart_data():
    book = load_workbook(io.BytesIO(to_xlsx(TABLE)))
    sheet = book["Report"]
    assert sheet["A1"].value == "Tickets 工单"
    header = [c.value for c in sheet[3]]
    assert header == TABLE.headers and sheet["A3"].font.bold
    assert [c.value for c in sheet[4]] == ["email", '\'=HYPERLINK("http://x")', 3, 1234.5]
    assert sheet["C4"].number_format == "#,##0"
    assert sheet["D5"].value is None
    assert sheet.freeze_panes == "A4"
    data = book["Chart data"]
    assert [[c.value for c in row] for row in data.iter_rows()] == [
        ["channel", "complaint", "inquiry"],
        ["email", 3, 5],
        ["phone", 4, None],
    ]
    assert len(data._charts) == 1


def test_pdf_has_the_chart_image_and_the_table():
    pdf = to_pdf(TABLE)
    assert pdf.startswith(b"%PDF")
    assert b"/Subtype /Image" in pdf
    assert len(pdf) > 5_000
