"""After commit a delivery pass is queued for the worker (manage.py db_worker); nothing is left
behind by a rolled-back change; ``manage.py outbox`` shows, runs and re-queues deliveries."""

from __future__ import annotations

import datetime as dt
import signal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.outbox.conftest import emit_about
from totalquota.outbox import deliver_pending, emit
from totalquota.outbox.models import DeliveryState, OutboxDelivery, OutboxEvent
from totalquota.outbox.tasks import deliver_outbox

TASK_PATH = "totalquota.outbox.tasks.deliver_outbox"


def queued_passes() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.ready().filter(task_path=TASK_PATH))


def run_worker() -> str:
    """``manage.py db_worker --batch``: run the queued tasks that are due, then stop."""
    out = StringIO()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", batch=True, reload=False, startup_delay=False, stdout=out)
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_an_event_is_delivered_once_after_its_transaction_commits(recorder):
    with transaction.atomic():
        event = emit("test.happened", object_type="tests.thing", object_id="x", payload={"n": 1})
        assert OutboxEvent.objects.filter(pk=event.pk).exists()
        assert not queued_passes()  # nothing is queued before the commit
    assert len(queued_passes()) == 1
    assert recorder.seen == []
    run_worker()
    assert recorder.seen == [("x", 1)]
    assert not queued_passes()
    run_worker()
    assert deliver_pending() == 0
    assert recorder.seen == [("x", 1)]
    assert OutboxDelivery.objects.get().state == DeliveryState.DONE


@pytest.mark.django_db(transaction=True)
def test_nothing_is_emitted_when_the_transaction_rolls_back(recorder):
    with pytest.raises(RuntimeError), transaction.atomic():
        emit("test.happened", object_type="tests.thing", object_id="x", payload={"n": 1})
        raise RuntimeError("the change fails after its event")
    assert not OutboxEvent.objects.exists() and not OutboxDelivery.objects.exists()
    assert not queued_passes()
    assert deliver_pending() == 0 and recorder.seen == []


@pytest.mark.django_db(transaction=True)
def test_emitting_outside_a_transaction_is_refused(recorder):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        emit("test.happened", object_type="tests.thing", object_id="x")
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_event_no_handler_wants_is_kept_but_queues_no_pass(recorder):
    emit_about("x", 1, topic="nobody.listens")
    assert OutboxEvent.objects.count() == 1 and not OutboxDelivery.objects.exists()
    assert not queued_passes()


@pytest.mark.django_db(transaction=True)
def test_a_failed_try_queues_a_pass_for_the_time_of_its_retry(recorder):
    recorder.failing = {"x"}
    emit_about("x", 1)
    run_worker()
    failed = OutboxDelivery.objects.get()
    assert failed.state == DeliveryState.FAILED
    retry = DBTaskResult.objects.get(task_path=TASK_PATH, status="READY")
    assert retry.run_after == failed.next_attempt_at
    assert not queued_passes()  # not due yet
    recorder.failing.clear()
    a_moment_ago = timezone.now() - dt.timedelta(seconds=1)  # the backoff has passed
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=a_moment_ago)
    OutboxDelivery.objects.update(next_attempt_at=a_moment_ago)
    run_worker()
    assert recorder.seen == [("x", 1)]


@pytest.mark.django_db
def test_the_task_is_one_delivery_pass(recorder):
    emit_about("x", 1)
    assert deliver_outbox.call() == 1
    assert recorder.seen == [("x", 1)]


@pytest.mark.django_db
def test_the_command_shows_runs_and_requeues_deliveries(settings, recorder):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    recorder.failing = {"x"}
    emit_about("x", 1)
    emit_about("y", 2)

    def outbox(*args: str) -> str:
        out = StringIO()
        call_command("outbox", *args, stdout=out)
        return out.getvalue()

    assert "pending 2" in outbox()
    assert outbox("--once").strip() == "已投递 1 条"
    status = outbox()
    assert "done 1" in status and "dead 1" in status
    assert "tests.recorder" in status and "cannot take x now" in status
    recorder.failing.clear()
    assert outbox("--requeue-dead", "--once").splitlines() == ["已重新排队 1 条投递", "已投递 1 条"]
    assert recorder.seen == [("y", 2), ("x", 1)]
    assert "done 2" in outbox()
