"""The history template (历史数据导入模板) and the strict reading of a filled-in copy.

Three sheets, one row per record; row 1 holds the Chinese headers, row 2 their English (the
reader skips it), data from row 3. A fourth sheet (填写说明 Notes) explains every column in both
languages. Columns are found by their Chinese header, in any order; a missing or unknown column
refuses the file. An uploaded workbook is untrusted: every XML part is checked (no DTD, no
entity, bounded size) before openpyxl reads it (:func:`totalquota.common.xlsx.check_untrusted_xlsx`).
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from totalquota.common.xlsx import NOT_A_WORKBOOK, check_untrusted_xlsx, exact_number, text_cells
from totalquota.lib.errors import ValidationFailed

MAX_ROWS = 5_000  # per sheet: a park's five years fit many times over


@dataclass(frozen=True)
class Col:
    """One column: the key the plan reads, the Chinese header, the English header under it, and
    the note the 填写说明 sheet gives (Chinese, English)."""

    key: str
    header: str
    english: str
    note: str
    note_en: str
    width: int = 16


@dataclass(frozen=True)
class Sheet:
    """One sheet of the template: its code (used in row keys and reports), title and columns."""

    code: str
    title: str
    english: str
    columns: tuple[Col, ...]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


_AMOUNT = (
    "数量：重金属按 kg/a，其余按 t/a；也可写明单位，如“0.5 kg/a”",
    "Amount: heavy metals in kg/a, others in t/a; or give the unit, e.g. “0.5 kg/a”",
)
_ZONE = ("功能区名称或代码", "Functional zone, by name or code")
_POLLUTANT = ("污染物名称或代码（如 COD、化学需氧量）", "Pollutant, by name or code (e.g. COD)")

LOTS = Sheet(
    "lot",
    "减排量入库",
    "Reserve lots",
    (
        Col(
            "ref",
            "批次编号",
            "Lot ref",
            "本文件内唯一，供“配额分配”页引用",
            "Unique in this file; the allocations sheet refers to it",
            12,
        ),
        Col("zone", "功能区", "Zone", *_ZONE, 20),
        Col("pollutant", "污染物", "Pollutant", *_POLLUTANT, 12),
        Col("amount", "入库数量", "Amount", *_AMOUNT, 14),
        Col(
            "date",
            "入库日期",
            "Effective date",
            "2021-01-01 起（SCOPE-1），不晚于今天",
            "From 2021-01-01 (SCOPE-1), not after today",
            14,
        ),
        Col(
            "source_code",
            "减排项目编号",
            "Reduction project code",
            "减排项目编号或来源文件编号，必填",
            "Reduction project code or source reference, required",
            22,
        ),
        Col("source_label", "来源说明", "Source description", "选填", "Optional", 36),
    ),
)
ALLOCATIONS = Sheet(
    "allocation",
    "配额分配",
    "Allocations",
    (
        Col(
            "ref",
            "分配编号",
            "Allocation ref",
            "本文件内唯一，供“收回”页引用",
            "Unique in this file; the recoveries sheet refers to it",
            12,
        ),
        Col(
            "uscc",
            "统一社会信用代码",
            "Unit credit code",
            "已登记排污单位的统一社会信用代码，单位须在该功能区",
            "Credit code of a registered unit of that zone",
            22,
        ),
        Col("project_name", "建设项目名称", "Project name", "必填", "Required", 30),
        Col(
            "project_code",
            "项目代码",
            "Project code",
            "选填（如审批编号）",
            "Optional (e.g. approval number)",
            18,
        ),
        Col("zone", "功能区", "Zone", *_ZONE, 20),
        Col("pollutant", "污染物", "Pollutant", *_POLLUTANT, 12),
        Col("amount", "分配数量", "Amount", *_AMOUNT, 14),
        Col(
            "date",
            "分配日期",
            "Allocation date",
            "2021-01-01 起，不早于所用批次的入库日期",
            "From 2021-01-01, not before the lots it uses",
            14,
        ),
        Col(
            "lots",
            "所用批次",
            "Lots used",
            "留空则按入库先后（先入先出）；或写批次编号，多个批次写成 L1=0.5；L2=0.3",
            "Blank: oldest lots first (FIFO); or lot refs, several as L1=0.5; L2=0.3",
            24,
        ),
    ),
)
RECOVERIES = Sheet(
    "recovery",
    "收回",
    "Recoveries",
    (
        Col(
            "allocation",
            "分配编号",
            "Allocation ref",
            "“配额分配”页的分配编号",
            "Allocation ref of the allocations sheet",
            12,
        ),
        Col(
            "amount",
            "收回数量",
            "Amount",
            "情形 1 可留空（全部收回）；" + _AMOUNT[0],
            "Ground 1 may be blank (all of it); " + _AMOUNT[1],
            14,
        ),
        Col("date", "收回日期", "Recovery date", "不早于分配日期", "Not before the allocation date", 14),
        Col(
            "ground",
            "收回情形",
            "RES-4 ground",
            "1 项目不再建设（全部退回原批次）；2 实际排放低于许可量 80%；3 其他（2、3 形成新批次）",
            "1 not built (all back to its lots); 2 actual below 80% of permitted; 3 other (2 and 3 open a new lot)",
            16,
        ),
        Col("reason", "收回理由", "Reason", "必填", "Required", 36),
    ),
)
SHEETS = (LOTS, ALLOCATIONS, RECOVERIES)
NOTES_TITLE = "填写说明 Notes"

HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")
ENGLISH_FILL = PatternFill("solid", fgColor="F2F5F9")


def template() -> tempfile.SpooledTemporaryFile:
    """The blank template: the three sheets with their two header rows, printable (landscape, one
    page wide, header rows repeated), and the notes sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.title)
        ws.append(sheet.headers)
        ws.append([c.english for c in sheet.columns])
        for i, col in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = col.width
            top, under = ws.cell(row=1, column=i), ws.cell(row=2, column=i)
            top.font, top.fill = Font(bold=True), HEADER_FILL
            under.font, under.fill = Font(italic=True, color="555555"), ENGLISH_FILL
            for cell in (top, under):
                cell.alignment = Alignment(wrap_text=True, vertical="center")
            letter = get_column_letter(i)
            fmt = "yyyy-mm-dd" if col.key == "date" else "@"
            for number in range(3, 503):
                ws[f"{letter}{number}"].number_format = fmt
        ws.freeze_panes = "A3"
        ws.print_title_rows = "1:2"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    notes = wb.create_sheet(NOTES_TITLE)
    notes.append(["工作表 Sheet", "列 Column", "说明", "Notes"])
    for cell in notes[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    general = [
        (
            "规则",
            "Rules",
            "任何一行有误，或按日期先后模拟时任何批次在任何一天低于零，整个文件不予导入并逐行列出问题；"
            "上传只生成待复核的导入，由另一名管理员确认后按原日期记账（四眼原则）；同一文件不能导入两次。",
            "If any row is wrong, or any lot would go below zero on any past day (simulated in date "
            "order), the whole file is refused with a report per row. An upload only prepares the "
            "import; another administrator confirms it and it is posted with the original dates "
            "(four eyes). The same file cannot be imported twice.",
        ),
    ]
    for title, english, zh, en in general:
        notes.append([title, english, zh, en])
    for sheet in SHEETS:
        for col in sheet.columns:
            notes.append(
                [f"{sheet.title} {sheet.english}", f"{col.header} {col.english}", col.note, col.note_en]
            )
    for letter, width in zip("ABCD", (22, 26, 60, 60), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    notes.page_setup.orientation = "landscape"
    out = tempfile.SpooledTemporaryFile()
    text_cells(wb).save(out)
    out.seek(0)
    return out


def _value(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return exact_number(value)
    if isinstance(value, str):
        return value.strip()
    return value


def read(content: bytes) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """The rows of each sheet as ``(row number, {key: value})``: text trimmed, numbers as exact
    decimal text, dates as dates; blank rows skipped. Raises :class:`ValidationFailed` for a
    file that is not the template."""
    source = io.BytesIO(content)
    check_untrusted_xlsx(source)
    try:
        wb = load_workbook(source, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationFailed(gettext(NOT_A_WORKBOOK)) from None
    try:
        result = {}
        for sheet in SHEETS:
            if sheet.title not in wb.sheetnames:
                raise ValidationFailed(
                    gettext("缺少工作表“{sheet}”，请下载最新模板").format(sheet=sheet.title)
                )
            result[sheet.code] = _rows(sheet, wb[sheet.title])
        return result
    except ValidationFailed:
        raise
    except Exception:  # a damaged part found while streaming the rows
        raise ValidationFailed(gettext(NOT_A_WORKBOOK)) from None
    finally:
        wb.close()


def _rows(sheet: Sheet, ws: Any) -> list[tuple[int, dict[str, Any]]]:
    rows = ws.iter_rows(values_only=True)
    first = next(rows, None)
    found = [str(v).strip() if v is not None else "" for v in (first or ())]
    while found and not found[-1]:
        found.pop()
    missing = [h for h in sheet.headers if h not in found]
    extra = [h for h in found if h and h not in sheet.headers]
    if missing or extra:
        parts = []
        if missing:
            parts.append(gettext("缺少列：") + "、".join(missing))
        if extra:
            parts.append(gettext("无法识别的列：") + "、".join(extra))
        raise ValidationFailed(
            gettext("工作表“{sheet}”的表头与模板不一致（{parts}），请下载最新模板").format(
                sheet=sheet.title, parts="；".join(parts)
            )
        )
    index = {c.key: found.index(c.header) for c in sheet.columns}
    english = [c.english for c in sheet.columns]
    result: list[tuple[int, dict[str, Any]]] = []
    for number, values in enumerate(rows, start=2):
        values = tuple(values)
        cells = {key: _value(values[i]) if i < len(values) else None for key, i in index.items()}
        if all(v is None or v == "" for v in cells.values()):
            continue
        if number == 2 and [cells[c.key] for c in sheet.columns] == english:
            continue  # the English header row
        if len(result) >= MAX_ROWS:
            raise ValidationFailed(
                gettext("工作表“{sheet}”超过 {max_rows} 行，请分批导入").format(
                    sheet=sheet.title, max_rows=MAX_ROWS
                )
            )
        result.append((number, cells))
    return result
