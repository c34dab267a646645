"""Handlers for the outbox tests: they note what they got, and fail when told to."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.db import transaction

from totalquota.outbox import emit, register, unregister
from totalquota.outbox.models import OutboxEvent


class Recorder:
    """A handler noting (object id, n) of every event it gets; it raises for the objects in
    ``failing``, as a handler whose other system is down would."""

    def __init__(self, name: str, delay: float = 0) -> None:
        self.name = name
        self.delay = delay  # seconds taken over each event
        self.seen: list[tuple[str, int]] = []
        self.failing: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, event: OutboxEvent) -> None:
        time.sleep(self.delay)
        if event.object_id in self.failing:
            raise RuntimeError(f"{self.name} cannot take {event.object_id} now")
        with self._lock:
            self.seen.append((event.object_id, event.payload["n"]))

    def of(self, object_id: str) -> list[int]:
        return [n for obj, n in self.seen if obj == object_id]


@pytest.fixture
def make_recorder() -> Iterator[Callable[..., Recorder]]:
    names: list[str] = []

    def make(pattern: str = "test.*", name: str = "tests.recorder", delay: float = 0) -> Recorder:
        recorder = Recorder(name, delay)
        register(pattern, recorder, name)
        names.append(name)
        return recorder

    yield make
    for name in names:
        unregister(name)


@pytest.fixture
def recorder(make_recorder) -> Recorder:
    return make_recorder()


def emit_about(object_id: str, n: int, topic: str = "test.happened") -> OutboxEvent:
    """Emit, in a transaction of its own, event number ``n`` about the thing ``object_id``."""
    with transaction.atomic():
        return emit(topic, object_type="tests.thing", object_id=object_id, payload={"n": n})
