"""附件1 苏州工业园区排污总量指标管理信息表 (ANNEX-1): the table issued with an approval.

The table is the seed's 附件1 word for word: its labels, its header, its nine rows in its order
(重金属 last, each metal the application has on a line of its own, in t/a like the rest of the
table), the reminder after 提醒：, the issuer 苏州工业园区生态环境局 and the date of the decision
written 2026年12月1日, with a space for the seal beside them. A cell the template leaves blank
stays blank (a pollutant the application does not have; 接管量 of an air pollutant). What the
bureau adds (文号, 申请编号, 环评文件, version, verification code and its QR code) is printed
above and below the table, never in it.

It is drawn from the figures snapshot an :class:`~totalquota.documents.models.IssuedDocument`
keeps (:func:`annex_figures`, taken when the document is issued), never from the live
application, so the stored file states what was decided. Figures are written with
:func:`totalquota.lib.units.format_quantity` (no trailing zeros, no exponent: 6 → "6",
0.000123 → "0.000123"); in the XLSX they stay numbers, with a number format per cell that prints
the same text (:func:`totalquota.common.xlsx.decimal_number_format`).
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import segno
from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties

from totalquota.common.pdf import render_pdf
from totalquota.common.xlsx import decimal_number_format, text_cells
from totalquota.documents.models import ISSUER, IssuedDocument
from totalquota.documents.renderers import Files
from totalquota.lib.units import Unit, format_quantity
from totalquota.registry.models import Medium, Pollutant
from totalquota.reserve.models import QuotaApplication

LABEL = "附件 1"
TITLE = "苏州工业园区排污总量指标管理信息表"
HEADER_LABELS = ("排污单位名称", "统一社会信用代码", "建设项目名称", "建设地点")
QUANTITY_HEADER = "排污种类及数量 (t/a)"
PROJECT_HEADER = "本次核定建设项目许可排放量"
PLANT_HEADER = "全厂核定许可排放量"
SUB_HEADERS = ("接管量", "外排环境量", "接管量", "外排环境量")
# The rows of the template, in its order; 重金属 gathers the heavy metals (POLL-1).
ROWS = (
    ("PM", "颗粒物"),
    ("SO2", "二氧化硫"),
    ("NOX", "氮氧化物"),
    ("VOCS", "挥发性有机物"),
    ("COD", "化学需氧量"),
    ("NH3N", "氨氮"),
    ("TN", "总氮"),
    ("TP", "总磷"),
)
HEAVY_METALS_ROW = "重金属"
REMINDER = (
    "提醒：我局对排污单位排污总量实施动态管理和指标校核，并根据苏州工业园区环境质量状况和排污单位实际管理情况，"
    "对不符合管理要求的排污单位排污总量指标予以收回。"
)
TONNES = Unit.TONNES_PER_YEAR


def issue_date_text(day: Any) -> str:
    """The date as the bureau writes it: 2026年12月1日 (no zero padding)."""
    return f"{day.year}年{day.month}月{day.day}日"


def _line_values(line: Any, pollutant: Pollutant) -> list[int | None]:
    """The four figures of a line in grams: this project (接管量, 外排环境量), the whole plant
    (接管量, 外排环境量). 接管量 of an air pollutant is blank: air is not piped to a sewage plant.
    The project's 外排环境量 is its current permitted quantity (lowered by a recovery)."""
    project_env = line.permitted_env_grams if line.permitted_env_grams is not None else line.project_env_grams
    piped = pollutant.medium != Medium.AIR
    return [
        line.project_sewer_grams if piped else None,
        project_env,
        line.plant_sewer_grams if piped else None,
        line.plant_env_grams,
    ]


def annex_figures(application: QuotaApplication) -> dict[str, Any]:
    """What the table states, in grams (the snapshot an issued ANNEX-1 keeps)."""
    lines = {line.pollutant.code: line for line in application.lines.select_related("pollutant")}
    rows = []
    for code, name in ROWS:
        line = lines.get(code)
        values = _line_values(line, line.pollutant) if line is not None else [None] * 4
        rows.append({"code": code, "name": name, "values": values})
    metals = [
        {
            "code": line.pollutant.code,
            "name": line.pollutant.name,
            "values": _line_values(line, line.pollutant),
        }
        for line in sorted(lines.values(), key=lambda x: (x.pollutant.sort_order, x.pollutant.code))
        if line.pollutant.is_heavy_metal
    ]
    return {
        "enterprise": application.enterprise.name,
        "uscc": application.enterprise.uscc,
        "project_name": application.project_name,
        "location": application.location,
        "application_code": application.code,
        "eia_reference": application.eia_reference,
        "rows": rows,
        "metals": metals,
    }


def figure_text(grams: int | None) -> str:
    """A figure as the table prints it (t/a), blank for none."""
    return "" if grams is None else format_quantity(grams, TONNES)


def _metal_cells(metals: list[dict[str, Any]]) -> list[str]:
    """The 重金属 row's four cells: one line per metal with a figure in that column (铅 0.0005)."""
    return [
        "\n".join(f"{m['name']} {figure_text(m['values'][i])}" for m in metals if m["values"][i] is not None)
        for i in range(4)
    ]


def annex_context(document: IssuedDocument, verify_url: str) -> dict[str, Any]:
    figures = document.figures
    qr = segno.make(verify_url, error="m")
    return {
        "label": LABEL,
        "title": TITLE,
        "issuer": ISSUER,
        "reminder": REMINDER,
        "figures": figures,
        "header": list(
            zip(
                HEADER_LABELS,
                (figures["enterprise"], figures["uscc"], figures["project_name"], figures["location"]),
                strict=True,
            )
        ),
        "quantity_header": QUANTITY_HEADER,
        "project_header": PROJECT_HEADER,
        "plant_header": PLANT_HEADER,
        "sub_headers": SUB_HEADERS,
        "rows": [{"name": r["name"], "cells": [figure_text(v) for v in r["values"]]} for r in figures["rows"]]
        + [{"name": HEAVY_METALS_ROW, "cells": _metal_cells(figures["metals"])}],
        "date": issue_date_text(document.issued_on),
        "document": document,
        "verify_url": verify_url,
        "qr_svg": qr.svg_data_uri(scale=3, border=1),
    }


def annex_pdf(document: IssuedDocument, verify_url: str) -> bytes:
    return render_pdf("reserve/annex_pdf.html", annex_context(document, verify_url))


def _qr_png(url: str) -> io.BytesIO:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=3, border=1)
    out.seek(0)
    return out


def annex_xlsx(document: IssuedDocument, verify_url: str) -> bytes:
    """The table laid out like the template on one A4 portrait page: the 附件 1 label, the title,
    the bureau's line above the table, the table, the reminder, issuer and date beside a space for
    the seal, and below them the verification code, its address and QR code."""
    ctx = annex_context(document, verify_url)
    figures = ctx["figures"]
    wb = Workbook()
    ws = wb.active
    ws.title = "信息表"
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    ws["A1"] = LABEL
    ws["A1"].font = Font(size=12, bold=True)
    ws.merge_cells("A2:E2")
    ws["A2"] = TITLE
    ws["A2"].font = Font(size=16, bold=True)
    ws["A2"].alignment = center
    ws.row_dimensions[2].height = 32
    ws.merge_cells("A3:E3")
    ws["A3"] = (
        f"文号：{document.code}（第 {document.version} 版）    申请编号：{figures['application_code']}    "
        f"环评文件：{figures['eia_reference']}"
    )
    ws["A3"].font = Font(size=9)
    ws["A3"].alignment = left
    row = 4
    for label, value in ctx["header"]:
        ws.cell(row=row, column=1, value=label).alignment = center
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
        ws.cell(row=row, column=2, value=value).alignment = left
        for col in range(1, 6):
            ws.cell(row=row, column=col).border = box
        ws.row_dimensions[row].height = 22
        row += 1
    header_row = row
    ws.cell(row=row, column=1, value=QUANTITY_HEADER)
    ws.merge_cells(start_row=row, start_column=1, end_row=row + 1, end_column=1)
    ws.cell(row=row, column=2, value=PROJECT_HEADER)
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
    ws.cell(row=row, column=4, value=PLANT_HEADER)
    ws.merge_cells(start_row=row, start_column=4, end_row=row, end_column=5)
    for col, text in enumerate(SUB_HEADERS, start=2):
        ws.cell(row=row + 1, column=col, value=text)
    for r in (row, row + 1):
        for col in range(1, 6):
            cell = ws.cell(row=r, column=col)
            cell.alignment = center
            cell.border = box
    row += 2
    for item in figures["rows"]:
        ws.cell(row=row, column=1, value=item["name"]).alignment = center
        for col, grams in enumerate(item["values"], start=2):
            cell = ws.cell(row=row, column=col)
            if grams is not None:
                text = figure_text(grams)
                cell.value = Decimal(text)
                cell.number_format = decimal_number_format(text)
            cell.alignment = center
        for col in range(1, 6):
            ws.cell(row=row, column=col).border = box
        ws.row_dimensions[row].height = 20
        row += 1
    # 重金属: several metals in one cell cannot be one number; each is written as its line of text.
    metals = _metal_cells(figures["metals"])
    ws.cell(row=row, column=1, value=HEAVY_METALS_ROW).alignment = center
    for col, text in enumerate(metals, start=2):
        ws.cell(row=row, column=col, value=text or None).alignment = center
    for col in range(1, 6):
        ws.cell(row=row, column=col).border = box
    ws.row_dimensions[row].height = max(20, 15 * max((t.count("\n") + 1 for t in metals if t), default=1))
    row += 2
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
    ws.cell(row=row, column=1, value=REMINDER).alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[row].height = 48
    row += 2
    # Issuer and date on the right; the cells left of them (B:C over three rows) stay empty for
    # the seal.
    ws.merge_cells(start_row=row, start_column=2, end_row=row + 2, end_column=3)
    ws.merge_cells(start_row=row, start_column=4, end_row=row, end_column=5)
    ws.cell(row=row, column=4, value=ISSUER).alignment = center
    ws.merge_cells(start_row=row + 1, start_column=4, end_row=row + 1, end_column=5)
    ws.cell(row=row + 1, column=4, value=ctx["date"]).alignment = center
    for r in range(row, row + 3):
        ws.row_dimensions[r].height = 24
    row += 4
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
    ws.cell(row=row, column=2, value=f"验证码：{document.verification_code}").font = Font(size=9)
    ws.merge_cells(start_row=row + 1, start_column=2, end_row=row + 1, end_column=5)
    ws.cell(row=row + 1, column=2, value=f"验证网址：{verify_url}").font = Font(size=9)
    ws.cell(row=row + 1, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    qr = Image(_qr_png(verify_url))
    qr.width = qr.height = 96
    ws.add_image(qr, f"A{row}")
    for r in range(row, row + 5):
        ws.row_dimensions[r].height = 20
    last_row = row + 4
    for letter, width in zip("ABCDE", [22, 17, 17, 17, 17], strict=True):
        ws.column_dimensions[letter].width = width
    ws.print_area = f"A1:E{last_row}"
    ws.print_title_rows = f"{header_row}:{header_row + 1}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.7, right=0.7, top=0.75, bottom=0.75, header=0.3, footer=0.3)
    out = io.BytesIO()
    text_cells(wb).save(out)
    return out.getvalue()


def render_annex(document: IssuedDocument, verify_url: str) -> Files:
    """Both files of an issued ANNEX-1 (registered with ``documents.renderers``)."""
    return Files(pdf=annex_pdf(document, verify_url), xlsx=annex_xlsx(document, verify_url))
