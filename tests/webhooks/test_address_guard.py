"""The SSRF guard: a receiver on loopback, private, link-local, multicast, reserved or unspecified
addresses (IPv4, IPv6, IPv4 inside IPv6, or a name resolving to one) is refused when the
subscription is made or changed (API 422, form error) and again at every delivery, where the try
is recorded as refused and nothing is sent. ``WEBHOOK_ALLOW_PRIVATE_HOSTS`` is off here (its
default) unless a test says otherwise."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import Client
from django.urls import reverse

from tests.webhooks.conftest import emit_and_fan_out
from totalquota.audit.models import AuditEvent
from totalquota.lib.errors import ValidationFailed
from totalquota.webhooks import addresses, services
from totalquota.webhooks.delivery import deliver_due
from totalquota.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookState, WebhookSubscription

pytestmark = pytest.mark.django_db

BASE = "/api/v1/webhooks"

FORBIDDEN = [
    "127.0.0.1",
    "127.255.0.9",
    "10.0.0.5",
    "172.16.3.4",
    "192.168.1.10",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # shared address space (carrier NAT)
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",  # documentation
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "::127.0.0.1",  # IPv4-compatible
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", FORBIDDEN)
def test_forbidden_addresses(address):
    assert addresses.forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses(address):
    assert not addresses.forbidden(ipaddress.ip_address(address))


def fake_dns(monkeypatch, table: dict[str, list[str]]) -> list[str]:
    """Resolve the names of ``table`` as it says (any other name does not resolve); the names
    asked, in order."""
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        if host not in table:
            raise OSError(f"no such name: {host}")
        return table[host]

    monkeypatch.setattr(addresses, "resolve", resolve)
    return asked


def as_admin(world) -> Client:
    client = Client()
    client.force_login(world.admin)
    return client


REFUSED_URLS = [
    "http://127.0.0.1/hooks",
    "http://127.0.0.1:8000/api/v1/users",
    "https://[::1]/",
    "http://[::ffff:127.0.0.1]:8080/",
    "http://[fe80::1%25eth0]/",
    "http://10.1.2.3/",
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0:5432/",
    "http://localhost:8000/",  # resolves (hosts file) to 127.0.0.1
    "http://2130706433/",  # 127.0.0.1 written as one number
    "http://127.1/",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_the_api_refuses_a_receiver_on_a_forbidden_address_and_writes_nothing(world, url):
    response = as_admin(world).post(
        f"{BASE}/subscriptions",
        {"name": "执法系统", "url": url, "topic_patterns": ["*"]},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    problem = response.json()
    assert "内网或保留地址" in problem["detail"]
    assert problem["errors"][0]["field"] == "url"
    assert WebhookSubscription.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="webhook.").exists()


def test_a_name_resolving_to_a_private_address_is_refused_even_beside_a_public_one(world, monkeypatch):
    fake_dns(monkeypatch, {"hooks.partner.test": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(ValidationFailed, match=r"10\.0\.0\.7"):
        services.subscription_create(
            actor=world.admin.principal, name="x", url="https://hooks.partner.test/", topic_patterns=["*"]
        )
    assert WebhookSubscription.objects.count() == 0


def test_a_change_to_a_forbidden_address_is_refused_and_changes_nothing(world, monkeypatch):
    fake_dns(
        monkeypatch, {"hooks.partner.test": ["93.184.216.34"], "evil.partner.test": ["::ffff:192.168.0.1"]}
    )
    subscription, _secret = services.subscription_create(
        actor=world.admin.principal, name="x", url="https://hooks.partner.test/", topic_patterns=["*"]
    )
    admin = as_admin(world)
    path = f"{BASE}/subscriptions/{subscription.pk}"
    for url in ("https://evil.partner.test/", "http://192.168.0.1/"):
        response = admin.patch(path, {"url": url}, content_type="application/json")
        assert response.status_code == 422, response.content
    subscription.refresh_from_db()
    assert subscription.url == "https://hooks.partner.test/"
    assert not AuditEvent.objects.filter(action="webhook.update").exists()


def test_the_form_shows_the_refusal_and_writes_nothing(world):
    response = as_admin(world).post(
        reverse("webhooks:create"), {"name": "x", "url": "http://127.0.0.1:5432/", "topic_patterns": "*"}
    )
    assert response.status_code == 200
    assert "指向本机、内网或保留地址" in response.content.decode()
    assert WebhookSubscription.objects.count() == 0


def test_a_name_that_does_not_resolve_yet_is_accepted_and_checked_at_delivery(world, monkeypatch):
    asked = fake_dns(monkeypatch, {})
    services.subscription_create(
        actor=world.admin.principal, name="x", url="https://later.partner.test/", topic_patterns=["*"]
    )
    emit_and_fan_out("reserve.warning.raised")
    assert deliver_due() == 0
    delivery = WebhookDelivery.objects.get()
    attempt = WebhookAttempt.objects.get()
    assert delivery.state == WebhookState.FAILED and not attempt.refused
    assert "no such name" in attempt.excerpt
    assert asked == ["later.partner.test", "later.partner.test"]  # at creation, then at delivery


def test_a_name_that_turns_private_after_the_check_is_refused_at_delivery_and_not_sent(
    world, receiver, settings, monkeypatch
):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False  # the receiver fixture allowed it
    port = receiver.url.split(":")[2].split("/")[0]
    fake_dns(monkeypatch, {"hooks.partner.test": ["93.184.216.34"]})
    subscription, receiver.secret = services.subscription_create(
        actor=world.admin.principal,
        name="x",
        url=f"http://hooks.partner.test:{port}/hooks",
        topic_patterns=["*"],
    )
    # The name's DNS now points at this machine (where the receiver listens).
    fake_dns(monkeypatch, {"hooks.partner.test": ["127.0.0.1"]})
    emit_and_fan_out("reserve.warning.raised")

    assert deliver_due() == 0
    assert receiver.got == []
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    attempt = WebhookAttempt.objects.get()
    assert attempt.refused and not attempt.ok and attempt.status_code is None
    assert "127.0.0.1" in attempt.excerpt and "内网或保留地址" in delivery.last_error
    assert delivery.state == WebhookState.FAILED and delivery.attempts == 1
    detail = as_admin(world).get(reverse("webhooks:delivery", args=[delivery.pk])).content.decode()
    assert "拒绝发送" in detail
    tries = as_admin(world).get(f"{BASE}/deliveries").json()["items"][0]["attempt_log"]
    assert tries[0]["refused"] is True


def test_an_address_literal_made_private_behind_the_services_is_refused_at_delivery(
    world, receiver, settings
):
    subscription, receiver.secret = services.subscription_create(
        actor=world.admin.principal, name="x", url=receiver.url, topic_patterns=["*"]
    )
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False  # turned off after the subscription was made
    emit_and_fan_out("reserve.warning.raised")

    assert deliver_due() == 0
    assert receiver.got == []
    assert WebhookAttempt.objects.get(delivery__subscription=subscription).refused


def test_the_request_goes_to_the_checked_address_under_the_receivers_name(
    world, receiver, settings, monkeypatch
):
    """The delivery connects to the address it checked, not to what a second lookup would give:
    the system resolver is never asked (it does not know the name), the Host header names it."""
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    port = receiver.url.split(":")[2].split("/")[0]
    asked = fake_dns(monkeypatch, {"hooks.partner.test": ["127.0.0.1"]})
    # Here 127.0.0.1 stands for a public address: the receiver of this test listens there.
    monkeypatch.setattr(addresses, "forbidden", lambda address: False)
    subscription, receiver.secret = services.subscription_create(
        actor=world.admin.principal,
        name="x",
        url=f"http://hooks.partner.test:{port}/hooks",
        topic_patterns=["*"],
    )
    emit_and_fan_out("reserve.warning.raised")

    assert deliver_due() == 1
    (got,) = receiver.got
    assert got.verified and got.headers["Host"] == f"hooks.partner.test:{port}"
    assert asked == ["hooks.partner.test", "hooks.partner.test"]
    assert WebhookDelivery.objects.get(subscription=subscription).state == WebhookState.DONE


def test_with_private_hosts_allowed_a_loopback_receiver_is_accepted(world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    subscription, _secret = services.subscription_create(
        actor=world.admin.principal, name="x", url="http://127.0.0.1:9/", topic_patterns=["*"]
    )
    assert subscription.url == "http://127.0.0.1:9/"
    # The scheme rule stays.
    with pytest.raises(ValidationFailed):
        services.subscription_update(
            actor=world.admin.principal, subscription=subscription, url="ftp://127.0.0.1/"
        )
