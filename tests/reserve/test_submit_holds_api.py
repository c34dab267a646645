"""What a submit leaves held, through the API: a failed submit nothing, a short one what it could."""

from __future__ import annotations

import pytest
from django.test import Client

from totalquota.accounts.roles import Role
from totalquota.accounts.services import token_issue
from totalquota.audit.models import AuditEvent
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger.models import Account, AccountKind, Phase, Posting, Transfer
from totalquota.reserve import services
from totalquota.reserve.models import ApplicationStatus, QuotaApplication
from totalquota.workflow import kernel

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


def _file(api: Client, world, *pollutants: str) -> int:
    body = {
        "enterprise_id": world.company.pk,
        "project_name": "年产 10 万件涂装线扩建项目",
        "location": "苏州工业园区星湖街 1 号",
        "eia_reference": "苏园环建〔2026〕12号",
        "lines": [
            {"pollutant": code, "project_env": "0.5", "plant_env": "0.5", "new_discharge": "0.5"}
            for code in pollutants
        ],
    }
    response = api.post("/api/v1/reserve/applications", body, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_a_submit_that_fails_after_its_holds_leaves_nothing_held(world, p, stock, monkeypatch):
    stock(world.zone_a, "VOCS", T)
    stock(world.zone_a, "NOX", T)
    api = _api(world)
    pk = _file(api, world, "VOCS", "NOX")
    events = AuditEvent.objects.count()
    real_record = kernel.record

    def failing_record(**kwargs):
        # Both lines are held by now; the submit then fails before it can finish.
        if kwargs["action"] == "reserve.application_submit":
            raise RuntimeError("disk full")
        return real_record(**kwargs)

    monkeypatch.setattr(kernel, "record", failing_record)  # the kernel writes the audit event
    response = api.post(f"/api/v1/reserve/applications/{pk}/submit")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    app = QuotaApplication.objects.get(pk=pk)
    assert app.status == ApplicationStatus.DRAFT
    assert not app.transitions.filter(to_status=ApplicationStatus.SUBMITTED).exists()
    assert not Posting.objects.filter(operation="hold").exists()
    assert not Transfer.objects.filter(phase=Phase.PENDING).exists()
    assert not Account.objects.filter(kind=AccountKind.ALLOCATION).exists()
    for code in ("VOCS", "NOX"):
        balance = ledger_selectors.zone_balance(world.zone_a, p[code])
        assert (balance.available, balance.held_out) == (T, 0)
    assert AuditEvent.objects.count() == events

    monkeypatch.setattr(kernel, "record", real_record)
    response = api.post(f"/api/v1/reserve/applications/{pk}/submit")  # the retry holds both, once
    assert response.status_code == 200, response.content
    assert [line["hold_state"] for line in response.json()["lines"]] == ["open", "open"]
    assert Posting.objects.filter(operation="hold").count() == 2


def test_a_submit_short_of_quota_holds_what_it_can_and_says_which_line_is_short(world, p, stock):
    stock(world.zone_a, "VOCS", T)  # enough for the VOCs line; nothing for NOx
    api = _api(world)
    pk = _file(api, world, "VOCS", "NOX")
    response = api.post(f"/api/v1/reserve/applications/{pk}/submit")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == ApplicationStatus.SUBMITTED
    assert {line["pollutant"]: line["hold_state"] for line in body["lines"]} == {
        "VOCS": "open",
        "NOX": "missing",
    }
    app = QuotaApplication.objects.get(pk=pk)
    reason = app.transitions.get(to_status=ApplicationStatus.SUBMITTED).reason
    assert reason.startswith("氮氧化物：") and "不足 0.5 t/a" in reason and "挥发性" not in reason
    event = AuditEvent.objects.get(action="reserve.application_submit", object_id=str(pk))
    assert len(event.after["shortfalls"]) == 1 and event.after["shortfalls"][0].startswith("氮氧化物")
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).available == T // 2

    reviewer = Client(raise_request_exception=False)
    reviewer.force_login(world.reviewer)
    refused = reviewer.post(f"/api/v1/reserve/applications/{pk}/approve", {}, content_type="application/json")
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"
    assert "氮氧化物" in refused.json()["detail"] and refused.json()["clause"] == "RES-2"
    assert QuotaApplication.objects.get(pk=pk).status == ApplicationStatus.SUBMITTED
    assert services.line_hold_state(app.lines.get(pollutant=p["VOCS"])) == "open"  # kept for a rehold
