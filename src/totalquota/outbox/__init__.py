"""发件箱 (transactional outbox): side effects of a change, run after the change has committed.

A service calls :func:`emit` inside the transaction of the change (a workflow transition records
``reduction.approve`` with the project); the event and one delivery per matching handler are
inserted in that transaction, so they exist if and only if the change committed. After commit a
delivery pass is queued as a django-tasks task; ``manage.py db_worker`` (the worker) runs it.

Guarantees
----------
- **At least once.** Every delivery is handed to its handler until the handler returns without
  raising. A crash between the handler's work and the record of its success hands it on again,
  so **handlers must be idempotent** (key their effect on ``event.pk``). The handler runs inside
  the worker's transaction, in a savepoint: its database writes commit with its "done" or roll
  back with its failure, so a handler that only writes rows has them written once.
- **In order per object, per handler.** A handler gets the events of one object
  (``object_type``, ``object_id``) in id order: an event waits while this handler has not done an
  earlier event of that object (failed, dead, or being delivered). Events of other objects, and
  other handlers, go on. Emitters write an object's events under its row lock (the workflow
  kernel does), so id order is commit order. Events about no object are not ordered.
- **Retries.** A handler that raises is tried again after a backoff that doubles from
  ``OUTBOX_BACKOFF_SECONDS`` (30) up to ``OUTBOX_BACKOFF_MAX_SECONDS`` (3600); after
  ``OUTBOX_MAX_ATTEMPTS`` (10) tries the delivery is **dead**: kept with its last error, shown by
  ``manage.py outbox``, and put back by ``manage.py outbox --requeue-dead [--handler NAME]``.
- **Never twice at the same moment.** Two workers (or ``manage.py outbox --once`` beside one)
  never hand on the same delivery at once: on PostgreSQL the row is locked with SKIP LOCKED, on
  SQLite writers are serialised (BEGIN IMMEDIATE).

Adding a handler
----------------
Write a short function of the event, and register it from your app's ``ready()`` (import the
module holding it), so that every process knows it: the web process to create its deliveries,
the worker to call it::

    from totalquota.outbox import handler

    @handler("reduction.*")  # a topic, a prefix "reduction.*", or "*"
    def notify_enterprise(event):
        ...

Its name (default: the function's dotted path) is stored on its deliveries: keep it stable. A
handler gets only events emitted after it was registered. Slow work (mail, calls to other
systems) belongs in a task of its own, queued by the handler: on SQLite the handler runs while
the worker holds the database's write lock.
"""

from totalquota.outbox.delivery import deliver_pending, emit, requeue_dead
from totalquota.outbox.registry import handler, register, unregister

__all__ = ["deliver_pending", "emit", "handler", "register", "requeue_dead", "unregister"]
