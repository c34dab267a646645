"""The permit execution report (排污许可执行报告) as a source of a self-report (TOT-2).

The platform's template has the execution report's yearly-emission columns (:data:`COLUMNS`). A
file exported elsewhere is read too: :func:`read_sheet` gives its header cells and rows (XLSX or
CSV), :func:`guess_mapping` proposes which header is which field (the template's headers and known
synonyms such as 年许可排放量 or 实际排放量(t/a)), the person confirms or changes the mapping, and
:func:`read_lines` reads every row through it: the pollutant by code or Chinese name, quantities in
each pollutant's unit (t/a; kg/a for heavy metals) with ``lib.units.parse_quantity``, the method by
its label. Every problem names its row and column; any problem refuses the whole file.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from totalquota.common.i18n import chinese, in_chinese
from totalquota.common.xlsx import NOT_A_WORKBOOK, cell_text, check_untrusted_xlsx, exact_number, text_cells
from totalquota.emissions.models import Method
from totalquota.emissions.services.reports import WATER_MEDIA, LineInput
from totalquota.lib.errors import ValidationFailed
from totalquota.lib.units import QuantityError, parse_quantity
from totalquota.registry.models import Pollutant

MAX_ROWS = 200  # a unit reports 13 pollutants at most; a longer file is not an execution report
MAX_HEADER_SEARCH = 10  # title rows above the header an exported file may have
MAX_CSV_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    """One field of the execution report's yearly emissions: its key, the template's header and
    the other headers it is known by."""

    key: str
    header: str
    label: Any
    synonyms: tuple[str, ...] = ()
    required: bool = False


# The execution report's yearly-emission columns, as the template has them (Chinese whatever the
# page's language: the file goes to the unit's permit records).
COLUMNS: tuple[Column, ...] = (
    Column(
        "pollutant", "污染物", _("污染物"), ("污染物种类", "污染物名称", "污染因子", "因子", "排放因子"), True
    ),
    Column(
        "permitted",
        "许可排放量",
        _("许可排放量"),
        ("年许可排放量", "许可排放量限值", "年许可排放量限值", "许可年排放量"),
    ),
    Column(
        "actual",
        "实际排放量（外排环境量）",
        _("实际排放量（外排环境量）"),
        ("实际排放量", "年实际排放量", "外排环境量", "实际排放量外排环境", "排放量"),
        True,
    ),
    Column("sewer", "实际排放量（接管量）", _("实际排放量（接管量）"), ("接管量", "纳管量", "实际接管量")),
    Column("method", "核算方法", _("核算方法"), ("实际排放量核算方法", "计算方法", "核算方式")),
    Column("data_source", "数据来源", _("数据来源"), ("数据来源说明", "来源")),
    Column("difference_note", "说明", _("说明"), ("备注", "差异说明", "情况说明")),
)
BY_KEY = {c.key: c for c in COLUMNS}
# Method labels execution reports use beside the platform's own (自动监测 is online monitoring).
METHOD_SYNONYMS = {
    "自动监测": Method.ONLINE,
    "在线监测数据": Method.ONLINE,
    "手工监测": Method.SELF,
    "自行监测数据": Method.SELF,
    "监督监测": Method.SUPERVISORY,
    "物料衡算法": Method.BALANCE,
    "产排污系数法": Method.FACTOR,
    "排污系数法": Method.FACTOR,
    "排放系数法": Method.FACTOR,
    "系数法": Method.FACTOR,
}
_UNIT_SUFFIX = re.compile(r"\((?:t/a|kg/a|吨/年|千克/年|公斤/年|吨|千克|t|kg)\)$", re.IGNORECASE)
_FULL_WIDTH = str.maketrans({"（": "(", "）": ")", "／": "/", "　": " "})


def normal(header: str) -> str:
    """A header as compared: no blanks, half-width brackets, no unit suffix, lower case."""
    text = re.sub(r"\s+", "", str(header or "").translate(_FULL_WIDTH)).lower()
    return _UNIT_SUFFIX.sub("", text)


_KNOWN = {normal(name): c.key for c in COLUMNS for name in (c.header, *c.synonyms)}


@dataclass
class Sheet:
    """An uploaded file's header cells and data rows (cells as text), with spreadsheet row numbers."""

    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    header_row: int


def _filled(values: Sequence[Any]) -> int:
    return sum(1 for v in values if v is not None and str(v).strip())


def _sheet(rows: list[list[Any]]) -> Sheet:
    header_at = next((i for i, values in enumerate(rows[:MAX_HEADER_SEARCH]) if _filled(values) >= 2), None)
    if header_at is None:
        raise ValidationFailed(gettext("文件中没有找到表头行（前 10 行中至少两列有内容的一行）"))
    headers = [cell_text(v) for v in rows[header_at]]
    while headers and not headers[-1]:
        headers.pop()
    data = [
        (number, values)
        for number, values in enumerate(rows[header_at + 1 :], start=header_at + 2)
        if _filled(values)
    ]
    if len(data) > MAX_ROWS:
        raise ValidationFailed(gettext("文件数据行超过 {n} 行，不是一家单位的年度排放量").format(n=MAX_ROWS))
    return Sheet(headers=headers, rows=data, header_row=header_at + 1)


def _value(value: Any) -> Any:
    """A cell as the platform reads it: numbers as their exact decimal text (``common.xlsx``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return exact_number(value)
    return value


def read_sheet(upload: IO[bytes], name: str) -> Sheet:
    """The first sheet of an XLSX file, or a CSV file (UTF-8 or GB18030), as header and rows."""
    upload.seek(0)
    if name.lower().endswith(".csv"):
        data = upload.read(MAX_CSV_BYTES + 1)
        if len(data) > MAX_CSV_BYTES:
            raise ValidationFailed(gettext("CSV 文件过大"))
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationFailed(gettext("无法识别 CSV 文件的编码：请另存为 UTF-8 编码的 CSV 或 .xlsx"))
        if "\x00" in text:
            raise ValidationFailed(gettext("CSV 文件含有无法识别的内容"))
        return _sheet(
            [
                list(row)
                for _n, row in zip(
                    range(MAX_ROWS + MAX_HEADER_SEARCH + 1), csv.reader(io.StringIO(text)), strict=False
                )
            ]
        )
    check_untrusted_xlsx(upload)
    try:
        wb = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationFailed(gettext(NOT_A_WORKBOOK)) from None
    try:
        rows: list[list[Any]] = []
        for values in wb.worksheets[0].iter_rows(values_only=True):
            rows.append([_value(v) for v in values])
            if len(rows) > MAX_ROWS + MAX_HEADER_SEARCH + 200:  # blank rows are skipped below
                break
        return _sheet(rows)
    finally:
        wb.close()


def guess_mapping(headers: Sequence[str]) -> dict[int, str]:
    """Which field each header cell is (by column index), where the header is the template's or a
    known synonym; a field is given to its first matching column only."""
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        key = _KNOWN.get(normal(header))
        if key is not None and key not in mapping.values():
            mapping[index] = key
    return mapping


def check_mapping(mapping: dict[int, str]) -> None:
    """Each field at most once, and the pollutant and actual emissions mapped."""
    keys = list(mapping.values())
    twice = sorted({str(BY_KEY[k].label) for k in keys if keys.count(k) > 1})
    missing = [str(c.label) for c in COLUMNS if c.required and c.key not in keys]
    problems = []
    if twice:
        problems.append(gettext("以下字段对应了多列：") + "、".join(twice))
    if missing:
        problems.append(gettext("请为以下字段选择对应的列：") + "、".join(missing))
    if problems:
        raise ValidationFailed("；".join(problems), field="mapping")


def find_pollutant(text: str, pollutants: list[Pollutant]) -> Pollutant | None:
    text = re.sub(r"\s+", "", text)
    for p in pollutants:
        if text.upper() == p.code or text in (p.name, p.name_en) or text.lower() == p.name_en.lower():
            return p
    return None


def find_method(text: str) -> str | None:
    text = text.strip()
    if text in METHOD_SYNONYMS:
        return METHOD_SYNONYMS[text]
    for value, label in Method.choices:
        if text in (value, chinese(label), str(label)):
            return value
    return None


def read_lines(sheet: Sheet, mapping: dict[int, str]) -> tuple[list[LineInput], list[int]]:
    """The lines of ``sheet`` read through ``mapping`` (column index → field key), and the row
    number of each; every problem as ``{row, column, value, message}`` in one refusal."""
    check_mapping(mapping)
    column_of = {key: index for index, key in mapping.items()}
    pollutants = list(Pollutant.objects.all())
    lines: list[LineInput] = []
    numbers: list[int] = []
    problems: list[dict[str, Any]] = []

    def cell(values: list[Any], key: str) -> str:
        index = column_of.get(key)
        return cell_text(values[index]) if index is not None and index < len(values) else ""

    def bad(number: int, key: str, value: str, message: str) -> None:
        index = column_of.get(key)
        header = sheet.headers[index] if index is not None and index < len(sheet.headers) else ""
        problems.append(
            {
                "row": number,
                "column": header or str(BY_KEY[key].label),
                "field": key,
                "value": value,
                "message": message,
            }
        )

    for number, values in sheet.rows:
        name = cell(values, "pollutant")
        pollutant = find_pollutant(name, pollutants) if name else None
        if pollutant is None:
            bad(
                number,
                "pollutant",
                name,
                gettext("未知的污染物（填写代码或名称，如 COD 或 化学需氧量）")
                if name
                else gettext("请填写污染物"),
            )
            continue
        grams: dict[str, int | None] = {}
        for key in ("permitted", "actual", "sewer"):
            text = cell(values, key)
            if not text:
                grams[key] = None
                if key == "actual":
                    bad(number, key, text, gettext("{p}：请填写实际排放量").format(p=pollutant.name))
                continue
            try:
                grams[key] = parse_quantity(text, pollutant.unit)
            except QuantityError as exc:
                grams[key] = None
                bad(number, key, text, f"{pollutant.name}：{exc.message}（{pollutant.display_unit}）")
        if grams["sewer"] is not None and pollutant.medium not in WATER_MEDIA:
            bad(
                number,
                "sewer",
                cell(values, "sewer"),
                gettext("{p} 为大气污染物，没有接管量").format(p=pollutant.name),
            )
        method_text = cell(values, "method")
        method = find_method(method_text) if method_text else ""
        if method is None:
            bad(
                number,
                "method",
                method_text,
                gettext("核算方法应为：") + "、".join(str(label) for _v, label in Method.choices),
            )
        lines.append(
            LineInput(
                pollutant=pollutant,
                actual_grams=grams["actual"],
                permitted_grams=grams["permitted"],
                sewer_grams=grams["sewer"],
                method=method or "",
                data_source=cell(values, "data_source") or gettext("排污许可执行报告"),
                difference_note=cell(values, "difference_note"),
            )
        )
        numbers.append(number)
    if not sheet.rows:
        raise ValidationFailed(gettext("文件没有数据行"))
    if problems:
        raise ValidationFailed(
            gettext("文件有 {n} 处问题，未导入任何数据").format(n=len(problems)), errors=problems
        )
    return lines, numbers


# Service field names (``lines[i].<name>``) to the import's columns, for the service's refusals.
SERVICE_FIELDS = {
    "pollutant": "pollutant",
    "actual_grams": "actual",
    "permitted_grams": "permitted",
    "sewer_grams": "sewer",
    "allowed_grams": "actual",
    "method": "method",
    "data_source": "data_source",
    "difference_note": "difference_note",
}


def located(
    errors: list[dict[str, Any]], sheet: Sheet, mapping: dict[int, str], numbers: list[int]
) -> list[dict[str, Any]]:
    """The service's refusals of the read lines (``lines[i].<name>``) as row and column problems."""
    column_of = {key: index for index, key in mapping.items()}
    result = []
    for error in errors:
        match = re.fullmatch(r"lines\[(\d+)\]\.(\w+)", str(error.get("field", "")))
        if match is None:
            result.append({"row": "", "column": "", "value": "", "message": error["message"]})
            continue
        i, name = int(match.group(1)), match.group(2)
        key = SERVICE_FIELDS.get(name, name)
        index = column_of.get(key)
        header = sheet.headers[index] if index is not None and index < len(sheet.headers) else ""
        row = next((values for n, values in sheet.rows if n == numbers[i]), [])
        value = cell_text(row[index]) if index is not None and index < len(row) else ""
        column = header or (str(BY_KEY[key].label) if key in BY_KEY else name)
        result.append(
            {"row": numbers[i], "column": column, "field": key, "value": value, "message": error["message"]}
        )
    return result


def template() -> tempfile.SpooledTemporaryFile:
    """The execution-report template, in Chinese (headers, lists and help), whatever the page's
    language."""
    with in_chinese():
        return _template()


def _template() -> tempfile.SpooledTemporaryFile:
    wb = Workbook()
    ws = wb.active
    ws.title = "年度排放量"
    headers = [c.header for c in COLUMNS]
    ws.append(headers)
    for i, width in enumerate([14, 14, 22, 20, 16, 30, 40], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for c in ws[1]:
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="DDE7F3")
        c.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = "B2"
    # Quantities as text cells, so what is typed is read exactly (never through a float).
    for key in ("permitted", "actual", "sewer"):
        col = get_column_letter(headers.index(BY_KEY[key].header) + 1)
        for number in range(2, 52):
            ws[f"{col}{number}"].number_format = "@"

    def dropdown(key: str, options: list[str]) -> None:
        col = get_column_letter(headers.index(BY_KEY[key].header) + 1)
        dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
        ws.add_data_validation(dv)
        dv.add(f"{col}2:{col}51")

    pollutants = list(Pollutant.objects.all())
    dropdown("pollutant", [p.name for p in pollutants])
    dropdown("method", [str(label) for _v, label in Method.choices])
    # Quantities: a number not below zero (typed as text, so ``--`` reads it as a number).
    for key in ("permitted", "actual", "sewer"):
        col = get_column_letter(headers.index(BY_KEY[key].header) + 1)
        dv = DataValidation(
            type="custom",
            formula1=f'OR({col}2="",AND(ISNUMBER(--{col}2),--{col}2>=0))',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="数量",
            error="请填写不小于零的数字（t/a 最多 6 位小数，kg/a 最多 3 位小数）",
        )
        ws.add_data_validation(dv)
        dv.add(f"{col}2:{col}51")

    notes = wb.create_sheet("填写说明")
    notes.append(["项目", "说明"])
    rows = [
        (
            "用途",
            "按排污许可证执行报告（年报）中“实际排放情况”表填写上一年度各污染物的排放量，导入本单位的排放量申报（TOT-2）",
        ),
        (
            "规则",
            "任何一行有错误时整个文件不予导入，平台列出每个错误的行和列；导入的数字同时作为本单位执行报告数据，用于一致性核查（TOT-3）",
        ),
        ("污染物", "填写名称或代码（如 化学需氧量 或 COD），每个污染物一行"),
        (
            "单位",
            "；".join(f"{p.name}（{p.code}）：{p.display_unit}" for p in pollutants),
        ),
        (
            "数量",
            "以数字填写，t/a 最多 6 位小数，kg/a 最多 3 位小数（最小单位为 1 克）；不能为负数，不用科学计数法和千位分隔符",
        ),
        (
            "许可排放量",
            "排污许可证载明的年许可排放量；与许可证不同或许可证未载明该污染物时，须在“说明”列写明原因",
        ),
        ("实际排放量（外排环境量）", "必填：排入环境的量，用于一致性核查、核定和超量判断"),
        ("实际排放量（接管量）", "仅水污染物：排入污水处理厂的量，记录和展示"),
        ("核算方法", "、".join(str(label) for _v, label in Method.choices)),
        ("数据来源", "如 2025 年排污许可执行报告（年报）；不填时记为“排污许可执行报告”"),
        (
            "其他格式",
            "其他系统导出的 .xlsx 或 .csv 文件也可上传：平台列出文件的表头，由您选择每一列对应的字段",
        ),
    ]
    for note in rows:
        notes.append(list(note))
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 110
    for row in notes.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    out = tempfile.SpooledTemporaryFile()
    text_cells(wb).save(out)
    out.seek(0)
    return out
