"""Every bad quantity is a 422 problem document naming the field, and nothing is written.

The same values are sent to the application API, the reduction-line API and the two forms: they
must be refused alike (one reading in lib.units), and full-width digits accepted alike, shown back
normalised.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.reductions.conftest import project_data
from totalquota.audit.models import AuditEvent
from totalquota.reductions import services as reductions
from totalquota.reductions.models import ReductionLine
from totalquota.reserve.models import ApplicationLine, QuotaApplication

pytestmark = pytest.mark.django_db

# 50 kinds of bad text for a t/a figure, each refused everywhere.
BAD_TEXT = [
    "-1",
    "-0",
    "-0.0",
    "-0.000001",
    "NaN",
    "nan",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1e309",
    "1e3",
    "1E3",
    "1e-3",
    "2.5e+1",
    "0.1000001",
    "0.0000001",
    "abc",
    "",
    "   ",
    "1,5",
    "1,000",
    "1，5",
    "1.2.3",
    "9" * 400,
    "0." + "0" * 398 + "1",
    "1000000001",
    "½",
    "Ⅻ",
    "١٢",
    "۱۲",
    "१२",
    "๑๒",
    "1\x00",
    "1\x07",
    "\x1b1",
    "1\u200b",
    "+1",
    "1 2",
    "0x10",
    "1_000",
    "12t",
    "1/2",
    "--1",
    ".",
    "∞",
    "12 lb/a",
    "12 kg",
    "12 t/a t/a",
]
# JSON values that are not strings: a quantity is never a JSON number.
NOT_TEXT = [12, 12.5, 0, True, False, None, [], {}]


def counts():
    return (
        QuotaApplication.objects.count(),
        ApplicationLine.objects.count(),
        ReductionLine.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def company(world):
    client = Client()
    client.force_login(world.company_user)
    return client


def application(world, **figures):
    line = {"pollutant": "VOCS", "project_env": "0.8", "plant_env": "1.5", "new_discharge": "0.7", **figures}
    return {
        "enterprise_id": world.company.pk,
        "project_name": "扩建项目",
        "location": "星湖街 1 号",
        "eia_reference": "苏园环建〔2026〕5号",
        "lines": [line],
    }


def refused(response, field):
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert any(e["field"].endswith(field) for e in body["errors"]), body
    return body


@pytest.mark.parametrize("text", BAD_TEXT)
def test_the_application_api_refuses_each_bad_quantity_and_writes_nothing(company, world, text):
    before = counts()
    response = company.post(
        "/api/v1/reserve/applications",
        application(world, new_discharge=text),
        content_type="application/json",
    )
    body = refused(response, "lines.0.new_discharge")
    assert body["errors"][0]["field"] == "lines.0.new_discharge" and body["detail"]
    assert counts() == before


@pytest.mark.parametrize("value", NOT_TEXT, ids=repr)
def test_the_application_api_refuses_json_numbers_and_booleans_with_a_clear_reason(company, world, value):
    before = counts()
    response = company.post(
        "/api/v1/reserve/applications", application(world, plant_env=value), content_type="application/json"
    )
    body = refused(response, "lines.0.plant_env")
    assert "字符串" in body["detail"]
    assert counts() == before


def test_every_figure_of_every_line_is_named_in_one_refusal(company, world):
    body = application(world, project_sewer="1e3", plant_sewer="١٢")
    body["lines"].append({"pollutant": "COD", "project_env": "-0", "plant_env": "1", "new_discharge": "abc"})
    response = company.post("/api/v1/reserve/applications", body, content_type="application/json")
    fields = {e["field"] for e in refused(response, "project_sewer")["errors"]}
    assert fields == {
        "lines.0.project_sewer",
        "lines.0.plant_sewer",
        "lines.1.project_env",
        "lines.1.new_discharge",
    }
    assert not QuotaApplication.objects.exists()


def test_full_width_digits_are_accepted_and_returned_normalised(company, world):
    response = company.post(
        "/api/v1/reserve/applications",
        application(world, project_env="０．８", plant_env="１．５０", new_discharge="0.7"),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    line = response.json()["lines"][0]
    assert line["project_env_grams"] == 800_000 and line["project_env"] == "0.8"
    assert line["plant_env"] == "1.5" and line["unit"] == "t/a"


@pytest.fixture
def draft_project(world, today):
    return reductions.project_create(
        actor=world.officer.principal, **project_data(today, enterprise=world.company)
    )


@pytest.fixture
def officer(world):
    client = Client()
    client.force_login(world.officer)
    return client


@pytest.mark.parametrize("text", BAD_TEXT)
def test_the_reduction_line_api_refuses_the_same_values(officer, draft_project, text):
    before = counts()
    response = officer.put(
        f"/api/v1/reductions/projects/{draft_project.pk}/lines/vocs",
        {"method": "closure", "inputs": {"baseline": text, "basis": "2024 年执行报告"}},
        content_type="application/json",
    )
    # "baseline" from the accounting, "inputs.baseline" from the NUL check that reads the body first
    assert refused(response, "baseline")["errors"][0]["field"].endswith("baseline")
    assert counts() == before


@pytest.mark.parametrize("value", [12, 2.5, True, None], ids=repr)
def test_the_reduction_line_api_refuses_json_numbers(officer, draft_project, value):
    before = counts()
    response = officer.put(
        f"/api/v1/reductions/projects/{draft_project.pk}/lines/vocs",
        {"method": "closure", "inputs": {"baseline": value}},
        content_type="application/json",
    )
    assert "字符串" in refused(response, "baseline")["detail"]
    assert counts() == before


def test_the_reduction_line_api_keeps_full_width_digits_normalised(officer, draft_project):
    response = officer.put(
        f"/api/v1/reductions/projects/{draft_project.pk}/lines/vocs",
        {"method": "closure", "inputs": {"baseline": "２．５", "basis": "执行报告"}},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["reduction_grams"] == 2_500_000 and response.json()["inputs"]["baseline"] == "2.5"


FORM_BAD = ["-0", "NaN", "1e3", "1e309", "0.1000001", "abc", "1,5", "9" * 400, "½", "Ⅻ", "١٢", "1\x07", "+1"]


@pytest.mark.parametrize("text", FORM_BAD)
def test_the_application_form_refuses_the_same_values(company, world, text):
    before = counts()
    data = {
        "enterprise": world.company.pk,
        "project_name": "扩建项目",
        "location": "星湖街 1 号",
        "eia_reference": "苏园环建〔2026〕5号",
        "VOCS__project_env_grams": "0.8",
        "VOCS__plant_env_grams": "1.5",
        "VOCS__new_discharge_grams": text,
    }
    response = company.post(reverse("reserve:application_create"), data)
    assert response.status_code == 200
    errors = response.context["lines"].errors
    assert "VOCS__new_discharge_grams" in errors, errors
    assert counts() == before


def test_the_application_form_shows_full_width_digits_back_normalised(company, world):
    data = {
        "enterprise": world.company.pk,
        "project_name": "",  # another field's error keeps the form on the page
        "location": "星湖街 1 号",
        "eia_reference": "苏园环建〔2026〕5号",
        "VOCS__project_env_grams": "０．８",
        "VOCS__plant_env_grams": "１．５",
        "VOCS__new_discharge_grams": "0.7",
    }
    response = company.post(reverse("reserve:application_create"), data)
    html = response.content.decode()
    assert 'value="0.8"' in html and 'value="1.5"' in html and "０．８" not in html
    assert "全角数字" in html  # the help text says so
    data["project_name"] = "扩建项目"
    company.post(reverse("reserve:application_create"), data)
    assert QuotaApplication.objects.get().lines.get().project_env_grams == 800_000


@pytest.mark.parametrize("text", FORM_BAD)
def test_the_reduction_line_form_refuses_the_same_values(officer, draft_project, text):
    before = counts()
    response = officer.post(
        reverse("reductions:line_edit", args=[draft_project.pk]),
        {"pollutant": "VOCS", "method": "closure", "baseline": text, "basis": "执行报告"},
    )
    assert response.status_code == 422
    assert "baseline" in response.context["form"].errors and counts() == before


def test_the_reduction_line_form_shows_full_width_digits_back_normalised(officer, draft_project):
    response = officer.post(
        reverse("reductions:line_edit", args=[draft_project.pk]),
        {"pollutant": "VOCS", "method": "closure", "baseline": "２．５", "basis": "执行报告", "preview": "1"},
    )
    html = response.content.decode()
    assert 'value="2.5"' in html and "２．５" not in html
