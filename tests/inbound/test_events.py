"""Contract tests of the inbound events (PLAT-1): each kind with a valid body and what it does in the
database; refusals that write nothing; the same event id again."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.inbound.conftest import T, approved_application, counts, post
from tests.reserve.conftest import line
from totalquota.enforcement.models import Finding
from totalquota.inbound.models import InboundEvent
from totalquota.notifications.handlers import notify
from totalquota.notifications.models import Notification
from totalquota.outbox.models import OutboxEvent
from totalquota.registry.models import PermitLimit
from totalquota.reserve import services as reserve_services
from totalquota.reserve.models import QuotaApplication, RecoveryCase


def cancelled(application, event_id="SP-2026-0001", **more):
    return {
        "event_id": event_id,
        "kind": "eia.cancelled",
        "credit_code": application.enterprise.uscc,
        "application_code": application.code,
        "approval_number": application.eia_reference,
        "cancelled_on": "2026-11-20",
        "reason": "建设单位书面申请不再建设",
        **more,
    }


def permit(world, kind="permit.issued", event_id="PW-1", **more):
    return {
        "event_id": event_id,
        "kind": kind,
        "credit_code": world.company.uscc,
        "permit_number": world.company.permit_number,
        "valid_from": "2026-07-01",
        "limits": [
            {"pollutant": "VOCS", "permitted": "2.5"},
            {"pollutant": "COD", "permitted": "1.2", "sewer": "3"},
        ],
        **more,
    }


def violation(world, event_id="ZF-1", **more):
    return {
        "event_id": event_id,
        "kind": "violation.reported",
        "credit_code": world.company.uscc,
        "case_number": "苏园环罚〔2026〕88号",
        "found_on": "2026-10-09",
        "facts": "废气处理设施未正常运行，VOCs 超标排放",
        "pollutant": "VOCS",
        **more,
    }


def reviewer_notifications(world):
    for event in OutboxEvent.objects.filter(topic="inbound.event.review"):
        notify(event)
    return Notification.objects.filter(recipient=world.reviewer, event__topic="inbound.event.review")


# --- approval -----------------------------------------------------------------------------------
def test_a_cancelled_project_opens_a_not_built_recovery_case_for_reviewers_to_decide(
    world, partners, p, stock, draft
):
    application = approved_application(world, p, stock, draft)
    response = post("approval", cancelled(application), partners.approval)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "applied" and body["kind"] == "eia.cancelled"
    case = RecoveryCase.objects.get()
    assert case.kind == "not_built" and case.status == "proposed" and case.recovered_grams == 800_000
    assert case.line.application_id == application.pk
    assert body["effects"] == [{"type": "reserve.recoverycase", "id": case.pk, "role": "opened"}]
    assert "RES-4" in body["result"]
    event = InboundEvent.objects.get()
    assert event.object_type == "reserve.quotaapplication" and event.object_id == str(application.pk)
    assert event.payload == cancelled(application) and len(event.payload_sha256) == 64
    # Nothing moved: the case waits for a reviewer; the reviewers are told.
    assert reviewer_notifications(world).count() == 1
    reserve_services.recovery_approve(actor=world.reviewer.principal, case=case, reason="同意")
    case.refresh_from_db()
    assert case.status == "approved"


def test_a_cancelled_project_without_an_allocation_has_nothing_to_do(world, partners, p, draft):
    application = draft([line(p["VOCS"], project_env=500_000)])
    response = post("approval", cancelled(application), partners.approval)
    assert response.status_code == 201
    assert response.json()["state"] == "nothing_to_do"
    assert "无需收回" in response.json()["result"]
    assert RecoveryCase.objects.count() == 0


def test_an_eia_approval_is_linked_to_its_application(world, partners, p, draft):
    application = draft([line(p["VOCS"], project_env=500_000)])
    body = {
        "event_id": "SP-A-1",
        "kind": "eia.approved",
        "credit_code": world.company.uscc,
        "application_code": application.code,
        "approval_number": application.eia_reference,
        "approved_on": "2026-06-30",
    }
    response = post("approval", body, partners.approval)
    assert response.status_code == 201
    assert response.json()["state"] == "applied"
    assert response.json()["links"][0]["url"] == application.get_absolute_url()
    other = post(
        "approval",
        {**body, "event_id": "SP-A-2", "approval_number": "苏园环建〔2026〕99号"},
        partners.approval,
    )
    assert other.status_code == 201 and other.json()["state"] == "needs_review"
    assert QuotaApplication.objects.get(pk=application.pk).eia_reference == application.eia_reference


# --- permits ------------------------------------------------------------------------------------
def test_a_permit_issue_updates_the_registry(world, partners, p):
    response = post("permit", permit(world), partners.permit)
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "applied"
    vocs = PermitLimit.objects.get(enterprise=world.company, pollutant=p["VOCS"])
    assert vocs.permitted_grams == 2_500_000 and vocs.valid_from == dt.date(2026, 7, 1)
    cod = PermitLimit.objects.get(enterprise=world.company, pollutant=p["COD"])
    assert (cod.permitted_grams, cod.sewer_grams) == (1_200_000, 3_000_000)


def test_a_permit_change_below_the_allocation_is_flagged_and_nothing_is_cut(world, partners, p, stock, draft):
    application = approved_application(world, p, stock, draft, grams=T)
    assert post("permit", permit(world), partners.permit).status_code == 201
    changed = permit(
        world,
        kind="permit.changed",
        event_id="PW-2",
        valid_from="2026-10-01",
        limits=[{"pollutant": "VOCS", "permitted": {"value": "500", "unit": "kg/a"}}],
    )
    response = post("permit", changed, partners.permit)
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "needs_review" and "VOCS" in response.json()["result"]
    limits = PermitLimit.objects.filter(enterprise=world.company, pollutant=p["VOCS"]).order_by("valid_from")
    assert [(x.valid_from, x.valid_to, x.permitted_grams) for x in limits] == [
        (dt.date(2026, 7, 1), dt.date(2026, 9, 30), 2_500_000),
        (dt.date(2026, 10, 1), None, 500_000),
    ]
    line_ = application.lines.get()
    assert line_.permitted_env_grams == T and RecoveryCase.objects.count() == 0
    assert reviewer_notifications(world).count() == 1


def test_a_revoked_permit_is_for_a_reviewer(world, partners):
    body = {
        "event_id": "PW-R",
        "kind": "permit.revoked",
        "credit_code": world.company.uscc,
        "permit_number": world.company.permit_number,
        "revoked_on": "2026-11-01",
        "reason": "企业关停",
    }
    response = post("permit", body, partners.permit)
    assert response.status_code == 201
    assert response.json()["state"] == "needs_review"
    assert reviewer_notifications(world).count() == 1


# --- enforcement --------------------------------------------------------------------------------
def test_a_violation_opens_a_finding_from_the_enforcement_event(world, partners, p):
    response = post("enforcement", violation(world), partners.enforcement)
    assert response.status_code == 201, response.content
    finding = Finding.objects.get()
    assert finding.source == "event" and finding.event_reference == "苏园环罚〔2026〕88号"
    assert finding.enterprise == world.company and finding.status == "draft" and finding.year == 2026
    assert finding.pollutant == p["VOCS"]
    assert response.json()["effects"] == [{"type": "enforcement.finding", "id": finding.pk, "role": "opened"}]


# --- idempotency --------------------------------------------------------------------------------
def test_the_same_event_again_answers_the_stored_event_and_does_nothing_again(
    world, partners, p, stock, draft
):
    application = approved_application(world, p, stock, draft)
    first = post("approval", cancelled(application), partners.approval)
    # Same body, keys in another order and spaced otherwise: the same event.
    again = post("approval", dict(reversed(list(cancelled(application).items()))), partners.approval)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert counts()["events"] == 1 and counts()["recoveries"] == 1


def test_the_same_event_id_with_another_body_is_a_conflict(world, partners, p, stock, draft):
    application = approved_application(world, p, stock, draft)
    assert post("approval", cancelled(application), partners.approval).status_code == 201
    before = counts()
    response = post("approval", cancelled(application, reason="另一理由"), partners.approval)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert counts() == before


# --- refusals -----------------------------------------------------------------------------------
BAD_BODIES = [
    pytest.param({"kind": "violation.reported"}, id="missing fields"),
    pytest.param({"event_id": "X", "kind": "eia.approved"}, id="another system's kind"),
    pytest.param({"event_id": "X 1", "kind": "violation.reported"}, id="event id with a space"),
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_a_bad_body_is_a_422_and_records_nothing(world, partners, body):
    response = post("enforcement", body, partners.enforcement)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert counts() == dict.fromkeys(counts(), 0)


@pytest.mark.parametrize(
    "change,field",
    [
        ({"found_on": "2999-01-01"}, "found_on"),
        ({"pollutant": "XX"}, "pollutant"),
        ({"extra": 1}, "extra"),
        ({"facts": 12}, "facts"),
    ],
)
def test_a_bad_value_is_a_422_naming_its_field(world, partners, change, field):
    response = post("enforcement", violation(world, **change), partners.enforcement)
    assert response.status_code == 422
    assert (
        field in {e["field"] for e in response.json().get("errors") or []}
        or field in response.json()["detail"]
    )
    assert counts() == dict.fromkeys(counts(), 0)


def test_an_unknown_unit_is_a_422_with_a_clear_detail(world, partners):
    from tests.factories import credit_code

    response = post("enforcement", violation(world, credit_code=credit_code(9999)), partners.enforcement)
    assert response.status_code == 422
    assert "未在排污单位名录中登记" in response.json()["detail"]
    wrong = post("enforcement", violation(world, credit_code="91320594MA00009019"), partners.enforcement)
    assert wrong.status_code == 422 and "不正确" in wrong.json()["detail"]
    assert counts() == dict.fromkeys(counts(), 0)


def test_an_unknown_application_or_another_units_is_a_422(world, partners, p, stock, draft):
    application = approved_application(world, p, stock, draft)
    unknown = post("approval", cancelled(application, application_code="QA-NOPE"), partners.approval)
    assert unknown.status_code == 422 and "不存在" in unknown.json()["detail"]
    other = post("approval", cancelled(application, credit_code=world.other_company.uscc), partners.approval)
    assert other.status_code == 422 and "不是" in other.json()["detail"]
    assert counts()["events"] == 0 and counts()["recoveries"] == 0


def test_a_permit_the_registry_refuses_records_nothing(world, partners):
    assert post("permit", permit(world), partners.permit).status_code == 201
    before = counts()
    older = permit(world, kind="permit.changed", event_id="PW-OLD", valid_from="2026-01-01")
    response = post("permit", older, partners.permit)
    assert response.status_code == 422
    assert counts() == before
    grams = permit(world, event_id="PW-G", limits=[{"pollutant": "VOCS", "permitted": "0.0000001"}])
    assert post("permit", grams, partners.permit).status_code == 422
    assert counts() == before


def test_another_systems_token_is_refused_before_the_body_is_read(world, partners):
    for token in (partners.permit, partners.approval):
        response = post("enforcement", violation(world), token)
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"
    assert post("enforcement", {}, partners.permit).status_code == 403
    assert counts() == dict.fromkeys(counts(), 0)


def test_a_system_token_of_an_unregistered_client_is_refused(world, partners):
    from totalquota.accounts.services import token_issue

    secret = token_issue(actor=world.admin.principal, name="其他系统", client=world.client)[1]
    assert post("enforcement", violation(world), secret).status_code == 403
    assert counts()["events"] == 0


def test_people_are_refused_with_a_session_or_their_own_token(world, partners):
    from django.test import Client

    from totalquota.accounts.services import token_issue

    for person in (world.admin, world.reviewer, world.officer):
        client = Client()
        client.force_login(person)
        assert post("enforcement", violation(world), None, client=client).status_code == 403
    # A token of another role (a zone's scope) is not a system's, even on a client account.
    secret = token_issue(
        actor=world.admin.principal,
        name="功能区令牌",
        client=world.client,
        role="zone_officer",
        zone=world.zone_a,
    )[1]
    assert post("enforcement", violation(world), secret).status_code == 403
    assert counts() == dict.fromkeys(counts(), 0)


# --- reading ------------------------------------------------------------------------------------
def test_reviewers_list_and_read_events_and_others_may_not(world, partners):
    from django.test import Client

    post("enforcement", violation(world), partners.enforcement)
    event = InboundEvent.objects.get()
    client = Client()
    client.force_login(world.reviewer)
    listed = client.get("/api/v1/events?source=enforcement&state=applied")
    assert listed.status_code == 200 and [e["id"] for e in listed.json()["items"]] == [event.pk]
    assert client.get("/api/v1/events?state=needs_review").json()["items"] == []
    detail = client.get(f"/api/v1/events/{event.pk}")
    assert detail.status_code == 200 and detail.json()["payload"]["case_number"] == "苏园环罚〔2026〕88号"
    client.force_login(world.officer)
    assert client.get("/api/v1/events").status_code == 403
    assert post("enforcement", {}, None, client=Client()).status_code == 401


# --- the partner accounts and the English result --------------------------------------------------
def test_the_partner_command_registers_system_accounts_only(world):
    from django.core.management import CommandError, call_command

    from totalquota.inbound.models import PartnerSystem

    call_command("inbound_partner", "--client", world.client.username, "--source", "permit")
    assert PartnerSystem.objects.get(client=world.client).source == "permit"
    with pytest.raises(CommandError):
        call_command("inbound_partner", "--client", world.reviewer.username, "--source", "permit")
    with pytest.raises(CommandError):
        call_command("inbound_partner", "--client", "nobody", "--source", "permit")
    assert PartnerSystem.objects.count() == 1


def test_the_result_is_stored_in_chinese_and_read_in_english(world, partners):
    from django.test import Client

    post("enforcement", violation(world), partners.enforcement)
    event = InboundEvent.objects.get()
    assert event.result.startswith("已登记发现问题")
    client = Client()
    client.force_login(world.reviewer)
    client.cookies["django_language"] = "en"
    english = client.get(f"/api/v1/events/{event.pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["result"].startswith("Finding ")


@pytest.mark.parametrize(
    "change",
    [
        {"valid_from": "1989-12-31"},
        {"valid_from": "2026-07-01", "valid_to": "2026-06-30"},
        {"limits": []},
        {"limits": [{"pollutant": "VOCS", "permitted": "-1"}]},
        {"limits": [{"pollutant": "VOCS", "permitted": "1e20"}]},
        {"limits": [{"pollutant": "VOCS", "permitted": 2.5}]},
        {"limits": [{"pollutant": "VOCS", "permitted": "1"}, {"pollutant": "vocs", "permitted": "2"}]},
        {"limits": [{"pollutant": "VOCS", "permitted": "1", "sewer": "1"}]},
        {"permit_number": "NOT-A-PERMIT"},
        {"valid_from": "2026-02-30"},
    ],
    ids=lambda c: str(c)[:60],
)
def test_a_permit_body_the_platform_cannot_take_is_a_422_and_records_nothing(world, partners, change):
    response = post("permit", permit(world, **change), partners.permit)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert counts() == dict.fromkeys(counts(), 0)


@pytest.mark.parametrize("found_on", ["1995-06-01", "0001-01-01", "9999-12-31"])
def test_a_violation_date_out_of_range_is_a_422(world, partners, found_on):
    response = post("enforcement", violation(world, found_on=found_on), partners.enforcement)
    assert response.status_code == 422, response.content
    assert counts() == dict.fromkeys(counts(), 0)


def test_a_permit_number_of_another_unit_is_a_422(world, partners):
    body = permit(world, permit_number=world.other_company.permit_number)
    response = post("permit", body, partners.permit)
    assert response.status_code == 422 and "其他排污单位" in response.json()["detail"]
    revoked = {
        "event_id": "PW-R2",
        "kind": "permit.revoked",
        "credit_code": world.company.uscc,
        "permit_number": world.other_company.permit_number,
        "revoked_on": "2026-11-01",
        "reason": "x",
    }
    assert post("permit", revoked, partners.permit).status_code == 422
    assert counts() == dict.fromkeys(counts(), 0)
