"""Two submissions of one report at once through the API, on PostgreSQL: the kernel's row lock lets
one through (200) and the other finds the report already submitted (409); one transition row."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.emissions.conftest import T
from tests.thread_helpers import run_at_once
from totalquota.emissions.models import EmissionReport, ReportStatus, ReportTransition

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_two_submissions_of_one_report_at_once_give_one_200_one_409_and_one_transition(world, p, filled):
    report = filled()
    clients = []
    for _ in range(2):
        client = Client(raise_request_exception=False)
        client.force_login(world.company_user)
        clients.append(client)

    def submit(n: int) -> tuple[int, str]:
        response = clients[n].post(
            f"/api/v1/emission-reports/{report.pk}/submit",
            {"note": f"第 {n} 路"},
            content_type="application/json",
        )
        return response.status_code, response["Content-Type"]

    results = run_at_once(submit, 2)
    assert sorted(code for code, _type in results) == [200, 409]
    assert dict(results)[409] == "application/problem+json"
    report = EmissionReport.objects.get(pk=report.pk)
    assert report.status == ReportStatus.SUBMITTED and report.current_version.frozen
    assert ReportTransition.objects.filter(report=report, action="submit").count() == 1


def test_a_save_and_a_submission_at_once_leave_the_submitted_version_as_checked(world, p, filled):
    """The save waits for the submission's lock (or the other way round): the frozen version holds
    either the old lines (the save then gets 409) or the new ones (saved first, then submitted)."""
    report = filled()
    unit = Client(raise_request_exception=False)
    unit.force_login(world.company_user)

    def act(n: int) -> int:
        if n == 0:
            return unit.post(
                f"/api/v1/emission-reports/{report.pk}/submit", {}, content_type="application/json"
            ).status_code
        body = {
            "lines": [
                {
                    "pollutant": "COD",
                    "actual": "99",
                    "method": "self",
                    "data_source": "x",
                    "difference_note": "y",
                }
            ]
        }
        return unit.put(
            f"/api/v1/emission-reports/{report.pk}/lines", body, content_type="application/json"
        ).status_code

    submitted, saved = run_at_once(act, 2)
    report = EmissionReport.objects.get(pk=report.pk)
    frozen = dict(report.current_version.lines.values_list("pollutant__code", "actual_grams"))
    assert submitted == 200 and saved in (200, 409)
    assert frozen == ({"COD": 99 * T} if saved == 200 else {"COD": 12 * T, "VOCS": 3 * T})
