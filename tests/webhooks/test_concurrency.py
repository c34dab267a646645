"""On PostgreSQL, workers sending at the same moment never post the same delivery twice at once,
and each subscription's deliveries still arrive in sequence, one at a time."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from tests.thread_helpers import run_at_once
from tests.webhooks.conftest import emit_and_fan_out
from totalquota.webhooks import services
from totalquota.webhooks.delivery import deliver_due
from totalquota.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookState

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

WORKERS = 4
SUBSCRIPTIONS = 3
EVENTS = 8


def test_parallel_workers_never_send_one_delivery_twice_at_the_same_time(world, receiver):
    receiver.delay = 0.02  # each post takes a while, so that the workers really overlap
    for n in range(SUBSCRIPTIONS):
        _subscription, secret = services.subscription_create(
            actor=world.admin.principal, name=f"s{n}", url=f"{receiver.url}/{n}", topic_patterns=["*"]
        )
        receiver.secrets[f"/hooks/{n}"] = secret
    for n in range(EVENTS):
        emit_and_fan_out("reserve.warning.raised", str(n))

    received = run_at_once(lambda _n: deliver_due(), WORKERS)

    total = SUBSCRIPTIONS * EVENTS
    assert sum(received) == total
    assert sum(1 for r in received if r) > 1  # more than one worker had a share
    assert len(receiver.got) == total
    assert all(r.verified for r in receiver.got)
    # every delivery posted exactly once
    assert set(Counter((r.path, r.document["sequence"]) for r in receiver.got).values()) == {1}
    # per subscription: in sequence, and never two posts at once
    for n in range(SUBSCRIPTIONS):
        posts = sorted((r for r in receiver.got if r.path == f"/hooks/{n}"), key=lambda r: r.started)
        assert [r.document["sequence"] for r in posts] == list(range(1, EVENTS + 1))
        assert all(a.ended <= b.started for a, b in itertools.pairwise(posts))
    assert WebhookDelivery.objects.filter(state=WebhookState.DONE, attempts=1).count() == total
    assert WebhookAttempt.objects.count() == total


def test_a_replay_beside_a_worker_sends_the_delivery_once_more(world, receiver):
    subscription, receiver.secret = services.subscription_create(
        actor=world.admin.principal, name="s", url=receiver.url, topic_patterns=["*"]
    )
    emit_and_fan_out("reserve.warning.raised")
    deliver_due()
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    services.delivery_replay(actor=world.admin.principal, delivery=delivery)

    run_at_once(lambda _n: deliver_due(), WORKERS)

    assert [r.document["sequence"] for r in receiver.got] == [1, 1]
    assert list(WebhookAttempt.objects.values_list("replay", flat=True)) == [False, True]
