"""Reading jobs: which a person sees (their own; the bureau every one), and what a page shows."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from totalquota.accounts.permissions import Principal, access, may, principal_of, restrict
from totalquota.jobs.models import OPEN_STATUSES, Job


def jobs_seen_by(who: Principal | Any) -> QuerySet[Job]:
    """The jobs ``who`` may see before scope: their own, or every one for the bureau
    (``jobs.view_all``); pages and the API then :func:`restrict` it like any other list."""
    principal = principal_of(who)
    qs = Job.objects.select_related("owner")
    if not may(principal, "jobs.view_all"):
        qs = qs.filter(owner_id=principal.user_id)
    return qs


def visible_jobs(who: Principal | Any) -> QuerySet[Job]:
    return restrict(who, jobs_seen_by(who), "jobs.view")


def job_for(who: Principal | Any, pk: Any, action: str = "jobs.view") -> Job:
    """Job ``pk`` if ``who`` sees it, else 404 (another person's job is not revealed)."""
    return access(who, jobs_seen_by(who), pk, action)


def open_jobs(who: Principal | Any) -> QuerySet[Job]:
    """``who``'s own jobs still queued or running (for the home page)."""
    principal = principal_of(who)
    return visible_jobs(principal).filter(owner_id=principal.user_id, status__in=OPEN_STATUSES)
