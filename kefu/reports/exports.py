"""Excel, CSV and PDF files of a report table (and its chart). One `Table` in, bytes out.

CSV is UTF-8 with a BOM (Excel opens Chinese text correctly) and neutralises formula injection:
text cells starting with = + - @ tab or CR get a leading apostrophe (OWASP "CSV Injection").
PDF uses fpdf2 with the chart drawn by matplotlib (both pure PyPI wheels).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from kefu.reports.pivot.present import ChartData

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NUMBER_FORMATS = {
    "count": "#,##0",
    "s": "#,##0",
    "CNY": "#,##0.00",
    "amount": "#,##0.00",
    "%": "0.0",
    "ratio": "0.0%",
    "score": "0.00",
}


@dataclass
class Table:
    title: str
    headers: list[str]
    units: list[str]  # per column: "" for text, else a key of NUMBER_FORMATS
    rows: list[list[Any]]
    chart: ChartData | None = None
    notes: list[str] = field(default_factory=list)


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(h) for h in table.headers])
    for row in table.rows:
        writer.writerow(["" if v is None else neutralise(_cell(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """Sheet 1: the table with a bold filled header, number formats, frozen header and
    autofilter; sheet 2: the chart data (categories × series) with a native Excel chart."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "Report"
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True, size=13)
    for note in table.notes:
        sheet.append([note])
    header_row = sheet.max_row + 1
    sheet.append(table.headers)
    fill = PatternFill("solid", fgColor="DDE6F5")
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.rows:
        # openpyxl writes strings as inline text, never as formulas, but Excel users copy cells:
        # neutralise anyway so the file is safe wherever the values travel.
        sheet.append([neutralise(_cell(v)) for v in row])
    for index, unit in enumerate(table.units, start=1):
        fmt = NUMBER_FORMATS.get(unit)
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(
            12, min(40, len(str(table.headers[index - 1])) + 4)
        )
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=header_row + 1, min_col=index, max_col=index):
                cell.number_format = fmt
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    if table.rows:
        last = get_column_letter(len(table.headers))
        sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + len(table.rows)}"
    if table.chart is not None:
        data = book.create_sheet("Chart data")
        chart = table.chart
        names = list(chart.series)
        data.append([chart.x_title or "", *names])
        for cell in data[1]:
            cell.font = Font(bold=True)
        for i, category in enumerate(chart.categories):
            data.append([category, *[chart.series[n][i] for n in names]])
        excel_chart = LineChart() if chart.is_time else BarChart()
        excel_chart.title = chart.title
        excel_chart.y_axis.title = chart.y_title
        excel_chart.x_axis.title = chart.x_title
        values = Reference(
            data, min_col=2, max_col=1 + len(names), min_row=1, max_row=1 + len(chart.categories)
        )
        excel_chart.add_data(values, titles_from_data=True)
        excel_chart.set_categories(
            Reference(data, min_col=1, min_row=2, max_row=1 + len(chart.categories))
        )
        excel_chart.width, excel_chart.height = 22, 11
        data.add_chart(excel_chart, f"{get_column_letter(len(names) + 3)}2")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """A font that has Chinese glyphs (Noto Sans CJK, WenQuanYi, …) or None."""
    candidates = [
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/System/Library/Fonts/PingFang.ttc",
        "C:/Windows/Fonts/msyh.ttc",
    ]
    return next((p for p in candidates if Path(p).exists()), None)


def chart_png(chart: ChartData) -> bytes:
    """The chart drawn by matplotlib (Agg backend) as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    font = cjk_font_path()
    properties = font_manager.FontProperties(fname=font) if font else None
    figure, axis = plt.subplots(figsize=(9, 4.2), dpi=110)
    try:
        x = list(range(len(chart.categories)))
        width = 0.8 / max(1, len(chart.series))
        for i, (name, values) in enumerate(chart.series.items()):
            ys = [float("nan") if v is None else v for v in values]
            if chart.is_time:
                axis.plot(x, ys, marker="o", label=name)
            else:
                axis.bar([p + i * width for p in x], ys, width=width, label=name)
        axis.set_xticks(
            [p + (0 if chart.is_time else width * (len(chart.series) - 1) / 2) for p in x]
        )
        axis.set_xticklabels(
            chart.categories, rotation=30, ha="right", fontproperties=properties, fontsize=8
        )
        axis.set_title(chart.title, fontproperties=properties)
        axis.set_ylabel(chart.y_title, fontproperties=properties)
        axis.set_xlabel(chart.x_title, fontproperties=properties)
        if len(chart.series) > 1:
            axis.legend(prop=properties, fontsize=8)
        axis.grid(axis="y", alpha=0.3)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(figure)


def _format(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}" if unit in ("CNY", "amount", "score") else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(_cell(value))


def to_pdf(table: Table) -> bytes:
    """A4 landscape: title, notes, the chart as an image, then the table (header repeated)."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    font = cjk_font_path()
    family = "Helvetica"
    if font:
        pdf.add_font("CJK", "", font)
        pdf.add_font("CJK", "B", font)  # headings: same face (a bold one is not always there)
        family = "CJK"
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font(family, size=15)

    def text(value: str) -> str:
        return value if font else value.encode("latin-1", "replace").decode("latin-1")

    pdf.cell(0, 9, text(table.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=9)
    for note in table.notes:
        pdf.multi_cell(0, 5, text(note), new_x="LMARGIN", new_y="NEXT")
    if table.chart is not None and table.chart.categories:
        pdf.image(io.BytesIO(chart_png(table.chart)), w=250)
    pdf.ln(3)
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / max(1, len(table.headers))
    with pdf.table(
        col_widths=[width] * len(table.headers), text_align="LEFT", line_height=5
    ) as grid:
        header = grid.row()
        for heading in table.headers:
            header.cell(text(str(heading)))
        for row in table.rows:
            line = grid.row()
            for value, unit in zip(row, table.units, strict=False):
                line.cell(text(_format(value, unit)))
    return bytes(pdf.output())


CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}
WRITERS = {"xlsx": to_xlsx, "csv": to_csv, "pdf": to_pdf}


def render(table: Table, fmt: str) -> bytes:
    return WRITERS[fmt](table)
