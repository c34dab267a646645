"""Two reviewers confirm one proposal at once through the API, on PostgreSQL: the kernel's row lock
lets one through (200); the other finds the finding decided (409). One credit entry, one event."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.enforcement.conftest import proposed
from tests.thread_helpers import run_at_once
from totalquota.enforcement import services
from totalquota.enforcement.models import CreditEntry, Finding, PenaltyDecision
from totalquota.outbox.models import OutboxEvent

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_two_reviewers_confirming_at_once_write_one_credit_entry_and_one_event(world):
    finding = services.finding_create(
        actor=world.officer.principal,
        source="event",
        enterprise=world.company,
        year=2026,
        event_reference="ZF-并发",
        facts="超标排放",
    )
    services.finding_notify(actor=world.officer.principal, finding=finding)
    services.finding_answer(actor=world.company_user.principal, finding=finding, text="无异议")
    proposed(world, finding)
    clients = []
    for user in (world.reviewer, world.reviewer2):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients.append(client)

    def confirm(n: int) -> tuple[int, str]:
        response = clients[n].post(
            f"/api/v1/enforcement/findings/{finding.pk}/confirm", {}, content_type="application/json"
        )
        return response.status_code, response["Content-Type"]

    results = run_at_once(confirm, 2)
    assert sorted(code for code, _type in results) == [200, 409]
    assert dict(results)[409] == "application/problem+json"
    assert Finding.objects.get(pk=finding.pk).status == "decided"
    decision = PenaltyDecision.objects.get(finding=finding)
    assert decision.state == "confirmed" and decision.confirmed_by_id in (
        world.reviewer.pk,
        world.reviewer2.pk,
    )
    entry = CreditEntry.objects.get()
    event = OutboxEvent.objects.get(topic="enforcement.credit_entry.recorded")
    assert event.payload["credit_entry_id"] == entry.pk
    assert event.payload["penalty_fen"] == 5_000_000 and event.payload["uscc"] == world.company.uscc
    assert OutboxEvent.objects.filter(topic="enforcement.finding.confirm").count() == 1


def test_two_findings_confirmed_at_once_under_one_decision_number_give_one_decision_and_a_409(world):
    """Each confirmation locks only its own finding, so both pass the check that the number is free;
    the unique constraint lets one commit and the other is a 409 problem document, not a 500."""
    findings = []
    for n in range(2):
        finding = services.finding_create(
            actor=world.officer.principal,
            source="event",
            enterprise=world.company,
            year=2026,
            event_reference=f"ZF-文号-{n}",
            facts="超标排放",
        )
        services.finding_notify(actor=world.officer.principal, finding=finding)
        services.finding_answer(actor=world.company_user.principal, finding=finding, text="无异议")
        proposed(world, finding)  # both under 园环罚〔2026〕1号
        findings.append(finding)
    clients = []
    for user in (world.reviewer, world.reviewer2):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients.append(client)

    def confirm(n: int) -> tuple[int, str, str]:
        response = clients[n].post(
            f"/api/v1/enforcement/findings/{findings[n].pk}/confirm", {}, content_type="application/json"
        )
        return response.status_code, response["Content-Type"], response.content.decode()

    results = run_at_once(confirm, 2)
    assert sorted(code for code, _type, _body in results) == [200, 409]
    refused = next(r for r in results if r[0] == 409)
    assert refused[1] == "application/problem+json" and "已被使用" in refused[2]
    assert PenaltyDecision.objects.filter(state="confirmed").count() == 1
    assert CreditEntry.objects.count() == 1
    assert sorted(
        Finding.objects.filter(pk__in=[f.pk for f in findings]).values_list("status", flat=True)
    ) == [
        "decided",
        "proposed",
    ]
