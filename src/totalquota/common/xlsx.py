"""Spreadsheets: streaming XLSX exports and strict reading of uploaded templates (openpyxl).

Every text written to a workbook is a text cell, never a formula (:func:`text_cells`), so a name
such as ``=HYPERLINK(...)`` stays the name it is. Uploaded workbooks are untrusted: before openpyxl
reads one, each XML part is parsed with defusedxml refusing any DTD or entity, and the archive's
size is bounded (:func:`check_untrusted_xlsx`); numeric cells reach the caller as exact decimal text
(:func:`exact_number`), never through a float's own notation.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any
from urllib.parse import quote
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
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


def _refuse_dtd(*_args: Any) -> None:
    raise DTDForbidden(None, None, None)


def _refuse_entity(*_args: Any) -> None:
    raise EntitiesForbidden(None, None, None, None, None, None)


def _refuse_external(*_args: Any) -> int:
    raise ExternalReferenceForbidden(None, None, None, None)


def _well_formed_without_dtd(part: IO[bytes]) -> None:
    """Parse ``part`` with expat and nothing else: no tree is built (this is what makes the scan
    cheap next to reading the sheet), a DTD, an entity declaration or an external entity refused
    as defusedxml refuses them (the same handlers, raising the same exceptions)."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_external
    try:
        parser.ParseFile(part)
    except expat.ExpatError as exc:
        raise ParseError(str(exc)) from None


def scan_xml_parts(archive: zipfile.ZipFile) -> None:
    """Parse every XML part of an Office Open XML archive, streaming, refusing any DTD: raises
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
            _well_formed_without_dtd(part)


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
    Every XML part is parsed (expat, streaming, any DTD refused as defusedxml's ``forbid_dtd``
    does) before openpyxl sees it."""
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


def _header_index(
    first: Sequence[Any], headers: Sequence[str], optional: Sequence[str] = ()
) -> dict[str, int]:
    """Where each of ``headers`` (and of the ``optional`` columns present) is in the header row
    ``first``: every one of ``headers``, in any order, and nothing else but ``optional`` columns
    (a missing column, or one not named, refuses the file: a mistyped header is not silently
    ignored)."""
    found = [str(c).strip() if c is not None else "" for c in first]
    while found and found[-1] == "":
        found.pop()
    missing = [h for h in headers if h not in found]
    extra = [h for h in found if h and h not in headers and h not in optional]
    if missing or extra:
        parts = []
        if missing:
            parts.append(gettext("缺少列：") + "、".join(missing))
        if extra:
            parts.append(gettext("无法识别的列：") + "、".join(extra))
        raise ValidationFailed(
            gettext("表头与模板不一致（{parts}），请下载最新模板").format(parts="；".join(parts))
        )
    return {h: found.index(h) for h in (*headers, *optional) if h in found}


def _blank(values: Sequence[Any] | None) -> bool:
    return values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


# A CSV upload is UTF-8 (with or without the byte-order mark Excel writes) or, failing that,
# GB18030 (what Excel and WPS save as "CSV" on a Chinese Windows).
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
_CHUNK = 1 << 16


def not_a_table() -> str:
    return gettext("无法读取文件：请上传 .xlsx 工作簿，或 UTF-8、GB18030 编码的 .csv 文件")


def is_xlsx(source: IO[bytes]) -> bool:
    """Whether ``source`` (positioned anywhere) starts like a zip archive, as every .xlsx does."""
    source.seek(0)
    head = source.read(4)
    source.seek(0)
    return head == b"PK\x03\x04"


def _csv_encoding_and_lines(source: IO[bytes]) -> tuple[str, int]:
    """The encoding of a CSV upload and its number of lines, in one streaming pass (the decoder
    is incremental, so a multi-byte character across two chunks is read whole)."""
    import codecs

    source.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    utf8 = True
    lines = 0
    last = b""
    while chunk := source.read(_CHUNK):
        if b"\x00" in chunk:
            raise ValidationFailed(not_a_table())
        lines += chunk.count(b"\n")
        last = chunk
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if last and not last.endswith(b"\n"):
        lines += 1
    source.seek(0)
    return CSV_ENCODINGS[0] if utf8 else CSV_ENCODINGS[1], lines


class TableRows:
    """The data rows of an uploaded table (the first sheet of an .xlsx, or a .csv), read as a
    stream: openpyxl's read-only mode for workbooks, the csv module for text, so that memory stays
    flat however many rows there are. Iterating yields ``(row number, {header: value})``.

    The same reading as :func:`read_table` (which is this, collected into a list): the untrusted
    workbook is checked first (:func:`check_untrusted_xlsx`); the title, period and issuer rows of
    an export are skipped; the header row must hold exactly ``headers``; blank rows are skipped;
    numbers arrive as exact decimal text, dates as dates, text as text. In a CSV every cell is text
    as written (an empty cell is ``None``). More than ``max_rows`` data rows refuse the file.

    ``optional`` columns may be in the header row too; a row of a file without one has no key for
    it. ``already_checked`` says that these very bytes passed :func:`check_untrusted_xlsx` before
    (an upload checked when it was kept, read again from storage with its digest verified): the
    check, which parses every part, is not run twice.

    ``total`` is the number of data rows to expect, known once the header has been read (from the
    workbook's dimension or the CSV's line count; blank rows make it an upper bound, a workbook
    without a dimension leaves it ``None``): what a progress bar needs.
    """

    def __init__(
        self,
        source: IO[bytes],
        *,
        headers: Sequence[str],
        optional: Sequence[str] = (),
        max_rows: int | None = None,
        already_checked: bool = False,
    ) -> None:
        self.source = source
        self.headers = list(headers)
        self.optional = list(optional)
        self.already_checked = already_checked
        self.max_rows = max_rows
        self.total: int | None = None
        self._workbook: Any = None

    def __enter__(self) -> TableRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            raw = self._xlsx_rows() if is_xlsx(self.source) else self._csv_rows()
            first = next(raw, None)
            header_row = 1
            named = (*self.headers, *self.optional)
            while first is not None and header_row <= HEADING_ROWS and _heading_line(first, named):
                first, header_row = next(raw, None), header_row + 1
            if first is None:
                raise ValidationFailed(gettext("文件是空的：第 1 行应为表头"))
            index = list(_header_index(first, self.headers, self.optional).items())
            if self.total is not None:
                self.total = max(self.total - header_row, 0)
            count = 0
            for number, values in enumerate(raw, start=header_row + 1):
                if _blank(values):
                    continue
                if self.max_rows is not None and count >= self.max_rows:
                    raise ValidationFailed(
                        gettext("文件行数超过上限 {max_rows} 行，请分批导入").format(max_rows=self.max_rows)
                    )
                count += 1
                width = len(values)
                yield number, {h: (values[i] if i < width else None) for h, i in index}
        finally:
            self.close()

    def _xlsx_rows(self) -> Iterator[Sequence[Any]]:
        if not self.already_checked:
            check_untrusted_xlsx(self.source)
        try:
            self._workbook = load_workbook(self.source, read_only=True, data_only=True)
            ws = self._workbook.worksheets[0]
        except Exception:  # openpyxl raises many kinds for a file that is not a workbook
            raise ValidationFailed(NOT_A_WORKBOOK) from None
        try:
            self.total = ws.max_row
        except Exception:  # a sheet without a usable dimension: the total stays unknown
            self.total = None
        for values in ws.iter_rows(values_only=True):
            yield [_cell_value(v) for v in values]

    def _csv_rows(self) -> Iterator[Sequence[Any]]:
        encoding, self.total = _csv_encoding_and_lines(self.source)
        text = io.TextIOWrapper(self.source, encoding=encoding, newline="")
        try:
            try:
                for values in csv.reader(text):
                    yield [v if v != "" else None for v in values]
            except (csv.Error, UnicodeDecodeError):
                raise ValidationFailed(not_a_table()) from None
        finally:
            text.detach()  # the caller's file stays open, as with a workbook


def iter_rows(
    source: IO[bytes],
    *,
    headers: Sequence[str],
    optional: Sequence[str] = (),
    max_rows: int | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(row number, {header: value})`` for each data row of an uploaded .xlsx or .csv, streaming
    (see :class:`TableRows`, which also gives the expected number of rows)."""
    yield from TableRows(source, headers=headers, optional=optional, max_rows=max_rows)


def read_table(upload, *, headers: Sequence[str], max_rows: int = 20_000) -> list[dict[str, Any]]:
    """The data rows of the first sheet of an uploaded template as dicts keyed by ``headers``.

    The first row must hold exactly ``headers`` (in any order; extra columns are refused so that a
    mistyped header is not silently ignored); the title, period and issuer rows an export starts
    with (one cell each, see :class:`Heading`) are skipped, so an exported file reads back. Blank
    rows are skipped. Each dict also carries ``"_row"``, the spreadsheet row number, for error
    reports. Numbers arrive as exact decimal text (see :func:`exact_number`), dates as dates, text
    as text. (The rows of :class:`TableRows`, collected.)
    """
    if not is_xlsx(upload):
        check_untrusted_xlsx(upload)  # refuses anything but a workbook, as it always has
    result: list[dict[str, Any]] = []
    for number, row in iter_rows(upload, headers=headers, max_rows=max_rows):
        row["_row"] = number
        result.append(row)
    return result


def cell_text(value: Any) -> str:
    """A cell as trimmed text; numbers typed into text columns (phone numbers) lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float):
        return exact_number(value)
    return str(value).strip()
