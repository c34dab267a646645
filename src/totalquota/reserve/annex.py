"""附件1 苏州工业园区排污总量指标管理信息表 (ANNEX-1): the table issued with an approval."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from totalquota.common.pdf import render_pdf
from totalquota.common.xlsx import text_cells
from totalquota.lib.units import Unit, grams_to_decimal
from totalquota.reserve.models import ApplicationStatus, QuotaApplication
from totalquota.reserve.selectors import annex_rows

TITLE = "苏州工业园区排污总量指标管理信息表"
ISSUER = "苏州工业园区生态环境局"
REMINDER = (
    "提示：园区对排污总量指标实行动态管理。建设项目正式投运满一年后，经核实实际排放量低于许可排放量 80% 的，"
    "或项目不再建设的，生态环境局可依据《实施细则》收回相应总量指标。"
)
COLUMNS = [
    "本项目许可量（接管量）",
    "本项目许可量（外排环境量）",
    "全厂许可量（接管量）",
    "全厂许可量（外排环境量）",
]


def _tonnes(grams: int | None) -> Decimal | None:
    return None if grams is None else grams_to_decimal(grams, Unit.TONNES_PER_YEAR)


def annex_context(application: QuotaApplication) -> dict[str, Any]:
    if application.status != ApplicationStatus.APPROVED:
        raise ValueError("ANNEX-1 is issued for approved applications only")
    rows = []
    for row in annex_rows(application):
        line = row["line"]
        values = (
            [line.project_sewer_grams, line.permitted_env_grams, line.plant_sewer_grams, line.plant_env_grams]
            if line is not None
            else [None, None, None, None]
        )
        rows.append(
            {
                "name": row["pollutant"].name,
                "code": row["pollutant"].code,
                "values": [_tonnes(v) for v in values],
            }
        )
    decided = timezone.localtime(application.decided_at) if application.decided_at else timezone.localtime()
    return {
        "title": TITLE,
        "issuer": ISSUER,
        "reminder": REMINDER,
        "columns": COLUMNS,
        "application": application,
        "enterprise": application.enterprise,
        "rows": rows,
        "issued_on": decided.date(),
    }


def annex_xlsx(application: QuotaApplication) -> bytes:
    """The table laid out like the official form: header block, a pollutant row each, the reminder."""
    ctx = annex_context(application)
    wb = Workbook()
    ws = wb.active
    ws.title = "信息表"
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.merge_cells("A1:E1")
    ws["A1"] = TITLE
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = center
    ws.row_dimensions[1].height = 32
    header = [
        ("单位名称", ctx["enterprise"].name),
        ("统一社会信用代码", ctx["enterprise"].uscc),
        ("建设项目名称", application.project_name),
        ("建设地点", application.location),
        ("申请编号 / 环评文件", f"{application.code} / {application.eia_reference}"),
    ]
    row = 2
    for label, value in header:
        ws.cell(row=row, column=1, value=label).font = Font(bold=True)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
        ws.cell(row=row, column=2, value=value)
        for col in range(1, 6):
            ws.cell(row=row, column=col).border = box
        row += 1
    ws.cell(row=row, column=1, value="污染物（t/a）")
    ws.merge_cells(start_row=row, start_column=1, end_row=row + 1, end_column=1)
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
    ws.cell(row=row, column=2, value="本项目许可量")
    ws.merge_cells(start_row=row, start_column=4, end_row=row, end_column=5)
    ws.cell(row=row, column=4, value="全厂许可量")
    for col, text in enumerate(["接管量", "外排环境量", "接管量", "外排环境量"], start=2):
        ws.cell(row=row + 1, column=col, value=text)
    for r in (row, row + 1):
        for col in range(1, 6):
            cell = ws.cell(row=r, column=col)
            cell.font = Font(bold=True)
            cell.alignment = center
            cell.border = box
    row += 2
    for item in ctx["rows"]:
        ws.cell(row=row, column=1, value=item["name"]).border = box
        for col, value in enumerate(item["values"], start=2):
            cell = ws.cell(row=row, column=col, value=value if value is not None else "—")
            cell.number_format = "0.000000"
            cell.alignment = Alignment(horizontal="right")
            cell.border = box
        row += 1
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
    ws.cell(row=row, column=1, value=REMINDER).alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[row].height = 48
    row += 2
    ws.cell(row=row, column=4, value="发放单位：")
    ws.cell(row=row, column=5, value=ISSUER)
    ws.cell(row=row + 1, column=4, value="日期：")
    ws.cell(row=row + 1, column=5, value=ctx["issued_on"].strftime("%Y年%m月%d日"))
    for letter, width in zip("ABCDE", [22, 20, 22, 20, 26], strict=True):
        ws.column_dimensions[letter].width = width
    out = io.BytesIO()
    text_cells(wb).save(out)
    return out.getvalue()


def annex_pdf(application: QuotaApplication) -> bytes:
    return render_pdf("reserve/annex_pdf.html", annex_context(application))
