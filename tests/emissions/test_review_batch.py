"""Technical opinions and batch acceptance (TOT-3): who may write an opinion on which version,
four eyes, a thousand reports in a morning (a fixed number of queries per report), refusals
reported per report through the page and the API."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.emissions.conftest import YEAR, T, as_, line, listed
from tests.emissions.helpers_review import imported, opinion
from tests.factories import EnterpriseFactory, UserFactory
from totalquota.accounts.roles import Role
from totalquota.emissions.models import EmissionReport, ReportStatus, TechnicalOpinion
from totalquota.emissions.services import reports as report_services
from totalquota.emissions.services import review as services
from totalquota.lib.errors import Conflict, Forbidden, ValidationFailed


def unit_report(world, p, zone=None, *, n=0, submit=True):
    """A unit of ``zone`` (zone A) with a submitted 2025 report of one COD line."""
    unit = EnterpriseFactory(zone=zone or world.zone_a, name=f"苏州审核{n}有限公司")
    user = UserFactory(username=f"unit{n}-{unit.pk}", role=Role.ENTERPRISE, enterprise=unit)
    listed(world, unit)
    report = report_services.report_create(actor=as_(user), enterprise=unit, year=YEAR)
    report_services.report_lines_save(actor=as_(user), report=report, lines=[line(p["COD"], T)])
    if submit:
        report_services.report_submit(actor=as_(user), report=report)
    report.refresh_from_db()
    return report


def client_of(user):
    c = Client()
    c.force_login(user)
    return c


def test_a_third_party_writes_opinions_only_in_its_assigned_zones(world, p):
    mine = unit_report(world, p, world.zone_a, n=1)
    theirs = unit_report(world, p, world.zone_b, n=2)
    made = opinion(world, mine)
    assert made.version == mine.current_version and made.author == world.third_party
    with pytest.raises(Forbidden):
        opinion(world, theirs)
    response = client_of(world.third_party).post(
        reverse("emissions:opinion_add", args=[theirs.pk]), {"conclusion": "accept", "text": "可信"}
    )
    assert response.status_code == 404
    assert not TechnicalOpinion.objects.filter(report=theirs).exists()


def test_an_opinion_needs_a_submitted_version_a_conclusion_and_a_text(world, p):
    draft = unit_report(world, p, n=1, submit=False)
    with pytest.raises(Conflict):
        opinion(world, draft)
    report = unit_report(world, p, n=2)
    with pytest.raises(ValidationFailed):
        services.opinion_add(actor=as_(world.reviewer), report=report, conclusion="maybe", text="x")
    with pytest.raises(ValidationFailed):
        services.opinion_add(actor=as_(world.reviewer), report=report, conclusion="accept", text="  ")
    with pytest.raises(PermissionDenied):  # enterprises and zone officers do not write opinions
        services.opinion_add(actor=as_(world.officer), report=report, conclusion="accept", text="可信")
    assert not TechnicalOpinion.objects.exists()


def test_the_opinion_form_on_the_review_page_adds_an_opinion_and_comes_back(world, p):
    report = unit_report(world, p, n=1)
    c = client_of(world.reviewer)
    page = c.get(reverse("emissions:review_report", args=[report.pk]))
    assert page.status_code == 200 and b'id="opinion-form"' in page.content
    response = c.post(
        reverse("emissions:opinion_add", args=[report.pk]),
        {"conclusion": "return", "text": "COD 监测频次不足", "next": "/emissions/review/"},
    )
    assert response.status_code == 302 and response["Location"] == "/emissions/review/"
    [made] = TechnicalOpinion.objects.filter(report=report)
    assert made.conclusion == "return" and made.author == world.reviewer
    assert "COD 监测频次不足" in c.get(reverse("emissions:review_report", args=[report.pk])).content.decode()
    outside = c.post(
        reverse("emissions:opinion_add", args=[report.pk]),
        {"conclusion": "accept", "text": "好", "next": "https://evil.example/"},
    )
    assert outside["Location"] == reverse("emissions:review_report", args=[report.pk])


def test_the_api_adds_and_lists_opinions(world, p):
    report = unit_report(world, p, n=1)
    c = client_of(world.third_party)
    url = f"/api/v1/emission-reports/{report.pk}/opinions"
    response = c.post(url, {"conclusion": "accept", "text": "数据可信"}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["version"] == 1 and response.json()["author"] == "third"
    assert [o["text"] for o in c.get(url).json()] == ["数据可信"]
    refused = c.post(url, {"conclusion": "accept", "text": ""}, content_type="application/json")
    assert refused.status_code == 422 and TechnicalOpinion.objects.count() == 1


def test_a_batch_accepts_the_ready_reports_and_says_why_the_others_were_refused(world, p):
    ready = unit_report(world, p, n=1)
    opinion(world, ready)  # by the third party
    no_opinion = unit_report(world, p, n=2)
    own = unit_report(world, p, n=3)
    opinion(world, own, author=world.reviewer2)  # the acceptor's own opinion: four eyes
    flagged = unit_report(world, p, n=4)
    opinion(world, flagged)
    imported(world, "statistics", (flagged.enterprise.uscc, "COD", "5"))
    results = services.reports_accept(
        actor=as_(world.reviewer2), ids=[ready.pk, no_opinion.pk, own.pk, flagged.pk, 999_999, ready.pk]
    )
    by_id = {r.id: r for r in results}
    assert [r.id for r in results] == [ready.pk, no_opinion.pk, own.pk, flagged.pk, 999_999]
    assert by_id[ready.pk].accepted
    assert "技术审核意见" in by_id[no_opinion.pk].message
    assert "四眼原则" in by_id[own.pk].message
    assert "一致性核查提示" in by_id[flagged.pk].message
    assert not by_id[999_999].accepted
    statuses = dict(EmissionReport.objects.values_list("pk", "status"))
    assert statuses[ready.pk] == ReportStatus.ACCEPTED
    assert {statuses[r.pk] for r in (no_opinion, own, flagged)} == {ReportStatus.SUBMITTED}


def test_the_batch_page_lists_filters_and_accepts_the_selected_reports(world, p):
    ready = unit_report(world, p, n=1)
    opinion(world, ready)
    waiting = unit_report(world, p, world.zone_b, n=2)
    c = client_of(world.reviewer)
    page = c.get(reverse("emissions:review_batch")).content.decode()
    assert f'name="ids" value="{ready.pk}"' in page
    assert f'name="ids" value="{waiting.pk}"' not in page  # no opinion yet: not selectable
    filtered = c.get(reverse("emissions:review_batch"), {"zone": world.zone_b.pk}).content.decode()
    assert f'data-report="{waiting.pk}"' in filtered and f'data-report="{ready.pk}"' not in filtered
    with_opinion = c.get(reverse("emissions:review_batch"), {"has_opinion": "true"}).content.decode()
    assert f'data-report="{ready.pk}"' in with_opinion and f'data-report="{waiting.pk}"' not in with_opinion
    export = c.get(reverse("emissions:review_batch"), {"export": "xlsx"})
    assert export.status_code == 200
    result = c.post(reverse("emissions:review_batch"), {"ids": [str(ready.pk), str(waiting.pk)]})
    assert result.status_code == 200
    text = result.content.decode()
    assert "审核通过 1 份，未通过 1 份。" in text and "技术审核意见" in text
    assert EmissionReport.objects.get(pk=ready.pk).status == ReportStatus.ACCEPTED


def test_the_api_batch_accept_answers_per_id(world, p):
    ready = unit_report(world, p, n=1)
    opinion(world, ready)
    other = unit_report(world, p, n=2)
    c = client_of(world.reviewer)
    response = c.post(
        "/api/v1/emission-reports/batch-accept",
        json.dumps({"ids": [ready.pk, other.pk]}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body[0] == {"id": ready.pk, "accepted": True, "message": "已审核通过", "status": "accepted"}
    assert body[1]["id"] == other.pk and body[1]["accepted"] is False and body[1]["status"] is None
    refused = client_of(world.third_party).post(
        "/api/v1/emission-reports/batch-accept",
        json.dumps({"ids": [other.pk]}),
        content_type="application/json",
    )
    assert refused.status_code == 403


def queries(run):
    with CaptureQueriesContext(connection) as ctx:
        run()
    return len(ctx.captured_queries)


def test_the_batch_page_and_the_batch_take_a_fixed_number_of_queries_per_report(world, p):
    c = client_of(world.reviewer2)
    url = reverse("emissions:review_batch")
    reports = [unit_report(world, p, n=1)]
    opinion(world, reports[0])
    c.get(url)  # warm the session and the caches
    few = queries(lambda: c.get(url))
    for n in range(2, 9):
        report = unit_report(world, p, n=n)
        opinion(world, report)
        reports.append(report)
    many = queries(lambda: c.get(url))
    assert many == few  # the page: the same queries for 1 row or 8

    def accept(batch):
        return queries(lambda: services.reports_accept(actor=as_(world.reviewer2), ids=[r.pk for r in batch]))

    accept(reports[:1])  # warm the caches (content types) once
    one = accept(reports[1:2])
    two = accept(reports[2:4])
    four = accept(reports[4:8])
    per_report = two - one
    assert four - two == 2 * per_report  # linear: each report costs the same fixed number of queries
    assert per_report <= 20
    assert EmissionReport.objects.filter(status=ReportStatus.ACCEPTED).count() == 8
