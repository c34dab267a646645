"""Files of other sources (TOT-3): the import template, and the rows of an uploaded XLSX or CSV.

The rows are streamed: an XLSX is read in read-only mode after the untrusted-file checks of
``common.xlsx``, a CSV is decoded as UTF-8 (with or without BOM) or else GB18030 (what Excel and WPS
write on Chinese Windows). Both give dicts keyed by the column headers with ``_row``, the file's
row number, which ``services.review.source_import`` checks and writes.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from django.utils.translation import gettext
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill

from totalquota.common.i18n import in_chinese
from totalquota.common.xlsx import NOT_A_WORKBOOK, _cell_value, check_untrusted_xlsx, text_cells
from totalquota.emissions.services.review import COLUMNS, REQUIRED_COLUMNS
from totalquota.lib.errors import ValidationFailed
from totalquota.registry.models import Pollutant

MAX_ROWS = 200_000
ZIP_MAGIC = b"PK\x03\x04"


def digest(upload: IO[bytes]) -> str:
    """The SHA-256 of an uploaded file (kept with the batch), read in chunks."""
    upload.seek(0)
    h = hashlib.sha256()
    for chunk in iter(lambda: upload.read(1 << 16), b""):
        h.update(chunk)
    upload.seek(0)
    return h.hexdigest()


def _header_index(found: list[str]) -> dict[str, int]:
    while found and found[-1] == "":
        found.pop()
    missing = [h for h in REQUIRED_COLUMNS if h not in found]
    extra = [h for h in found if h and h not in COLUMNS]
    if missing or extra:
        parts = []
        if missing:
            parts.append(gettext("缺少列：") + "、".join(missing))
        if extra:
            parts.append(gettext("无法识别的列：") + "、".join(extra))
        raise ValidationFailed(
            gettext("表头与模板不一致（{parts}），请下载模板").format(parts="；".join(parts)), clause="TOT-3"
        )
    return {h: found.index(h) for h in COLUMNS if h in found}


def _blank(values: Any) -> bool:
    return values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _rows(values: Iterator[Any], first_number: int, index: dict[str, int]) -> Iterator[dict[str, Any]]:
    count = 0
    for number, row in enumerate(values, start=first_number):
        if _blank(row):
            continue
        count += 1
        if count > MAX_ROWS:
            raise ValidationFailed(gettext("文件行数超过上限 {n} 行，请分批导入").format(n=MAX_ROWS))
        item = {h: (_cell_value(row[i]) if i < len(row) else None) for h, i in index.items()}
        item["_row"] = number
        yield item


def xlsx_rows(upload: IO[bytes]) -> Iterator[dict[str, Any]]:
    """The data rows of the first sheet of an uploaded workbook (header row first)."""
    check_untrusted_xlsx(upload)
    try:
        wb = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationFailed(NOT_A_WORKBOOK) from None
    try:
        values = wb.worksheets[0].iter_rows(values_only=True)
        first = next(values, None)
        if first is None:
            raise ValidationFailed(gettext("文件是空的：第 1 行应为表头"))
        index = _header_index([str(c).strip() if c is not None else "" for c in first])
        yield from _rows(values, 2, index)
    finally:
        wb.close()


def _text_stream(upload: IO[bytes]) -> codecs.StreamReader:
    """The upload as text: UTF-8 (BOM or not) when it decodes so, else GB18030 (decoded once to
    tell, in chunks)."""
    upload.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        for chunk in iter(lambda: upload.read(1 << 16), b""):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "gb18030"
    upload.seek(0)
    return codecs.getreader(encoding)(upload)


def csv_rows(upload: IO[bytes]) -> Iterator[dict[str, Any]]:
    """The data rows of an uploaded CSV (header row first)."""
    stream = _text_stream(upload)
    try:
        reader = csv.reader(stream)
        first = next(reader, None)
        if first is None:
            raise ValidationFailed(gettext("文件是空的：第 1 行应为表头"))
        index = _header_index([c.strip() for c in first])
        yield from _rows(iter(reader), 2, index)
    except UnicodeDecodeError:
        raise ValidationFailed(gettext("无法识别文件编码：请保存为 UTF-8 或 GB18030 编码的 CSV")) from None
    except csv.Error:
        raise ValidationFailed(gettext("CSV 文件格式有误，请检查后重新上传")) from None


def upload_rows(upload: IO[bytes], name: str = "") -> Iterator[dict[str, Any]]:
    """The rows of an uploaded XLSX or CSV, told apart by content (a zip is a workbook)."""
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    if head == ZIP_MAGIC:
        return xlsx_rows(upload)
    if name.lower().endswith(".xlsx"):
        raise ValidationFailed(NOT_A_WORKBOOK)
    return csv_rows(upload)


def template() -> tempfile.SpooledTemporaryFile:
    """The import template (in Chinese whatever the page's language): the columns and a sheet that
    explains them."""
    with in_chinese():
        wb = Workbook()
        ws = wb.active
        ws.title = "外部来源数据"
        ws.append(list(COLUMNS))
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE7F3")
        for column, width in zip("ABCDEF", (24, 8, 14, 14, 8, 14), strict=True):
            ws.column_dimensions[column].width = width
        for number in range(2, 1002):
            ws[f"A{number}"].number_format = "@"
        notes = wb.create_sheet("填写说明")
        notes.append(["列", "说明"])
        pollutants = "、".join(f"{p.code}（{p.name}，{p.display_unit}）" for p in Pollutant.objects.all())
        for row in (
            ("统一社会信用代码", "必填，18 位，须为平台已登记的排污单位"),
            ("年度", "必填，排放年度，须与导入时选择的年度一致"),
            ("污染物", "必填，代码或名称：" + pollutants),
            (
                "排放量",
                "必填，外排环境量；按污染物的单位填写，或在“单位”列注明 t/a 或 kg/a；t/a 最多 6 位小数，kg/a 最多 3 位",
            ),
            ("单位", "选填：t/a 或 kg/a；不填时按污染物的单位"),
            ("接管量", "选填，仅水污染物；单位同排放量"),
            ("规则", "同一单位的同一污染物只填一行；任何一行有误时整个文件不予导入，并逐行列出错误（TOT-3）"),
        ):
            notes.append(list(row))
        notes.column_dimensions["A"].width = 18
        notes.column_dimensions["B"].width = 100
        for row in notes.iter_rows(min_row=2):
            row[1].alignment = Alignment(wrap_text=True, vertical="top")
        out = tempfile.SpooledTemporaryFile()
        text_cells(wb).save(out)
        out.seek(0)
        return out
