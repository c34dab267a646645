"""A minimal enterprise record through the API: only the required fields, the documented
defaults for the rest (the management category follows whether a permit number was given)."""

from __future__ import annotations

import pytest

from totalquota.lib import uscc
from totalquota.registry.models import Enterprise, ManagementCategory

pytestmark = pytest.mark.django_db


def _code(n: int) -> str:
    return uscc.complete(f"91320594MB{n:07d}")


def test_a_unit_with_only_the_required_fields_is_registered_under_registration_management(client, world):
    client.force_login(world.admin)
    code = _code(1)
    response = client.post(
        "/api/v1/enterprises",
        {"name": "园区某餐饮服务部", "uscc": code, "zone": "A"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["management_category"] == ManagementCategory.REGISTRATION
    assert (body["permit_number"], body["address"], body["is_active"]) == ("", "", True)
    unit = Enterprise.objects.get(uscc=code)
    assert (unit.management_category, unit.zone, unit.permit_number) == (
        ManagementCategory.REGISTRATION,
        world.zone_a,
        "",
    )


def test_a_permit_number_given_without_a_category_means_simplified_management(client, world):
    client.force_login(world.admin)
    code = _code(2)
    response = client.post(
        "/api/v1/enterprises",
        {"name": "园区某涂装厂", "uscc": code, "zone": "A", "permit_number": f"{code}001v"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["management_category"] == ManagementCategory.SIMPLIFIED
    assert response.json()["permit_number"] == f"{code}001V"


def test_a_permit_category_without_a_permit_number_is_still_refused(client, world):
    client.force_login(world.admin)
    for category in (ManagementCategory.KEY, ManagementCategory.SIMPLIFIED):
        response = client.post(
            "/api/v1/enterprises",
            {"name": "园区某化工厂", "uscc": _code(3), "zone": "A", "management_category": category},
            content_type="application/json",
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["permit_number"]
    assert not Enterprise.objects.filter(uscc=_code(3)).exists()


def test_the_api_schema_documents_the_defaults(client, world):
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["EnterpriseIn"]
    assert sorted(schema["required"]) == ["name", "uscc", "zone"]
    category = schema["properties"]["management_category"]["description"]
    assert "registration" in category and "simplified" in category
    assert "默认空" in schema["properties"]["address"]["description"]
