"""Per-caller rate limits: over budget, 429 with Retry-After and a problem document; each token
and each person has its own budget; threads of one server count every request exactly once."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from tests.thread_helpers import run_at_once
from totalquota.accounts.services import token_issue
from totalquota.reserve.models import QuotaApplication


@pytest.fixture
def limited(settings):
    settings.API_RATE_LIMIT = "3/min"
    cache.clear()
    yield
    cache.clear()


def bearer(world, name):
    _token, secret = token_issue(actor=world.admin.principal, name=name, client=world.client)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.mark.django_db
def test_a_token_over_its_budget_is_answered_429_with_retry_after(world, limited):
    first, second = bearer(world, "审批系统"), bearer(world, "许可系统")
    client = Client()
    assert [client.get("/api/v1/zones", **first).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/zones", **first)
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert body["status"] == 429 and body["type"].endswith("rate-limited") and "3/min" in body["detail"]
    # another token of the same system, and a person, have budgets of their own
    assert client.get("/api/v1/zones", **second).status_code == 200
    person = Client()
    person.force_login(world.officer)
    assert [person.get("/api/v1/zones").status_code for _ in range(4)] == [200, 200, 200, 429]


@pytest.mark.django_db
def test_a_refused_write_changes_nothing_and_is_refused_before_its_body_is_read(world, limited):
    client = Client()
    client.force_login(world.company_user)
    for _ in range(3):
        client.get("/api/v1/zones")
    response = client.post("/api/v1/reserve/applications", "not json", content_type="application/json")
    assert response.status_code == 429  # not the 422 the body would earn
    assert not QuotaApplication.objects.exists()


@pytest.mark.django_db
def test_without_a_limit_nothing_is_counted(world, settings):
    settings.API_RATE_LIMIT = ""
    client = Client()
    headers = bearer(world, "审批系统")
    assert {client.get("/api/v1/zones", **headers).status_code for _ in range(10)} == {200}


@pytest.mark.django_db(transaction=True)
def test_threads_calling_at_once_get_exactly_the_budget(world, settings):
    headers = bearer(world, "审批系统")
    # One call first, so that the threads do not all record the token's first use at once: the
    # test database is SQLite's shared in-memory cache, where writers meet a table lock at once
    # instead of waiting as on the file database (a request would fail that has nothing to do
    # with the limit).
    assert Client().get("/api/v1/zones", **headers).status_code == 200
    settings.API_RATE_LIMIT = "20/min"
    cache.clear()

    def calls(n: int) -> list[int]:
        client = Client(raise_request_exception=False)
        return [client.get("/api/v1/zones", **headers).status_code for _ in range(5)]

    statuses = [s for batch in run_at_once(calls, 8) for s in batch]
    cache.clear()
    assert statuses.count(200) == 20 and statuses.count(429) == 20, statuses


@pytest.mark.django_db
def test_a_request_refused_for_its_rate_leaves_its_idempotency_key_free(world, limited, settings):
    client = Client()
    client.force_login(world.company_user)
    for _ in range(3):
        client.get("/api/v1/zones")
    body = {
        "enterprise_id": world.company.pk,
        "project_name": "扩建项目",
        "location": "星湖街 1 号",
        "eia_reference": "苏园环建〔2026〕5号",
        "lines": [{"pollutant": "VOCS", "project_env": "0.8", "plant_env": "1.5", "new_discharge": "0.7"}],
    }
    key = {"HTTP_IDEMPOTENCY_KEY": "retry-after-429"}
    first = client.post("/api/v1/reserve/applications", body, content_type="application/json", **key)
    assert first.status_code == 429
    settings.API_RATE_LIMIT = ""
    retried = client.post("/api/v1/reserve/applications", body, content_type="application/json", **key)
    assert retried.status_code == 201, retried.content
    assert "Idempotent-Replayed" not in retried
    assert QuotaApplication.objects.count() == 1
