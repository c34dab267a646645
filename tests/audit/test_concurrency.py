"""On PostgreSQL, writers never wait on the audit chain, and every event is still linked."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections, transaction

from totalquota.audit.chain import chain_pending
from totalquota.audit.models import AuditChainHead, AuditEvent, AuditLink, AuditPending
from totalquota.audit.selectors import verify_chain
from totalquota.audit.services import record

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

WRITERS = 8
EVENTS_EACH = 25


def test_parallel_writers_leave_every_event_linked_exactly_once_in_one_unbroken_chain(world):
    barrier = threading.Barrier(WRITERS)
    errors = []

    def writer(n):
        try:
            barrier.wait()
            for i in range(EVENTS_EACH):
                with transaction.atomic():
                    record(actor=world.admin, action="x.parallel", object_type="t", object_id=f"{n}-{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    # Linked right after the commits, by whichever writer's chainer held the head: nothing waits
    # for a periodic run.
    assert not AuditPending.objects.exists()
    assert AuditEvent.objects.count() == AuditLink.objects.count() == WRITERS * EVENTS_EACH
    assert list(AuditLink.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, WRITERS * EVENTS_EACH + 1)
    )
    assert verify_chain().ok


def test_a_write_does_not_wait_for_the_chain_head(world):
    with transaction.atomic():  # a first event, so that the head exists
        record(actor=world.admin, action="x.first", object_type="t", object_id=0)
    assert AuditChainHead.objects.filter(pk=1).exists()
    held, release = threading.Event(), threading.Event()
    outcome: dict[str, bool] = {}

    def holder():
        try:
            with transaction.atomic():
                AuditChainHead.objects.select_for_update().get(pk=1)
                held.set()
                # True only if the test released the head after its write had committed; a write
                # that waited on the head would still be waiting when this gives up.
                outcome["released_after_the_write"] = release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(timeout=10)
        with transaction.atomic():
            event = record(actor=world.admin, action="x.meanwhile", object_type="t", object_id=1)
    finally:
        release.set()
        thread.join(timeout=30)
    # The write and its commit went through while the head was locked; its event waits in the queue.
    assert outcome == {"released_after_the_write": True}
    assert AuditPending.objects.filter(event_id=event.pk).exists()
    assert chain_pending() == 1
    assert AuditEvent.objects.get(pk=event.pk).seq == 2
    assert verify_chain().ok


def test_with_a_chaining_delay_a_thread_of_the_process_links_the_commits_of_the_moment(world, settings):
    from totalquota.audit import chain

    settings.AUDIT_CHAIN_DELAY_MS = 50
    for i in range(20):
        with transaction.atomic():
            record(actor=world.admin, action="x.later", object_type="t", object_id=i)
    deadline = time.monotonic() + 10
    while AuditPending.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not AuditPending.objects.exists(), "events were not linked shortly after their commit"
    assert AuditLink.objects.count() == 20
    assert verify_chain().ok
    # The thread gives its connection back when quiet (the test database can then be dropped).
    deadline = time.monotonic() + chain._Background.IDLE_CLOSE_SECONDS + 5
    while chain._background.connected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not chain._background.connected
