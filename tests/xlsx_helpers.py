"""Build and read real .xlsx files in tests."""

from __future__ import annotations

import io
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


def response_bytes(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content
