"""The outbox handler of webhooks: one delivery per active subscription matching an event.

Registered once per shared topic pattern (:mod:`totalquota.webhooks.topics`) and for
``webhook.ping``, under stable names ``webhooks.<pattern>`` (:func:`handler_names`), rather than
for ``*``: events of topics that are not shared get no outbox delivery of ours at all, and a
shared topic added to ``topics.SHARED`` gets its own handler name from then on. It only writes delivery rows (inside the
outbox worker's savepoint); the HTTP posts are the webhook worker's
(:mod:`totalquota.webhooks.delivery`), so a slow receiver never holds the outbox back.
"""

from __future__ import annotations

from django.db import transaction

from totalquota.outbox import register
from totalquota.outbox.models import OutboxEvent
from totalquota.webhooks import topics
from totalquota.webhooks.models import WebhookDelivery, WebhookSubscription


def subscribers(event: OutboxEvent) -> list[int]:
    """Ids of the active subscriptions ``event`` goes to, in id order: those whose patterns
    match a shared topic; for a test event (``webhook.ping``), the one subscription it names."""
    active = WebhookSubscription.objects.filter(active=True).order_by("pk")
    if event.topic == topics.PING_TOPIC:
        return list(active.filter(pk=event.object_id or 0).values_list("pk", flat=True))
    if not topics.is_shared(event.topic):
        return []
    return [
        pk
        for pk, patterns in active.values_list("pk", "topic_patterns")
        if any(topics.matches(p, event.topic) for p in patterns or [])
    ]


def fan_out(event: OutboxEvent) -> int:
    """The handler: a delivery of ``event`` for each subscriber that has none yet; the number
    written. Idempotent (the outbox hands an event on at least once): a subscription that already
    has this event's delivery is passed over and gets no second sequence number."""
    written = 0
    for pk in subscribers(event):
        # Lock: the subscription row, to take its next sequence number: two events fanned out at
        # once (two outbox workers) must not take the same number, nor leave a gap. Rows are
        # locked one at a time in id order, and only here and in the subscription's own services
        # (edit, rotate, deactivate), which lock that one row and nothing else; no workflow
        # transaction takes them, so the order of the platform's locks is unchanged.
        subscription = WebhookSubscription.objects.select_for_update().get(pk=pk)
        if WebhookDelivery.objects.filter(subscription=subscription, event=event).exists():
            continue
        WebhookDelivery.objects.create(
            subscription=subscription,
            event=event,
            topic=event.topic,
            sequence=subscription.next_sequence,
            next_attempt_at=event.created_at,
        )
        subscription.next_sequence += 1
        subscription.save(update_fields=["next_sequence"])
        written += 1
    if written:
        from totalquota.webhooks.delivery import schedule

        transaction.on_commit(schedule, robust=True)
    return written


def handler_names() -> dict[str, str]:
    """Each pattern registered with the outbox, and the stable name stored on its deliveries."""
    patterns = [pattern for pattern, _label in topics.SHARED] + [topics.PING_TOPIC]
    return {pattern: f"webhooks.{pattern.removesuffix('.*')}" for pattern in patterns}


def register_handler() -> None:
    for pattern, name in handler_names().items():
        register(pattern, fan_out, name=name)
