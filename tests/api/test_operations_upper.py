"""The upper-level reserve (RES-2) through the API: a request, its grant (a lot of the zone) or
refusal, and a deduction of a reduction also used upward; scoped like the upper-level page."""

from __future__ import annotations

import pytest

from tests.reserve.test_intake_upper_recovery import approved_line, this_quarter
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger.models import Posting
from totalquota.registry.models import Pollutant
from totalquota.reserve import services
from totalquota.reserve.models import UpperLevelRequest

pytestmark = pytest.mark.django_db
API = "/api/v1/reserve"


def api(client, user, method, url, body=None):
    client.force_login(user)
    return getattr(client, method)(url, body or {}, content_type="application/json")


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
    granted = api(
        client, world.admin, "post", f"{url}/grant", {"granted": "1.2", "reference": "苏环〔2026〕3号"}
    )
    assert granted.status_code == 200
    assert granted.json()["status"] == "granted" and granted.json()["granted_grams"] == 1_200_000
    vocs = Pollutant.objects.get(code="VOCS")
    assert ledger_selectors.zone_balance(world.zone_a, vocs).posted == 1_200_000
    postings = Posting.objects.count()
    again = api(client, world.admin, "post", f"{url}/grant", {"granted": "1", "reference": "再次"})
    assert again.status_code == 409 and again.json()["clause"] == "RES-2"
    assert api(client, world.admin, "post", f"{url}/refuse", {"reference": "x"}).status_code == 409
    assert Posting.objects.count() == postings


def test_a_refused_request_moves_nothing(client, world):
    row = ask(client, world).json()
    refused = api(
        client, world.admin, "post", f"{API}/upper-requests/{row['id']}/refuse", {"reference": "复函"}
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
    assert api(client, world.admin, "post", url, {"granted": "abc", "reference": "x"}).status_code == 422
    assert api(client, world.admin, "post", url, {"granted": "1", "reference": " "}).status_code == 422
    assert (
        api(
            client,
            world.admin,
            "post",
            f"{API}/upper-requests/999999/grant",
            {"granted": "1", "reference": "x"},
        ).status_code
        == 404
    )
    assert UpperLevelRequest.objects.count() == 1 and Posting.objects.count() == 0


def test_only_the_administrator_asks_and_answers_and_zones_see_their_own(client, world):
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
    assert (
        api(
            client,
            world.reviewer,
            "post",
            f"{API}/upper-requests/{row.pk}/grant",
            {"granted": "1", "reference": "x"},
        ).status_code
        == 403
    )
    assert api(client, world.officer, "get", f"{API}/upper-requests").json()["count"] == 3
    assert api(client, world.other_officer, "get", f"{API}/upper-requests").json()["count"] == 0


def test_a_reduction_used_upward_is_deducted_from_the_park_reserve(client, world):
    line = approved_line(world)
    year, quarter = this_quarter()
    run = services.intake_prepare(actor=world.admin.principal, year=year, quarter=quarter)
    services.intake_confirm(actor=world.reviewer.principal, run=run)
    body = {"line_id": line.pk, "amount": "0.5", "reason": "已报送市级储备库并被使用"}
    assert api(client, world.reviewer, "post", f"{API}/upper-deductions", body).status_code == 403
    done = api(client, world.admin, "post", f"{API}/upper-deductions", body)
    assert done.status_code == 201 and done.json()["amount_grams"] == 500_000
    vocs = Pollutant.objects.get(code="VOCS")
    assert ledger_selectors.zone_balance(world.zone_a, vocs).posted == 2_000_000
    assert api(
        client, world.admin, "post", f"{API}/upper-deductions", body | {"amount": "9"}
    ).status_code in (409, 422)
    assert (
        api(client, world.admin, "post", f"{API}/upper-deductions", body | {"reason": ""}).status_code == 422
    )
    assert (
        api(client, world.admin, "post", f"{API}/upper-deductions", body | {"line_id": 999_999}).status_code
        == 404
    )
    assert ledger_selectors.zone_balance(world.zone_a, vocs).posted == 2_000_000
    assert api(client, world.officer, "get", f"{API}/upper-deductions").json()["count"] == 1
    assert api(client, world.other_officer, "get", f"{API}/upper-deductions").json()["count"] == 0
