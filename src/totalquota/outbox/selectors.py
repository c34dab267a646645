"""Reading the outbox's delivery state (for the command; a page can use the same)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from totalquota.outbox.models import DeliveryState, OutboxDelivery


def delivery_counts() -> dict[str, int]:
    """Deliveries by state, every state present (0 when none)."""
    counts = dict.fromkeys(DeliveryState.values, 0)
    for row in OutboxDelivery.objects.order_by().values("state").annotate(n=Count("id")):
        counts[row["state"]] = row["n"]
    return counts


def dead_deliveries() -> QuerySet[OutboxDelivery]:
    """Deliveries given up on, oldest event first, with their events."""
    return (
        OutboxDelivery.objects.filter(state=DeliveryState.DEAD)
        .select_related("event")
        .order_by("event_id", "id")
    )
