"""Events are written with the change, reach every matching handler at least once, in order per
object, and a failing handler is retried, backs off, and is given up on (and re-queued)."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from django.db import transaction
from django.utils import timezone

from tests.outbox.conftest import emit_about
from totalquota.accounts.permissions import principal_for_user
from totalquota.audit.models import AuditEvent
from totalquota.outbox import deliver_pending, emit, register, requeue_dead, unregister
from totalquota.outbox.delivery import backoff
from totalquota.outbox.models import DeliveryState, OutboxDelivery, OutboxEvent

pytestmark = pytest.mark.django_db


def make_due(**filters) -> None:
    """Let the clock pass every backoff of the deliveries matching ``filters``."""
    OutboxDelivery.objects.filter(**filters).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))


def test_an_event_names_its_object_and_keeps_its_payload_as_plain_json(world, recorder):
    event = emit(
        "test.approve",
        obj=world.company,
        payload={"grams": 1_500_000, "on": dt.date(2026, 11, 28), "ratio": decimal.Decimal("0.8")},
        actor=principal_for_user(world.reviewer),
    )
    event.refresh_from_db()
    assert (event.object_type, event.object_id) == ("registry.enterprise", str(world.company.pk))
    assert event.payload == {"grams": 1_500_000, "on": "2026-11-28", "ratio": "0.8"}
    assert event.actor == world.reviewer
    assert OutboxDelivery.objects.get(event=event).object_key == f"registry.enterprise:{world.company.pk}"


def test_an_event_that_cannot_be_stored_is_refused_before_anything_is_written(recorder):
    with pytest.raises(TypeError):
        emit("test.approve", object_type="tests.thing", object_id="1", payload={"what": object()})
    with pytest.raises(ValueError):
        emit("test.*", object_type="tests.thing", object_id="1")
    assert not OutboxEvent.objects.exists()


def test_each_matching_handler_gets_the_event_once(make_recorder):
    exact = make_recorder("test.happened", name="tests.exact")
    prefix = make_recorder("test.*", name="tests.prefix")
    everything = make_recorder("*", name="tests.everything")
    other = make_recorder("other.*", name="tests.other")
    emit_about("x", 1)
    emit_about("x", 2, topic="testing.elsewhere")
    assert deliver_pending() == 4
    assert deliver_pending() == 0
    assert (exact.seen, prefix.seen, other.seen) == ([("x", 1)], [("x", 1)], [])
    assert everything.seen == [("x", 1), ("x", 2)]
    assert set(OutboxDelivery.objects.values_list("state", "attempts")) == {(DeliveryState.DONE, 1)}


def test_a_handler_gets_only_the_events_emitted_after_it_was_registered(make_recorder):
    emit_about("x", 1)
    late = make_recorder()
    emit_about("x", 2)
    deliver_pending()
    assert late.seen == [("x", 2)]


def test_events_of_one_object_arrive_in_the_order_they_were_emitted(recorder):
    for n in range(6):
        emit_about("x" if n % 2 else "y", n)
    assert deliver_pending() == 6
    assert recorder.of("y") == [0, 2, 4] and recorder.of("x") == [1, 3, 5]


def test_a_failing_handler_is_retried_with_backoff_and_holds_back_only_its_object(make_recorder):
    recorder = make_recorder()
    other_handler = make_recorder(name="tests.other")
    recorder.failing = {"x"}
    emit_about("x", 1)
    emit_about("x", 2)
    emit_about("y", 3)
    before = timezone.now()
    assert deliver_pending() == 4  # y to both handlers, x (both events) to the other handler
    assert recorder.seen == [("y", 3)]
    assert other_handler.seen == [("x", 1), ("x", 2), ("y", 3)]
    first, second = OutboxDelivery.objects.filter(handler=recorder.name, object_key="tests.thing:x")
    assert (first.state, first.attempts, second.state, second.attempts) == ("failed", 1, "pending", 0)
    assert "cannot take x now" in first.last_error
    assert before + backoff(1) <= first.next_attempt_at <= timezone.now() + backoff(1)

    assert deliver_pending() == 0  # not due yet, and the second event waits for the first
    make_due(handler=recorder.name)
    assert deliver_pending() == 0
    first.refresh_from_db()
    assert (first.attempts, backoff(2)) == (2, 2 * backoff(1))
    assert first.next_attempt_at >= timezone.now() + backoff(1)

    recorder.failing.clear()
    make_due(handler=recorder.name)
    assert deliver_pending() == 2  # the first, then the second it held back, in the same pass
    assert recorder.of("x") == [1, 2]
    first.refresh_from_db()
    assert (first.state, first.attempts, first.delivered_at is not None) == ("done", 3, True)


def test_the_backoff_doubles_up_to_its_cap(settings):
    settings.OUTBOX_BACKOFF_SECONDS = 10
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 60
    assert [backoff(n).total_seconds() for n in range(1, 6)] == [10, 20, 40, 60, 60]


def test_a_delivery_is_dead_after_its_last_try_until_it_is_requeued(settings, recorder):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_BACKOFF_SECONDS = 0  # every retry due at once: all tries in one pass
    recorder.failing = {"x"}
    emit_about("x", 1)
    emit_about("x", 2)
    assert deliver_pending() == 0
    dead = OutboxDelivery.objects.get(state=DeliveryState.DEAD)
    assert (dead.attempts, dead.event.payload) == (3, {"n": 1})
    assert OutboxDelivery.objects.filter(state=DeliveryState.PENDING).count() == 1  # held back
    make_due()
    assert deliver_pending() == 0

    recorder.failing.clear()
    assert requeue_dead(actor=None) == 1
    assert requeue_dead(actor=None) == 0
    assert AuditEvent.objects.filter(action="outbox.requeue_dead").count() == 1
    assert deliver_pending() == 2
    assert recorder.of("x") == [1, 2]


def test_requeue_can_be_limited_to_one_handler(settings, make_recorder):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    first, second = make_recorder(name="tests.first"), make_recorder(name="tests.second")
    first.failing = second.failing = {"x"}
    emit_about("x", 1)
    deliver_pending()
    assert requeue_dead(handler="tests.second") == 1
    assert dict(OutboxDelivery.objects.values_list("handler", "state")) == {
        "tests.first": "dead",
        "tests.second": "pending",
    }


def test_a_failing_handler_leaves_none_of_its_writes_and_a_succeeding_one_keeps_them(recorder):
    def writes_then_fails(event):
        emit("test.side_effect", object_type="tests.thing", object_id=event.object_id, payload={"n": 0})
        if event.object_id == "x":
            raise RuntimeError("after writing")

    register("test.happened", writes_then_fails, "tests.writer")
    try:
        emit_about("x", 1)
        emit_about("y", 2)
        deliver_pending()
    finally:
        unregister("tests.writer")
    side_effects = OutboxEvent.objects.filter(topic="test.side_effect")
    assert list(side_effects.values_list("object_id", flat=True)) == ["y"]
    assert recorder.of("y") == [2, 0]  # the side effect is an event like any other


def test_events_about_no_object_are_not_held_back_by_each_other():
    def fails_first(event):
        if event.payload["n"] == 1:
            raise RuntimeError("no")

    register("loose.thing", fails_first, "tests.loose")
    try:
        for n in (1, 2):
            with transaction.atomic():
                emit("loose.thing", payload={"n": n})
        assert deliver_pending() == 1
    finally:
        unregister("tests.loose")
    assert OutboxDelivery.objects.get(state=DeliveryState.DONE).event.payload == {"n": 2}


def test_handler_patterns_are_a_topic_a_prefix_or_everything():
    for bad in ("", "test*", "*.happened", "test.*.x", "*.*"):
        with pytest.raises(ValueError):
            register(bad, print, "tests.bad")
    register("test.*", print, "tests.print")
    try:
        register("test.*", print, "tests.print")  # the same again: harmless
        with pytest.raises(ValueError, match="registered twice"):
            register("other.*", print, "tests.print")
    finally:
        unregister("tests.print")
