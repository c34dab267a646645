"""What the self-report's page and API tests share: a signed-in browser, a report in a given state,
an opinion on its current version, and the lines as the API takes them."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.emissions.conftest import YEAR, as_, listed
from totalquota.emissions.models import EmissionReport, ReportLine, TechnicalOpinion
from totalquota.emissions.services import reports as svc

NOTE = "本单位许可证未载明，按实际排放申报"


def signed_in(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def opinion(report: EmissionReport, author: Any, conclusion: str = "accept") -> TechnicalOpinion:
    report.refresh_from_db()
    return TechnicalOpinion.objects.create(
        report=report, version=report.current_version, author=author, conclusion=conclusion, text="数据可信"
    )


def api_line(code: str, actual: str | None, **more: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "pollutant": code,
        "actual": actual,
        "method": "self",
        "data_source": "2025 年自行监测报告",
        "difference_note": NOTE,
    }
    body.update(more)
    return body


def new_report(world: Any, enterprise: Any = None, user: Any = None, year: int = YEAR) -> EmissionReport:
    enterprise = enterprise or world.company
    listed(world, enterprise, year=year)
    return svc.report_create(actor=as_(user or world.company_user), enterprise=enterprise, year=year)


def submitted(world: Any, p: dict, filled: Any) -> EmissionReport:
    report = filled()
    svc.report_submit(actor=as_(world.company_user), report=report)
    report.refresh_from_db()
    return report


def lines_of(report: EmissionReport) -> list[tuple[str, int | None]]:
    report.refresh_from_db()
    return list(
        ReportLine.objects.filter(version_id=report.current_version_id)
        .order_by("pollutant__sort_order")
        .values_list("pollutant__code", "actual_grams")
    )
