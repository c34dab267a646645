"""On PostgreSQL, workers delivering at the same moment hand each delivery on exactly once (when
no handler fails), and still in order per object."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.outbox.conftest import emit_about
from tests.thread_helpers import run_at_once
from totalquota.outbox import deliver_pending
from totalquota.outbox.models import DeliveryState, OutboxDelivery

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

WORKERS = 4
DELAY = 0.002  # seconds a handler takes over each event, so that the workers really overlap


def emit_events(objects: int, events_each: int) -> None:
    for n in range(events_each):
        for obj in range(objects):
            emit_about(f"o{obj}", n)


def test_parallel_workers_deliver_each_delivery_exactly_once(make_recorder):
    recorders = [make_recorder(name=f"tests.r{n}", delay=DELAY) for n in range(2)]
    emit_events(objects=6, events_each=10)

    delivered = run_at_once(lambda _n: deliver_pending(), WORKERS)

    assert sum(delivered) == 2 * 6 * 10
    assert sum(1 for d in delivered if d) > 1  # more than one worker had a share
    for recorder in recorders:
        assert sorted(Counter(recorder.seen).values()) == [1] * 60
    assert OutboxDelivery.objects.filter(state=DeliveryState.DONE, attempts=1).count() == 120


def test_parallel_workers_keep_the_order_of_each_object(make_recorder):
    # Fewer objects than workers: the others must wait for the earlier events, not take the later.
    recorder = make_recorder(delay=DELAY)
    emit_events(objects=2, events_each=15)

    delivered = run_at_once(lambda _n: deliver_pending(), WORKERS)

    assert sum(delivered) == 30
    assert recorder.of("o0") == recorder.of("o1") == list(range(15))
