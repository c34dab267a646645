"""The determinations' pages and API: a reviewer computes, another issues, the unit reads its own
(and not another's), overrides through the page and the API, refusals that write nothing."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from tests.emissions.conftest import T
from tests.emissions.helpers_determinations import ALLOWANCE_YEAR, accepted, figures
from totalquota.audit.models import AuditEvent
from totalquota.documents.models import IssuedDocument
from totalquota.emissions.models import Determination, DeterminationLine

pytestmark = pytest.mark.django_db
Y = ALLOWANCE_YEAR


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def two_units(world, p):
    accepted(world, [figures(p["COD"], 11 * T, permitted=20 * T, allowed=12 * T, sewer_grams=30 * T)])
    accepted(
        world,
        [figures(p["COD"], T, allowed=3 * T)],
        enterprise=world.other_company,
        user=world.other_company_user,
    )
    return world


def run_url(world, name="determination_run"):
    return reverse(f"emissions:{name}", kwargs={"zone": world.zone_a.pk, "year": Y})


def test_a_reviewer_computes_on_the_run_page_and_another_issues(two_units):
    world = two_units
    reviewer = signed_in(world.reviewer)
    assert reviewer.post(run_url(world, "determination_compute")).status_code == 302
    page = reviewer.get(run_url(world)).content.decode()
    assert world.company.name in page and "12" in page and 'id="zone-totals"' in page
    reviewer.post(run_url(world, "determination_issue"))  # the computer may not issue: refused
    assert not IssuedDocument.objects.exists()
    signed_in(world.reviewer2).post(run_url(world, "determination_issue"))
    determination = Determination.objects.get(enterprise=world.company)
    assert determination.status == "issued" and determination.document is not None


def test_the_detail_page_shows_the_derivation_in_words_with_its_sources(two_units):
    world = two_units
    signed_in(world.reviewer).post(run_url(world, "determination_compute"))
    determination = Determination.objects.get(enterprise=world.company)
    line = determination.lines.get()
    page = signed_in(world.company_user).get(determination.get_absolute_url()).content.decode()
    assert f"明细 #{line.report_line_id}" in page and "基数：12 t/a" in page and "TOT-3" in page
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english.force_login(world.reviewer)
    text = english.get(determination.get_absolute_url()).content.decode()
    assert "Base: 12 t/a, taken as Last year's allowed emissions" in text.replace("&#x27;", "'")


def test_a_unit_sees_its_own_determination_and_document_but_not_anothers(two_units):
    world = two_units
    signed_in(world.reviewer).post(
        reverse("emissions:determination_compute", kwargs={"zone": world.zone_b.pk, "year": Y})
    )
    signed_in(world.reviewer).post(run_url(world, "determination_compute"))
    signed_in(world.reviewer2).post(run_url(world, "determination_issue"))
    own = Determination.objects.get(enterprise=world.company)
    other = Determination.objects.get(enterprise=world.other_company)
    unit = signed_in(world.company_user)
    assert unit.get(own.get_absolute_url()).status_code == 200
    assert unit.get(other.get_absolute_url()).status_code == 404
    listing = unit.get(reverse("emissions:determination_list")).content.decode()
    assert world.company.name in listing and world.other_company.name not in listing
    pdf = unit.get(reverse("emissions:determination_document", args=[own.pk, "pdf"]))
    text = "".join(
        page.extract_text()
        for page in PdfReader(
            io.BytesIO(b"".join(pdf.streaming_content) if pdf.streaming else pdf.content)
        ).pages
    )
    assert world.company.name in text.replace(" ", "")
    assert unit.get(reverse("emissions:determination_document", args=[other.pk, "pdf"])).status_code == 404
    assert unit.get(f"/api/v1/emissions/determinations/{other.pk}").status_code == 404
    assert unit.get(reverse("emissions:unit_record", args=[world.other_company.pk])).status_code == 404
    record = unit.get(reverse("emissions:unit_record", args=[world.company.pk])).content.decode()
    assert 'id="year-2025"' in record and "12" in record


def test_overrides_through_the_api_need_a_second_reviewer(two_units):
    world = two_units
    signed_in(world.reviewer).post(run_url(world, "determination_compute"))
    line = DeterminationLine.objects.get(determination__enterprise=world.company)
    first, second = signed_in(world.reviewer), signed_in(world.reviewer2)
    url = f"/api/v1/emissions/determination-lines/{line.pk}"
    refused = first.post(f"{url}/override", {"quantity": 10, "reason": "x"}, content_type="application/json")
    assert refused.status_code == 422  # a JSON number is refused: quantities are text
    refused = first.post(
        f"{url}/override", {"quantity": "10.0000001", "reason": "x"}, content_type="application/json"
    )
    assert refused.status_code == 422  # finer than a gram
    refused = first.post(f"{url}/override", {"quantity": "10", "reason": ""}, content_type="application/json")
    assert refused.status_code == 422
    assert not DeterminationLine.objects.filter(override_by__isnull=False).exists()
    ok = first.post(
        f"{url}/override", {"quantity": "10", "reason": "停产一条线"}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["lines"][0]["override"] == "10"
    assert first.post(f"{url}/confirm").status_code == 403
    assert signed_in(world.company_user).post(f"{url}/confirm").status_code == 403
    done = second.post(f"{url}/confirm")
    assert done.status_code == 200 and done.json()["lines"][0]["allowed"] == "10"


def test_api_refusals_write_nothing(two_units):
    world = two_units
    reviewer = signed_in(world.reviewer)
    before = AuditEvent.objects.count()
    assert (
        reviewer.post(
            "/api/v1/emissions/determinations/compute",
            {"zone": "A", "year": 2021},
            content_type="application/json",
        ).status_code
        == 422
    )
    assert (
        reviewer.post(
            "/api/v1/emissions/determinations/compute",
            {"zone": "C", "year": Y},
            content_type="application/json",
        ).status_code
        == 422
    )
    assert (
        reviewer.post(
            "/api/v1/emissions/determinations/compute",
            {"zone": "ZZ", "year": Y},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert (
        signed_in(world.officer)
        .post(
            "/api/v1/emissions/determinations/compute",
            {"zone": "A", "year": Y},
            content_type="application/json",
        )
        .status_code
        == 403
    )
    assert (
        reviewer.post(
            "/api/v1/emissions/determinations/issue",
            {"zone": "A", "year": Y},
            content_type="application/json",
        ).status_code
        == 409
    )
    assert not Determination.objects.exists() and AuditEvent.objects.count() == before
    computed = reviewer.post(
        "/api/v1/emissions/determinations/compute", {"zone": "A", "year": Y}, content_type="application/json"
    )
    assert computed.status_code == 200 and computed.json()[0]["lines"][0]["allowed"] == "12"
    assert computed.json()[0]["lines"][0]["explanation"][0].startswith("基数")
    issue = reviewer.post(
        "/api/v1/emissions/determinations/issue", {"zone": "A", "year": Y}, content_type="application/json"
    )
    assert issue.status_code == 403 and not IssuedDocument.objects.exists()
    issued = signed_in(world.reviewer2).post(
        "/api/v1/emissions/determinations/issue", {"zone": "A", "year": Y}, content_type="application/json"
    )
    assert issued.status_code == 200 and issued.json()[0]["document_code"].startswith("苏园环核")


def test_the_page_override_form_refuses_over_precise_input(two_units):
    world = two_units
    signed_in(world.reviewer).post(run_url(world, "determination_compute"))
    line = DeterminationLine.objects.get(determination__enterprise=world.company)
    url = reverse("emissions:determination_override", args=[line.pk])
    signed_in(world.reviewer).post(url, {f"l{line.pk}-quantity": "1.0000001", f"l{line.pk}-reason": "x"})
    assert DeterminationLine.objects.get(pk=line.pk).override_grams is None
    signed_in(world.reviewer).post(url, {f"l{line.pk}-quantity": "１１", f"l{line.pk}-reason": "停产"})
    assert DeterminationLine.objects.get(pk=line.pk).override_grams == 11 * T


def test_the_verify_page_knows_an_issued_determination(two_units):
    world = two_units
    signed_in(world.reviewer).post(run_url(world, "determination_compute"))
    signed_in(world.reviewer2).post(run_url(world, "determination_issue"))
    document = IssuedDocument.objects.get()
    page = Client().get(reverse("documents:verify_code", args=[document.verification_code]))
    assert page.status_code == 200 and document.code in page.content.decode()
    assert (
        Client()
        .get(reverse("documents:verify_download", args=[document.verification_code, "pdf"]))
        .status_code
        == 200
    )


def test_the_enterprise_page_links_the_units_record(two_units):
    world = two_units
    page = (
        signed_in(world.officer)
        .get(reverse("registry:enterprise_detail", args=[world.company.pk]))
        .content.decode()
    )
    assert reverse("emissions:unit_record", args=[world.company.pk]) in page


def test_the_report_page_include_links_the_determination_of_the_year_after(two_units, rf):
    from django.template.loader import render_to_string

    from totalquota.emissions.models import EmissionReport

    world = two_units
    signed_in(world.reviewer).post(run_url(world, "determination_compute"))
    report = EmissionReport.objects.get(enterprise=world.company)
    request = rf.get("/")
    request.user = world.company_user
    html = render_to_string("emissions/_report_extra.html", {"report": report, "request": request})
    determination = Determination.objects.get(enterprise=world.company)
    assert determination.get_absolute_url() in html and f"{Y} 年度核定排放量" in html
    request.user = world.other_company_user
    assert "report-determination" not in render_to_string(
        "emissions/_report_extra.html", {"report": report, "request": request}
    )


def test_the_units_record_shows_its_quota_beside_its_report(two_units, monkeypatch, p):
    from totalquota.emissions import selectors_determinations as reads

    world = two_units
    monkeypatch.setattr(
        reads,
        "PLANT_QUOTA_PROVIDERS",
        [lambda enterprise, year: {p["COD"].pk: 25 * T} if year == 2025 else {}],
    )
    page = signed_in(world.company_user).get(reverse("emissions:unit_record", args=[world.company.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and ">25<" in text.replace(" ", "") and ">30<" in text.replace(" ", "")


def test_a_past_years_run_shows_the_name_the_unit_had_then(two_units):
    import datetime as dt

    from totalquota.registry.models import ChangeKind
    from totalquota.registry.services import unit_change

    world = two_units
    old = world.company.name
    reviewer = signed_in(world.reviewer)
    reviewer.post(run_url(world, "determination_compute"))
    unit_change(
        actor=world.admin.principal,
        enterprise=world.company,
        kind=ChangeKind.RENAME,
        effective_on=dt.date(Y, 1, 1),
        reason="更名通知",
        name="苏州甲更名后有限公司",
    )
    page = reviewer.get(run_url(world)).content.decode()
    assert f">{old}</a>" in page and "（现名 苏州甲更名后有限公司）" in page
