"""The quarterly intake (RES-1) through the API alone: prepare, read the items, exclude one with a
reason, and confirm by another person (four eyes: whoever excluded an item cannot confirm)."""

from __future__ import annotations

import pytest

from tests.api_helpers import api
from tests.factories import UserFactory
from tests.reserve.test_intake_upper_recovery import approved_line, this_quarter
from totalquota.accounts.roles import Role
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger.models import Posting
from totalquota.registry.models import Pollutant

pytestmark = pytest.mark.django_db
API = "/api/v1/reserve"


@pytest.fixture
def run(client, world):
    approved_line(world, name="甲厂喷涂线关停")
    approved_line(world, name="甲厂锅炉淘汰")
    year, quarter = this_quarter()
    answer = api(client, world.admin, "post", f"{API}/intake-runs", {"year": year, "quarter": quarter})
    assert answer.status_code == 201
    return answer.json()


def test_a_prepared_run_lists_its_items_with_what_would_enter(client, world, run):
    detail = api(client, world.reviewer, "get", f"{API}/intake-runs/{run['id']}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["status"] == "prepared" and body["items"] == 2
    assert sorted(i["project"] for i in body["lines"]) == ["甲厂喷涂线关停", "甲厂锅炉淘汰"]
    assert {(i["zone"], i["pollutant"], i["intake_grams"], i["intake"]) for i in body["lines"]} == {
        ("A", "VOCS", 2_500_000, "2.5")
    }
    # The reviewer who will confirm reads the list too, as on the page.
    assert api(client, world.reviewer, "get", f"{API}/intake-runs").status_code == 200


def test_the_intake_is_read_by_the_bureau_only(client, world, run):
    for user in (world.officer, world.company_user, world.leader):
        assert api(client, user, "get", f"{API}/intake-runs/{run['id']}").status_code == 403
    assert api(client, world.admin, "get", f"{API}/intake-runs/999999").status_code == 404


def test_an_excluded_item_enters_nothing_and_its_excluder_cannot_confirm(client, world, run):
    other_admin = UserFactory(username="admin2", role=Role.ADMIN)
    item = run_items(client, world, run)[0]
    answer = api(
        client, other_admin, "post", f"{API}/intake-items/{item['id']}/exclude", {"reason": "已另行交易"}
    )
    assert answer.status_code == 200
    excluded = answer.json()
    assert excluded["intake_grams"] == 0 and excluded["excluded_grams"] == 2_500_000
    assert excluded["other_reason"] == "已另行交易" and excluded["excluded_by_id"] == other_admin.pk
    assert excluded["reasons"][-1]["code"] == "4"

    before = Posting.objects.count()
    refused = api(client, other_admin, "post", f"{API}/intake-runs/{run['id']}/confirm")
    assert refused.status_code == 403 and "四眼原则" in refused.json()["detail"]
    refused = api(client, world.admin, "post", f"{API}/intake-runs/{run['id']}/confirm")
    assert refused.status_code == 403  # the preparer
    assert Posting.objects.count() == before

    confirmed = api(client, world.reviewer, "post", f"{API}/intake-runs/{run['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    vocs = Pollutant.objects.get(code="VOCS")
    assert ledger_selectors.zone_balance(world.zone_a, vocs).posted == 2_500_000  # only the other line
    lines = api(client, world.reviewer, "get", f"{API}/intake-runs/{run['id']}").json()["lines"]
    assert sorted(bool(i["posting_id"]) for i in lines) == [False, True]

    # A confirmed run is not adjusted any more.
    late = api(
        client, world.admin, "post", f"{API}/intake-items/{lines[1]['id']}/exclude", {"reason": "晚了"}
    )
    assert late.status_code == 409


def run_items(client, world, run):
    return api(client, world.admin, "get", f"{API}/intake-runs/{run['id']}").json()["lines"]


def test_an_exclusion_needs_a_reason_and_the_administrators_right(client, world, run):
    item = run_items(client, world, run)[0]
    url = f"{API}/intake-items/{item['id']}/exclude"
    blank = api(client, world.admin, "post", url, {"reason": "  "})
    assert blank.status_code == 422 and blank.json()["clause"] == "RES-1"
    missing = api(client, world.admin, "post", url, {})
    assert missing.status_code == 422
    too_long = api(client, world.admin, "post", url, {"reason": "长" * 301})
    assert too_long.status_code == 422
    for user in (world.reviewer, world.officer, world.company_user):
        assert api(client, user, "post", url, {"reason": "x"}).status_code == 403
    assert (
        api(client, world.admin, "post", f"{API}/intake-items/999999/exclude", {"reason": "x"}).status_code
        == 404
    )
    assert run_items(client, world, run)[0]["intake_grams"] == 2_500_000
