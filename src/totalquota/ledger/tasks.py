"""The daily reconcile of the ledger as a django-tasks task, run by ``manage.py db_worker``, the
worker that delivers the outbox.

Each run stores a :class:`~totalquota.ledger.models.ReconcileRun` (``trigger`` "scheduled") through
:func:`~totalquota.ledger.services.run_reconcile`, which tells the administrators when it fails,
then queues the next run for 02:30 the next night unless one is queued already. ``manage.py
ledger_reconcile --schedule`` queues the first one (the start command runs it once); where the
backend cannot defer tasks, a daily cron line runs it instead::

    30 2 * * * cd /srv/totalquota && .venv/bin/python manage.py ledger_reconcile --scheduled
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

RUN_AT = dt.time(2, 30)


def next_run(now: dt.datetime | None = None) -> dt.datetime:
    """02:30 local time of the day after ``now``."""
    local = timezone.localtime(now or timezone.now())
    return timezone.make_aware(dt.datetime.combine(local.date() + dt.timedelta(days=1), RUN_AT))


def is_queued() -> bool:
    """Whether a reconcile waits in the database backend's queue already."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=reconcile_daily.module_path, status="READY").exists()


def schedule(run_after: dt.datetime | None = None) -> bool:
    """Queue the next reconcile (at ``run_after``, by default tomorrow 02:30) unless one is queued;
    ``False`` when the backend cannot defer tasks (then use the cron line above)."""
    if not reconcile_daily.get_backend().supports_defer:
        return False
    if is_queued():
        return True
    reconcile_daily.using(run_after=run_after or next_run()).enqueue()
    return True


@task()
def reconcile_daily() -> int:
    """Tonight's reconcile; then the next run is queued. The id of the run stored."""
    from totalquota.ledger.services import run_reconcile

    try:
        return run_reconcile(by="scheduled").pk
    finally:
        schedule()
