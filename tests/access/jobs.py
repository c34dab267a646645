"""Access table: background jobs (后台任务). The walk's job is the company's: its owner and the
bureau see it; everyone else gets 404, whatever their scope (a job is its owner's)."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile

from totalquota.accounts.roles import Role as R

from . import ApiRoute, Page, allow

PEOPLE = [r for r in R if r != R.SYSTEM]
ALL_PEOPLE = allow(*PEOPLE, roles_list=PEOPLE)
OWNER_AND_BUREAU = allow(R.ENTERPRISE, R.REVIEWER, R.ADMIN, roles_list=PEOPLE, others=404)


def job(w: Any):
    """A finished job of the company's staff, with an input and a result file."""
    if hasattr(w, "job"):
        return w.job
    from django.utils import timezone

    from totalquota.jobs.models import Job, JobStatus

    w.job = Job.objects.create(
        kind="tests.walk",
        owner=w.company_user,
        zone=w.zone_a,
        enterprise=w.company,
        status=JobStatus.DONE,
        progress_done=2,
        progress_total=2,
        result={"summary": "2 rows", "counts": {"rows": 2}},
        input_name="walk.csv",
        input_sha256="ab" * 32,
        input_content_type="text/csv",
        result_name="walk.xlsx",
        finished_at=timezone.now(),
    )
    w.job.input_file.save("walk.csv", ContentFile(b"a,b\n1,2\n"), save=False)
    w.job.result_file.save("walk.xlsx", ContentFile(b"PK"), save=False)
    w.job.save()
    return w.job


def pk(w: Any) -> dict[str, Any]:
    return {"pk": job(w).pk}


PAGES = {
    "jobs:list": Page(ALL_PEOPLE),
    "jobs:detail": Page(OWNER_AND_BUREAU, kwargs=pk),
    "jobs:progress": Page(OWNER_AND_BUREAU, kwargs=pk),
    "jobs:input": Page(OWNER_AND_BUREAU, kwargs=pk),
    "jobs:result": Page(OWNER_AND_BUREAU, kwargs=pk),
    # A finished job is not run again: past authorisation, the refusal is a redirect with a message.
    # A leader changes nothing: refused (403) before the job is looked for.
    "jobs:rerun": Page(
        allow(R.ENTERPRISE, R.REVIEWER, R.ADMIN, roles_list=PEOPLE, others=404, overrides={R.LEADER: 403}),
        kwargs=pk,
        method="post",
    ),
}

API_ROUTES = {
    ("get", "/api/v1/jobs/{job_id}"): ApiRoute(
        allow(R.ENTERPRISE, R.REVIEWER, R.ADMIN, others=404), params=lambda w: {"job_id": job(w).pk}
    ),
    # A finished job is not run again (409); a leader changes nothing (403).
    ("post", "/api/v1/jobs/{job_id}/rerun"): ApiRoute(
        allow(others=404, overrides={R.ENTERPRISE: 409, R.REVIEWER: 409, R.ADMIN: 409, R.LEADER: 403}),
        params=lambda w: {"job_id": job(w).pk},
    ),
}
