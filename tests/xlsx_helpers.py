"""Build and read real .xlsx files in tests."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterable, Sequence

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_upload(
    headers: Sequence[str], rows: Iterable[Sequence[object]], name: str = "upload.xlsx"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name,
        xlsx_bytes(headers, rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def read_xlsx(content: bytes, sheet: int = 0) -> list[tuple]:
    wb = load_workbook(io.BytesIO(content), read_only=True)
    return [tuple(r) for r in wb.worksheets[sheet].iter_rows(values_only=True)]


def read_export(content: bytes, sheet: int = 0) -> list[tuple]:
    """An exported sheet from its header row on, after checking the title, the period ("范围") and
    the issuer rows above it."""
    rows = read_xlsx(content, sheet)
    title, period, issuer = (row[0] for row in rows[:3])
    assert title and all(len([v for v in row if v is not None]) == 1 for row in rows[:3]), rows[:3]
    assert "导出时间" in period or "生成时间" in period, period
    assert "出具单位" in issuer or "发布单位" in issuer, issuer
    return rows[3:]


def export_name(response) -> str:
    """The file name a download is saved as (``filename*=UTF-8''…``, RFC 5987)."""
    from urllib.parse import unquote

    disposition = response["Content-Disposition"]
    return unquote(disposition.split("filename*=UTF-8''", 1)[1])


def response_bytes(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def rewrite_part(content: bytes, part: str, change) -> bytes:
    """``content`` (an .xlsx) with the XML of ``part`` replaced by ``change(old_xml)``: for building
    the hostile workbooks an attacker would craft by hand."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(info, data)
    return out.getvalue()


BILLION_LAUGHS = (
    '<!DOCTYPE worksheet [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + "]>"
)
EXTERNAL_ENTITY = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
PLAIN_DTD = "<!DOCTYPE worksheet [<!ELEMENT worksheet ANY>]>"


def hostile_xlsx(
    headers: Sequence[str], rows: Iterable[Sequence[object]], doctype: str, reference: str = ""
) -> bytes:
    """A real workbook whose first sheet starts with ``doctype`` and whose first data cell (a text
    cell) holds ``reference`` (an entity such as ``&lol9;``) instead of its text."""
    content = xlsx_bytes(headers, rows)

    def change(xml: str) -> str:
        if reference:
            start = xml.index('<c r="A2" t="inlineStr"><is><t>') + len('<c r="A2" t="inlineStr"><is><t>')
            xml = xml[:start] + reference + xml[xml.index("</t>", start) :]
        return doctype + xml

    return rewrite_part(content, "xl/worksheets/sheet1.xml", change)


def corrupt_part(content: bytes, part: str) -> bytes:
    """``content`` with the compressed data of ``part`` overwritten by bytes no deflate stream
    starts with, its directory left intact (reading the part raises ``zlib.error``)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo(part)
    data = bytearray(content)
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_length + extra_length
    data[start : start + min(16, info.compress_size)] = b"\xff" * min(16, info.compress_size)
    return bytes(data)
