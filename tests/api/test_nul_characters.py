"""A NUL character in a query value or a JSON body is a 422 problem document, never a 500 (PostgreSQL
refuses NUL in text), and nothing is written."""

from __future__ import annotations

import pytest

from tests.api_helpers import api
from totalquota.enforcement.models import Finding

pytestmark = pytest.mark.django_db


def test_a_nul_in_a_query_value_is_refused(client, world):
    for url in ("/api/v1/reductions/projects?q=a%00b", "/api/v1/reserve/upper-requests?status=%00"):
        answer = api(client, world.admin, "get", url)
        assert answer.status_code == 422, (url, answer.content)
        assert answer["Content-Type"].startswith("application/problem+json")


def test_a_nul_in_a_json_body_is_refused_and_writes_nothing(client, world):
    body = f'{{"enterprise_id": {world.company.pk}, "source": "inspection", "facts": "超标\\u0000排放"}}'
    client.force_login(world.reviewer)
    answer = client.post("/api/v1/enforcement/findings", body, content_type="application/json")
    assert answer.status_code == 422 and "NUL" in answer.json()["detail"], answer.content
    assert not Finding.objects.exists()
