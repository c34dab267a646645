"""RES-4 through the API alone: the formal operation date, verified emissions, the recovery
candidates they produce, the cases and their decision by another reviewer (four eyes); and the
ambient attainment records (RES-2)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.reserve.conftest import T, line
from tests.reserve.test_intake_upper_recovery import approved_application, operating_since, verified
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger.models import Posting
from totalquota.registry.models import AttainmentStatus

pytestmark = pytest.mark.django_db
API = "/api/v1/reserve"


def api(client, user, method, url, body=None):
    client.force_login(user)
    return getattr(client, method)(url, body or {}, content_type="application/json")


def test_the_operation_date_is_recorded_by_the_unit_within_its_range(client, world, p, stock, draft):
    app = approved_application(world, p, stock, draft, T)
    url = f"{API}/applications/{app.pk}/operating"
    today = timezone.localdate()
    done = api(client, world.company_user, "post", url, {"started_on": today.isoformat()})
    assert done.status_code == 200 and done.json()["operation_started_on"] == today.isoformat()
    future = api(
        client, world.company_user, "post", url, {"started_on": (today + dt.timedelta(days=2)).isoformat()}
    )
    assert future.status_code == 422
    assert api(client, world.company_user, "post", url, {"started_on": "yesterday"}).status_code == 422
    assert api(client, world.reviewer, "post", url, {"started_on": today.isoformat()}).status_code == 403
    # Another unit's staff and another zone's officer do not learn the application exists.
    assert (
        api(client, world.other_company_user, "post", url, {"started_on": today.isoformat()}).status_code
        == 404
    )
    assert api(client, world.other_officer, "post", url, {"started_on": today.isoformat()}).status_code == 404
    pending = draft([line(p["VOCS"], project_env=T)])
    not_yet = api(
        client,
        world.company_user,
        "post",
        f"{API}/applications/{pending.pk}/operating",
        {"started_on": today.isoformat()},
    )
    assert not_yet.status_code == 409


def test_an_underused_line_is_a_candidate_and_its_recovery_is_decided_by_another_reviewer(
    client, world, p, stock, draft
):
    app = approved_application(world, p, stock, draft, T)
    assert api(client, world.reviewer, "get", f"{API}/recovery-candidates").json() == []
    operating_since(app, dt.date(2023, 3, 1))
    verified(world, p["VOCS"], 2025, 600_000, "2025 年排污许可执行报告")
    listed = api(client, world.reviewer, "get", "/api/v1/emissions/verified-emissions").json()
    assert [(v["year"], v["actual_grams"]) for v in listed["items"]] == [(2025, 600_000)]
    assert (
        api(client, world.other_officer, "get", "/api/v1/emissions/verified-emissions").json()["count"] == 0
    )

    [candidate] = api(client, world.reviewer, "get", f"{API}/recovery-candidates").json()
    assert candidate["application_id"] == app.pk and candidate["year"] == 2025
    assert candidate["suggested_surplus_grams"] == 400_000 and candidate["suggested_surplus"] == "0.4"
    for user in (world.officer, world.company_user, world.leader):
        assert api(client, user, "get", f"{API}/recovery-candidates").status_code == 403

    proposed = api(
        client,
        world.reviewer,
        "post",
        f"{API}/recoveries",
        {"line_id": candidate["line_id"], "kind": "not_built", "reason": "企业书面承诺不再建设"},
    )
    assert proposed.status_code == 201
    case = proposed.json()
    cases = api(client, world.company_user, "get", f"{API}/recoveries").json()
    assert [c["id"] for c in cases["items"]] == [case["id"]]
    assert api(client, world.other_company_user, "get", f"{API}/recoveries").json()["count"] == 0

    before = Posting.objects.count()
    own = api(client, world.reviewer, "post", f"{API}/recoveries/{case['id']}/approve", {"reason": "同意"})
    assert own.status_code == 403 and "四眼原则" in own.json()["detail"]
    assert Posting.objects.count() == before
    decided = api(
        client, world.reviewer2, "post", f"{API}/recoveries/{case['id']}/approve", {"reason": "同意"}
    )
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == 5 * T


def test_attainment_is_recorded_once_per_zone_indicator_and_year(client, world):
    body = {"year": 2025, "zone": "A", "indicator": "O3", "attained": False, "source": "2025 年环境质量公报"}
    made = api(client, world.reviewer, "post", f"{API}/attainment", body)
    assert made.status_code == 201 and made.json()["zone"] == "A" and made.json()["attained"] is False
    park = api(client, world.admin, "post", f"{API}/attainment", body | {"zone": None})
    assert park.status_code == 201 and park.json()["zone"] is None
    assert api(client, world.admin, "post", f"{API}/attainment", body).status_code == 409
    assert (
        api(client, world.admin, "post", f"{API}/attainment", body | {"indicator": "CO"}).status_code == 422
    )
    assert api(client, world.admin, "post", f"{API}/attainment", body | {"zone": "Z"}).status_code == 422
    assert api(client, world.admin, "post", f"{API}/attainment", body | {"year": 2019}).status_code == 422
    assert api(client, world.admin, "post", f"{API}/attainment", body | {"source": ""}).status_code == 422
    for user in (world.officer, world.company_user, world.leader):
        assert api(client, user, "post", f"{API}/attainment", body | {"year": 2024}).status_code == 403
    assert AttainmentStatus.objects.count() == 2
    listed = api(client, world.company_user, "get", f"{API}/attainment?year=2025").json()
    assert listed["count"] == 2
