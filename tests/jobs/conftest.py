"""A kind of job of the tests' own: counters imported from a table, one row each.

Rows are ``编号, 年度, 数量（t/a）``; each becomes a :class:`~totalquota.common.models.DocumentCounter`
(``kind`` = the code, ``last`` = the quantity in grams), all written in one transaction after every
row has been checked. ``params`` steer it: ``pause_at`` (a row number after which the run waits for
the test), ``fail_in_write`` (the write raises half-way), ``crash`` (a bug in the kind).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils.translation import gettext

from tests.xlsx_helpers import xlsx_bytes
from totalquota.common.models import DocumentCounter
from totalquota.common.xlsx import cell_text
from totalquota.jobs import kinds, services
from totalquota.jobs.runner import JobContext
from totalquota.lib.errors import ValidationFailed
from totalquota.lib.units import QuantityError, parse_quantity

KIND = "tests.counters"
HEADERS = ["编号", "年度", "数量（t/a）"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Gate:
    """Where a run waits for the test: ``reached`` once the row is done, then until ``release``."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()


GATE = Gate()


def run_counters(ctx: JobContext) -> dict[str, Any]:
    checked: list[tuple[str, int, int]] = []
    problems: list[dict[str, Any]] = []
    if ctx.params.get("crash"):
        raise RuntimeError("a bug in the kind")
    for number, row in ctx.rows(headers=HEADERS):
        code = cell_text(row["编号"])
        year_text = cell_text(row["年度"])
        if not code:
            problems.append({"row": number, "column": "编号", "value": "", "message": "编号不能为空"})
        if not (year_text.isdigit() and 2000 <= int(year_text) <= 2100):
            problems.append({"row": number, "column": "年度", "value": year_text, "message": "年度不正确"})
        try:
            grams = parse_quantity(row["数量（t/a）"])
        except QuantityError as exc:
            problems.append(
                {
                    "row": number,
                    "column": "数量（t/a）",
                    "value": cell_text(row["数量（t/a）"]),
                    "message": exc.message,
                }
            )
            grams = 0
        checked.append((code, int(year_text) if year_text.isdigit() else 0, grams))
        if ctx.params.get("pause_at") == number:
            GATE.reached.set()
            assert GATE.release.wait(30), "the test never released the run"
    if problems:
        raise ValidationFailed(
            gettext("导入被拒绝：{n} 处错误，未写入任何数据").format(n=len(problems)), errors=problems
        )

    def write() -> dict[str, Any]:
        DocumentCounter.objects.bulk_create(
            [DocumentCounter(kind=code, year=year, last=grams) for code, year, grams in checked[:1]]
        )
        if ctx.params.get("fail_in_write"):
            raise ValidationFailed("写入时发现重复的编号")
        DocumentCounter.objects.bulk_create(
            [DocumentCounter(kind=code, year=year, last=grams) for code, year, grams in checked[1:]]
        )
        return {"summary": f"imported {len(checked)} rows", "counts": {"rows": len(checked)}}

    return ctx.commit(write)


@pytest.fixture(autouse=True)
def counters_kind() -> Iterator[kinds.JobKind]:
    global GATE
    GATE = Gate()
    kind = kinds.register(
        KIND, "Test counters", run=run_counters, permission="registry.view", accepts=("xlsx", "csv")
    )
    yield kind
    GATE.release.set()
    kinds.unregister(KIND)


def gate() -> Gate:
    return GATE


def rows(n: int, start: int = 1) -> list[list[object]]:
    return [[f"C{i:05d}", 2025, f"{i}.5"] for i in range(start, start + n)]


def upload(table: list[list[object]], name: str = "counters.xlsx", headers: list[str] = HEADERS):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, xlsx_bytes(headers, table), content_type=XLSX)


def start(user, table: list[list[object]] | None = None, **params: Any):
    """A job of the test kind started by ``user`` with ``table`` (ten good rows by default)."""
    return services.job_start(
        actor=user.principal, kind=KIND, upload=upload(rows(10) if table is None else table), params=params
    )
