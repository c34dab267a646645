"""Two identical events posted at once through the API, on PostgreSQL: the event's unique key lets one
through (201); the other waits for it and answers the stored event (200). One event, one recovery
case, one notification event."""

from __future__ import annotations

import pytest

from tests.inbound.conftest import approved_application, post
from tests.inbound.test_events import cancelled
from tests.thread_helpers import run_at_once
from totalquota.inbound.models import InboundEvent
from totalquota.outbox.models import OutboxEvent
from totalquota.reserve.models import RecoveryCase

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_two_identical_events_at_once_record_one_event_and_one_recovery_case(
    world, partners, p, stock, draft
):
    application = approved_application(world, p, stock, draft)
    body = cancelled(application)

    def send(n: int) -> tuple[int, int]:
        response = post("approval", body, partners.approval)
        return response.status_code, response.json()["id"]

    results = run_at_once(send, 2)
    assert sorted(code for code, _id in results) == [200, 201]
    assert len({pk for _code, pk in results}) == 1
    assert InboundEvent.objects.count() == 1
    assert RecoveryCase.objects.filter(line__application=application).count() == 1
    assert OutboxEvent.objects.filter(topic="inbound.event.review").count() == 1


def test_two_events_with_one_id_and_different_bodies_at_once_record_one_and_refuse_the_other(
    world, partners, p, stock, draft
):
    application = approved_application(world, p, stock, draft)
    bodies = [cancelled(application), cancelled(application, reason="另一理由")]

    def send(n: int) -> int:
        return post("approval", bodies[n], partners.approval).status_code

    assert sorted(run_at_once(send, 2)) == [201, 409]
    assert InboundEvent.objects.count() == 1 and RecoveryCase.objects.count() == 1
