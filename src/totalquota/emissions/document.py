"""The determination as an issued document (核定结果, TOT-3): what it states and how it is drawn.

:func:`determination_figures` takes the snapshot an :class:`~totalquota.documents.models.IssuedDocument`
keeps when the determination is issued (the unit, its zone, per pollutant the permitted quantity,
last year's allowed, actual emissions of the emission year and the allowed emissions determined,
in the pollutant's unit, and the rule parameters with their clauses); the renderer registered in
``EmissionsConfig.ready()`` draws the PDF (WeasyPrint, the platform's Chinese fonts) and the XLSX
from that snapshot only, never from live records, so the stored files state what was decided.
The document is written in Chinese, as the bureau issues it.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import segno
from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Border, Font, Side

from totalquota.common.pdf import render_pdf
from totalquota.common.xlsx import decimal_number_format, text_cells
from totalquota.documents.models import ISSUER, IssuedDocument
from totalquota.documents.renderers import Files
from totalquota.lib.units import Unit, format_quantity

CLAUSE = "TOT-3"
TITLE = "苏州工业园区 {year} 年度排污单位许可排放量核定结果"
HEADERS = (
    "污染物",
    "许可排放量",
    "上年度核定排放量",
    "{prev} 年实际排放量",
    "{year} 年度核定排放量",
    "单位",
)
INTRO = (
    "根据《苏州工业园区排污总量指标管理实施细则》五.3（TOT-3），经技术审核，以贵单位审核通过的 {prev} 年度"
    "排放量申报为依据，结合功能区上年度环境质量状况、本年度改善目标和总量控制要求，核定贵单位 {year} 年度"
    "许可排放量如下。"
)
CLOSING = "请贵单位按核定排放量组织生产、落实污染防治措施，并于次年按期如实申报排放情况。我局将对排污单位排污总量实施动态管理。"
RULE_NAMES = {
    "improvement_target_bp": "改善目标削减比例",
    "total_control_grams": "总量控制量",
}


def subject_label(determination: Any) -> str:
    return f"{determination.year} 年度许可排放量核定 {determination.enterprise.name}"


def _rule_text(snapshot: dict[str, Any], unit: Unit) -> str:
    value = snapshot.get("value")
    if snapshot.get("key") == "improvement_target_bp":
        return "不适用" if value is None else format(Decimal(value).scaleb(-2).normalize(), "f") + "%"
    if value is None:
        return "不设上限"
    return format_quantity(int(value), unit, suffix=True)


def determination_figures(determination: Any) -> dict[str, Any]:
    """What the document states (grams, codes and the texts of the rules), taken at issue."""
    enterprise = determination.enterprise
    rows = []
    basis: dict[int, dict[str, Any]] = {}
    overrides = []
    for line in determination.lines.select_related("pollutant", "report_line").order_by(
        "pollutant__sort_order", "pollutant__code"
    ):
        p = line.pollutant
        reported = line.report_line
        rows.append(
            {
                "code": p.code,
                "name": p.name,
                "unit": p.display_unit,
                "permitted": reported.permitted_grams if reported else None,
                "last_allowed": reported.allowed_grams if reported else None,
                "actual": reported.actual_grams if reported else None,
                "allowed": line.allowed_grams,
            }
        )
        for snap in line.rules or []:
            pid = snap.get("parameter_id")
            if pid is None or pid in basis:
                continue
            basis[pid] = {
                "parameter_id": pid,
                "key": snap.get("key"),
                "name": RULE_NAMES.get(snap.get("key", ""), snap.get("key", "")),
                # The document names what a parameter applies to as people read it, not by code.
                "pollutant": p.name if snap.get("pollutant") else None,
                "zone": determination.zone.name if snap.get("zone") else None,
                "clause_id": snap.get("clause_id"),
                "effective_from": snap.get("effective_from"),
                "text": _rule_text(snap, p.unit),
            }
        if line.override_confirmed_by_id is not None:
            overrides.append({"code": p.code, "name": p.name, "reason": line.override_reason})
    return {
        "title": TITLE.format(year=determination.year),
        "year": determination.year,
        "emission_year": determination.year - 1,
        "enterprise": enterprise.name,
        "uscc": enterprise.uscc,
        "zone": determination.zone.name,
        "rows": rows,
        "basis": sorted(
            basis.values(), key=lambda b: (b["key"] or "", b["pollutant"] or "", b["parameter_id"])
        ),
        "overrides": overrides,
        "clause": CLAUSE,
    }


def figure_text(grams: int | None, unit: str) -> str:
    return "—" if grams is None else format_quantity(grams, Unit(unit))


def date_text(day: Any) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def document_context(document: IssuedDocument, verify_url: str) -> dict[str, Any]:
    figures = document.figures
    year, prev = figures["year"], figures["emission_year"]
    return {
        "title": figures["title"],
        "figures": figures,
        "intro": INTRO.format(year=year, prev=prev),
        "closing": CLOSING,
        "headers": [h.format(year=year, prev=prev) for h in HEADERS],
        "rows": [
            {
                "name": r["name"],
                "cells": [
                    figure_text(r[k], r["unit"]) for k in ("permitted", "last_allowed", "actual", "allowed")
                ],
                "unit": r["unit"],
            }
            for r in figures["rows"]
        ],
        "issuer": ISSUER,
        "date": date_text(document.issued_on),
        "document": document,
        "verify_url": verify_url,
        "qr_svg": segno.make(verify_url, error="m").svg_data_uri(scale=3, border=1),
    }


def determination_pdf(document: IssuedDocument, verify_url: str) -> bytes:
    return render_pdf("emissions/determinations_document.html", document_context(document, verify_url))


def determination_xlsx(document: IssuedDocument, verify_url: str) -> bytes:
    """The same content on one sheet: title, the unit, the table, the basis, issuer, date, the
    verification code and its QR code. Figures stay numbers printed as the PDF prints them."""
    ctx = document_context(document, verify_url)
    figures = ctx["figures"]
    wb = Workbook()
    ws = wb.active
    ws.title = "核定结果"
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    ws.merge_cells("A1:F1")
    ws["A1"] = ctx["title"]
    ws["A1"].font = Font(size=15, bold=True)
    ws["A1"].alignment = center
    ws.row_dimensions[1].height = 30
    ws.merge_cells("A2:F2")
    ws["A2"] = f"文号：{document.code}（第 {document.version} 版）"
    ws["A2"].font = Font(size=9)
    row = 3
    for label, value in (
        ("排污单位名称", figures["enterprise"]),
        ("统一社会信用代码", figures["uscc"]),
        ("功能区", figures["zone"]),
    ):
        ws.cell(row=row, column=1, value=label).alignment = center
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=6)
        ws.cell(row=row, column=2, value=value).alignment = left
        for col in range(1, 7):
            ws.cell(row=row, column=col).border = box
        row += 1
    row += 1
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
    ws.cell(row=row, column=1, value=ctx["intro"]).alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[row].height = 48
    row += 1
    for col, text in enumerate(ctx["headers"], start=1):
        cell = ws.cell(row=row, column=col, value=text)
        cell.alignment, cell.border, cell.font = center, box, Font(bold=True)
    row += 1
    for item in figures["rows"]:
        ws.cell(row=row, column=1, value=item["name"])
        for col, key in enumerate(("permitted", "last_allowed", "actual", "allowed"), start=2):
            cell = ws.cell(row=row, column=col)
            if item[key] is not None:
                text = format_quantity(item[key], Unit(item["unit"]))
                cell.value = Decimal(text)
                cell.number_format = decimal_number_format(text)
            else:
                cell.value = "—"
        ws.cell(row=row, column=6, value=item["unit"])
        for col in range(1, 7):
            ws.cell(row=row, column=col).border = box
            ws.cell(row=row, column=col).alignment = center
        row += 1
    row += 1
    ws.cell(row=row, column=1, value="核定依据").font = Font(bold=True)
    row += 1
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
    ws.cell(row=row, column=1, value="《苏州工业园区排污总量指标管理实施细则》五.3（TOT-3）及下列规则参数：")
    row += 1
    for b in figures["basis"]:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
        ws.cell(row=row, column=1, value=basis_text(b))
        row += 1
    for o in figures["overrides"]:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
        ws.cell(row=row, column=1, value=f"{o['name']}：经复核调整，理由：{o['reason']}")
        row += 1
    row += 1
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
    ws.cell(row=row, column=1, value=CLOSING).alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[row].height = 36
    row += 2
    ws.merge_cells(start_row=row, start_column=4, end_row=row, end_column=6)
    ws.cell(row=row, column=4, value=ISSUER).alignment = center
    ws.merge_cells(start_row=row + 1, start_column=4, end_row=row + 1, end_column=6)
    ws.cell(row=row + 1, column=4, value=ctx["date"]).alignment = center
    row += 3
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=6)
    ws.cell(row=row, column=2, value=f"验证码：{document.verification_code}").font = Font(size=9)
    ws.merge_cells(start_row=row + 1, start_column=2, end_row=row + 1, end_column=6)
    ws.cell(row=row + 1, column=2, value=f"验证网址：{verify_url}").font = Font(size=9)
    png = io.BytesIO()
    segno.make(verify_url, error="m").save(png, kind="png", scale=3, border=1)
    png.seek(0)
    qr = Image(png)
    qr.width = qr.height = 96
    ws.add_image(qr, f"A{row}")
    for letter, width in zip("ABCDEF", [18, 16, 18, 18, 18, 8], strict=True):
        ws.column_dimensions[letter].width = width
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    out = io.BytesIO()
    text_cells(wb).save(out)
    return out.getvalue()


def basis_text(b: dict[str, Any]) -> str:
    scope = "、".join(x for x in (b.get("zone"), b.get("pollutant")) if x) or "全园区"
    return (
        f"{b['name']}（{scope}）：{b['text']}；参数编号 {b['parameter_id']}，"
        f"自 {b['effective_from']} 起施行，依据 {b['clause_id']}"
    )


def render_determination(document: IssuedDocument, verify_url: str) -> Files:
    """Both files of an issued determination (registered with ``documents.renderers``)."""
    return Files(pdf=determination_pdf(document, verify_url), xlsx=determination_xlsx(document, verify_url))
