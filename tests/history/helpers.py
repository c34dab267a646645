"""Filling in the history template for tests: a real .xlsx with the template's three sheets, the
Chinese headers in row 1 and the English ones in row 2, as a park would send it."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from totalquota.history.workbook import ALLOCATIONS, LOTS, RECOVERIES, Sheet


def _rows(sheet: Sheet, rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    return [[row.get(c.key) for c in sheet.columns] for row in rows]


def history_xlsx(
    lots: Sequence[dict[str, Any]] = (),
    allocations: Sequence[dict[str, Any]] = (),
    recoveries: Sequence[dict[str, Any]] = (),
) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, rows in ((LOTS, lots), (ALLOCATIONS, allocations), (RECOVERIES, recoveries)):
        ws = wb.create_sheet(sheet.title)
        ws.append(sheet.headers)
        ws.append([c.english for c in sheet.columns])
        for values in _rows(sheet, rows):
            ws.append(values)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(content: bytes, name: str = "园区历史数据.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def lot(ref: str, amount: str, day: str, *, zone: str = "A", pollutant: str = "COD", code: str = "") -> dict:
    return {
        "ref": ref,
        "zone": zone,
        "pollutant": pollutant,
        "amount": amount,
        "date": day,
        "source_code": code or f"JP-{ref}",
        "source_label": f"减排项目 {ref}",
    }


def allocation(
    ref: str, uscc: str, amount: str, day: str, *, lots: str = "", zone: str = "A", pollutant: str = "COD"
) -> dict:
    return {
        "ref": ref,
        "uscc": uscc,
        "project_name": f"建设项目 {ref}",
        "project_code": f"XM-{ref}",
        "zone": zone,
        "pollutant": pollutant,
        "amount": amount,
        "date": day,
        "lots": lots,
    }


def recovery(ref: str, amount: str, day: str, ground: str, reason: str = "核查后收回") -> dict:
    return {"allocation": ref, "amount": amount, "date": day, "ground": ground, "reason": reason}
