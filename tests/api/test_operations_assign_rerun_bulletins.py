"""Page actions that had no API route: assigning who decides an open item, running a stopped job
again, re-issuing, revoking and publishing a bulletin. Same rules and refusals as their pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.access.reports_bulletins import bulletin
from tests.api.test_operations_intake import run  # noqa: F401  (the fixture)
from tests.api_helpers import api
from totalquota.audit.models import AuditEvent
from totalquota.jobs.models import Job, JobStatus
from totalquota.reports.models import Bulletin
from totalquota.workflow.models import Assignment

pytestmark = pytest.mark.django_db


def test_an_administrator_names_who_confirms_an_intake_and_clears_it(client, world, run):  # noqa: F811
    url = f"/api/v1/workflow/reserve.intakerun/{run['id']}/assignment"
    # The administrator prepared the run: four eyes, they cannot be its decider; nor can an officer.
    for who in (world.admin, world.officer):
        refused = api(client, world.admin, "post", url, {"assignee_id": who.pk})
        assert refused.status_code == 422, refused.json()
    assert api(client, world.admin, "post", url, {"assignee_id": 999_999}).status_code == 422
    assert api(client, world.reviewer, "post", url, {"assignee_id": world.reviewer2.pk}).status_code == 403
    assert (
        api(
            client, world.admin, "post", "/api/v1/workflow/auth.user/1/assignment", {"assignee_id": 1}
        ).status_code
        == 404
    )
    assert not Assignment.objects.exists()
    made = api(client, world.admin, "post", url, {"assignee_id": world.reviewer2.pk, "reason": "甲休假"})
    assert made.status_code == 200, made.json()
    assert made.json() | {"at": None} == made.json() | {
        "kind": "reserve.intakerun",
        "object_id": run["id"],
        "assignee_id": world.reviewer2.pk,
        "reason": "甲休假",
        "at": None,
    }
    mine = api(client, world.reviewer2, "get", "/api/v1/workflow/assigned").json()
    assert [(a["kind"], a["object_id"]) for a in mine] == [("reserve.intakerun", run["id"])]
    assert api(client, world.reviewer, "get", "/api/v1/workflow/assigned").json() == []
    # While assigned, the other reviewer may not confirm it.
    other = api(client, world.reviewer, "post", f"/api/v1/reserve/intake-runs/{run['id']}/confirm")
    assert other.status_code == 403, other.json()
    assert api(client, world.admin, "delete", url).status_code == 204
    assert api(client, world.admin, "delete", url).status_code == 409
    assert list(
        AuditEvent.objects.filter(action__startswith="workflow.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["workflow.assign", "workflow.unassign"]


@pytest.fixture
def job(world):
    return Job.objects.create(
        kind="tests.walk", owner=world.company_user, zone=world.zone_a, enterprise=world.company
    )


def test_a_stopped_job_is_run_again_and_a_live_or_finished_one_is_not(client, world, job, settings):
    url = f"/api/v1/jobs/{job.pk}/rerun"
    assert api(client, world.company_user, "post", url).status_code == 409  # queued just now: alive
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=timezone.now() - dt.timedelta(days=1), heartbeat_at=None
    )
    assert api(client, world.other_company_user, "post", url).status_code == 404
    assert api(client, world.leader, "post", url).status_code == 403
    again = api(client, world.company_user, "post", url)
    assert again.status_code == 200 and again.json()["status"] == "queued"
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and AuditEvent.objects.filter(action="jobs.rerun").count() == 1
    Job.objects.filter(pk=job.pk).update(status=JobStatus.DONE, finished_at=timezone.now())
    assert api(client, world.company_user, "post", url).status_code == 409


def test_a_bulletin_is_published_once_then_revoked_with_a_reason(client, world):
    doc = bulletin(world)
    publish = f"/api/v1/documents/{doc.pk}/publish"
    assert api(client, world.leader, "post", publish).status_code == 403
    published = api(client, world.admin, "post", publish)
    assert published.status_code == 200 and published.json()["published_at"]
    assert api(client, world.admin, "post", publish).status_code == 409
    revoke = f"/api/v1/supervision/bulletins/{doc.pk}/revoke"
    assert api(client, world.reviewer, "post", revoke, {"reason": ""}).status_code == 422
    assert api(client, world.officer, "post", revoke, {"reason": "数据有误"}).status_code == 403
    assert Bulletin.objects.get(pk=doc.pk).state == "valid"
    revoked = api(client, world.reviewer, "post", revoke, {"reason": "数据有误"})
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert Bulletin.objects.get(pk=doc.pk).revoked_reason == "数据有误"
    assert api(client, world.reviewer, "post", revoke, {"reason": "再撤"}).status_code == 409


def test_a_bulletin_is_reissued_as_a_job(client, world):
    doc = bulletin(world)
    started = api(client, world.reviewer, "post", f"/api/v1/supervision/bulletins/{doc.pk}/reissue")
    assert started.status_code == 202, started.json()
    job = Job.objects.get(pk=started.json()["job_id"])
    assert job.owner == world.reviewer and started.json()["url"] == f"/api/v1/jobs/{job.pk}"
    assert (
        api(client, world.leader, "post", f"/api/v1/supervision/bulletins/{doc.pk}/reissue").status_code
        == 403
    )
