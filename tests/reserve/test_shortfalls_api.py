"""A submit the zone cannot cover in full, through the API: it holds what the zone has, says in
its response which lines are short and by how much, and the approval is refused as a rule refusal
(RES-2) until a rehold covers the rest."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import translation

from totalquota.accounts.roles import Role
from totalquota.accounts.services import token_issue
from totalquota.ledger import selectors as ledger_selectors
from totalquota.reserve.models import ApplicationStatus, QuotaApplication

pytestmark = pytest.mark.django_db
T = 1_000_000


def _api(world) -> Client:
    _token, secret = token_issue(
        actor=world.admin.principal,
        name="甲电子对接",
        client=world.client,
        role=Role.ENTERPRISE,
        enterprise=world.company,
    )
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {secret}")


def _file(api: Client, world, lines: dict[str, str]) -> int:
    body = {
        "enterprise_id": world.company.pk,
        "project_name": "年产 10 万件涂装线扩建项目",
        "location": "苏州工业园区星湖街 1 号",
        "eia_reference": "苏园环建〔2026〕12号",
        "lines": [
            {"pollutant": code, "project_env": figure, "plant_env": figure, "new_discharge": figure}
            for code, figure in lines.items()
        ],
    }
    response = api.post("/api/v1/reserve/applications", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["shortfalls"] == []  # a draft holds nothing and is short of nothing
    return response.json()["id"]


def test_a_short_submit_holds_what_the_zone_has_and_lists_each_short_line(world, p, stock):
    stock(world.zone_a, "VOCS", 300_000)  # 0.3 t for a 0.8 t line; nothing at all for NOx
    stock(world.zone_a, "SO2", T)  # enough for its line
    api = _api(world)
    pk = _file(api, world, {"VOCS": "0.8", "NOX": "0.5", "SO2": "0.5"})

    response = api.post(f"/api/v1/reserve/applications/{pk}/submit")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == ApplicationStatus.SUBMITTED
    states = {line["pollutant"]: line["hold_state"] for line in body["lines"]}
    assert states == {"VOCS": "partial", "NOX": "missing", "SO2": "open"}
    lines = {line["pollutant"]: line["id"] for line in body["lines"]}
    shortfalls = {s["pollutant"]: s for s in body["shortfalls"]}
    assert set(shortfalls) == {"VOCS", "NOX"}
    assert shortfalls["VOCS"] == {
        "line_id": lines["VOCS"],
        "pollutant": "VOCS",
        "requested_grams": 800_000,
        "held_grams": 300_000,
        "short_grams": 500_000,
        "text": "挥发性有机物：需预留削减替代量 0.8 t/a，已预留 0.3 t/a，不足 0.5 t/a（依据 RES-2）",
    }
    assert (shortfalls["NOX"]["held_grams"], shortfalls["NOX"]["short_grams"]) == (0, 500_000)
    # The zone's 0.3 t are held for this line, so no other application can take them.
    vocs = ledger_selectors.zone_balance(world.zone_a, p["VOCS"])
    assert (vocs.available, vocs.held_out) == (0, 300_000)
    # The detail says the same afterwards.
    again = api.get(f"/api/v1/reserve/applications/{pk}").json()
    assert again["shortfalls"] == body["shortfalls"]

    # The approval is refused as a rule refusal (RES-2), in Chinese and in English.
    reviewer = Client(raise_request_exception=False)
    reviewer.force_login(world.reviewer)
    refused = reviewer.post(f"/api/v1/reserve/applications/{pk}/approve", {}, content_type="application/json")
    assert refused.status_code == 422 and refused["Content-Type"] == "application/problem+json"
    problem = refused.json()
    assert problem["title"] == "规则拒绝" and problem["clause"] == "RES-2"
    assert problem["type"].endswith("/rule") and "挥发性有机物" in problem["detail"]
    english = reviewer.post(
        f"/api/v1/reserve/applications/{pk}/approve",
        {},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert english.status_code == 422 and english.json()["title"] == "Rule refusal"
    assert QuotaApplication.objects.get(pk=pk).status == ApplicationStatus.SUBMITTED

    # A validation error keeps its own title.
    bad = api.post(
        "/api/v1/reserve/applications",
        {
            "enterprise_id": world.company.pk,
            "project_name": "x",
            "location": "y",
            "eia_reference": "z",
            "lines": [{"pollutant": "VOCS", "project_env": "abc", "plant_env": "1", "new_discharge": "1"}],
        },
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["title"] == "数据校验未通过"

    # Once the bureau covers the rest (zone transfers: an administrator proposes, the reviewer
    # confirms), a rehold holds each line in full and nothing is short: all through the API.
    other = stock(world.zone_b, "VOCS", T)
    nox = stock(world.zone_b, "NOX", T)
    admin = Client(raise_request_exception=False)
    admin.force_login(world.admin)
    for lot, amount in ((other, "0.5"), (nox, "0.5")):
        moved = admin.post(
            "/api/v1/ledger/zone-transfers",
            {
                "from_lot_id": lot.pk,
                "to_zone": "A",
                "amount": amount,
                "effective_date": dt.date.today().isoformat(),
                "reason": "支持甲电子扩建",
            },
            content_type="application/json",
        )
        assert moved.status_code == 202, moved.content
        confirmed = reviewer.post(
            f"/api/v1/reserve/adjustments/{moved.json()['id']}/confirm", {}, content_type="application/json"
        )
        assert confirmed.status_code == 200 and confirmed.json()["posting_id"], confirmed.content
    rehold = f"/api/v1/reserve/applications/{pk}/rehold"
    assert api.post(rehold, {}, content_type="application/json").status_code == 403  # the unit may not
    held = reviewer.post(rehold, {}, content_type="application/json")
    assert held.status_code == 200 and held.json()["shortfalls"] == [], held.content
    after = api.get(f"/api/v1/reserve/applications/{pk}").json()
    assert after["shortfalls"] == []
    assert {line["hold_state"] for line in after["lines"]} == {"open"}
    vocs = ledger_selectors.zone_balance(world.zone_a, p["VOCS"])
    assert (vocs.available, vocs.held_out) == (0, 800_000)  # the partial hold was released, not doubled
    with translation.override("zh-hans"):
        approved = reviewer.post(
            f"/api/v1/reserve/applications/{pk}/approve", {}, content_type="application/json"
        )
    assert approved.status_code == 200, approved.content
    assert approved.json()["shortfalls"] == []


def test_the_bureau_holds_a_line_from_the_lots_it_picks(world, p, stock):
    first = stock(world.zone_a, "VOCS", T)
    second = stock(world.zone_a, "VOCS", T)
    api = _api(world)
    pk = _file(api, world, {"VOCS": "0.8"})
    assert api.post(f"/api/v1/reserve/applications/{pk}/submit").status_code == 200
    line_id = api.get(f"/api/v1/reserve/applications/{pk}").json()["lines"][0]["id"]
    reviewer = Client(raise_request_exception=False)
    reviewer.force_login(world.reviewer)
    url = f"/api/v1/reserve/applications/{pk}/rehold"

    def plan(*lots):
        return {"plans": [{"line_id": line_id, "lots": [{"lot_id": lot, "amount": a} for lot, a in lots]}]}

    for bad in (
        plan((second.pk, "0.5")),  # not the line's whole deduction
        plan((second.pk, "0.8"), (second.pk, "abc")),
        plan((999_999, "0.8")),
        {"plans": [{"line_id": 999_999, "lots": [{"lot_id": second.pk, "amount": "0.8"}]}]},
    ):
        refused = reviewer.post(url, bad, content_type="application/json")
        assert refused.status_code == 422, (bad, refused.content)
    assert ledger_selectors.account_balance(first).held_out == 800_000  # the submit's hold, untouched
    held = reviewer.post(url, plan((first.pk, "0.3"), (second.pk, "0.5")), content_type="application/json")
    assert held.status_code == 200, held.content
    assert (
        ledger_selectors.account_balance(first).held_out,
        ledger_selectors.account_balance(second).held_out,
    ) == (300_000, 500_000)
