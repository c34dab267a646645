"""Rule parameters through the API: read by the bureau, a new value put in force by an
administrator only, read as the page reads it and refused like the page refuses it."""

from __future__ import annotations

import pytest

from tests.api_helpers import api
from totalquota.registry.models import RuleParameter

pytestmark = pytest.mark.django_db


def test_an_administrator_puts_a_new_value_in_force_and_the_old_one_ends(client, world):
    body = {
        "key": "recovery_threshold_bp",
        "value": "75%",
        "effective_from": "2030-01-01",
        "source": "新文件",
    }
    made = api(client, world.admin, "post", "/api/v1/rules", body)
    assert made.status_code == 201, made.json()
    assert made.json()["value"] == 7500 and made.json()["clause_id"] == "RES-4"
    rows = api(client, world.reviewer, "get", "/api/v1/rules?key=recovery_threshold_bp").json()["items"]
    assert [r["value"] for r in rows][:2] == [7500, 8000]
    assert rows[1]["effective_to"] == "2030-01-01"


def test_bad_values_and_other_roles_are_refused_before_anything_is_written(client, world):
    before = RuleParameter.objects.count()
    body = {"key": "recovery_threshold_bp", "value": "75%", "effective_from": "2030-01-01"}
    for bad in (
        {"key": "no_such_rule"},
        {"value": "many"},
        {"value": "2000%"},
        {"effective_from": "2001-01-01"},
        {"effective_from": "soon"},
        {"pollutant": "VOCS"},  # this rule is not set per pollutant
        {"zone": "Z"},
    ):
        answer = api(client, world.admin, "post", "/api/v1/rules", body | bad)
        assert answer.status_code == 422, (bad, answer.json())
    for user in (world.reviewer, world.officer, world.company_user, world.leader):
        assert api(client, user, "post", "/api/v1/rules", body).status_code == 403
    assert api(client, world.company_user, "get", "/api/v1/rules").status_code == 403
    assert RuleParameter.objects.count() == before
