"""Jobs under real concurrency (PostgreSQL): two workers given one job run it once; two people
running a stopped job again at the same moment queue it once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.jobs.conftest import start
from tests.thread_helpers import run_at_once
from totalquota.audit.models import AuditEvent
from totalquota.common.models import DocumentCounter
from totalquota.jobs import runner
from totalquota.jobs.models import Job, JobStatus

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_two_workers_given_the_same_job_run_it_once(world):
    job = start(world.company_user)
    outcomes = run_at_once(lambda n: runner.run(job.pk), 4)
    assert sorted(outcomes) == ["done", "skipped", "skipped", "skipped"]
    assert DocumentCounter.objects.filter(kind__startswith="C").count() == 10
    assert Job.objects.get(pk=job.pk).attempt == 1


def test_two_people_running_a_stopped_job_again_at_once_queue_it_once(world):
    job = start(world.company_user)
    runner.claim(job.pk)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))

    def rerun(n: int) -> int:
        client = Client()
        client.force_login(world.company_user if n % 2 else world.admin)
        response = client.post(reverse("jobs:rerun", args=[job.pk]), follow=True)
        return "已重新排队" in response.content.decode()

    assert sorted(run_at_once(rerun, 4)) == [False, False, False, True]
    assert AuditEvent.objects.filter(action="jobs.rerun").count() == 1
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED
    assert runner.run(job.pk) == "done"
