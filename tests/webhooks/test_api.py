"""The webhook routes: administrators manage subscriptions and replay deliveries; bad URLs and
patterns are 422 problem documents, anyone else 403, and a refusal writes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.webhooks.conftest import emit_and_fan_out
from totalquota.accounts.roles import Role
from totalquota.accounts.services import token_issue
from totalquota.audit.models import AuditEvent
from totalquota.webhooks import services
from totalquota.webhooks.delivery import deliver_due
from totalquota.webhooks.models import WebhookDelivery, WebhookState, WebhookSubscription

pytestmark = pytest.mark.django_db

BASE = "/api/v1/webhooks"


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, path: str, body=None, **headers):
    return client.post(path, body if body is not None else {}, content_type="application/json", **headers)


GOOD = {"name": "执法系统", "url": "https://law.example.invalid/hooks", "topic_patterns": ["enforcement.*"]}


def test_an_admin_creates_a_subscription_and_sees_its_secret_once(world):
    admin = as_user(world.admin)

    created = post(admin, f"{BASE}/subscriptions", GOOD)

    assert created.status_code == 201, created.content
    body = created.json()
    subscription = WebhookSubscription.objects.get()
    assert body["secret"] == subscription.secret and body["secret"].startswith("whsec_")
    assert (
        body["topic_patterns"] == ["enforcement.*"] and body["active"] is True and body["next_sequence"] == 1
    )
    listed = admin.get(f"{BASE}/subscriptions").json()
    assert [s["name"] for s in listed["items"]] == ["执法系统"]
    assert "secret" not in listed["items"][0]
    assert "secret" not in admin.get(f"{BASE}/subscriptions/{subscription.pk}").json()
    assert subscription.secret not in str(AuditEvent.objects.filter(action="webhook.create").get().after)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("url", "ftp://law.example.invalid/"),
        ("url", "javascript:alert(1)"),
        ("url", "https://"),
        ("url", "https://user:pw@law.example.invalid/"),
        ("url", "law.example.invalid/hooks"),
        ("url", "https://law.example.invalid:99999/"),
        ("topic_patterns", []),
        ("topic_patterns", ["reserve.*.approve"]),
        ("topic_patterns", ["reserve*"]),
        ("topic_patterns", ["emissions.*"]),  # not shared
        ("topic_patterns", ["re serve.*"]),
        ("name", ""),
    ],
)
def test_a_bad_url_or_pattern_is_422_and_writes_nothing(world, field, value):
    response = post(as_user(world.admin), f"{BASE}/subscriptions", {**GOOD, field: value})

    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"]
    assert WebhookSubscription.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="webhook.").exists()


@pytest.mark.parametrize(
    "role", [Role.REVIEWER, Role.LEADER, Role.ZONE_OFFICER, Role.ENTERPRISE, Role.PARTNER]
)
def test_anyone_but_an_admin_is_refused_and_nothing_changes(world, role):
    subscription, _secret = services.subscription_create(actor=world.admin.principal, **GOOD)
    client = as_user(world.persona(role))

    assert post(client, f"{BASE}/subscriptions", GOOD).status_code == 403
    assert client.get(f"{BASE}/subscriptions").status_code == 403
    assert post(client, f"{BASE}/subscriptions/{subscription.pk}/deactivate").status_code == 403
    assert post(client, f"{BASE}/subscriptions/{subscription.pk}/rotate-secret").status_code == 403
    assert client.get(f"{BASE}/deliveries").status_code == 403
    again = WebhookSubscription.objects.get()
    assert (again.active, again.secret, WebhookSubscription.objects.count()) == (True, subscription.secret, 1)


def test_a_system_token_is_refused_and_writes_nothing(world):
    # Tokens are issued for system, zone, unit and leader roles, never the administrator's: the
    # webhook routes answer a token 403 whatever its role.
    _t, system = token_issue(actor=world.admin.principal, name="sys", client=world.client)

    refused = post(Client(), f"{BASE}/subscriptions", GOOD, HTTP_AUTHORIZATION=f"Bearer {system}")

    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert WebhookSubscription.objects.count() == 0


def test_an_admin_changes_deactivates_and_rotates(world):
    subscription, old = services.subscription_create(actor=world.admin.principal, **GOOD)
    admin = as_user(world.admin)
    path = f"{BASE}/subscriptions/{subscription.pk}"

    changed = admin.patch(path, {"topic_patterns": ["*"], "name": "执法"}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["topic_patterns"] == ["*"]
    bad = admin.patch(path, {"url": "file:///etc/passwd"}, content_type="application/json")
    assert bad.status_code == 422
    rotated = post(admin, f"{path}/rotate-secret").json()
    assert rotated["secret"] != old
    assert post(admin, f"{path}/deactivate").json()["active"] is False
    assert post(admin, f"{path}/deactivate").status_code == 409
    subscription.refresh_from_db()
    assert (subscription.name, subscription.url, subscription.secret) == (
        "执法",
        GOOD["url"],
        rotated["secret"],
    )
    assert post(admin, f"{BASE}/subscriptions/999999/deactivate").status_code == 404


def test_deliveries_are_listed_with_filters_and_tries_and_replayed(world, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    subscription, receiver.secret = services.subscription_create(
        actor=world.admin.principal, name="甲", url=receiver.url, topic_patterns=["*"]
    )
    receiver.status = 500
    emit_and_fan_out("reserve.warning.raised", "1")
    deliver_due()
    admin = as_user(world.admin)

    listed = admin.get(f"{BASE}/deliveries", {"subscription": subscription.pk, "state": "dead"}).json()[
        "items"
    ]
    assert [(d["sequence"], d["state"], d["attempts"]) for d in listed] == [(1, "dead", 1)]
    assert [(a["status_code"], a["ok"]) for a in listed[0]["attempt_log"]] == [(500, False)]
    assert admin.get(f"{BASE}/deliveries", {"state": "done"}).json()["items"] == []
    assert admin.get(f"{BASE}/deliveries", {"topic": "enforcement."}).json()["items"] == []
    assert admin.get(f"{BASE}/deliveries", {"state": "nonsense"}).status_code == 422

    receiver.status = 200
    replayed = post(admin, f"{BASE}/deliveries/{listed[0]['id']}/replay")
    assert replayed.status_code == 200 and replayed.json()["state"] == "pending"
    deliver_due()
    assert WebhookDelivery.objects.get().state == WebhookState.DONE
    assert receiver.sequences() == [1, 1]


def test_a_delivery_never_sent_is_not_replayed(world):
    services.subscription_create(actor=world.admin.principal, **{**GOOD, "topic_patterns": ["*"]})
    emit_and_fan_out("reserve.warning.raised")
    delivery = WebhookDelivery.objects.get()

    response = post(as_user(world.admin), f"{BASE}/deliveries/{delivery.pk}/replay")

    assert response.status_code == 409
    delivery.refresh_from_db()
    assert (delivery.replay, delivery.attempts) == (False, 0)


def test_a_test_event_is_accepted_for_an_active_subscription_only(world):
    subscription, _secret = services.subscription_create(actor=world.admin.principal, **GOOD)
    admin = as_user(world.admin)

    assert post(admin, f"{BASE}/subscriptions/{subscription.pk}/ping").status_code == 202
    services.subscription_deactivate(actor=world.admin.principal, subscription=subscription)
    assert post(admin, f"{BASE}/subscriptions/{subscription.pk}/ping").status_code == 409
