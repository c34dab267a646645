"""Reading webhooks: subscriptions, their deliveries and the tries of each (bureau admins)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from totalquota.accounts.permissions import restrict
from totalquota.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookState, WebhookSubscription

ACTION = "webhooks.manage"


def subscriptions(who: Any) -> QuerySet[WebhookSubscription]:
    return restrict(who, WebhookSubscription, ACTION).select_related("created_by")


def deliveries(
    who: Any, *, subscription_id: int | None = None, state: str = "", topic: str = ""
) -> QuerySet[WebhookDelivery]:
    """Deliveries, newest first, narrowed by subscription, state and topic (a prefix)."""
    qs = restrict(who, WebhookDelivery, ACTION).select_related("subscription", "event")
    if subscription_id is not None:
        qs = qs.filter(subscription_id=subscription_id)
    if state:
        qs = qs.filter(state=state)
    if topic:
        qs = qs.filter(topic__startswith=topic)
    return qs.order_by("-id")


def attempts_of(delivery: WebhookDelivery) -> QuerySet[WebhookAttempt]:
    return WebhookAttempt.objects.filter(delivery=delivery).order_by("id")


def delivery_counts(subscription_id: int | None = None) -> dict[str, int]:
    """Deliveries by state, every state present (0 when none)."""
    counts = dict.fromkeys(WebhookState.values, 0)
    qs = WebhookDelivery.objects.order_by()
    if subscription_id is not None:
        qs = qs.filter(subscription_id=subscription_id)
    for row in qs.values("state").annotate(n=Count("id")):
        counts[row["state"]] = row["n"]
    return counts
