"""The workflow kernel itself (workflow.kernel.perform and its page and API edges), on reduction
projects: a small action table defined here, and the project workflow's own table.

Every refusal comes before anything is written; a successful action writes its transition row, the
object's new status, its audit event and its outbox event together; an action whose service refuses
leaves no trace at all, whether it is run directly, from the page or through the API.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.reductions.conftest import ready_project
from totalquota.audit.models import AuditEvent
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from totalquota.outbox.models import OutboxEvent
from totalquota.reductions.models import ProjectStatus, ProjectTransition, ReductionProject
from totalquota.reductions.workflow import PROJECT_ACTIONS
from totalquota.workflow.kernel import Action, ActionTable, Step, perform, sources

pytestmark = pytest.mark.django_db

S = ProjectStatus


def hold(step: Step[ReductionProject]) -> None:
    """The test action's work: refuses when asked to (``params["refuse"]``), else notes a figure."""
    if step.params.get("refuse"):
        step.obj.name = "改名不应保存"
        step.obj.save()
        raise RuleViolation("服务拒绝", clause="RED-4")
    step.audit = {"note": "held"}


TABLE: ActionTable[ReductionProject] = ActionTable(
    model=ReductionProject,
    transition_model=ProjectTransition,
    transition_fk="project",
    audit_prefix="test.",
    topic="test",
    label="项目",
    preparers=lambda project: project.preparers.values_list("pk", flat=True),
    four_eyes_message="四眼原则：编制人不能暂停",
    actions=(
        Action(
            name="hold",
            label="暂停",
            permission="reductions.review",
            sources=sources(S.SUBMITTED),
            to=S.RETURNED,
            service=hold,
            reason="暂停须说明理由",
            four_eyes=True,
            clause="RED-4",
        ),
    ),
)


def counts() -> tuple[int, int, int]:
    return ProjectTransition.objects.count(), AuditEvent.objects.count(), OutboxEvent.objects.count()


@pytest.fixture
def submitted(world):
    project = ready_project(world, timezone.localdate())
    perform(PROJECT_ACTIONS, "submit", principal=world.officer.principal, obj=project)
    project.refresh_from_db()
    assert project.status == S.SUBMITTED
    return project


def test_a_role_without_the_permission_is_refused_before_anything_is_read(world, submitted):
    before = counts()
    with pytest.raises(PermissionDenied):
        perform(TABLE, "hold", principal=world.officer.principal, obj=submitted, reason="x")
    # The project table names its refusal: a DomainError the page shows and the API answers 403.
    with pytest.raises(Forbidden) as caught:
        perform(PROJECT_ACTIONS, "approve", principal=world.officer.principal, obj=submitted)
    assert caught.value.status == 403
    assert counts() == before


def test_an_action_from_a_state_it_does_not_start_from_is_a_conflict(world):
    draft = ready_project(world, timezone.localdate())
    before = counts()
    with pytest.raises(Conflict, match="当前状态为“草稿”，不能暂停") as caught:
        perform(TABLE, "hold", principal=world.reviewer.principal, obj=draft, reason="x")
    assert caught.value.status == 409
    assert counts() == before


def test_a_required_reason_is_asked_for(world, submitted):
    before = counts()
    with pytest.raises(ValidationFailed, match="暂停须说明理由") as caught:
        perform(TABLE, "hold", principal=world.reviewer.principal, obj=submitted, reason="  ")
    assert caught.value.status == 422 and caught.value.field == "reason"
    assert counts() == before


def test_four_eyes_refuses_whoever_prepared_the_object(world, submitted):
    submitted.preparers.add(world.reviewer)
    before = counts()
    with pytest.raises(Forbidden, match="四眼原则") as caught:
        perform(TABLE, "hold", principal=world.reviewer.principal, obj=submitted, reason="x")
    assert caught.value.status == 403 and caught.value.clause == "RED-4"
    assert counts() == before
    assert TABLE.available(world.reviewer.principal, submitted) == {"hold": False}
    assert TABLE.available(world.reviewer2.principal, submitted) == {"hold": True}


def test_an_action_writes_its_transition_status_audit_and_outbox_event_together(world, submitted):
    transitions, audits, events = counts()
    perform(TABLE, "hold", principal=world.reviewer.principal, obj=submitted, reason=" 请核对 ")
    assert counts() == (transitions + 1, audits + 1, events + 1)
    submitted.refresh_from_db()
    assert submitted.status == S.RETURNED
    row = ProjectTransition.objects.latest("pk")
    assert (row.project_id, row.from_status, row.to_status, row.action, row.reason) == (
        submitted.pk,
        S.SUBMITTED,
        S.RETURNED,
        "hold",
        "请核对",
    )
    assert row.actor == world.reviewer and row.role == world.reviewer.principal.role
    audit = AuditEvent.objects.latest("pk")
    assert audit.action == "test.hold" and audit.object_id == str(submitted.pk)
    assert audit.before == {"status": S.SUBMITTED}
    assert audit.after == {"status": S.RETURNED, "note": "held"}
    event = OutboxEvent.objects.latest("pk")
    assert event.topic == "test.hold" and event.object_id == str(submitted.pk)
    assert event.payload["transition_id"] == row.pk
    assert (event.payload["from"], event.payload["to"], event.payload["reason"]) == (
        S.SUBMITTED,
        S.RETURNED,
        "请核对",
    )


def test_nothing_is_written_when_the_service_refuses(world, submitted):
    before = counts()
    with pytest.raises(RuleViolation, match="服务拒绝"):
        perform(TABLE, "hold", principal=world.reviewer.principal, obj=submitted, reason="x", refuse=True)
    assert counts() == before
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED and submitted.name != "改名不应保存"


def test_the_project_table_writes_through_the_kernel(world, submitted):
    transitions, audits, events = counts()
    perform(PROJECT_ACTIONS, "approve", principal=world.reviewer2.principal, obj=submitted, reason="核算无误")
    assert counts() == (transitions + 1, audits + 1, events + 1)
    assert AuditEvent.objects.latest("pk").action == "reduction.approve"
    assert OutboxEvent.objects.latest("pk").topic == "reduction.approve"
    assert ProjectTransition.objects.latest("pk").rules[0]["key"] == "reduction_required_evidence"


# --- the page and the API ----------------------------------------------------------------------
def unready(world):
    """A draft without its evidence: submitting it is refused by the action's service."""
    return ready_project(world, timezone.localdate(), evidence=False)


def test_a_page_post_runs_the_action_or_writes_nothing(world):
    client = Client()
    client.force_login(world.officer)
    project = unready(world)
    before = counts()
    response = client.post(reverse("reductions:project_submit", args=[project.pk]), {"note": "申报"})
    assert response.status_code == 302
    assert counts() == before
    project.refresh_from_db()
    assert project.status == S.DRAFT
    ready = ready_project(world, timezone.localdate(), name="齐备项目")
    transitions, audits, events = counts()
    response = client.post(reverse("reductions:project_submit", args=[ready.pk]), {"note": "季度申报"})
    assert response.status_code == 302
    assert counts() == (transitions + 1, audits + 1, events + 1)
    assert ProjectTransition.objects.latest("pk").reason == "季度申报"


def test_an_api_post_runs_the_action_or_writes_nothing(world):
    client = Client()
    client.force_login(world.officer)
    project = unready(world)
    url = f"/api/v1/reductions/projects/{project.pk}/submit"
    before = counts()
    response = client.post(url, {"note": "申报"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["clause"] == "RED-3"
    assert counts() == before
    response = client.post(
        f"/api/v1/reductions/projects/{project.pk}/send-back", {"reason": ""}, content_type="application/json"
    )
    assert response.status_code == 409
    assert counts() == before
    ready = ready_project(world, timezone.localdate(), name="齐备项目")
    transitions, audits, events = counts()
    response = client.post(
        f"/api/v1/reductions/projects/{ready.pk}/submit",
        {"note": "季度申报"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == S.SUBMITTED
    assert counts() == (transitions + 1, audits + 1, events + 1)


def test_the_buttons_shown_are_the_ones_the_kernel_would_run(world):
    project = ready_project(world, timezone.localdate())
    mine = PROJECT_ACTIONS.available(world.officer.principal, project)
    other_zone = PROJECT_ACTIONS.available(world.other_officer.principal, project)
    assert mine["submit"] is True
    assert other_zone["submit"] is False  # the table's guard keeps the officer to their zone
    with pytest.raises(Forbidden):
        perform(PROJECT_ACTIONS, "submit", principal=world.other_officer.principal, obj=project)


def test_the_kernel_takes_a_principal_not_a_bare_user(world, submitted):
    with pytest.raises(TypeError):
        perform(PROJECT_ACTIONS, "return", principal=world.reviewer, obj=submitted, reason="补充材料")
    assert submitted.transitions.count() == 2  # create and submit only
