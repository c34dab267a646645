"""Webhook deliveries as a receiver sees them: signed, numbered 1, 2, 3 per subscription, retried
with backoff until dead, replayed with the same id and sequence."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.webhooks.conftest import documented_verify, emit_and_fan_out
from totalquota.audit.models import AuditEvent
from totalquota.webhooks import services
from totalquota.webhooks.delivery import backoff, body_of, deliver_due, signature
from totalquota.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookState

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscribe(world, receiver):
    def make(patterns=("*",), name="执法系统"):
        subscription, secret = services.subscription_create(
            actor=world.admin.principal, name=name, url=receiver.url, topic_patterns=list(patterns)
        )
        receiver.secret = secret
        return subscription

    return make


def come_due() -> None:
    """As if the wait before the next try had passed."""
    WebhookDelivery.objects.filter(state=WebhookState.FAILED).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_a_receiver_gets_the_event_signed_with_its_secret(subscribe, receiver):
    subscription = subscribe()
    event = emit_and_fan_out("reserve.warning.raised", object_id="7", zone_id=3, level="red")

    assert deliver_due() == 1

    [got] = receiver.got
    assert got.verified
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    assert got.headers["X-Quota-Event-Id"] == str(event.pk)
    assert got.headers["X-Quota-Sequence"] == "1"
    assert got.headers["X-Quota-Signature"].startswith(f"t={got.headers['X-Quota-Timestamp']},v1=")
    assert got.document == {
        "id": event.pk,
        "sequence": 1,
        "topic": "reserve.warning.raised",
        "occurred_at": event.created_at.isoformat(),
        "object": {"type": "tests.thing", "id": "7"},
        "data": {"zone_id": 3, "level": "red"},
    }
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.state, delivery.attempts, delivery.last_status) == (WebhookState.DONE, 1, 200)
    assert delivery.delivered_at is not None
    [attempt] = WebhookAttempt.objects.filter(delivery=delivery)
    assert (attempt.status_code, attempt.ok, attempt.replay, attempt.excerpt) == (200, True, False, "ok")


def test_the_documented_verification_refuses_a_wrong_secret_a_changed_body_and_an_old_timestamp():
    verify = documented_verify()
    now = int(time.time())
    body = b'{"id":1}'
    assert verify("whsec_a", signature("whsec_a", now, body), body)
    assert not verify("whsec_b", signature("whsec_a", now, body), body)
    assert not verify("whsec_a", signature("whsec_a", now, body), b'{"id":2}')
    assert not verify("whsec_a", signature("whsec_a", now - 3600, body), body)
    assert not verify("whsec_a", "nonsense", body)


def test_sequences_run_1_2_3_per_subscription(subscribe, receiver):
    first = subscribe(["reserve.*"], name="甲")
    second = subscribe(["enforcement.finding.*"], name="乙")
    emit_and_fan_out("reserve.warning.raised", "1")
    emit_and_fan_out("enforcement.finding.notify", "2")
    emit_and_fan_out("reserve.application.approve", "3")
    emit_and_fan_out("reserve.recovery.notify", "4")

    def sequences(subscription):
        return list(
            WebhookDelivery.objects.filter(subscription=subscription).values_list("sequence", "topic")
        )

    assert sequences(first) == [
        (1, "reserve.warning.raised"),
        (2, "reserve.application.approve"),
        (3, "reserve.recovery.notify"),
    ]
    assert sequences(second) == [(1, "enforcement.finding.notify")]
    first.refresh_from_db()
    assert first.next_sequence == 4


def test_the_outbox_handing_an_event_on_twice_writes_one_delivery(subscribe):
    from totalquota.outbox import deliver_pending
    from totalquota.outbox.models import DeliveryState, OutboxDelivery

    subscription = subscribe()
    emit_and_fan_out("reserve.warning.raised")
    OutboxDelivery.objects.update(state=DeliveryState.PENDING)  # as after a crash before "done"
    deliver_pending()

    assert list(
        WebhookDelivery.objects.filter(subscription=subscription).values_list("sequence", flat=True)
    ) == [1]


def test_a_topic_no_subscription_matches_gets_nothing(subscribe, receiver):
    subscribe(["enforcement.finding.*"])
    emit_and_fan_out("reserve.warning.raised")
    emit_and_fan_out("emissions.reminder.sent")  # not a shared topic at all

    assert deliver_due() == 0
    assert WebhookDelivery.objects.count() == 0
    assert receiver.got == []


def test_an_inactive_subscription_gets_nothing(world, subscribe, receiver):
    subscription = subscribe()
    services.subscription_deactivate(actor=world.admin.principal, subscription=subscription)
    emit_and_fan_out("reserve.warning.raised")

    assert deliver_due() == 0
    assert WebhookDelivery.objects.count() == 0
    assert receiver.got == []


def test_deliveries_waiting_when_a_subscription_is_deactivated_are_not_sent(world, subscribe, receiver):
    subscription = subscribe()
    emit_and_fan_out("reserve.warning.raised")
    services.subscription_deactivate(actor=world.admin.principal, subscription=subscription)

    assert deliver_due() == 0
    assert receiver.got == []
    services.subscription_update(actor=world.admin.principal, subscription=subscription, active=True)
    assert deliver_due() == 1


def test_a_failing_receiver_is_retried_with_backoff_then_given_up(settings, subscribe, receiver):
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    settings.WEBHOOK_BACKOFF_SECONDS = 30
    settings.WEBHOOK_BACKOFF_MAX_SECONDS = 90
    receiver.status = 503
    subscribe()
    emit_and_fan_out("reserve.warning.raised")
    waits = []
    for _ in range(4):
        before = timezone.now()
        assert deliver_due() == 0
        assert deliver_due() == 0  # not due again before its time
        delivery = WebhookDelivery.objects.get()
        waits.append(round((delivery.next_attempt_at - before).total_seconds()))
        come_due()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == (WebhookState.DEAD, 4, 503)
    assert delivery.last_error == "HTTP 503"
    assert waits[:3] == [30, 60, 90]  # doubling, capped at 90; the fourth try was the last
    assert len(receiver.got) == 4
    assert all(r.verified and r.headers["X-Quota-Sequence"] == "1" for r in receiver.got)
    assert list(WebhookAttempt.objects.values_list("status_code", "ok")) == [(503, False)] * 4
    assert deliver_due() == 0  # dead stays dead
    assert backoff(1) == dt.timedelta(seconds=30)


def test_an_unreachable_receiver_counts_as_a_failed_try(world, settings):
    import socket

    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True  # the unreachable port is on 127.0.0.1
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    services.subscription_create(
        actor=world.admin.principal, name="x", url=f"http://127.0.0.1:{port}/", topic_patterns=["*"]
    )
    emit_and_fan_out("reserve.warning.raised")

    assert deliver_due() == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == WebhookState.FAILED
    assert delivery.last_status is None
    assert "URLError" in delivery.last_error
    assert WebhookAttempt.objects.get().status_code is None


def test_a_later_sequence_waits_while_an_earlier_one_is_not_done(settings, subscribe, receiver):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.status = 500
    subscribe()
    emit_and_fan_out("reserve.warning.raised", "1")
    emit_and_fan_out("reserve.warning.raised", "2")

    assert deliver_due() == 0
    assert receiver.sequences() == [1]  # 2 was held back
    assert list(WebhookDelivery.objects.values_list("sequence", "state")) == [
        (1, WebhookState.DEAD),
        (2, WebhookState.PENDING),
    ]


def test_a_replay_sends_the_same_id_and_sequence_again_and_releases_the_later_ones(
    world, settings, subscribe, receiver
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.status = 500
    subscribe()
    first = emit_and_fan_out("reserve.warning.raised", "1")
    emit_and_fan_out("reserve.warning.raised", "2")
    deliver_due()
    dead = WebhookDelivery.objects.get(sequence=1)
    receiver.status = 200

    services.delivery_replay(actor=world.admin.principal, delivery=dead)
    assert deliver_due() == 2

    assert [(r.headers["X-Quota-Event-Id"], r.document["sequence"]) for r in receiver.got][:2] == [
        (str(first.pk), 1),
        (str(first.pk), 1),
    ]
    assert receiver.got[0].body == receiver.got[1].body  # the same document, signed anew
    assert receiver.sequences() == [1, 1, 2]
    assert list(WebhookAttempt.objects.filter(delivery=dead).values_list("status_code", "replay")) == [
        (500, False),
        (200, True),
    ]
    assert AuditEvent.objects.filter(action="webhook.replay").count() == 1


def test_a_received_delivery_can_be_replayed_too(world, subscribe, receiver):
    subscribe()
    emit_and_fan_out("reserve.warning.raised")
    deliver_due()
    services.delivery_replay(actor=world.admin.principal, delivery=WebhookDelivery.objects.get())
    deliver_due()

    assert receiver.sequences() == [1, 1]
    assert WebhookDelivery.objects.get().state == WebhookState.DONE


def test_a_rotated_secret_signs_the_next_tries(world, subscribe, receiver):
    subscription = subscribe()
    _subscription, receiver.secret = services.secret_rotate(
        actor=world.admin.principal, subscription=subscription
    )
    emit_and_fan_out("reserve.warning.raised")
    deliver_due()

    assert receiver.got[0].verified


def test_a_test_event_reaches_only_its_subscription(world, subscribe, receiver):
    mine = subscribe(["enforcement.*"], name="甲")
    subscribe(["*"], name="乙")

    services.send_test_event(actor=world.admin.principal, subscription=mine)
    from totalquota.outbox import deliver_pending

    deliver_pending()
    deliver_due()

    [got] = receiver.got
    assert got.document["topic"] == "webhook.ping"
    assert got.document["object"] == {"type": "webhooks.webhooksubscription", "id": str(mine.pk)}
    assert WebhookDelivery.objects.get().subscription == mine


def test_the_command_sends_what_is_due(subscribe, receiver, capsys):
    subscribe()
    emit_and_fan_out("reserve.warning.raised")

    call_command("webhooks_deliver", "--once")

    assert receiver.sequences() == [1]
    assert "已送达 1 条" in capsys.readouterr().out


def test_the_body_is_the_same_bytes_at_every_try(subscribe):
    subscribe()
    emit_and_fan_out("reserve.warning.raised", level="红色")
    delivery = WebhookDelivery.objects.get()
    assert body_of(delivery) == body_of(WebhookDelivery.objects.get())
    assert "红色".encode() in body_of(delivery)
