"""Two people deciding the same object at the same moment, through the API on real PostgreSQL.

The kernel locks the object's row first, so the second decision waits, then sees the first one's
status and is refused with a 409 problem document; exactly one decision is written (transition,
audit event, outbox event). The same race on a quota application is in tests/reserve/test_decision_race.py.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from tests.reductions.conftest import ready_project
from tests.thread_helpers import run_at_once
from totalquota.audit.models import AuditEvent
from totalquota.outbox.models import OutboxEvent
from totalquota.reductions import services as reductions

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
TIMEOUT = 60


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_an_approval_and_a_rejection_of_one_project_at_once_make_one_decision(world):
    project = ready_project(world, timezone.localdate())
    reductions.project_submit(actor=world.officer.principal, project=project)
    clients = [signed_in(world.reviewer), signed_in(world.reviewer2)]
    bodies = [("approve", {}), ("reject", {"reason": "减排量核算依据不足"})]

    def decide(n: int) -> int:
        verb, body = bodies[n]
        url = f"/api/v1/reductions/projects/{project.pk}/{verb}"
        return clients[n].post(url, body, content_type="application/json").status_code

    assert sorted(run_at_once(decide, 2, timeout=TIMEOUT)) == [200, 409]
    decided = project.transitions.filter(action__in=["approve", "reject"])
    assert decided.count() == 1
    verb = decided.get().action
    assert AuditEvent.objects.filter(action__in=["reduction.approve", "reduction.reject"]).count() == 1
    assert list(
        OutboxEvent.objects.filter(topic__in=["reduction.approve", "reduction.reject"]).values_list(
            "topic", flat=True
        )
    ) == [f"reduction.{verb}"]
