"""The administrators' webhook pages: the list (searchable, exportable), creating with the secret
shown once, the delivery log with each try, replay, test event, rotate, deactivate."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.webhooks.conftest import emit_and_fan_out
from tests.xlsx_helpers import read_export, response_bytes
from totalquota.webhooks import services
from totalquota.webhooks.delivery import deliver_due
from totalquota.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(world) -> Client:
    client = Client()
    client.force_login(world.admin)
    return client


def test_an_admin_creates_a_subscription_and_reads_the_secret_once(admin):
    response = admin.post(
        reverse("webhooks:create"),
        {
            "name": "执法系统",
            "url": "https://law.example.invalid/",
            "topic_patterns": "enforcement.*\nreports.bulletin.issued",
            "active": "on",
        },
    )

    subscription = WebhookSubscription.objects.get()
    assert response.status_code == 200
    assert subscription.secret in response.content.decode()
    assert subscription.topic_patterns == ["enforcement.*", "reports.bulletin.issued"]
    page = admin.get(reverse("webhooks:detail", args=[subscription.pk])).content.decode()
    assert subscription.secret not in page
    assert subscription.secret not in admin.get(reverse("webhooks:list")).content.decode()


def test_a_bad_url_is_shown_on_the_form_and_nothing_is_written(admin):
    response = admin.post(
        reverse("webhooks:create"), {"name": "x", "url": "ftp://x.invalid/", "topic_patterns": "*"}
    )

    assert response.status_code == 200
    assert "http:// 或 https://" in response.content.decode()
    assert WebhookSubscription.objects.count() == 0


def test_a_non_admin_cannot_open_or_post_the_pages(world):
    subscription, _secret = services.subscription_create(
        actor=world.admin.principal, name="x", url="https://x.invalid/", topic_patterns=["*"]
    )
    client = Client()
    client.force_login(world.reviewer)

    assert client.get(reverse("webhooks:list")).status_code == 403
    assert client.post(reverse("webhooks:rotate", args=[subscription.pk])).status_code == 403
    assert client.post(reverse("webhooks:deactivate", args=[subscription.pk])).status_code == 403
    again = WebhookSubscription.objects.get()
    assert (again.secret, again.active) == (subscription.secret, True)


def test_the_list_is_searchable_and_exported(world, admin):
    for name in ("执法系统", "许可系统"):
        services.subscription_create(
            actor=world.admin.principal, name=name, url=f"https://{len(name)}.invalid/", topic_patterns=["*"]
        )
    found = admin.get(reverse("webhooks:list"), {"q": "执法"}).content.decode()
    assert "执法系统" in found and "许可系统" not in found

    export = admin.get(reverse("webhooks:list"), {"q": "执法", "export": "xlsx"})
    assert export.status_code == 200
    header, *rows = read_export(response_bytes(export))
    assert header[:2] == ("名称", "接收地址")
    assert [row[0] for row in rows] == ["执法系统"]


def test_the_delivery_log_shows_each_try_and_replays(world, admin, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    subscription, receiver.secret = services.subscription_create(
        actor=world.admin.principal, name="甲", url=receiver.url, topic_patterns=["*"]
    )
    receiver.status = 502
    emit_and_fan_out("reserve.warning.raised")
    deliver_due()
    delivery = WebhookDelivery.objects.get()

    log = admin.get(reverse("webhooks:detail", args=[subscription.pk]))
    assert "reserve.warning.raised" in log.content.decode()
    assert (
        admin.get(reverse("webhooks:detail", args=[subscription.pk]), {"export": "xlsx"}).status_code == 200
    )
    page = admin.get(reverse("webhooks:delivery", args=[delivery.pk])).content.decode()
    assert "502" in page and 'id="replay"' in page

    receiver.status = 200
    replayed = admin.post(reverse("webhooks:replay", args=[delivery.pk]))
    assert replayed.status_code == 302
    deliver_due()
    assert list(WebhookAttempt.objects.values_list("status_code", "replay")) == [(502, False), (200, True)]


def test_the_buttons_send_a_test_event_rotate_and_deactivate(world, admin):
    subscription, secret = services.subscription_create(
        actor=world.admin.principal, name="甲", url="https://x.invalid/", topic_patterns=["reduction.*"]
    )
    from totalquota.outbox import deliver_pending

    assert admin.post(reverse("webhooks:ping", args=[subscription.pk])).status_code == 302
    deliver_pending()
    assert WebhookDelivery.objects.get().topic == "webhook.ping"

    rotated = admin.post(reverse("webhooks:rotate", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert subscription.secret != secret and subscription.secret in rotated.content.decode()

    assert admin.post(reverse("webhooks:deactivate", args=[subscription.pk])).status_code == 302
    subscription.refresh_from_db()
    assert subscription.active is False


def test_the_menu_shows_webhooks_to_admins_only(world, admin):
    assert reverse("webhooks:list") in admin.get("/").content.decode()
    other = Client()
    other.force_login(world.reviewer)
    assert reverse("webhooks:list") not in other.get("/").content.decode()
