"""What a kind adds to its jobs: a quick look at the upload before any job exists, and links from
the result to the records it wrote; and the bar while the write runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.jobs.conftest import HEADERS, rows, upload
from tests.xlsx_helpers import BILLION_LAUGHS, hostile_xlsx
from totalquota.common.xlsx import DTD_REFUSED
from totalquota.jobs import kinds, runner, services
from totalquota.jobs.models import Job, JobStatus
from totalquota.jobs.runner import JobContext
from totalquota.lib.errors import ValidationFailed

KIND = "tests.linked"


def run_linked(ctx: JobContext) -> dict[str, Any]:
    count = sum(1 for _row in ctx.rows(headers=HEADERS))
    seen = []

    def write() -> dict[str, Any]:
        seen.append(Job.objects.get(pk=ctx.job.pk).progress_done)  # the bar while the write runs
        return {
            "summary": f"{count} rows",
            "seen": seen,
            "links": [
                {"label": "The records", "url": "/registry/zones/"},
                {"label": "Elsewhere", "url": "https://example.com/"},
                {"label": "Protocol-relative", "url": "//example.com/x"},
                "not a link",
            ],
        }

    return ctx.commit(write)


def refuse_small(upload: Any) -> None:
    if upload.size < 10_000:
        raise ValidationFailed("文件太小")


@pytest.fixture
def linked() -> Iterator[None]:
    kinds.register(
        KIND,
        "Linked",
        run=run_linked,
        permission="registry.view",
        accepts=("xlsx",),
        check_input=refuse_small,
    )
    yield
    kinds.unregister(KIND)


@pytest.mark.django_db
def test_the_kinds_check_refuses_an_upload_before_any_job_exists(world, linked):
    with pytest.raises(ValidationFailed, match="文件太小"):
        services.job_start(actor=world.company_user.principal, kind=KIND, upload=upload(rows(3)))
    assert not Job.objects.exists()


def test_a_check_of_the_input_needs_an_input():
    with pytest.raises(ValueError, match="check_input"):
        kinds.register(
            "tests.nofile", "No file", run=run_linked, permission="registry.view", check_input=print
        )
    assert kinds.get("tests.nofile") is None


@pytest.mark.django_db
def test_the_result_links_to_pages_of_this_site_only_and_the_bar_stays_while_writing(world, linked):
    job = services.job_start(actor=world.company_user.principal, kind=KIND, upload=upload(rows(400)))
    assert runner.run(job.pk) == "done"
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.result["seen"] == [400]
    assert job.links == [{"label": "The records", "url": "/registry/zones/"}]
    client = Client()
    client.force_login(world.company_user)
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert 'href="/registry/zones/"' in page and "example.com" not in page
    api = client.get(f"/api/v1/jobs/{job.pk}").json()
    assert api["links"] == [{"label": "The records", "url": "/registry/zones/"}]
    assert api["result"]["summary"] == "400 rows"


@pytest.mark.django_db
def test_a_stored_input_that_changed_since_its_upload_is_checked_again_before_it_is_read(world, linked):
    job = services.job_start(actor=world.company_user.principal, kind=KIND, upload=upload(rows(400)))
    hostile = hostile_xlsx(HEADERS, rows(400), BILLION_LAUGHS, "&lol9;")
    with open(job.input_file.path, "wb") as stored:  # the bytes under the digest are no longer those checked
        stored.write(hostile)
    assert runner.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.message == DTD_REFUSED
