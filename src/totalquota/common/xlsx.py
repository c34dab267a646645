"""Spreadsheets: streaming XLSX exports and strict reading of uploaded templates (openpyxl).

Every text written to a workbook is a text cell, never a formula (:func:`text_cells`), so a name
such as ``=HYPERLINK(...)`` stays the name it is. Uploaded workbooks are untrusted: before openpyxl
reads one, each XML part is parsed with defusedxml refusing any DTD or entity, and the archive's
size is bounded (:func:`check_untrusted_xlsx`); numeric cells reach the caller as exact decimal text
(:func:`exact_number`), never through a float's own notation.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any
from urllib.parse import quote
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml.ElementTree import iterparse
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from totalquota.lib.errors import ValidationFailed
from totalquota.lib.units import decimal_text

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")


def decimal_number_format(value: Decimal | str) -> str:
    """The number format that prints ``value`` as written, with its own decimal places: ``"0"``
    for 6, ``"0.0"`` for 0.5, ``"0.000123"``'s ``"0.000000"``. (``"0.######"`` would print
    6 as "6.".) Give the text :func:`totalquota.lib.units.format_quantity` wrote to print what
    the PDF prints."""
    exponent = Decimal(value).as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return "0." + "0" * places if places else "0"


def _cell(ws, value: Any, *, bold: bool = False, number_format: str | None = None) -> WriteOnlyCell:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value).replace(tzinfo=None)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # a text, even one beginning with "=", is never a formula
    if bold:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    if number_format:
        cell.number_format = number_format
    elif isinstance(value, Decimal):
        cell.number_format = decimal_number_format(value)
    elif isinstance(value, dt.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    elif isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


@dataclass(frozen=True)
class Heading:
    """The rows above an exported table: what it is, which period or filter it covers and when it
    was made, and who issues it (the bureau or the exporting person's organisation, and the person).
    Every sheet of an export starts with them; :func:`read_table` skips them when reading back."""

    title: str
    period: str
    issuer: str

    def rows(self) -> list[str]:
        return [self.title, self.period, self.issuer]


TITLE_FONT = Font(bold=True, size=14)


def write_workbook(
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
    *,
    widths: dict[str, Sequence[int]] | None = None,
    heading: Heading | None = None,
) -> tempfile.SpooledTemporaryFile:
    """A workbook with one sheet per ``(title, headers, rows)``, written in streaming mode so that
    exports of any size use constant memory; with ``heading``, each sheet starts with its title,
    period and issuer rows above the headers. Returns a file positioned at its start."""
    wb = Workbook(write_only=True)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title=title[:31])
        col_widths = (widths or {}).get(title) or [max(10, min(40, len(str(h)) * 2 + 4)) for h in headers]
        for i, width in enumerate(col_widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        lines = heading.rows() if heading is not None else []
        ws.freeze_panes = f"A{len(lines) + 2}"
        for number, line in enumerate(lines):
            cell = _cell(ws, line)
            if number == 0:
                cell.font = TITLE_FONT
            ws.append([cell])
        ws.append([_cell(ws, h, bold=True) for h in headers])
        for row in rows:
            ws.append([_cell(ws, v) for v in row])
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    wb.save(out)
    out.seek(0)
    return out


def text_cells(wb: Workbook) -> Workbook:
    """Every cell of ``wb`` holding text becomes a text cell (openpyxl makes a formula of any text
    beginning with ``=``); the platform writes no formulas, so nothing a user typed (an enterprise
    named ``=HYPERLINK(...)``) is ever evaluated by a spreadsheet. Call before ``wb.save``."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.data_type != "s":
                    cell.data_type = "s"
    return wb


def chinese_date(on: dt.date) -> str:
    """``2026年12月1日``."""
    return f"{on.year}年{on.month}月{on.day}日"


def export_filename(what: str, when: dt.date | str, suffix: str = "xlsx") -> str:
    """A download's name that says what and when (a day, or a period written out):
    ``排污单位名录-2026年12月1日.xlsx``."""
    return f"{what}-{chinese_date(when) if isinstance(when, dt.date) else when}.{suffix}"


def xlsx_response(file, filename: str) -> FileResponse:
    """Send ``file`` as a download named ``filename`` (Chinese names survive via RFC 5987)."""
    response = FileResponse(file, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# An uploaded template: a few megabytes of XML at most. Bounds on the archive as stored and as
# unpacked keep a small "zip bomb" from being inflated in memory by the XML parser.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_PARTS = 2_000
DTD_REFUSED = (
    "文件含有 DTD 或实体声明（<!DOCTYPE / <!ENTITY>），不予读取：请用 Excel 或 WPS 重新另存为 .xlsx 后上传"
)
NOT_A_WORKBOOK = "无法读取文件：请上传由模板填写的 .xlsx 文件"


def scan_xml_parts(archive: zipfile.ZipFile) -> None:
    """Parse every XML part of an Office Open XML archive with defusedxml, refusing any DTD: raises
    ``DefusedXmlException`` for a DTD or entity, ``ParseError`` for XML that is not well-formed."""
    for info in archive.infolist():
        name = info.filename.lower()
        if name.endswith(".vml"):
            # Legacy VML drawings (comment boxes) are often not well-formed XML; only the DTD is
            # looked for, in the text of the part.
            data = archive.read(info)
            text = data.decode("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8", "replace")
            if "<!doctype" in text.lower() or "<!entity" in text.lower():
                raise DTDForbidden(info.filename, None, None)
            continue
        if not name.endswith((".xml", ".rels")):
            continue
        with archive.open(info) as part:
            for _event, element in iterparse(part, forbid_dtd=True):
                element.clear()  # only well-formedness matters here; keep memory flat


# What reading a damaged zip can raise: a broken directory, a part whose compressed data is corrupt
# (zlib), a truncated or encrypted part, a missing member.
BROKEN_ZIP = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    OSError,
    EOFError,
    KeyError,
    RuntimeError,
    NotImplementedError,
)


def check_untrusted_xlsx(upload: IO[bytes]) -> None:
    """Refuse an uploaded workbook that is not a plain zip of well-formed XML: a DTD or entity
    anywhere (billion laughs, external entities), too many parts or too much unpacked data.
    Every XML part is parsed with defusedxml (``forbid_dtd``), streaming, before openpyxl sees it."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_PARTS or sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
                raise ValidationFailed(
                    gettext("文件解压后过大或部件过多，不是由模板填写的表格，请检查后重新上传")
                )
            scan_xml_parts(archive)
    except DefusedXmlException:
        raise ValidationFailed(DTD_REFUSED) from None
    except ParseError as exc:
        # expat stops at an entity reference it was not told about with "undefined entity".
        if "entity" in str(exc).lower():
            raise ValidationFailed(DTD_REFUSED) from None
        raise ValidationFailed(NOT_A_WORKBOOK) from None
    except BROKEN_ZIP:
        raise ValidationFailed(NOT_A_WORKBOOK) from None
    finally:
        upload.seek(0)


def exact_number(value: int | float) -> str:
    """A numeric cell as the decimal text it was typed as: ``0.00005``, never ``5e-05``.

    A workbook stores numbers as doubles; the shortest text that reads back as the same double is
    what Excel shows and what was typed, written out positionally (:func:`lib.units.decimal_text`);
    a whole number loses its ``.0``.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return format(Decimal(repr(value)), "f")  # 1E999 in a crafted file: text the column refuses
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return decimal_text(value)


def _cell_value(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return exact_number(value)
    return value


HEADING_ROWS = len(Heading("", "", "").rows())


def _heading_line(values: Sequence[Any], headers: Sequence[str]) -> bool:
    """A row above the headers of an export: at most one cell filled, and not a header."""
    filled = [v for v in values if v is not None and str(v).strip()]
    return len(filled) <= 1 and not (filled and str(filled[0]).strip() in headers)


def read_table(upload, *, headers: Sequence[str], max_rows: int = 20_000) -> list[dict[str, Any]]:
    """The data rows of the first sheet of an uploaded template as dicts keyed by ``headers``.

    The first row must hold exactly ``headers`` (in any order; extra columns are refused so that a
    mistyped header is not silently ignored); the title, period and issuer rows an export starts
    with (one cell each, see :class:`Heading`) are skipped, so an exported file reads back. Blank rows are skipped. Each dict also carries
    ``"_row"``, the spreadsheet row number, for error reports. Numbers arrive as exact decimal text
    (see :func:`exact_number`), dates as dates, text as text.
    """
    check_untrusted_xlsx(upload)
    try:
        wb = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationFailed(NOT_A_WORKBOOK) from None
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        first = next(rows, None)
        header_row = 1
        while first is not None and header_row <= HEADING_ROWS and _heading_line(first, headers):
            first, header_row = next(rows, None), header_row + 1
        if first is None:
            raise ValidationFailed(gettext("文件是空的：第 1 行应为表头"))
        found = [str(c).strip() if c is not None else "" for c in first]
        while found and found[-1] == "":
            found.pop()
        missing = [h for h in headers if h not in found]
        extra = [h for h in found if h and h not in headers]
        if missing or extra:
            parts = []
            if missing:
                parts.append("缺少列：" + "、".join(missing))
            if extra:
                parts.append("无法识别的列：" + "、".join(extra))
            raise ValidationFailed("表头与模板不一致（" + "；".join(parts) + "），请下载最新模板")
        index = {h: found.index(h) for h in headers}
        result: list[dict[str, Any]] = []
        for number, values in enumerate(rows, start=header_row + 1):
            if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            if len(result) >= max_rows:
                raise ValidationFailed(
                    gettext("文件行数超过上限 {max_rows} 行，请分批导入").format(max_rows=max_rows)
                )
            row = {h: (_cell_value(values[i]) if i < len(values) else None) for h, i in index.items()}
            row["_row"] = number
            result.append(row)
        return result
    finally:
        wb.close()


def cell_text(value: Any) -> str:
    """A cell as trimmed text; numbers typed into text columns (phone numbers) lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float):
        return exact_number(value)
    return str(value).strip()
