"""Quantities may say their unit: "0.5 kg/a", "0.0005 t/a" or ``{"value", "unit"}``, for every
pollutant; the plain form keeps reading the pollutant's own unit, and responses give grams and
the text in the pollutant's unit."""

from __future__ import annotations

import pytest
from django.test import Client

from totalquota.reserve.models import ApplicationLine, QuotaApplication

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(world):
    client = Client()
    client.force_login(world.company_user)
    return client


def application(world, *lines):
    return {
        "enterprise_id": world.company.pk,
        "project_name": "扩建项目",
        "location": "星湖街 1 号",
        "eia_reference": "苏园环建〔2026〕5号",
        "lines": list(lines),
    }


def post(client, body):
    return client.post("/api/v1/reserve/applications", body, content_type="application/json")


def test_a_tonne_pollutant_takes_kilograms_and_a_heavy_metal_takes_tonnes(company, world):
    response = post(
        company,
        application(
            world,
            {
                "pollutant": "VOCS",
                "project_env": "800 kg/a",
                "plant_env": "1.5",
                "new_discharge": "700千克/年",
            },
            {
                "pollutant": "PB",
                "project_env": "0.0008 t/a",
                "plant_env": {"value": "1.5", "unit": "kg/a"},
                "new_discharge": {"value": "0.0007", "unit": "t/a"},
            },
        ),
    )
    assert response.status_code == 201, response.content
    vocs, lead = response.json()["lines"]
    assert (vocs["pollutant"], vocs["unit"]) == ("VOCS", "t/a")
    assert vocs["project_env_grams"] == 800_000 and vocs["project_env"] == "0.8"
    assert vocs["new_discharge_grams"] == 700_000 and vocs["new_discharge"] == "0.7"
    assert vocs["plant_env_grams"] == 1_500_000  # the plain form: the pollutant's own t/a
    assert (lead["pollutant"], lead["unit"]) == ("PB", "kg/a")
    assert lead["project_env_grams"] == 800 and lead["project_env"] == "0.8"
    assert lead["plant_env_grams"] == 1_500 and lead["new_discharge_grams"] == 700
    stored = ApplicationLine.objects.get(pollutant__code="PB")
    assert (stored.project_env_grams, stored.plant_env_grams, stored.new_discharge_grams) == (800, 1_500, 700)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("1.5 lb/a", "lb/a"),
        ("0.0000001 t/a", "6 位小数"),
        ({"value": "1.5", "unit": "lb/a"}, "t/a"),
        ({"value": 1.5, "unit": "kg/a"}, "字符串"),
        ({"value": "1.5"}, "value 和 unit"),
        ({"value": "1.5", "unit": "kg/a", "extra": "x"}, "value 和 unit"),
        ({"value": "0.0001", "unit": "kg/a"}, "3 位小数"),
    ],
    ids=repr,
)
def test_a_bad_unit_or_object_is_a_422_naming_the_field_and_nothing_is_saved(company, world, value, says):
    line = {"pollutant": "PB", "project_env": "0.8", "plant_env": value, "new_discharge": "0.7"}
    response = post(company, application(world, line))
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["lines.0.plant_env"]
    assert says in body["detail"], body
    assert not QuotaApplication.objects.exists() and not ApplicationLine.objects.exists()


def test_the_unit_refusal_is_in_english_for_an_english_request(company, world):
    line = {"pollutant": "VOCS", "project_env": "0.8", "plant_env": "1.5 lb/a", "new_discharge": "0.7"}
    response = company.post(
        "/api/v1/reserve/applications",
        application(world, line),
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert "Unknown unit “lb/a”" in response.json()["detail"]


def test_the_openapi_schema_offers_both_forms(company):
    schema = company.get("/api/v1/openapi.json").json()
    line = schema["components"]["schemas"]["ApplicationLineIn"]["properties"]["plant_env"]
    forms = line.get("oneOf") or line["anyOf"]
    assert {f["type"] for f in forms} == {"string", "object"}
    unit = next(f for f in forms if f["type"] == "object")["properties"]["unit"]
    assert set(unit["enum"]) >= {"t/a", "kg/a"}
