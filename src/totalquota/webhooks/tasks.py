"""The webhooks' background task, run by ``manage.py db_worker`` (django-tasks' database backend)."""

from __future__ import annotations

from django_tasks import task

from totalquota.webhooks.delivery import deliver_due


@task()
def deliver_webhooks() -> int:
    """One pass over the due webhook deliveries (:func:`~totalquota.webhooks.delivery.deliver_due`).
    Queued after every commit that wrote deliveries, after each success, and for each retry's time;
    the number received."""
    return deliver_due()
