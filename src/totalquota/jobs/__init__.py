"""后台任务 (background jobs): slow work run by the worker, with a progress bar to come back to.

A kind of job is registered by the app that owns the work (:mod:`totalquota.jobs.kinds`); a person
or a system starts one with :func:`totalquota.jobs.services.job_start`, which keeps the uploaded
file and queues a django-tasks task once the transaction commits; ``manage.py db_worker`` runs it
(:mod:`totalquota.jobs.runner`). The kind reads its input as a stream
(:meth:`~totalquota.jobs.runner.JobContext.rows`), reports progress, checks every row first and
writes in one transaction (:meth:`~totalquota.jobs.runner.JobContext.commit`): a refused file
leaves nothing written and its row errors on the job's page (``/jobs/<id>/``), which shows the
progress while the job runs (HTMX polling a fragment) and is listed under ``/jobs/``; the API has
``GET /api/v1/jobs/{id}``.

Guarantees
----------
- **One run at a time.** The worker claims a queued job with one conditional UPDATE; a second
  task queued for the same job finds it taken and does nothing.
- **A stopped worker is not fatal.** Every progress write refreshes the job's heartbeat; a job
  queued or running longer than ``JOBS_LEASE_SECONDS`` (300) without one may be run again
  (:func:`~totalquota.jobs.services.job_rerun`, the button on its page). The run that lost its
  lease fails its next progress write (``Superseded``) and can no longer commit.
- **Written once.** The kind's writes and the job's "done" commit in one transaction.
"""
