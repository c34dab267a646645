"""Drawing an issued bulletin: the PDF (WeasyPrint, the platform's Chinese fonts, a bar chart drawn
on the server as SVG) and the XLSX (openpyxl, a native bar chart), from its stored figures only.

Both print on A4: the PDF in landscape (up to thirteen columns of figures), the XLSX sheets set to
A4 landscape, fitted to one page wide, with the header row repeated on every printed page.
"""

from __future__ import annotations

import io
from decimal import Decimal
from html import escape
from typing import Any

import segno
from django.utils.safestring import SafeString, mark_safe
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from totalquota.common.pdf import SANS, render_pdf
from totalquota.common.xlsx import decimal_number_format
from totalquota.documents.models import IssuedDocument
from totalquota.documents.renderers import Files
from totalquota.lib.units import Unit, format_quantity
from totalquota.reports.bulletins import cell_text

# The PDF prints at most this many rows of a table; a longer one (the units of the whole park)
# is printed in full in the XLSX, and the PDF says so.
PDF_MAX_ROWS = 1500
COLORS = ("#2f6db5", "#e08a1e", "#3a9b5d", "#b53f3f")


def chart_number(cell: Any) -> Decimal:
    if isinstance(cell, dict):
        return Decimal(format_quantity(cell["g"], Unit(cell["u"])))
    return Decimal(cell or 0)


def chart_svg(chart: dict[str, Any], *, width: int = 960, height: int = 300) -> SafeString:
    """A grouped bar chart of ``chart`` (categories × series) as inline SVG, every text escaped."""
    cats = chart.get("categories") or []
    series = chart.get("series") or []
    values = [[chart_number(v) for v in s["values"]] for s in series]
    top = max([v for row in values for v in row] + [Decimal(0)])
    top = top if top > 0 else Decimal(1)
    left, right, upper, lower = 70, 20, 36, 70
    plot_w, plot_h = width - left - right, height - upper - lower
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family=\'{escape(SANS, quote=True)}\' font-size="11">',
        f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">'
        f"{escape(chart.get('title', ''))}</text>",
        f'<line x1="{left}" y1="{upper + plot_h}" x2="{left + plot_w}" y2="{upper + plot_h}" stroke="#333"/>',
        f'<line x1="{left}" y1="{upper}" x2="{left}" y2="{upper + plot_h}" stroke="#333"/>',
    ]
    for i in range(5):
        frac = Decimal(i) / 4
        y = upper + plot_h - float(frac) * plot_h
        label = format((top * frac).quantize(Decimal("0.01")).normalize(), "f")
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>')
    n = max(len(cats), 1)
    group = plot_w / n
    bar = group * 0.8 / max(len(series), 1)
    for ci, cat in enumerate(cats):
        gx = left + ci * group + group * 0.1
        for si, row in enumerate(values):
            v = row[ci] if ci < len(row) else Decimal(0)
            h = float(v / top) * plot_h
            x = gx + si * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{upper + plot_h - h:.1f}" width="{bar * 0.9:.1f}" height="{h:.1f}" '
                f'fill="{COLORS[si % len(COLORS)]}"/>'
            )
        parts.append(
            f'<text x="{gx + group * 0.4:.1f}" y="{upper + plot_h + 14}" text-anchor="middle" font-size="9">'
            f"{escape(str(cat))}</text>"
        )
    for si, s in enumerate(series):
        x = left + si * 160
        parts.append(
            f'<rect x="{x}" y="{height - 22}" width="10" height="10" fill="{COLORS[si % len(COLORS)]}"/>'
            f'<text x="{x + 14}" y="{height - 13}">{escape(s["name"])}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def date_text(day: Any) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def pdf_context(document: IssuedDocument, verify_url: str) -> dict[str, Any]:
    figures = document.figures
    tables = []
    for t in figures["tables"]:
        rows = t["rows"]
        tables.append(
            {
                "title": t["title"],
                "headers": t["headers"],
                "rows": [
                    [{"text": cell_text(c), "num": isinstance(c, dict | int)} for c in r]
                    for r in rows[:PDF_MAX_ROWS]
                ],
                "cut": len(rows) > PDF_MAX_ROWS,
                "count": len(rows),
                "shown": min(len(rows), PDF_MAX_ROWS),
            }
        )
    basis = figures["basis"]
    return {
        "f": figures,
        "document": document,
        "tables": tables,
        "chart": chart_svg(figures["chart"]) if figures.get("chart", {}).get("categories") else None,
        "period": f"{basis['period'][0]} 至 {basis['period'][1]}",
        "date": date_text(document.issued_on),
        "verify_url": verify_url,
        "qr_svg": segno.make(verify_url, error="m").svg_data_uri(scale=3, border=1),
    }


def bulletin_pdf(document: IssuedDocument, verify_url: str) -> bytes:
    return render_pdf("reports/bulletin_pdf.html", pdf_context(document, verify_url))


def _fit_a4(ws: Any, header_row: int) -> None:
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"


def _cell(ws: Any, value: Any, *, font: Font | None = None) -> Any:
    """A streamed cell: text stays text (never a formula), a figure a number printed as the PDF
    prints it.

    Only what needs a style or a type is written as a cell object: plain text not starting with
    ``=``, a whole number and an empty cell are handed on as values (openpyxl writes them as the
    same text and numbers, in a fraction of the time a styled cell takes; the park's report has
    over a hundred thousand cells)."""
    if font is None:
        if isinstance(value, str) and not value.startswith("="):
            return value
        if isinstance(value, Decimal) and value == value.to_integral_value():
            return int(value)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, Decimal):
        cell.number_format = decimal_number_format(value)
    if font is not None:
        cell.font = font
    return cell


TITLE = Font(bold=True, size=14)
BOLD = Font(bold=True)


def bulletin_xlsx(document: IssuedDocument, verify_url: str) -> bytes:
    """One sheet per table (title, 文号, period and scope above the headers; figures as numbers
    printed as the PDF prints them), the chart on its own sheet after the first table as a native
    bar chart, and a sheet with the basis and the verification code. Written in streaming mode, so
    the park's thousands of unit rows cost little more than the values themselves."""
    figures = document.figures
    basis = figures["basis"]
    wb = Workbook(write_only=True)
    for index, t in enumerate(figures["tables"]):
        ws = wb.create_sheet(t["title"][:31])
        for col, header in enumerate(t["headers"], start=1):
            ws.column_dimensions[get_column_letter(col)].width = max(10, min(36, len(header) * 2 + 4))
        ws.freeze_panes = "A4"
        _fit_a4(ws, 3)
        ws.append([_cell(ws, figures["title"], font=TITLE)])
        ws.append(
            [
                _cell(
                    ws,
                    f"文号：{document.code}（第 {document.version} 版）　范围：{figures['scope']}　"
                    f"期间：{basis['period'][0]} 至 {basis['period'][1]}",
                )
            ]
        )
        ws.append([_cell(ws, h, font=BOLD) for h in t["headers"]])
        for row in t["rows"]:
            ws.append([_cell(ws, _xlsx_value(c)) for c in row])
        if index == 0:
            _add_chart(wb, figures)
    info = wb.create_sheet("说明与验证")
    info.column_dimensions["A"].width = 20
    info.column_dimensions["B"].width = 100
    _fit_a4(info, 1)
    for line in (
        ("标题", figures["title"]),
        ("文号", f"{document.code}（第 {document.version} 版）"),
        ("发布单位", figures["issuer"]),
        ("签发日期", date_text(document.issued_on)),
        ("依据", figures["clause"]),
        ("统计截止日", basis["as_of"]),
        ("数据截至时刻", basis["known_at"]),
        ("台账摘要（SHA-256）", basis["ledger_digest"]),
        ("验证码", document.verification_code),
        ("验证网址", verify_url),
        *(("口径", n) for n in figures.get("notes", [])),
    ):
        info.append([_cell(info, v) for v in line])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _xlsx_value(cell: Any) -> Any:
    if cell is None:
        return "—"
    if isinstance(cell, dict):
        return Decimal(format_quantity(cell["g"], Unit(cell["u"])))
    return cell


def _add_chart(wb: Workbook, figures: dict[str, Any]) -> None:
    """The bulletin's chart as a native Excel bar chart on its own sheet (its data beside it)."""
    chart_data = figures.get("chart") or {}
    cats = chart_data.get("categories") or []
    if not cats:
        return
    ws = wb.create_sheet("图表")
    ws.column_dimensions["A"].width = 24
    _fit_a4(ws, 1)
    ws.append([_cell(ws, v) for v in ["类别", *[s["name"] for s in chart_data["series"]]]])
    for i, cat in enumerate(cats):
        ws.append([_cell(ws, cat), *[chart_number(s["values"][i]) for s in chart_data["series"]]])
    chart = BarChart()
    chart.type = "col"
    chart.title = chart_data["title"]
    chart.y_axis.title = "数量"
    data = Reference(ws, min_col=2, max_col=1 + len(chart_data["series"]), min_row=1, max_row=1 + len(cats))
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=1 + len(cats)))
    chart.width, chart.height = 24, 12
    ws.add_chart(chart, "E2")


def render_bulletin(document: IssuedDocument, verify_url: str) -> Files:
    """Both files of an issued bulletin (registered with ``documents.renderers``)."""
    return Files(pdf=bulletin_pdf(document, verify_url), xlsx=bulletin_xlsx(document, verify_url))
