"""The jobs' background task, run by ``manage.py db_worker`` (django-tasks' database backend)."""

from __future__ import annotations

from django_tasks import task

from totalquota.jobs.runner import run


@task()
def run_job(job_id: int) -> str:
    """Run job ``job_id`` (:func:`~totalquota.jobs.runner.run`); queued after the commit that
    queued the job, and again by a run again. A task for a job no longer queued does nothing."""
    return run(job_id)
