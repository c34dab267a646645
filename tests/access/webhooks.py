"""Access table: 外发事件订阅 (webhooks). Only bureau administrators manage subscriptions, read
the delivery log, replay and send test events; everyone else gets 403."""

from __future__ import annotations

from typing import Any

from totalquota.accounts.roles import Role as R

from . import PEOPLE, ApiRoute, Page, allow

ADMIN = allow(R.ADMIN)
ADMIN_PAGE = allow(R.ADMIN, roles_list=PEOPLE)


def subscription(w: Any):
    """A subscription of the walk, with one given-up delivery (which may be replayed)."""
    if hasattr(w, "webhook"):
        return w.webhook
    from django.db import transaction

    from totalquota.outbox import emit
    from totalquota.webhooks.handlers import fan_out
    from totalquota.webhooks.models import WebhookDelivery, WebhookState
    from totalquota.webhooks.services import subscription_create

    w.webhook, _secret = subscription_create(
        actor=w.admin.principal, name="执法系统", url="https://example.invalid/hooks", topic_patterns=["*"]
    )
    with transaction.atomic():
        fan_out(emit("reserve.warning.raised", object_type="tests.thing", object_id="1"))
    w.webhook_delivery = WebhookDelivery.objects.get(subscription=w.webhook)
    WebhookDelivery.objects.filter(pk=w.webhook_delivery.pk).update(state=WebhookState.DEAD, attempts=8)
    return w.webhook


def sub(w: Any) -> dict[str, Any]:
    return {"subscription_id": subscription(w).pk}


def sub_pk(w: Any) -> dict[str, Any]:
    return {"pk": subscription(w).pk}


def delivery_pk(w: Any) -> dict[str, Any]:
    subscription(w)
    return {"pk": w.webhook_delivery.pk}


def delivery(w: Any) -> dict[str, Any]:
    subscription(w)
    return {"delivery_id": w.webhook_delivery.pk}


PAGES = {
    "webhooks:list": Page(ADMIN_PAGE),
    "webhooks:create": Page(ADMIN_PAGE),
    "webhooks:detail": Page(ADMIN_PAGE, kwargs=sub_pk),
    "webhooks:edit": Page(ADMIN_PAGE, kwargs=sub_pk),
    "webhooks:deactivate": Page(ADMIN_PAGE, kwargs=sub_pk, method="post"),
    "webhooks:rotate": Page(ADMIN_PAGE, kwargs=sub_pk, method="post"),
    "webhooks:ping": Page(ADMIN_PAGE, kwargs=sub_pk, method="post"),
    "webhooks:delivery": Page(ADMIN_PAGE, kwargs=delivery_pk),
    "webhooks:replay": Page(ADMIN_PAGE, kwargs=delivery_pk, method="post"),
}

API_ROUTES = {
    ("get", "/api/v1/webhooks/subscriptions"): ApiRoute(ADMIN),
    ("post", "/api/v1/webhooks/subscriptions"): ApiRoute(
        ADMIN, body=lambda w: {"name": "许可系统", "url": "https://example.invalid/", "topic_patterns": ["*"]}
    ),
    ("get", "/api/v1/webhooks/subscriptions/{subscription_id}"): ApiRoute(ADMIN, params=sub),
    ("patch", "/api/v1/webhooks/subscriptions/{subscription_id}"): ApiRoute(
        ADMIN, params=sub, body=lambda w: {"name": "执法系统（新）"}
    ),
    ("post", "/api/v1/webhooks/subscriptions/{subscription_id}/deactivate"): ApiRoute(ADMIN, params=sub),
    ("post", "/api/v1/webhooks/subscriptions/{subscription_id}/rotate-secret"): ApiRoute(ADMIN, params=sub),
    ("post", "/api/v1/webhooks/subscriptions/{subscription_id}/ping"): ApiRoute(ADMIN, params=sub),
    ("get", "/api/v1/webhooks/deliveries"): ApiRoute(ADMIN),
    ("post", "/api/v1/webhooks/deliveries/{delivery_id}/replay"): ApiRoute(ADMIN, params=delivery),
}
