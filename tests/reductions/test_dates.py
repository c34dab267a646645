"""Dates out of their plausible range are refused before anything is written, through the API and
the form; a project with a boundary date is saved and opens for everyone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.reductions.conftest import project_data
from totalquota.audit.models import AuditEvent
from totalquota.reductions.models import AccountingFactor, DeclarationRound, ReductionProject
from totalquota.reductions.rules import PREVIOUS_YEAR_DEADLINE
from totalquota.registry.models import RuleParameter

pytestmark = pytest.mark.django_db
API = "/api/v1/reductions"

# (field, date): every one of them must be refused.
OUT_OF_RANGE = [
    ("completion_date", "9999-12-31"),
    ("completion_date", "0001-01-01"),
    ("completion_date", "2020-12-31"),  # before SCOPE-1
    ("completion_date", "2101-01-01"),
    ("acceptance_date", "0001-01-01"),
    ("acceptance_date", "9999-12-31"),
    ("acceptance_date", "2020-12-31"),
    ("start_date", "0001-01-01"),
    ("start_date", "9999-12-31"),
    ("start_date", "1989-12-31"),
]


def body(today, **dates):
    data = project_data(today, enterprise="苏州甲电子有限公司")
    data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items()}
    data.update(dates)
    return data


@pytest.fixture
def officer(world):
    client = Client()
    client.force_login(world.officer)
    return client


@pytest.fixture
def admin(world):
    client = Client()
    client.force_login(world.admin)
    return client


def nothing_written():
    return ReductionProject.objects.count(), AuditEvent.objects.count()


@pytest.mark.parametrize(("field", "day"), OUT_OF_RANGE)
def test_the_api_refuses_implausible_project_dates_and_saves_nothing(officer, today, field, day):
    before = nothing_written()
    # Dates that keep the order start ≤ completion ≤ acceptance, so the range alone refuses.
    dates = {"start_date": None, "completion_date": None, "acceptance_date": None, field: day}
    response = officer.post(f"{API}/projects", body(today, **dates), content_type="application/json")
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert field in {e["field"] for e in problem["errors"]}
    assert "2100-12-31" in problem["detail"]
    assert nothing_written() == before


@pytest.mark.parametrize(("field", "day"), OUT_OF_RANGE)
def test_the_form_refuses_implausible_project_dates_and_saves_nothing(officer, world, today, field, day):
    before = nothing_written()
    data = {
        "name": "光氧改催化燃烧",
        "zone": world.zone_a.pk,
        "enterprise": world.company.pk,
        "project_type": "deep_treatment",
        "subtype": "treatment_upgrade",
        field: day,
    }
    response = officer.post(reverse("reductions:project_create"), data)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert nothing_written() == before


def test_the_form_shows_the_range_and_its_reason(officer):
    html = officer.get(reverse("reductions:project_create")).content.decode()
    assert "2021-01-01 至 2100-12-31" in html and "十四五" in html
    assert "1990-01-01 至 2100-12-31" in html


def test_changing_a_project_to_an_implausible_date_is_refused_and_changes_nothing(officer, today):
    created = officer.post(f"{API}/projects", body(today), content_type="application/json")
    pid = created.json()["id"]
    events = AuditEvent.objects.count()
    response = officer.patch(
        f"{API}/projects/{pid}", {"completion_date": "9999-12-31"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert ReductionProject.objects.get(pk=pid).completion_date == dt.date.fromisoformat(
        body(today)["completion_date"]
    )
    assert AuditEvent.objects.count() == events


def test_a_completion_date_without_a_deadline_rule_in_force_is_refused_before_saving(officer, today):
    # The declaration deadline (RED-3) is read from the rules; none in force for the next year.
    RuleParameter.objects.filter(key=PREVIOUS_YEAR_DEADLINE.key).update(effective_from=dt.date(2090, 1, 1))
    before = nothing_written()
    response = officer.post(
        f"{API}/projects",
        body(today, start_date=None, completion_date="2025-06-30", acceptance_date=None),
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "completion_date"
    assert "规则参数" in response.json()["detail"]
    assert nothing_written() == before


@pytest.mark.parametrize(
    "dates",
    [
        {"start_date": "1990-01-01", "completion_date": "2021-01-01", "acceptance_date": "2021-01-01"},
        {"start_date": "2100-12-31", "completion_date": "2100-12-31", "acceptance_date": "2100-12-31"},
    ],
)
def test_a_project_with_boundary_dates_is_saved_and_opens(officer, world, today, dates):
    created = officer.post(f"{API}/projects", body(today, **dates), content_type="application/json")
    assert created.status_code == 201, created.content
    pid = created.json()["id"]
    assert officer.get(f"{API}/projects/{pid}").status_code == 200
    assert officer.get(reverse("reductions:project_detail", args=[pid])).status_code == 200
    reviewer = Client()
    reviewer.force_login(world.reviewer)
    assert reviewer.get(f"{API}/projects/{pid}").status_code == 200
    assert reviewer.get(reverse("reductions:project_list")).status_code == 200


def test_rounds_and_factors_refuse_implausible_dates(admin):
    round_body = {
        "year": 2026,
        "quarter": 1,
        "opens_on": "0001-01-01",
        "deadline": "2026-02-28",
        "covers_from": "2025-10-01",
        "covers_to": "2025-12-31",
    }
    response = admin.post(f"{API}/rounds", round_body, content_type="application/json")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "opens_on"
    assert not DeclarationRound.objects.exists()
    factor = {
        "code": "JS-VOC-2026",
        "name": "溶剂型涂料 VOCs 含量",
        "pollutant": "VOCS",
        "value": "1.25",
        "unit": "kg/t",
        "source": "江苏省地方标准",
        "effective_from": "1989-12-31",
    }
    response = admin.post(f"{API}/factors", factor, content_type="application/json")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "effective_from"
    assert not AccountingFactor.objects.filter(code="JS-VOC-2026").exists()


def test_the_openapi_document_describes_quantities_as_strings_and_dates_with_their_range(client):
    schema = client.get("/api/v1/openapi.json").json()
    parts = schema["components"]["schemas"]
    project = parts["ProjectIn"]["properties"]["completion_date"]
    assert "十四五" in project["description"]
    line = parts["ApplicationLineIn"]["properties"]["new_discharge"]
    # A string, or a {value, unit} object whose value is a string: never a JSON number.
    forms = {form["type"]: form for form in line["oneOf"]}
    assert set(forms) == {"string", "object"} and "科学计数法" in line["description"]
    assert forms["object"]["properties"]["value"]["type"] == "string"


@pytest.mark.parametrize("value", [True, 85.5, "1e3", "١٢"], ids=repr)
def test_the_api_refuses_an_investment_that_is_not_a_plain_number(officer, today, value):
    before = nothing_written()
    response = officer.post(f"{API}/projects", body(today, investment=value), content_type="application/json")
    assert response.status_code == 422, response.content
    assert nothing_written() == before
