"""The outbox's background task, run by ``manage.py db_worker`` (django-tasks' database backend)."""

from __future__ import annotations

from django_tasks import task

from totalquota.outbox.delivery import deliver_pending


@task()
def deliver_outbox() -> int:
    """One delivery pass (:func:`~totalquota.outbox.deliver_pending`). Queued after every commit
    that emitted events, and for the time of every retry; the number delivered."""
    return deliver_pending()
