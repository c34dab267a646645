"""Writing outbox events and handing them on to their handlers (see :mod:`totalquota.outbox`).

Model imports are inside the functions: this module is imported by the package itself, which
Django imports before the models are ready.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from totalquota.accounts.permissions import Principal
from totalquota.outbox import registry

if TYPE_CHECKING:
    from totalquota.accounts.models import User
    from totalquota.outbox.models import OutboxDelivery, OutboxEvent

log = logging.getLogger(__name__)

# Defaults of the settings OUTBOX_MAX_ATTEMPTS, OUTBOX_BACKOFF_SECONDS, OUTBOX_BACKOFF_MAX_SECONDS:
# tries 30 s, 1, 2, 4 … minutes apart, at most an hour; dead after the tenth (about 3 hours).
MAX_ATTEMPTS = 10
BACKOFF_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
ERROR_CHARS = 8000  # the end of the traceback kept in last_error


def max_attempts() -> int:
    """Tries of one delivery before it is dead."""
    return int(getattr(settings, "OUTBOX_MAX_ATTEMPTS", MAX_ATTEMPTS))


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed try: doubling each time, capped."""
    base = float(getattr(settings, "OUTBOX_BACKOFF_SECONDS", BACKOFF_SECONDS))
    cap = float(getattr(settings, "OUTBOX_BACKOFF_MAX_SECONDS", BACKOFF_MAX_SECONDS))
    return dt.timedelta(seconds=min(cap, base * 2 ** (attempts - 1)))


def emit(
    topic: str,
    *,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    payload: dict[str, Any] | None = None,
    actor: User | Principal | None = None,
) -> OutboxEvent:
    """Record that ``topic`` happened (to ``obj``, or the object named by ``object_type`` and
    ``object_id``), in the caller's transaction, with a delivery for every matching handler.

    The event commits or rolls back with the change it describes; once committed, a delivery pass
    is queued as a task, so a running worker hands it on at once. ``payload`` must be
    JSON-serialisable (dates and decimals become strings: give amounts as integer grams).
    Refuses to run outside a transaction.
    """
    from totalquota.audit.services import to_json
    from totalquota.outbox.models import OutboxDelivery, OutboxEvent

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox.emit must run inside the transaction of the change it records")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    if not topic or "*" in topic or len(topic) > 100 or len(object_type) > 64 or len(str(object_id)) > 64:
        raise ValueError(
            f"outbox event {topic!r} on {object_type}:{object_id}: bad topic, or object too long"
        )
    event = OutboxEvent.objects.create(
        topic=topic,
        object_type=object_type,
        object_id=str(object_id),
        payload=to_json(payload or {}),  # refused here, before the insert, if not JSON-serialisable
        actor=actor.user if isinstance(actor, Principal) else actor,
    )
    # Only inserts: emitting locks no row, so it adds nothing to the caller's lock order.
    key = f"{event.object_type}:{event.object_id}" if event.object_type or event.object_id else ""
    deliveries = [
        OutboxDelivery(event=event, handler=h.name, object_key=key, next_attempt_at=event.created_at)
        for h in registry.handlers_for(topic)
    ]
    if deliveries:
        OutboxDelivery.objects.bulk_create(deliveries)
        # robust: the change has committed; if queueing fails, the next pass delivers the event.
        transaction.on_commit(schedule, robust=True)
    return event


def schedule(run_after: dt.datetime | None = None) -> None:
    """Queue a delivery pass as a task: now, or at ``run_after`` if the backend can defer tasks
    (otherwise the next pass, queued by the next emit or run by ``outbox --once``, takes it)."""
    from totalquota.outbox.tasks import deliver_outbox

    task = deliver_outbox
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return
        task = task.using(run_after=run_after)
    task.enqueue()


def _due(handlers: dict[str, registry.Handler]) -> models.QuerySet[OutboxDelivery]:
    """Deliveries to try now, first events first: pending or failed and due, of a registered
    handler, and not behind an earlier event of the same object that this handler has not done."""
    from totalquota.outbox.models import DeliveryState, OutboxDelivery

    earlier_not_done = OutboxDelivery.objects.filter(
        handler=OuterRef("handler"), object_key=OuterRef("object_key"), event_id__lt=OuterRef("event_id")
    ).exclude(state=DeliveryState.DONE)
    return (
        OutboxDelivery.objects.filter(
            state__in=[DeliveryState.PENDING, DeliveryState.FAILED],
            next_attempt_at__lte=timezone.now(),
            handler__in=list(handlers),
        )
        .filter(Q(object_key="") | ~Exists(earlier_not_done))
        .order_by("event_id", "id")
    )


def _deliver_next(handlers: dict[str, registry.Handler]) -> bool | None:
    """Try the first due delivery in a transaction of its own: whether its handler succeeded, or
    ``None`` when nothing is due."""
    from totalquota.outbox.models import DeliveryState

    with transaction.atomic():
        # Lock: the delivery row (FOR UPDATE SKIP LOCKED), so that two workers never hand the same
        # delivery on at the same moment: the second skips it and takes the next due one. Delivery
        # rows are locked only here and in requeue_dead (dead rows), never in a workflow transaction
        # (emit only inserts them), so this lock comes before the whole lock order of the platform
        # (top of totalquota.ledger.services) that a handler may then follow: no workflow
        # transaction ever waits on it, and no cycle can form. On SQLite select_for_update is a
        # no-op: BEGIN IMMEDIATE already serialises the workers.
        delivery = (
            _due(handlers).select_related("event").select_for_update(skip_locked=True, of=("self",)).first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        try:
            # A savepoint: a failing handler leaves none of its writes; a succeeding one's writes
            # commit together with its "done".
            with transaction.atomic():
                handlers[delivery.handler].function(delivery.event)
        except Exception as exc:
            _record_failure(delivery, exc)
        else:
            delivery.state = DeliveryState.DONE
            delivery.delivered_at = timezone.now()
        delivery.save(update_fields=["state", "attempts", "last_error", "next_attempt_at", "delivered_at"])
    return delivery.state == DeliveryState.DONE


def _record_failure(delivery: OutboxDelivery, exc: Exception) -> None:
    from totalquota.outbox.models import DeliveryState

    delivery.last_error = "".join(traceback.format_exception(exc))[-ERROR_CHARS:]
    if delivery.attempts >= max_attempts():
        delivery.state = DeliveryState.DEAD
        log.error("outbox delivery %s dead after %s tries: %r", delivery, delivery.attempts, exc)
        return
    delivery.state = DeliveryState.FAILED
    delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
    transaction.on_commit(partial(schedule, run_after=delivery.next_attempt_at), robust=True)
    log.warning("outbox delivery %s failed (try %s): %r", delivery, delivery.attempts, exc)


def deliver_pending(*, limit: int = 1000) -> int:
    """Hand due deliveries to their handlers, one transaction each, until none is due or ``limit``
    have been tried; the number delivered. Events unblocked by a success are taken in the same
    pass. Any number of passes may run at once (several workers, ``outbox --once``)."""
    handlers = registry.registered()
    delivered = 0
    for _ in range(limit):
        outcome = _deliver_next(handlers)
        if outcome is None:
            break
        delivered += outcome
    return delivered


def requeue_dead(*, actor: User | Principal | None = None, handler: str | None = None) -> int:
    """Put the dead deliveries (of ``handler``, or all) back to pending with a fresh count of
    tries, and queue a pass; the number re-queued. Recorded in the audit log."""
    from totalquota.audit.services import record
    from totalquota.outbox.models import DeliveryState, OutboxDelivery

    with transaction.atomic():
        dead = OutboxDelivery.objects.filter(state=DeliveryState.DEAD)
        if handler:
            dead = dead.filter(handler=handler)
        # Lock: the dead delivery rows, so that two re-queues at once count each row once. No
        # worker holds them (workers lock only due rows) and no workflow transaction takes them.
        ids = list(dead.select_for_update().order_by("pk").values_list("pk", flat=True))
        if not ids:
            return 0
        OutboxDelivery.objects.filter(pk__in=ids).update(
            state=DeliveryState.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        record(
            actor=actor,
            action="outbox.requeue_dead",
            object_type=OutboxDelivery._meta.label_lower,
            after={"handler": handler or "*", "deliveries": ids},
        )
        transaction.on_commit(schedule, robust=True)
    return len(ids)
