"""The daily reminder run (TOT-2) as a django-tasks task, run by ``manage.py db_worker``, the
worker that delivers the outbox.

Each run sends the day's platform reminders (:func:`~totalquota.emissions.services.listing.reminders_daily`,
idempotent per unit and day) and queues the next run for 08:00 the next morning, unless a run is
queued already. ``manage.py emission_reminders --schedule`` queues the first one (the start command
runs it once); where the backend cannot defer tasks, a daily cron line runs the command instead::

    0 8 * * * cd /srv/totalquota && .venv/bin/python manage.py emission_reminders
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

RUN_AT = dt.time(8, 0)


def next_run(now: dt.datetime | None = None) -> dt.datetime:
    """08:00 local time of the day after ``now``."""
    local = timezone.localtime(now or timezone.now())
    return timezone.make_aware(dt.datetime.combine(local.date() + dt.timedelta(days=1), RUN_AT))


def is_queued() -> bool:
    """Whether a reminder run waits in the database backend's queue already."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=send_daily_reminders.module_path, status="READY").exists()


def schedule(run_after: dt.datetime | None = None) -> bool:
    """Queue the next reminder run (at ``run_after``, by default tomorrow 08:00) unless one is
    queued; ``False`` when the backend cannot defer tasks (then use the cron line above)."""
    if not send_daily_reminders.get_backend().supports_defer:
        return False
    if is_queued():
        return True
    send_daily_reminders.using(run_after=run_after or next_run()).enqueue()
    return True


@task()
def send_daily_reminders() -> int:
    """Today's platform reminders; then the next run is queued. The number created."""
    from totalquota.emissions.services.listing import reminders_daily

    try:
        return reminders_daily()
    finally:
        schedule()
