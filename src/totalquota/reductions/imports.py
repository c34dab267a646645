"""Bulk declaration from the XLSX template (RED-3): the template and the reading of its rows.

One row per pollutant line; rows with the same 项目序号 form one project and must agree on every
project column. The 核算参数 column holds the method's inputs as ``名称=值`` pairs separated by
"；" (parameter names as in the template's instructions, or their codes; a factor is named by its
code). Checking and writing are in :func:`totalquota.reductions.services.bulk.project_import`.
"""

from __future__ import annotations

import re
import tempfile
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from totalquota.common.i18n import chinese, in_chinese
from totalquota.common.xlsx import cell_text, text_cells
from totalquota.reductions import accounting
from totalquota.reductions.models import SUBTYPES, OperatingStatus, ProjectType, Subtype
from totalquota.registry.models import Pollutant

# (header, key); project columns first, then the line columns.
IMPORT_COLUMNS: list[tuple[str, str]] = [
    ("项目序号", "group"),
    ("项目名称", "name"),
    ("功能区", "zone"),
    ("排污单位统一社会信用代码", "enterprise"),
    ("建设单位", "builder"),
    ("项目地址", "address"),
    ("联系人", "contact_name"),
    ("联系电话", "contact_phone"),
    ("开工时间", "start_date"),
    ("竣工时间", "completion_date"),
    ("验收时间", "acceptance_date"),
    ("资金投入（万元）", "investment"),
    ("减排工程类型", "project_type"),
    ("具体类型", "subtype"),
    ("减排运行情况", "operating_status"),
    ("环评批复文号", "eia_approval_number"),
    ("排污许可证变更情况", "permit_change"),
    ("污染物", "pollutant"),
    ("核算方法", "method"),
    ("核算参数", "inputs"),
]
HEADER_OF = {key: header for header, key in IMPORT_COLUMNS}
PROJECT_KEYS = [k for _h, k in IMPORT_COLUMNS if k not in ("group", "pollutant", "method", "inputs")]
TEXT_KEYS = {"group", "enterprise", "contact_phone", "eia_approval_number", "investment"}
PAIR_SPLIT = re.compile(r"[；;\n]+")


def row_values(row: dict[str, Any]) -> dict[str, Any]:
    """The row keyed by field, text trimmed (dates stay dates)."""
    values: dict[str, Any] = {}
    for header, key in IMPORT_COLUMNS:
        raw = row.get(header)
        if (hasattr(raw, "isoformat") and key.endswith("_date")) or (
            key == "investment" and isinstance(raw, int | float) and not isinstance(raw, bool)
        ):
            values[key] = raw
        else:
            values[key] = cell_text(raw)
    return values


def find_method(text: str) -> accounting.Method | None:
    text = text.strip()
    for method in accounting.METHODS.values():
        labels = {chinese(method.label), str(method.label)}  # the template's Chinese, or the page's
        if text == method.code or text in labels or text in {label.split("（")[0] for label in labels}:
            return method
    return None


def find_pollutant(text: str) -> Pollutant | None:
    text = text.strip()
    return Pollutant.objects.filter(code=text.upper()).first() or Pollutant.objects.filter(name=text).first()


def parse_inputs(method: accounting.Method, text: str) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """``(inputs, factor codes by parameter, problems)`` from ``名称=值；名称=值``."""
    inputs: dict[str, str] = {}
    factor_codes: dict[str, str] = {}
    problems: list[str] = []
    names = {}
    for p in method.params:
        names[p.name] = p
        names[chinese(p.label)] = p  # the template's Chinese label, or the page's language
        names[str(p.label)] = p
    for pair in PAIR_SPLIT.split(text or ""):
        pair = pair.strip()
        if not pair:
            continue
        if "=" not in pair.replace("＝", "="):
            problems.append(f"“{pair}”应写成 名称=值")
            continue
        name, value = (part.strip() for part in pair.replace("＝", "=").split("=", 1))
        param = names.get(name)
        if param is None:
            problems.append(f"核算方法“{method.label}”没有参数“{name}”")
            continue
        if param.kind == "factor" or (param.kind == "percent" and value and not _numeric(value)):
            factor_codes[param.name] = value
        else:
            inputs[param.name] = value
    return inputs, factor_codes, problems


def _numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[0-9.,]+", text.strip()))


def method_help(method: accounting.Method) -> str:
    parts = []
    for p in method.params:
        unit = {"amount": "t/a 或 kg/a", "percent": "%"}.get(p.kind, p.unit)
        kind = (
            "系数编号" if p.kind == "factor" else ("、".join(dict(p.choices)) if p.kind == "choice" else "")
        )
        note = "（选填）" if not p.required else ""
        parts.append(f"{p.label}{'（' + (unit or kind) + '）' if unit or kind else ''}{note}")
    return "；".join(parts)


def import_template(zones) -> tempfile.SpooledTemporaryFile:
    """The import template, in Chinese (headers, lists and help), whatever the page's language."""
    with in_chinese():
        return _import_template(zones)


def _import_template(zones) -> tempfile.SpooledTemporaryFile:
    """The declaration template: headers, drop-downs, and a sheet explaining each method's inputs."""
    wb = Workbook()
    ws = wb.active
    ws.title = "减排项目"
    headers = [h for h, _k in IMPORT_COLUMNS]
    ws.append(headers)
    widths = [8, 30, 20, 22, 24, 30, 10, 16, 12, 12, 12, 12, 14, 18, 12, 22, 24, 12, 22, 70]
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F3")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = "C2"
    for key in ("group", "enterprise", "contact_phone", "eia_approval_number"):
        col = get_column_letter(headers.index(HEADER_OF[key]) + 1)
        for number in range(2, 1002):
            ws[f"{col}{number}"].number_format = "@"
    for key in ("start_date", "completion_date", "acceptance_date"):
        col = get_column_letter(headers.index(HEADER_OF[key]) + 1)
        for number in range(2, 1002):
            ws[f"{col}{number}"].number_format = "yyyy-mm-dd"

    def dropdown(key: str, options: list[str]) -> None:
        col = get_column_letter(headers.index(HEADER_OF[key]) + 1)
        dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
        ws.add_data_validation(dv)
        dv.add(f"{col}2:{col}1001")

    dropdown("zone", [z.name for z in zones])
    dropdown("project_type", [str(label) for _v, label in ProjectType.choices])
    dropdown("subtype", [str(label) for _v, label in Subtype.choices])
    dropdown("operating_status", [str(label) for _v, label in OperatingStatus.choices])
    dropdown("method", [str(m.label).split("（")[0] for m in accounting.METHODS.values()])
    dropdown("pollutant", [p.name for p in Pollutant.objects.all()])

    notes = wb.create_sheet("填写说明")
    notes.append(["项目", "说明"])
    rows = [
        (
            "规则",
            "任何一行有错误时整个文件不予导入，平台逐行列出错误；导入后的项目为草稿，须逐个上传佐证材料后报送（RED-3）",
        ),
        ("项目序号", "同一项目的多个污染物各占一行，填写相同的项目序号，项目信息各行须一致"),
        ("功能区", "必填，从下拉列表选择；功能区人员只能申报本功能区的项目"),
        ("排污单位", "填写统一社会信用代码；无排污单位的项目（如老旧机动车淘汰）可不填"),
        ("日期", "格式 2025-06-30；竣工时间不得早于开工时间，验收时间不得早于竣工时间"),
        ("资金投入", "单位万元，最多 4 位小数"),
        (
            "类型",
            "；".join(
                f"{ProjectType(t).label}：{'、'.join(str(Subtype(s).label) for s in subs)}"
                for t, subs in SUBTYPES.items()
            ),
        ),
        ("污染物", "填写名称或代码；重金属数量以 kg/a 计，其余以 t/a 计"),
        ("核算参数", "写成 名称=值，多个参数用“；”分隔；排放系数填写“核算系数”页面中的编号"),
    ]
    for method in accounting.METHODS.values():
        rows.append(
            (f"方法：{str(method.label).split('（')[0]}", f"{method.formula}。参数：{method_help(method)}")
        )
    rows.append(
        (
            "示例",
            "核算方法填“关停淘汰”，核算参数填：关停源基准年实际排放量=2.5；基准排放量依据=2024 年排污许可执行报告",
        )
    )
    for note in rows:
        notes.append(list(note))
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 120
    for row in notes.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    out = tempfile.SpooledTemporaryFile()
    text_cells(wb).save(out)
    out.seek(0)
    return out
