"""``Idempotency-Key`` on the API's POST routes, through the HTTP handler: a request sent again
with the same key is answered with the first answer, never run twice."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.utils import timezone

from tests.ledger_helpers import open_stock
from tests.thread_helpers import run_at_once
from totalquota.accounts.roles import Role
from totalquota.accounts.services import token_issue
from totalquota.api.models import IdempotencyRecord, IdempotencyState
from totalquota.ledger.models import Phase, Transfer
from totalquota.registry.models import Pollutant
from totalquota.reserve.models import QuotaApplication

pytestmark = pytest.mark.django_db
T = 1_000_000  # grams in a tonne
URL = "/api/v1/reserve/applications"


def _secret(world, name: str = "甲电子对接") -> str:
    _token, secret = token_issue(
        actor=world.admin.principal,
        name=name,
        client=world.client,
        role=Role.ENTERPRISE,
        enterprise=world.company,
    )
    return secret


def _api(world, name: str = "甲电子对接") -> Client:
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {_secret(world, name)}")


def _application(world, *, project: str = "年产 10 万件涂装线扩建项目", new_discharge: str = "0.5") -> str:
    return json.dumps(
        {
            "enterprise_id": world.company.pk,
            "project_name": project,
            "location": "苏州工业园区星湖街 1 号",
            "eia_reference": "苏园环建〔2026〕12号",
            "lines": [
                {
                    "pollutant": "VOCS",
                    "project_env": "0.5",
                    "plant_env": "0.5",
                    "new_discharge": new_discharge,
                }
            ],
        },
        ensure_ascii=False,
    )


def _post(api: Client, body: str, key: str | None = None, url: str = URL):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post(url, body, content_type="application/json", **headers)


def test_without_the_header_the_same_application_posted_twice_is_created_twice(world):
    api = _api(world)
    first, second = _post(api, _application(world)), _post(api, _application(world))
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert QuotaApplication.objects.count() == 2
    assert "Idempotent-Replayed" not in second
    assert not IdempotencyRecord.objects.exists()


def test_the_same_key_and_body_twice_creates_one_application_and_replays_the_first_answer(world):
    api = _api(world)
    body = _application(world)
    first = _post(api, body, "8c1f0d2e-7f7b-4a53-9f3e-0d1c2b3a4f5e")
    again = _post(api, body, "8c1f0d2e-7f7b-4a53-9f3e-0d1c2b3a4f5e")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert QuotaApplication.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert record.state == IdempotencyState.DONE and record.status_code == 201


def test_a_refusal_is_replayed_as_it_was_given(world):
    api = _api(world)
    body = _application(world, new_discharge="-1")
    first = _post(api, body, "bad-figure-1")
    again = _post(api, body, "bad-figure-1")
    assert first.status_code == 422 and first["Content-Type"] == "application/problem+json"
    assert (again.status_code, again.content, again["Content-Type"]) == (
        422,
        first.content,
        first["Content-Type"],
    )
    assert again["Idempotent-Replayed"] == "true"
    assert not QuotaApplication.objects.exists()


def test_the_same_key_with_another_body_is_a_409_and_creates_nothing_more(world):
    api = _api(world)
    assert _post(api, _application(world), "k-1").status_code == 201
    other = _post(api, _application(world, project="另一个项目"), "k-1")
    assert other.status_code == 409
    assert other["Content-Type"] == "application/problem+json"
    problem = other.json()
    assert problem["type"].endswith("/idempotency-key-reused") and problem["status"] == 409
    assert "Idempotency-Key" in problem["detail"]
    assert "Idempotent-Replayed" not in other
    assert QuotaApplication.objects.count() == 1


def test_a_key_still_being_handled_is_a_409_saying_so(world):
    api = _api(world)
    assert _post(api, _application(world), "k-2").status_code == 201
    IdempotencyRecord.objects.update(state=IdempotencyState.IN_PROGRESS, status_code=None, body=b"")
    busy = _post(api, _application(world), "k-2")
    assert busy.status_code == 409 and busy.json()["type"].endswith("/idempotency-in-progress")
    assert "仍在处理中" in busy.json()["detail"]
    assert QuotaApplication.objects.count() == 1


def test_a_claim_left_unanswered_past_its_time_is_run_again(world, settings):
    api = _api(world)
    body = _application(world)
    assert _post(api, body, "k-3").status_code == 201
    # As if the first run's process had died before it stored its answer.
    IdempotencyRecord.objects.update(
        state=IdempotencyState.IN_PROGRESS, claimed_at=timezone.now() - dt.timedelta(hours=1)
    )
    retried = _post(api, body, "k-3")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried
    assert QuotaApplication.objects.count() == 2
    assert IdempotencyRecord.objects.get().state == IdempotencyState.DONE


def test_keys_belong_to_their_caller(world):
    body = _application(world)
    first = _post(_api(world, "甲电子对接一"), body, "shared-key")
    second = _post(_api(world, "甲电子对接二"), body, "shared-key")
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second and first.json()["id"] != second.json()["id"]
    # A person signed in is a caller of their own, apart from the unit's tokens.
    person = Client(raise_request_exception=False)
    person.force_login(world.company_user)
    third = _post(person, body, "shared-key")
    assert third.status_code == 201 and "Idempotent-Replayed" not in third
    assert _post(person, body, "shared-key")["Idempotent-Replayed"] == "true"
    assert QuotaApplication.objects.count() == 3


def test_keys_belong_to_their_route(world):
    api = _api(world)
    pk = _post(api, _application(world), "route-key").json()["id"]
    withdrawn = api.post(
        f"{URL}/{pk}/withdraw", "{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY="route-key"
    )
    assert "Idempotent-Replayed" not in withdrawn and withdrawn.status_code != 409


@pytest.mark.parametrize("key", ["", " ", "a b", "x" * 256, "键", "tab\there"], ids=repr)
def test_an_invalid_key_is_a_400_problem_and_runs_nothing(world, key):
    response = _post(_api(world), _application(world), key)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("/idempotency-key-invalid")
    assert not QuotaApplication.objects.exists() and not IdempotencyRecord.objects.exists()


def test_a_key_of_255_visible_characters_is_accepted(world):
    response = _post(_api(world), _application(world), "~" + "A" * 253 + "!")
    assert response.status_code == 201
    assert len(IdempotencyRecord.objects.get().key) == 255


def test_a_caller_refused_before_the_handler_claims_no_key(world):
    anonymous = Client(raise_request_exception=False)
    assert _post(anonymous, _application(world), "k-anon").status_code == 401
    assert not IdempotencyRecord.objects.exists()


def test_a_server_error_keeps_no_answer_and_the_key_can_be_retried(world, monkeypatch):
    from totalquota.reserve import services

    real = services.application_create

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "application_create", broken)
    api = _api(world)
    failed = _post(api, _application(world), "k-500")
    assert failed.status_code == 500
    assert not IdempotencyRecord.objects.exists()
    monkeypatch.setattr(services, "application_create", real)
    retried = _post(api, _application(world), "k-500")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried
    assert QuotaApplication.objects.count() == 1


def test_a_submit_sent_again_with_its_key_holds_the_quota_once(world):
    vocs = Pollutant.objects.get(code="VOCS")
    open_stock(world.admin, world.zone_a, vocs, T, key="idem-stock")
    api = _api(world)
    pk = _post(api, _application(world)).json()["id"]
    url = f"{URL}/{pk}/submit"
    first = api.post(url, HTTP_IDEMPOTENCY_KEY="submit-1")
    again = api.post(url, HTTP_IDEMPOTENCY_KEY="submit-1")
    assert first.status_code == 200, first.content
    assert (again.status_code, again.content, again["Idempotent-Replayed"]) == (200, first.content, "true")
    holds = Transfer.objects.filter(phase=Phase.PENDING, posting__object_id=str(pk))
    assert holds.count() == 1
    # Without the key the second submit is run and refused by the workflow (already submitted).
    assert api.post(url).status_code in (409, 422)
    assert holds.count() == 1


def test_prune_removes_only_records_older_than_the_retention(world, settings):
    settings.IDEMPOTENCY_RETENTION_DAYS = 7
    api = _api(world)
    for n in range(3):
        assert _post(api, _application(world, project=f"项目{n}"), f"prune-{n}").status_code == 201
    now = timezone.now()
    IdempotencyRecord.objects.filter(key="prune-0").update(created_at=now - dt.timedelta(days=8))
    IdempotencyRecord.objects.filter(key="prune-1").update(created_at=now - dt.timedelta(days=6, hours=23))
    call_command("api_prune_idempotency")
    assert sorted(IdempotencyRecord.objects.values_list("key", flat=True)) == ["prune-1", "prune-2"]
    # The pruned key is free again: the same request runs anew.
    again = _post(api, _application(world, project="项目0"), "prune-0")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_many_requests_with_one_key_at_once_create_one_application_and_no_500(world):
    workers = 12
    secret = _secret(world)
    body = _application(world)
    clients = [
        Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {secret}") for _ in range(workers)
    ]

    def send(n: int) -> tuple[int, str, bytes, str]:
        response = _post(clients[n], body, "race-key-1")
        return (
            response.status_code,
            response.get("Idempotent-Replayed", ""),
            response.content,
            response["Content-Type"],
        )

    try:
        answers = run_at_once(send, workers, timeout=120)
    finally:
        connections.close_all()
    assert QuotaApplication.objects.count() == 1
    statuses = Counter(status for status, *_rest in answers)
    assert not [s for s in statuses if s >= 500], answers
    assert set(statuses) <= {201, 409}, statuses
    created = [a for a in answers if a[0] == 201 and a[1] != "true"]
    assert len(created) == 1
    for status, replayed, content, content_type in answers:
        if status == 201 and replayed == "true":
            assert content == created[0][2]
        elif status == 409:
            assert content_type == "application/problem+json"
            assert json.loads(content)["type"].endswith("/idempotency-in-progress")
    record = IdempotencyRecord.objects.get()
    assert record.state == IdempotencyState.DONE and bytes(record.body) == created[0][2]


def test_the_openapi_document_offers_the_header_on_every_post_and_only_there(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
            assert names.count("Idempotency-Key") == (1 if method == "post" else 0), (method, path)
