"""RES-4 (2) candidates from the emission total library: the unit's accepted whole-plant actual
emission of the latest calendar year that began after the first year of formal operation; a
verified emission typed by a reviewer with evidence only where no accepted report holds one."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.emissions.conftest import as_, listed
from tests.emissions.conftest import line as report_line
from tests.reductions.conftest import pdf
from tests.reserve.test_intake_upper_recovery import approved_application, operating_since, verified
from totalquota.emissions.models import VerifiedEmission
from totalquota.emissions.services import reports as report_services
from totalquota.emissions.services import review as review_services
from totalquota.reserve import services
from totalquota.reserve.models import RecoveryKind
from totalquota.reserve.selectors import recovery_candidates


def accepted_report(world, p, year, vocs_grams):
    listed(world, year=year)
    report = report_services.report_create(actor=as_(world.company_user), enterprise=world.company, year=year)
    report_services.report_lines_save(
        actor=as_(world.company_user), report=report, lines=[report_line(p["VOCS"], vocs_grams)]
    )
    report_services.report_submit(actor=as_(world.company_user), report=report)
    review_services.opinion_add(actor=as_(world.third_party), report=report, conclusion="accept", text="可信")
    report_services.report_accept(actor=as_(world.reviewer2), report=report)
    report.refresh_from_db()
    return report


def test_the_candidate_comes_from_the_accepted_report_and_says_so(world, p, stock, draft):
    app = approved_application(world, p, stock, draft, 1_000_000)
    operating_since(app, dt.date(2023, 1, 1))  # first counted year: 2024
    accepted_report(world, p, 2024, 700_000)
    latest = accepted_report(world, p, 2025, 600_000)
    verified(world, p["VOCS"], 2025, 900_000, "监测报告")  # ignored: an accepted report holds 2025
    [candidate] = recovery_candidates(today=timezone.localdate())
    assert candidate.actual_grams == 600_000 and candidate.suggested_surplus_grams == 400_000
    assert candidate.verified is None and candidate.report_line.version.report_id == latest.pk
    figure = candidate.snapshot["figure"]
    assert (figure["kind"], figure["report_id"], figure["version"], figure["year"]) == (
        "report",
        latest.pk,
        1,
        2025,
    )
    assert figure["source"] == f"2025 年度排放量申报 {latest.pk} 第 1 版（已审核通过）"
    case = services.recovery_propose(
        actor=world.reviewer.principal,
        line=candidate.line,
        kind=RecoveryKind.UNDERUSED,
        reason="按 2025 年度申报核实",
        surplus_grams=400_000,
    )
    assert case.verified is None and case.rule_snapshot["figure"]["report_id"] == latest.pk
    c = Client()
    c.force_login(world.reviewer)
    page = c.get(reverse("reserve:recovery_detail", args=[case.pk])).content.decode()
    assert reverse("emissions:review_report", args=[latest.pk]) in page


def test_a_report_of_the_first_year_of_operation_does_not_count(world, p, stock, draft):
    app = approved_application(world, p, stock, draft, 1_000_000)
    operating_since(app, dt.date(2024, 6, 1))  # first year to 1 June 2025; 2026 is the first counted
    accepted_report(world, p, 2025, 100_000)
    assert recovery_candidates(today=timezone.localdate()) == []


def test_without_an_accepted_report_the_verified_emission_is_the_fallback(world, p, stock, draft):
    app = approved_application(world, p, stock, draft, 1_000_000)
    operating_since(app, dt.date(2024, 1, 1))
    row = verified(world, p["VOCS"], 2025, 500_000, "2025 年监督性监测报告")
    assert row.evidence_sha256 and row.evidence_name == "监测报告.pdf"
    [candidate] = recovery_candidates(today=timezone.localdate())
    assert candidate.verified == row and candidate.snapshot["figure"]["kind"] == "verified"


def test_a_reviewer_enters_a_verified_emission_with_evidence_on_the_page_and_through_the_api(world, p):
    c = Client()
    c.force_login(world.reviewer)
    url = reverse("reserve:verified_create")
    data = {
        "enterprise": world.company.pk,
        "pollutant": p["VOCS"].pk,
        "year": 2025,
        "actual": "0.5",
        "source": "2025 年监督性监测报告",
    }
    missing = c.post(url, data)
    assert missing.status_code == 200 and not VerifiedEmission.objects.exists()
    assert c.post(url, {**data, "evidence": pdf("监测报告.pdf")}).status_code == 302
    row = VerifiedEmission.objects.get()
    assert row.actual_grams == 500_000 and row.evidence_content_type == "application/pdf"
    download = c.get(reverse("emissions:verified_evidence", args=[row.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    admin = Client()
    admin.force_login(world.admin)
    assert admin.get(url).status_code == 403  # a reviewer's fallback
    api = c.post(
        "/api/v1/emissions/verified-emissions",
        {
            "enterprise_id": world.company.pk,
            "pollutant": "COD",
            "year": "2025",
            "actual": "1.25",
            "source": "执行报告",
            "evidence": pdf("执行报告.pdf"),
        },
    )
    assert api.status_code == 201, api.content
    assert api.json()["actual_grams"] == 1_250_000 and len(api.json()["evidence_sha256"]) == 64
    no_file = c.post(
        "/api/v1/emissions/verified-emissions",
        {"enterprise_id": world.company.pk, "pollutant": "PM", "year": "2025", "actual": "1", "source": "x"},
    )
    assert no_file.status_code == 422 and VerifiedEmission.objects.count() == 2
