"""A bureau zone transfer and a correcting reversal through the API, four eyes: an administrator
proposes (202, nothing posted), another person of the bureau confirms and the posting is made once;
refusals write nothing; two confirmations at once post once (real threads on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from tests.ledger_helpers import open_stock
from tests.thread_helpers import run_at_once
from totalquota.ledger.models import Account, Posting, Transfer
from totalquota.registry.models import Pollutant
from totalquota.reserve.models import QuotaAdjustment

pytestmark = pytest.mark.django_db


@pytest.fixture
def lot(world):
    return open_stock(world.admin, world.zone_a, Pollutant.objects.get(code="VOCS"), 5_000_000, key="a")


def post(client, user, url, body, **headers):
    client.force_login(user)
    return client.post(url, body, content_type="application/json", **headers)


def counts():
    return Posting.objects.count(), Transfer.objects.count(), Account.objects.count()


BODY = {
    "to_zone": "b",
    "amount": {"value": "1.5", "unit": "t/a"},
    "effective_date": "2025-06-30",
    "reason": "B 区重点项目调剂（局长办公会议定）",
}


def test_a_zone_transfer_is_proposed_then_confirmed_by_another_person_and_posted_once(client, world, lot):
    body = BODY | {"from_lot_id": lot.pk}
    key = {"HTTP_IDEMPOTENCY_KEY": "transfer-2025-06-30"}
    before = counts()
    made = post(client, world.admin, "/api/v1/ledger/zone-transfers", body, **key)
    assert made.status_code == 202, made.json()
    proposal = made.json()
    assert (proposal["kind"], proposal["status"], proposal["posting_id"]) == (
        "zone_transfer",
        "proposed",
        None,
    )
    assert (proposal["from_lot_id"], proposal["to_zone"], proposal["amount_grams"]) == (
        lot.pk,
        "B",
        1_500_000,
    )
    assert proposal["amount"] == "1.5 t/a" and proposal["proposed_by_id"] == world.admin.pk
    assert counts() == before  # nothing is posted before a second person confirms
    # The same request again is answered from its key: one proposal.
    again = post(client, world.admin, "/api/v1/ledger/zone-transfers", body, **key)
    assert again.status_code == 202 and again.json()["id"] == proposal["id"]
    assert QuotaAdjustment.objects.count() == 1

    confirm = f"/api/v1/reserve/adjustments/{proposal['id']}/confirm"
    refused = post(client, world.admin, confirm, {})
    assert refused.status_code == 403 and "四眼原则" in refused.json()["detail"]
    for user in (world.officer, world.leader, world.company_user):
        assert post(client, user, confirm, {}).status_code == 403
    assert counts() == before
    done = post(client, world.reviewer, confirm, {})
    assert done.status_code == 200, done.json()
    assert (done.json()["status"], done.json()["decided_by_id"]) == ("confirmed", world.reviewer.pk)
    posting = Posting.objects.get(pk=done.json()["posting_id"])
    assert (
        posting.actor == world.reviewer and posting.idempotency_key == f"reserve-adjustment-{proposal['id']}"
    )
    [leg] = client.get(f"/api/v1/ledger/postings/{posting.pk}").json()["transfers"]
    assert (leg["debit"], leg["amount_grams"], leg["pollutant"]) == (lot.code, 1_500_000, "VOCS")
    new_lot = Account.objects.get(code=leg["credit"])
    assert (new_lot.zone, new_lot.kind) == (world.zone_b, "lot")
    # Confirmed once: pressing again is a conflict and posts nothing more.
    after = counts()
    assert post(client, world.reviewer2, confirm, {}).status_code == 409
    assert counts() == after
    shown = client.get(f"/api/v1/reserve/adjustments/{proposal['id']}").json()
    assert shown["posting_id"] == posting.pk
    listed = client.get("/api/v1/reserve/adjustments", {"status": "confirmed", "zone": "A"}).json()
    assert [a["id"] for a in listed["items"]] == [proposal["id"]]
    assert client.get("/api/v1/reserve/adjustments", {"status": "nope"}).status_code == 422


def test_a_proposal_is_rejected_with_a_reason_or_withdrawn_by_its_proposer_and_posts_nothing(
    client, world, lot
):
    body = BODY | {"from_lot_id": lot.pk}
    first = post(client, world.admin, "/api/v1/ledger/zone-transfers", body).json()["id"]
    # The same proposal sent again without a key (a retry) is refused, not proposed twice.
    twin = post(client, world.admin, "/api/v1/ledger/zone-transfers", body)
    assert twin.status_code == 409 and f"A{first}" in twin.json()["detail"]
    second = post(client, world.admin, "/api/v1/ledger/zone-transfers", body | {"reason": "另一事由"}).json()[
        "id"
    ]
    before = counts()
    url = "/api/v1/reserve/adjustments/{}/{}"
    assert post(client, world.reviewer, url.format(first, "reject"), {"reason": ""}).status_code == 422
    assert post(client, world.admin, url.format(first, "reject"), {"reason": "不"}).status_code == 403
    rejected = post(client, world.reviewer, url.format(first, "reject"), {"reason": "依据不足"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert post(client, world.reviewer, url.format(second, "withdraw"), {}).status_code == 403
    withdrawn = post(client, world.admin, url.format(second, "withdraw"), {})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert post(client, world.reviewer, url.format(second, "confirm"), {}).status_code == 409
    assert counts() == before


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
        {"amount": "6"},  # more than the lot holds (checked when proposed, again when posted)
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
    assert counts() == before and not QuotaAdjustment.objects.exists()


def test_a_reversal_is_proposed_and_puts_the_grams_back_once_confirmed(client, world, lot):
    posting = Posting.objects.get(transfers__credit=lot)
    url = f"/api/v1/ledger/postings/{posting.pk}/reverse"
    for user in (world.reviewer, world.officer):
        assert post(client, user, url, {"reason": "录入错误"}).status_code == 403
    assert post(client, world.admin, url, {"reason": ""}).status_code == 422
    made = post(client, world.admin, url, {"reason": "录入错误，冲销"})
    assert made.status_code == 202, made.json()
    assert (made.json()["kind"], made.json()["target_id"], made.json()["amount_grams"]) == (
        "correction",
        posting.pk,
        5_000_000,
    )
    assert not Posting.objects.filter(reverses=posting).exists()
    # One open correction of a posting at a time.
    assert post(client, world.admin, url, {"reason": "再次"}).status_code == 409
    done = post(client, world.reviewer, f"/api/v1/reserve/adjustments/{made.json()['id']}/confirm", {})
    assert done.status_code == 200, done.json()
    correction = Posting.objects.get(pk=done.json()["posting_id"])
    assert correction.reverses_id == posting.pk and correction.code == "correction"
    lot.balance.refresh_from_db()
    assert lot.balance.posted == 0
    # Proposed again it is refused as done already (409); a correction is not itself reversed.
    again = post(client, world.admin, url, {"reason": "录入错误，冲销"})
    assert again.status_code == 409 and f"P{posting.pk}" in again.json()["detail"]
    assert (
        post(
            client, world.admin, f"/api/v1/ledger/postings/{correction.pk}/reverse", {"reason": "再更正"}
        ).status_code
        == 422
    )
    assert Posting.objects.filter(reverses__isnull=False).count() == 1


def test_correcting_a_zone_transfer_is_seen_by_both_zones_and_refused_into_a_closed_zone(client, world, lot):
    body = BODY | {"from_lot_id": lot.pk}
    proposal = post(client, world.admin, "/api/v1/ledger/zone-transfers", body).json()["id"]
    posting = post(client, world.reviewer, f"/api/v1/reserve/adjustments/{proposal}/confirm", {}).json()[
        "posting_id"
    ]
    correction = post(
        client, world.admin, f"/api/v1/ledger/postings/{posting}/reverse", {"reason": "调剂有误"}
    )
    assert correction.status_code == 202 and (correction.json()["zone"], correction.json()["to_zone"]) == (
        "A",
        "B",
    )
    for zone in ("A", "B"):
        listed = client.get("/api/v1/reserve/adjustments", {"zone": zone, "kind": "correction"}).json()
        assert [a["id"] for a in listed["items"]] == [correction.json()["id"]], zone
    # A transfer into a zone closed after the proposal is refused at confirmation, posting nothing.
    again = post(client, world.admin, "/api/v1/ledger/zone-transfers", body | {"reason": "再次调剂"}).json()[
        "id"
    ]
    world.zone_b.is_active = False
    world.zone_b.save()
    before = counts()
    refused = post(client, world.reviewer, f"/api/v1/reserve/adjustments/{again}/confirm", {})
    assert refused.status_code == 422 and counts() == before
    assert QuotaAdjustment.objects.get(pk=again).status == "proposed"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_people_confirming_one_proposal_at_once_post_it_once(world):
    lot = open_stock(world.admin, world.zone_a, Pollutant.objects.get(code="VOCS"), 5_000_000, key="pg")
    proposal = QuotaAdjustment.objects.get(
        pk=post(
            Client(), world.admin, "/api/v1/ledger/zone-transfers", BODY | {"from_lot_id": lot.pk}
        ).json()["id"]
    )
    deciders = [world.reviewer, world.reviewer2, world.reviewer, world.reviewer2]

    def confirm(n: int) -> int:
        browser = Client(raise_request_exception=False)
        return post(
            browser, deciders[n], f"/api/v1/reserve/adjustments/{proposal.pk}/confirm", {}
        ).status_code

    statuses = run_at_once(confirm, len(deciders), timeout=60)
    assert sorted(statuses) == [200, 409, 409, 409], statuses
    assert Posting.objects.filter(idempotency_key=f"reserve-adjustment-{proposal.pk}").count() == 1
    lot.balance.refresh_from_db()
    assert lot.balance.posted == 3_500_000
    call_command("ledger_reconcile")


@pytest.mark.parametrize("url", ["/api/v1/ledger/postings/{n}", "/api/v1/zones/{n}", "/api/v1/calendar/{n}"])
def test_an_id_beyond_the_databases_integers_is_not_found_not_a_crash(client, world, url):
    client.force_login(world.admin)
    path = url.format(n=10**20)
    for method in ("get", "patch", "delete", "post"):
        answer = getattr(client, method)(path, {}, content_type="application/json")
        assert answer.status_code < 500, (method, path, answer.status_code)
