"""What the kernel writes at its edges: every status change reaches the outbox, a status refusal
names only the workflow's own clause, and an API reason is as long as a page's."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from tests.reductions.conftest import ready_project
from totalquota.outbox.models import OutboxEvent
from totalquota.reductions import services
from totalquota.reductions.models import ProjectStatus

pytestmark = pytest.mark.django_db


def topics(project) -> list[str]:
    return list(
        OutboxEvent.objects.filter(object_id=str(project.pk), object_type="reductions.reductionproject")
        .order_by("pk")
        .values_list("topic", flat=True)
    )


def test_a_project_created_and_submitted_tells_the_outbox_each_change(world):
    project = ready_project(world, timezone.localdate())
    assert topics(project) == ["reduction.create"]
    services.project_submit(actor=world.officer.principal, project=project)
    assert topics(project) == ["reduction.create", "reduction.submit"]
    event = OutboxEvent.objects.filter(topic="reduction.submit").get()
    assert event.payload["from"] == ProjectStatus.DRAFT and event.payload["to"] == ProjectStatus.SUBMITTED
    assert event.payload["transition_id"] == project.transitions.latest("pk").pk


def test_deciding_a_decided_project_is_a_conflict_without_a_clause(world):
    project = ready_project(world, timezone.localdate())
    services.project_submit(actor=world.officer.principal, project=project)
    services.project_reject(actor=world.reviewer.principal, project=project, reason="减排量核算依据不足")
    client = Client()
    client.force_login(world.reviewer)
    response = client.post(
        f"/api/v1/reductions/projects/{project.pk}/approve", {}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json().get("clause") is None
    assert "依据" not in response.json()["detail"]


def test_an_api_reason_may_be_as_long_as_on_the_page(world):
    project = ready_project(world, timezone.localdate())
    services.project_submit(actor=world.officer.principal, project=project)
    client = Client()
    client.force_login(world.reviewer)
    reason = "请补充验收监测报告。" * 300
    response = client.post(
        f"/api/v1/reductions/projects/{project.pk}/return",
        {"reason": reason},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert project.transitions.latest("pk").reason == reason
