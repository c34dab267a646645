"""Declaration rounds and late declarations as the bureau and the zones see them: the project's
page and list, the "open the next round" page, and the same through the API (RED-3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.reductions.conftest import MINIMAL_PDF, pdf, ready_project, upload
from totalquota.audit.models import AuditEvent
from totalquota.reductions import selectors, services
from totalquota.reductions.models import DeclarationRound, Evidence

pytestmark = pytest.mark.django_db
API = "/api/v1/reductions"
D = dt.date
COMPLETED_2025 = {
    "start_date": D(2025, 3, 1),
    "completion_date": D(2025, 10, 15),
    "acceptance_date": D(2025, 11, 1),
}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def q4(world, clock):
    """Today is 1 December 2026; the fourth quarter's round (1 October - 31 December) is open."""
    clock("2026-12-01")
    return services.round_create(actor=world.admin.principal, **selectors.round_defaults(2026, 4))


# --- pages ---------------------------------------------------------------------------------------
def test_a_project_declared_today_shows_its_round_and_counting_year_and_is_not_overdue(world, q4):
    project = ready_project(world, D(2026, 12, 1))
    page = signed_in(world.officer).get(project.get_absolute_url()).content.decode()
    assert "2026 年第 4 季度减排项目申报" in page and "2026年10月1日 — 2026年12月31日" in page
    assert "计入年度" in page and "申报截止日期：2026年12月31日" in page
    assert "已逾期" not in page and "逾期申报" not in page
    listing = signed_in(world.officer).get(reverse("reductions:project_list")).content.decode()
    assert "2026 年第 4 季度减排项目申报" in listing
    overdue = signed_in(world.officer).get(reverse("reductions:overdue")).content.decode()
    assert project.name not in overdue


def test_a_late_declaration_is_marked_and_the_reviewer_accepts_it_on_the_page(world, q4):
    project = ready_project(world, D(2026, 12, 1), name="去年竣工今年申报", **COMPLETED_2025)
    services.project_submit(actor=world.officer.principal, project=project)
    officer_page = signed_in(world.officer).get(project.get_absolute_url()).content.decode()
    assert "逾期申报" in officer_page and "2025 年竣工的项目应于 2026年2月28日 前申报" in officer_page
    assert 'id="accept-late"' not in officer_page
    listing = signed_in(world.officer).get(reverse("reductions:project_list"), {"late_declaration": "1"})
    assert "去年竣工今年申报" in listing.content.decode()
    assert "逾期申报" in listing.content.decode()

    reviewer = signed_in(world.reviewer)
    assert 'id="accept-late"' in reviewer.get(project.get_absolute_url()).content.decode()
    url = reverse("reductions:project_accept_late", args=[project.pk])
    refused = reviewer.post(url, {"reason": ""}, follow=True)
    assert "接受逾期申报须说明理由" in refused.content.decode()
    project.refresh_from_db()
    assert project.late_accepted_at is None
    approved = reviewer.post(
        reverse("reductions:project_review", args=[project.pk]), {"decision": "approve"}, follow=True
    )
    assert "须经生态环境局接受逾期申报" in approved.content.decode()
    done = reviewer.post(url, {"reason": "验收材料补正"}, follow=True)
    assert "已接受逾期申报" in done.content.decode() and "生态环境局已接受逾期申报" in done.content.decode()
    project.refresh_from_db()
    assert project.late_accepted_by == world.reviewer


def test_the_bureau_opens_the_next_round_from_a_form_filled_with_the_defaults(world, q4):
    admin = signed_in(world.admin)
    rounds = admin.get(reverse("reductions:round_list")).content.decode()
    assert reverse("reductions:round_next") in rounds
    form = admin.get(reverse("reductions:round_next")).content.decode()
    assert 'value="2027"' in form and 'value="2027-02-28"' in form and 'value="2026-10-01"' in form
    data = {
        "year": "2027",
        "quarter": "1",
        "title": "",
        "opens_on": "2027-01-04",
        "deadline": "2027-02-26",
        "covers_from": "2026-10-01",
        "covers_to": "2026-12-31",
        "note": "",
    }
    saved = admin.post(reverse("reductions:round_next"), data)
    assert saved.status_code == 302
    row = DeclarationRound.objects.get(year=2027, quarter=1)
    assert (row.opens_on, row.deadline, row.title) == (
        D(2027, 1, 4),
        D(2027, 2, 26),
        "2027 年第 1 季度减排项目申报",
    )
    count = DeclarationRound.objects.count()
    again = admin.post(reverse("reductions:round_next"), data)
    assert again.status_code == 422
    assert "2027 年第 1 季度的申报轮次已存在" in again.content.decode()
    assert DeclarationRound.objects.count() == count


def test_only_round_managers_open_rounds(world, q4):
    assert signed_in(world.officer).get(reverse("reductions:round_next")).status_code == 403
    assert signed_in(world.reviewer).post(reverse("reductions:round_next"), {}).status_code == 403
    assert DeclarationRound.objects.count() == 1


def test_one_file_uploads_as_two_kinds_on_the_page_but_not_twice_as_one(world, today):
    project = ready_project(world, today, evidence=False)
    officer = signed_in(world.officer)
    url = reverse("reductions:evidence_upload", args=[project.pk])
    for kind in ("acceptance", "investment"):
        response = officer.post(url, {"kind": kind, "file": pdf()}, follow=True)
        assert response.status_code == 200
    assert sorted(project.evidence.values_list("kind", flat=True)) == ["acceptance", "investment"]
    refused = officer.post(url, {"kind": "investment", "file": pdf("again.pdf")}, follow=True)
    assert "同一文件已作为“投入资金证明”上传到该项目" in refused.content.decode()
    assert project.evidence.count() == 2


# --- API -----------------------------------------------------------------------------------------
def test_the_api_shows_the_round_the_declaration_day_and_lateness(world, q4):
    project = ready_project(world, D(2026, 12, 1), **COMPLETED_2025)
    body = signed_in(world.officer).get(f"{API}/projects/{project.pk}").json()
    assert body["declared_on"] == "2026-12-01" and body["round_id"] == q4.pk
    assert body["round_title"] == "2026 年第 4 季度减排项目申报" and body["due_date"] == "2026-12-31"
    assert body["late_declaration"] is True and body["late_accepted_at"] is None and body["year"] == 2025


def test_the_reviewer_accepts_a_late_declaration_through_the_api(world, q4):
    project = ready_project(world, D(2026, 12, 1), **COMPLETED_2025)
    services.project_submit(actor=world.officer.principal, project=project)
    url = f"{API}/projects/{project.pk}/accept-late"
    reviewer = signed_in(world.reviewer)
    approve = reviewer.post(f"{API}/projects/{project.pk}/approve", {}, content_type="application/json")
    assert approve.status_code == 422 and approve.json()["clause"] == "RED-3"
    missing = reviewer.post(url, {"reason": ""}, content_type="application/json")
    assert missing.status_code == 422 and missing["content-type"] == "application/problem+json"
    officer = signed_in(world.officer).post(url, {"reason": "请接受"}, content_type="application/json")
    assert officer.status_code == 403
    accepted = reviewer.post(url, {"reason": "验收材料补正"}, content_type="application/json")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["late_accepted_at"] and accepted.json()["late_accept_reason"] == "验收材料补正"
    twice = reviewer.post(url, {"reason": "再次"}, content_type="application/json")
    assert twice.status_code == 409
    assert project.transitions.filter(action="accept_late").count() == 1


def test_the_api_offers_the_next_rounds_defaults_and_opens_it_once(world, q4):
    admin = signed_in(world.admin)
    defaults = admin.get(f"{API}/rounds/next").json()
    assert defaults["year"] == 2027 and defaults["quarter"] == 1 and defaults["deadline"] == "2027-02-28"
    bad = admin.post(f"{API}/rounds/next", {"deadline": "2027-03-31"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["clause"] == "RED-3"
    assert DeclarationRound.objects.count() == 1
    created = admin.post(f"{API}/rounds/next", {"deadline": "2027-02-20"}, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["deadline"] == "2027-02-20" and created.json()["opens_on"] == "2027-01-01"
    count, events = DeclarationRound.objects.count(), AuditEvent.objects.count()
    again = admin.post(f"{API}/rounds/next", {"year": 2027, "quarter": 1}, content_type="application/json")
    assert again.status_code == 409 and "已存在" in again.json()["detail"]
    assert (DeclarationRound.objects.count(), AuditEvent.objects.count()) == (count, events)
    assert (
        signed_in(world.reviewer).post(f"{API}/rounds/next", {}, content_type="application/json").status_code
        == 403
    )


def test_the_api_takes_one_file_as_two_kinds_once_each(world, today):
    project = ready_project(world, today, evidence=False)
    officer = signed_in(world.officer)
    url = f"{API}/projects/{project.pk}/evidence"
    for kind in ("acceptance", "eia"):
        response = officer.post(url, {"kind": kind, "file": upload(MINIMAL_PDF, "批复.pdf")})
        assert response.status_code == 201, response.content
    again = officer.post(url, {"kind": "eia", "file": upload(MINIMAL_PDF, "批复.pdf")})
    assert again.status_code == 409 and "同一文件已作为“环评及审批文件”上传" in again.json()["detail"]
    assert Evidence.objects.filter(project=project).count() == 2


def test_the_round_and_the_late_declaration_read_in_english(world, q4):
    from django.conf import settings
    from django.utils import translation

    project = ready_project(world, D(2026, 12, 1), **COMPLETED_2025)
    officer = signed_in(world.officer)
    try:
        officer.post(reverse("set_language"), {"language": "en"})
        page = officer.get(project.get_absolute_url()).content.decode()
    finally:
        translation.activate(settings.LANGUAGE_CODE)
    assert "Counts toward year" in page and "Declaration date" in page
    assert "Late declaration" in page and "were to be declared by" in page
