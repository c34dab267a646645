"""A real workflow step reaches a subscriber end to end: the kernel's event, the outbox, the
webhooks' handler, the worker and the receiver."""

from __future__ import annotations

from tests.reductions.conftest import ready_project
from totalquota.outbox import deliver_pending
from totalquota.reductions import services as reductions
from totalquota.webhooks import services
from totalquota.webhooks.delivery import deliver_due

TOPICS = ["reduction.create", "reduction.submit", "reduction.approve"]


def test_a_reduction_decision_reaches_the_subscriber_of_reduction_events(world, today, receiver):
    _s, receiver.secret = services.subscription_create(
        actor=world.admin.principal, name="项目审批系统", url=receiver.url, topic_patterns=["reduction.*"]
    )
    _o, _other_secret = services.subscription_create(
        actor=world.admin.principal,
        name="执法系统",
        url=receiver.url + "/other",
        topic_patterns=["enforcement.*"],
    )
    project = ready_project(world, today)
    reductions.project_submit(actor=world.officer.principal, project=project)
    reductions.project_approve(actor=world.reviewer.principal, project=project)
    deliver_pending()

    deliver_due()

    got = [(r.path, r.document["topic"], r.document["sequence"]) for r in receiver.got]
    assert got == [("/hooks", topic, n) for n, topic in enumerate(TOPICS, start=1)], got
    approve = receiver.got[-1]
    assert approve.verified
    project.refresh_from_db()
    assert approve.document["object"] == {"type": "reductions.reductionproject", "id": str(project.pk)}
    assert approve.document["data"]["label"] == project.code
    assert approve.document["data"]["enterprise_id"] == world.company.pk
