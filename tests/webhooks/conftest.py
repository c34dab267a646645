"""A real receiver for the webhook tests: an HTTP server on 127.0.0.1 in a thread that checks
every request's signature with the verification code of docs/integration.md, notes what it got,
and answers what the test tells it to."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from totalquota.outbox import deliver_pending, emit
from totalquota.outbox.models import OutboxEvent

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integration.md"


def documented_verify():
    """The ``verify`` function of the integration guide, run as written there."""
    text = GUIDE.read_text(encoding="utf-8")
    code = re.search(r"```python\n# verify-webhook\n(.*?)```", text, re.S)
    assert code, "the guide has no signature verification example"
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)
    return namespace["verify"]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    started: float
    ended: float = 0.0

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the server got; ``status`` is what it answers, ``delay`` how long it takes."""

    url: str = ""
    secret: str = ""
    secrets: dict[str, str] = field(default_factory=dict)  # by path, when several subscriptions
    status: int = 200
    delay: float = 0.0
    got: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sequences(self) -> list[int]:
        return [r.document["sequence"] for r in self.got]


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    """The receiver listens on 127.0.0.1, a loopback address the platform refuses by default: the
    tests that post to it allow private hosts, as a park whose partner systems receive on its
    intranet does (``WEBHOOK_ALLOW_PRIVATE_HOSTS``). The refusal itself is tested with it off."""
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    verify = documented_verify()
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            started = time.monotonic()
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            secret = state.secrets.get(self.path, state.secret)
            ok = verify(secret, self.headers.get("X-Quota-Signature", ""), body)
            entry = Received(self.path, dict(self.headers), body, ok, started)
            time.sleep(state.delay)
            entry.ended = time.monotonic()
            with state.lock:
                state.got.append(entry)
            self.send_response(state.status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if state.status < 300 else b"receiver is down")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def emit_and_fan_out(topic: str, object_id: str = "1", **payload: Any) -> OutboxEvent:
    """Emit a shared event in its own transaction, then run the outbox (the webhooks' handler
    writes the deliveries)."""
    with transaction.atomic():
        event = emit(topic, object_type="tests.thing", object_id=object_id, payload=payload)
    deliver_pending()
    return event
