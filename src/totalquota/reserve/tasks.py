"""The daily warning check (RES-3) as a django-tasks task, run by ``manage.py db_worker``, the
worker that delivers the outbox.

Each run stores today's warning levels and announces the rises
(:func:`~totalquota.reserve.services.warnings.warnings_check`, idempotent per day), then queues the
next run for 07:30 the next morning unless one is queued already. ``manage.py reserve_warnings
--schedule`` queues the first one (the start command runs it once); where the backend cannot
defer tasks, a daily cron line runs the check instead::

    30 7 * * * cd /srv/totalquota && .venv/bin/python manage.py reserve_warnings --check
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

RUN_AT = dt.time(7, 30)


def next_run(now: dt.datetime | None = None) -> dt.datetime:
    """07:30 local time of the day after ``now``."""
    local = timezone.localtime(now or timezone.now())
    return timezone.make_aware(dt.datetime.combine(local.date() + dt.timedelta(days=1), RUN_AT))


def is_queued() -> bool:
    """Whether a check waits in the database backend's queue already."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=check_daily.module_path, status="READY").exists()


def schedule(run_after: dt.datetime | None = None) -> bool:
    """Queue the next check (at ``run_after``, by default tomorrow 07:30) unless one is queued;
    ``False`` when the backend cannot defer tasks (then use the cron line above)."""
    if not check_daily.get_backend().supports_defer:
        return False
    if is_queued():
        return True
    check_daily.using(run_after=run_after or next_run()).enqueue()
    return True


@task()
def check_daily() -> int:
    """Today's warning check; then the next run is queued. The number of rises announced."""
    from totalquota.reserve.services.warnings import warnings_check

    try:
        return len(warnings_check())
    finally:
        schedule()
