"""The upper-level reserve (RES-2) through the API: a request, its grant (a lot of the zone) or
refusal recorded by a person other than the requester (four eyes), and a deduction of a reduction
also used upward, proposed by one person and posted when another confirms; scoped like the page."""

from __future__ import annotations

import pytest

from tests.api_helpers import api
from tests.reserve.test_intake_upper_recovery import approved_line, this_quarter
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger.models import Posting
from totalquota.registry.models import Pollutant
from totalquota.reserve import services
from totalquota.reserve.models import QuotaAdjustment, UpperLevelRequest

pytestmark = pytest.mark.django_db
API = "/api/v1/reserve"


def ask(client, world, **overrides):
    body = {"zone": "A", "pollutant": "VOCS", "amount": "1.5", "reason": "园区储备不足"} | overrides
    return api(client, world.admin, "post", f"{API}/upper-requests", body)


def test_a_request_granted_by_the_upper_level_becomes_a_lot_of_the_zone(client, world):
    asked = ask(client, world)
    assert asked.status_code == 201
    row = asked.json()
    assert (row["zone"], row["amount_grams"], row["amount"], row["status"]) == (
        "A",
        1_500_000,
        "1.5",
        "requested",
    )
    url = f"{API}/upper-requests/{row['id']}"
    grant = {"granted": "1.2", "reference": "苏环〔2026〕3号"}
    own = api(client, world.admin, "post", f"{url}/grant", grant)
    assert own.status_code == 403 and "四眼原则" in own.json()["detail"]  # the requester does not record it
    assert api(client, world.admin, "post", f"{url}/refuse", {"reference": "x"}).status_code == 403
    assert Posting.objects.count() == 0
    more = api(client, world.reviewer, "post", f"{url}/grant", grant | {"granted": "1.6"})
    assert more.status_code == 422 and more.json()["clause"] == "RES-2"  # more than was asked
    granted = api(client, world.reviewer, "post", f"{url}/grant", grant)
    assert granted.status_code == 200
    assert granted.json()["status"] == "granted" and granted.json()["granted_grams"] == 1_200_000
    vocs = Pollutant.objects.get(code="VOCS")
    assert ledger_selectors.zone_balance(world.zone_a, vocs).posted == 1_200_000
    postings = Posting.objects.count()
    again = api(client, world.reviewer2, "post", f"{url}/grant", {"granted": "1", "reference": "再次"})
    assert again.status_code == 409 and again.json()["clause"] == "RES-2"
    assert api(client, world.reviewer2, "post", f"{url}/refuse", {"reference": "x"}).status_code == 409
    assert Posting.objects.count() == postings


def test_a_refused_request_moves_nothing(client, world):
    row = ask(client, world).json()
    refused = api(
        client, world.reviewer, "post", f"{API}/upper-requests/{row['id']}/refuse", {"reference": "复函"}
    )
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert Posting.objects.count() == 0


def test_bad_requests_are_refused_before_anything_is_written(client, world):
    assert ask(client, world, amount="-1").status_code == 422
    assert ask(client, world, amount="0").status_code == 422
    assert ask(client, world, amount=1.5).status_code == 422  # a JSON number
    assert "Z" in ask(client, world, zone="Z").json()["detail"]
    assert ask(client, world, pollutant="XX").status_code == 422
    assert ask(client, world, reason=" ").status_code == 422
    assert ask(client, world, application_id=999_999).status_code == 404
    row = ask(client, world).json()
    url = f"{API}/upper-requests/{row['id']}/grant"
    assert api(client, world.reviewer, "post", url, {"granted": "abc", "reference": "x"}).status_code == 422
    assert api(client, world.reviewer, "post", url, {"granted": "1", "reference": " "}).status_code == 422
    assert (
        api(
            client,
            world.reviewer,
            "post",
            f"{API}/upper-requests/999999/grant",
            {"granted": "1", "reference": "x"},
        ).status_code
        == 404
    )
    assert UpperLevelRequest.objects.count() == 1 and Posting.objects.count() == 0


def test_only_the_administrator_asks_another_bureau_person_answers_and_zones_see_their_own(client, world):
    for user in (world.reviewer, world.officer, world.company_user):
        assert ask(client, world).status_code == 201  # the administrator's
        refused = api(
            client,
            user,
            "post",
            f"{API}/upper-requests",
            {"zone": "A", "pollutant": "VOCS", "amount": "1", "reason": "x"},
        )
        assert refused.status_code == 403
    row = UpperLevelRequest.objects.first()
    for user in (world.officer, world.leader, world.company_user):
        answer = api(
            client, user, "post", f"{API}/upper-requests/{row.pk}/grant", {"granted": "1", "reference": "x"}
        )
        assert answer.status_code == 403
    assert Posting.objects.count() == 0
    assert api(client, world.officer, "get", f"{API}/upper-requests").json()["count"] == 3
    assert api(client, world.other_officer, "get", f"{API}/upper-requests").json()["count"] == 0


def test_a_reduction_used_upward_is_deducted_once_another_person_confirms(client, world):
    line = approved_line(world)
    year, quarter = this_quarter()
    run = services.intake_prepare(actor=world.admin.principal, year=year, quarter=quarter)
    services.intake_confirm(actor=world.reviewer.principal, run=run)
    vocs = Pollutant.objects.get(code="VOCS")
    body = {"line_id": line.pk, "amount": "0.5", "reason": "已报送市级储备库并被使用"}
    assert api(client, world.reviewer, "post", f"{API}/upper-deductions", body).status_code == 403
    for bad, status in (
        ({"amount": "9"}, 422),
        ({"reason": ""}, 422),
        ({"reason": "用" * 481}, 422),  # the posting's reason must hold it when confirmed
        ({"line_id": 999_999}, 404),
    ):
        assert api(client, world.admin, "post", f"{API}/upper-deductions", body | bad).status_code == status
    assert not QuotaAdjustment.objects.exists()
    proposed = api(client, world.admin, "post", f"{API}/upper-deductions", body)
    assert proposed.status_code == 202, proposed.json()
    assert (proposed.json()["kind"], proposed.json()["line_id"], proposed.json()["amount_grams"]) == (
        "upper_deduction",
        line.pk,
        500_000,
    )
    assert ledger_selectors.zone_balance(world.zone_a, vocs).posted == 2_500_000  # nothing moved yet
    confirm = f"/api/v1/reserve/adjustments/{proposed.json()['id']}/confirm"
    assert api(client, world.admin, "post", confirm).status_code == 403
    done = api(client, world.reviewer, "post", confirm)
    assert done.status_code == 200 and done.json()["status"] == "confirmed"
    assert ledger_selectors.zone_balance(world.zone_a, vocs).posted == 2_000_000
    posting = Posting.objects.get(pk=done.json()["posting_id"])
    assert posting.effective_date.isoformat() == proposed.json()["effective_date"]
    [deduction] = api(client, world.officer, "get", f"{API}/upper-deductions").json()["items"]
    assert (deduction["amount_grams"], deduction["decided_by_id"]) == (500_000, world.reviewer.pk)
    assert deduction["posting_id"] == done.json()["posting_id"]
    assert api(client, world.other_officer, "get", f"{API}/upper-deductions").json()["count"] == 0
