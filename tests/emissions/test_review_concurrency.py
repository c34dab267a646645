"""Review under real concurrency (PostgreSQL), through the HTTP handler: two reviewers accepting
one report in two batches at once, an opinion racing a return, one flag resolved twice at once."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

from tests.emissions.conftest import T, as_, line
from tests.emissions.helpers_review import imported, opinion, submitted
from tests.thread_helpers import run_at_once
from totalquota.emissions.models import ConsistencyFlag, ReportTransition, TechnicalOpinion
from totalquota.emissions.services import reports as report_services
from totalquota.lib.errors import DomainError

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def client_of(user):
    c = Client()
    c.force_login(user)
    return c


def post(user, url, body):
    return client_of(user).post(url, json.dumps(body), content_type="application/json")


def test_two_batches_accepting_one_report_at_once_accept_it_once(world, p, filled):
    report = submitted(world, filled, line(p["COD"], 10 * T))
    opinion(world, report)
    reviewers = [world.reviewer, world.reviewer2]
    responses = run_at_once(
        lambda n: post(reviewers[n], "/api/v1/emission-reports/batch-accept", {"ids": [report.pk]}), 2
    )
    assert [r.status_code for r in responses] == [200, 200]
    outcomes = sorted(r.json()[0]["accepted"] for r in responses)
    assert outcomes == [False, True]
    assert ReportTransition.objects.filter(report=report, action="accept").count() == 1


def returned(world, report):
    try:
        return report_services.report_return(actor=as_(world.reviewer), report=report, reason="请更正")
    except DomainError as exc:
        return exc


def test_an_opinion_racing_a_return_never_lands_on_an_open_version(world, p, filled):
    report = submitted(world, filled, line(p["COD"], 10 * T))
    calls = [
        lambda: post(
            world.third_party,
            f"/api/v1/emission-reports/{report.pk}/opinions",
            {"conclusion": "accept", "text": "可信"},
        ),
        # The return's route belongs to the reports' API; its service is the kernel's action.
        lambda: returned(world, report),
    ]
    responses = run_at_once(lambda n: calls[n](), 2)
    assert responses[0].status_code in (201, 409)
    for made in TechnicalOpinion.objects.filter(report=report).select_related("version"):
        assert made.version.frozen and made.version.number == 1


def test_one_flag_resolved_twice_at_once_is_resolved_once(world, p, filled):
    imported(world, "statistics", (world.company.uscc, "COD", "20"))
    report = submitted(world, filled, line(p["COD"], 10 * T))
    flag = report.flags.get()
    url = f"/api/v1/emissions/flags/{flag.pk}/resolve"
    responses = run_at_once(lambda n: post(world.reviewer, url, {"reason": f"处理 {n}"}), 2)
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert ConsistencyFlag.objects.get(pk=flag.pk).status == "resolved"
