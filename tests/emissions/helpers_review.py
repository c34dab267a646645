"""Helpers of the review tests: figures of other sources, submitted reports, opinions."""

from __future__ import annotations

import datetime as dt

from tests.emissions.conftest import YEAR, as_
from totalquota.emissions.models import TechnicalOpinion
from totalquota.emissions.services import reports as report_services
from totalquota.emissions.services import review as services

HEADERS = ["统一社会信用代码", "年度", "污染物", "排放量"]


def rows_of(*rows, headers=HEADERS):
    """Rows as the file readers give them (row numbers from 2)."""
    return [dict(zip(headers, row, strict=True), _row=i) for i, row in enumerate(rows, start=2)]


def imported(world, kind, *rows, year=YEAR, by=None, source="2025 年环境统计年报"):
    """Import figures of ``kind`` (rows of (uscc, pollutant, quantity text))."""
    return services.source_import(
        actor=as_(by or world.reviewer),
        kind=kind,
        year=year,
        source=source,
        source_date=dt.date(2026, 6, 30),
        rows=rows_of(*[(code, str(year), pollutant, qty) for code, pollutant, qty in rows]),
        file_name="figures.xlsx",
        sha256="0" * 64,
    ).batch


def submitted(world, filled, *lines, enterprise=None, user=None):
    """A report filled with ``lines`` and submitted (checked against the sources)."""
    report = filled(*lines, enterprise=enterprise, user=user)
    report_services.report_submit(actor=as_(user or world.company_user), report=report)
    report.refresh_from_db()
    return report


def opinion(world, report, author=None, conclusion="accept"):
    return services.opinion_add(
        actor=as_(author or world.third_party), report=report, conclusion=conclusion, text="数据可信"
    )


def open_flags(report):
    report.refresh_from_db()
    return list(report.flags.filter(version=report.current_version, status="open").order_by("pk"))


__all__ = ["TechnicalOpinion"]
