"""One enforcement case, one finding: a violation.reported whose case number already opened a
finding for the unit (posted again under another event id) is recorded and linked to that
finding; none is opened twice, also when both are posted at once (PostgreSQL, real threads)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.inbound.conftest import counts, post
from tests.inbound.test_events import violation
from tests.thread_helpers import run_at_once
from totalquota.enforcement.models import Finding
from totalquota.inbound.models import InboundEvent

pytestmark = pytest.mark.django_db


def test_the_same_case_under_another_event_id_is_linked_to_its_finding(world, partners, p):
    first = post("enforcement", violation(world, event_id="ZF-1"), partners.enforcement)
    again = post("enforcement", violation(world, event_id="ZF-1-resent"), partners.enforcement)
    assert (first.status_code, again.status_code) == (201, 201), again.content
    finding = Finding.objects.get()
    body = again.json()
    assert body["state"] == "nothing_to_do"
    assert body["effects"] == [{"type": "enforcement.finding", "id": finding.pk, "role": "linked"}]
    assert finding.code in body["result"] and "已关联" in body["result"]
    assert [link["url"] for link in body["links"] if link["role"] == "linked"] == [finding.get_absolute_url()]
    assert counts()["events"] == 2 and counts()["findings"] == 1
    stored = InboundEvent.objects.get(event_id="ZF-1-resent")
    assert stored.result_code == "finding_linked" and stored.payload["event_id"] == "ZF-1-resent"


def test_a_case_number_written_otherwise_is_the_same_case(world, partners, p):
    post("enforcement", violation(world, event_id="ZF-1"), partners.enforcement)
    again = post(
        "enforcement",
        violation(world, event_id="ZF-2", case_number=" 苏园环罚[2026] 88号 "),
        partners.enforcement,
    )
    assert again.json()["effects"][0]["role"] == "linked"
    assert Finding.objects.count() == 1


def test_another_case_or_another_unit_opens_its_own_finding(world, partners, p):
    post("enforcement", violation(world, event_id="ZF-1"), partners.enforcement)
    other_case = post(
        "enforcement",
        violation(world, event_id="ZF-2", case_number="苏园环罚〔2026〕89号"),
        partners.enforcement,
    )
    other_unit = post(
        "enforcement",
        violation(world, event_id="ZF-3", credit_code=world.other_company.uscc),
        partners.enforcement,
    )
    assert [r.json()["effects"][0]["role"] for r in (other_case, other_unit)] == ["opened", "opened"]
    assert sorted(Finding.objects.values_list("enterprise__name", "event_reference")) == sorted(
        [
            (world.company.name, "苏园环罚〔2026〕88号"),
            (world.company.name, "苏园环罚〔2026〕89号"),
            (world.other_company.name, "苏园环罚〔2026〕88号"),
        ]
    )


def test_the_link_is_told_in_english_too(world, partners, p):
    post("enforcement", violation(world, event_id="ZF-1"), partners.enforcement)
    post("enforcement", violation(world, event_id="ZF-2"), partners.enforcement)
    event = InboundEvent.objects.get(event_id="ZF-2")
    client = Client()
    client.force_login(world.reviewer)
    english = client.get(f"/api/v1/events/{event.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    finding = Finding.objects.get()
    assert english["result"].startswith("Enforcement case ") and finding.code in english["result"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_events_of_one_case_at_once_open_one_finding(world, partners, p):
    bodies = [violation(world, event_id=f"ZF-race-{n}") for n in range(2)]

    def send(n: int) -> tuple[int, str]:
        response = post("enforcement", bodies[n], partners.enforcement)
        return response.status_code, response.json()["effects"][0]["role"]

    results = run_at_once(send, 2)
    assert sorted(results) == [(201, "linked"), (201, "opened")]
    assert InboundEvent.objects.count() == 2
    assert Finding.objects.count() == 1
