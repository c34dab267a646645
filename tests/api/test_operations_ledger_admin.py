"""A bureau zone transfer and a correcting reversal through the API: administrators only, the
ledger's key derived from the request's Idempotency-Key, refusals writing nothing."""

from __future__ import annotations

import pytest

from tests.ledger_helpers import open_stock
from totalquota.ledger.models import Account, Posting, Transfer
from totalquota.registry.models import Pollutant

pytestmark = pytest.mark.django_db


@pytest.fixture
def lot(world):
    return open_stock(world.admin, world.zone_a, Pollutant.objects.get(code="VOCS"), 5_000_000, key="a")


def post(client, user, url, body, **headers):
    client.force_login(user)
    return client.post(url, body, content_type="application/json", **headers)


def counts():
    return Posting.objects.count(), Transfer.objects.count(), Account.objects.count()


def test_a_zone_transfer_opens_a_lot_in_the_other_zone_once_per_key(client, world, lot):
    body = {
        "from_lot_id": lot.pk,
        "to_zone": "b",
        "amount": {"value": "1.5", "unit": "t/a"},
        "effective_date": "2025-06-30",
        "reason": "B 区重点项目调剂（局长办公会议定）",
    }
    key = {"HTTP_IDEMPOTENCY_KEY": "transfer-2025-06-30"}
    made = post(client, world.admin, "/api/v1/ledger/zone-transfers", body, **key)
    assert made.status_code == 201, made.json()
    [leg] = made.json()["transfers"]
    assert (leg["debit"], leg["amount_grams"], leg["pollutant"]) == (lot.code, 1_500_000, "VOCS")
    new_lot = Account.objects.get(code=leg["credit"])
    assert (new_lot.zone, new_lot.kind) == (world.zone_b, "lot")
    posting = Posting.objects.get(pk=made.json()["id"])
    assert posting.idempotency_key.startswith("api:zone-transfer:") and posting.actor == world.admin
    before = counts()
    # The same request again is answered from its key; the posting is made once.
    again = post(client, world.admin, "/api/v1/ledger/zone-transfers", body, **key)
    assert again.status_code == 201 and again.json()["id"] == made.json()["id"]
    assert counts() == before
    # Without a key each request is a transfer of its own.
    assert post(client, world.admin, "/api/v1/ledger/zone-transfers", body).json()["id"] != posting.pk
    shown = client.get(f"/api/v1/ledger/postings/{posting.pk}").json()
    assert shown["code"] == "zone_transfer" and shown["transfers"] == made.json()["transfers"]


def test_zone_transfer_refusals_write_nothing(client, world, lot):
    body = {
        "from_lot_id": lot.pk,
        "to_zone": "B",
        "amount": "1",
        "effective_date": "2025-06-30",
        "reason": "调剂",
    }
    before = counts()
    for bad in (
        {"to_zone": "A"},  # the lot's own zone
        {"to_zone": "NOPE"},
        {"from_lot_id": 999_999},
        {"from_lot_id": 10**20},  # beyond the database's integers: refused before any query
        {"amount": "0"},
        {"amount": "6"},  # more than the lot holds
        {"amount": 1},
        {"amount": "1 m3"},
        {"reason": ""},
        {"effective_date": "1900-01-01"},
    ):
        answer = post(client, world.admin, "/api/v1/ledger/zone-transfers", body | bad)
        assert 400 <= answer.status_code < 500 and answer.status_code != 404, (bad, answer.json())
        assert answer["Content-Type"] == "application/problem+json"
    for user in (world.reviewer, world.officer, world.leader, world.company_user):
        assert post(client, user, "/api/v1/ledger/zone-transfers", body).status_code == 403
    assert counts() == before


def test_a_reversal_puts_the_grams_back_once(client, world, lot):
    posting = Posting.objects.get(transfers__credit=lot)
    url = f"/api/v1/ledger/postings/{posting.pk}/reverse"
    for user in (world.reviewer, world.officer):
        assert post(client, user, url, {"reason": "录入错误"}).status_code == 403
    assert post(client, world.admin, url, {"reason": ""}).status_code == 422
    assert not Posting.objects.filter(reverses=posting).exists()
    made = post(client, world.admin, url, {"reason": "录入错误，冲销"})
    assert made.status_code == 201, made.json()
    assert made.json()["reverses_id"] == posting.pk and made.json()["code"] == "correction"
    [leg] = made.json()["transfers"]
    assert (leg["debit"], leg["amount_grams"]) == (lot.code, 5_000_000)
    lot.balance.refresh_from_db()
    assert lot.balance.posted == 0
    # Sent again it is refused as done already (409); a correction is not itself reversed.
    again = post(client, world.admin, url, {"reason": "录入错误，冲销"})
    assert again.status_code == 409 and f"P{posting.pk}" in again.json()["detail"]
    correction = f"/api/v1/ledger/postings/{made.json()['id']}/reverse"
    assert post(client, world.admin, correction, {"reason": "再更正"}).status_code == 422
    assert Posting.objects.filter(reverses__isnull=False).count() == 1


@pytest.mark.parametrize("url", ["/api/v1/ledger/postings/{n}", "/api/v1/zones/{n}", "/api/v1/calendar/{n}"])
def test_an_id_beyond_the_databases_integers_is_not_found_not_a_crash(client, world, url):
    client.force_login(world.admin)
    path = url.format(n=10**20)
    for method in ("get", "patch", "delete", "post"):
        answer = getattr(client, method)(path, {}, content_type="application/json")
        assert answer.status_code < 500, (method, path, answer.status_code)
