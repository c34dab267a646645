"""Sending webhook deliveries: the body, the signature, the tries and their backoff.

Guarantees
----------
- **At least once.** A delivery is posted until its receiver answers 2xx; a worker that dies
  between the post and the record of its answer leaves it to be posted again. Receivers drop
  repeats by ``id`` (the event) or ``sequence`` (per subscription).
- **In order per subscription.** A delivery is not sent while an earlier sequence of its
  subscription is not done (pending, failed, being sent, or dead): a receiver sees 1, 2, 3 …
  A dead delivery therefore holds its subscription's later ones back until it is replayed; the
  delivery log shows it. Subscriptions do not wait for each other.
- **Never twice at the same moment.** A worker claims a delivery (a lease, ``claimed_until``)
  in a short transaction, posts it outside any transaction, then records the answer. Two workers
  never claim the same delivery: on PostgreSQL the due row is locked with SKIP LOCKED while it is
  claimed, on SQLite writers are serialised (BEGIN IMMEDIATE). No database lock is held during
  the HTTP request.
- **Only to public addresses.** Before each try the receiver's host is resolved and checked
  (:mod:`totalquota.webhooks.addresses`); a try whose host is, or resolves to, a loopback,
  private, link-local or otherwise forbidden address is not sent: it is recorded as refused and
  counts as a failed try. Otherwise the request goes to the address that was checked.
- **Retries.** A non-2xx answer, a timeout or a refused connection is tried again after a wait
  that doubles from ``WEBHOOK_BACKOFF_SECONDS`` (30) up to ``WEBHOOK_BACKOFF_MAX_SECONDS``
  (3600); after ``WEBHOOK_MAX_ATTEMPTS`` (8) tries the delivery is dead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from totalquota.webhooks import addresses
from totalquota.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookState

log = logging.getLogger(__name__)

# Defaults of the settings: tries 30 s, 1, 2, 4 … minutes apart, at most an hour, dead after the
# eighth (about an hour and a quarter after the first).
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
TIMEOUT_SECONDS = 5
LEASE_MARGIN_SECONDS = 30  # a claim outlives the request's timeout by this much
EXCERPT_CHARS = 500
USER_AGENT = "totalquota-webhooks/1"


def max_attempts() -> int:
    return int(getattr(settings, "WEBHOOK_MAX_ATTEMPTS", MAX_ATTEMPTS))


def timeout() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", TIMEOUT_SECONDS))


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed try: doubling each time, capped."""
    base = float(getattr(settings, "WEBHOOK_BACKOFF_SECONDS", BACKOFF_SECONDS))
    cap = float(getattr(settings, "WEBHOOK_BACKOFF_MAX_SECONDS", BACKOFF_MAX_SECONDS))
    return dt.timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


def body_of(delivery: WebhookDelivery) -> bytes:
    """The request body: the same bytes at every try and replay of ``delivery`` (UTF-8 JSON)."""
    event = delivery.event
    document = {
        "id": event.pk,
        "sequence": delivery.sequence,
        "topic": event.topic,
        "occurred_at": event.created_at.isoformat(),
        "object": {"type": event.object_type, "id": event.object_id},
        "data": event.payload or {},
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``X-Quota-Signature``: ``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


@dataclass(frozen=True)
class Answer:
    """What one post got: the status (``None`` when no answer came), the time it took, the start
    of the answer's body or the error; ``refused`` when it was not sent at all (the address rule)."""

    status: int | None
    duration_ms: int
    excerpt: str
    refused: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(delivery: WebhookDelivery) -> Answer:
    """Post ``delivery`` to its subscription's URL, signed now (stdlib ``urllib``, no redirects
    followed, no proxy, the timeout of ``WEBHOOK_TIMEOUT_SECONDS``), to the address checked just
    before; refused without sending when the address rule forbids it."""
    started = time.monotonic()
    target = addresses.delivery_target(delivery.subscription.url)
    if target.refusal:
        return Answer(None, _ms_since(started), target.refusal[:EXCERPT_CHARS], refused=True)
    if target.unresolved:
        return Answer(None, _ms_since(started), target.unresolved[:EXCERPT_CHARS])
    body = body_of(delivery)
    now = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Quota-Event-Id": str(delivery.event_id),
        "X-Quota-Sequence": str(delivery.sequence),
        "X-Quota-Topic": delivery.topic,
        "X-Quota-Timestamp": str(now),
        "X-Quota-Signature": signature(delivery.subscription.secret, now, body),
    }
    request = urllib.request.Request(delivery.subscription.url, data=body, headers=headers, method="POST")
    # No proxy from the environment: the request goes where the address rule was checked.
    handlers: list[Any] = [_NoRedirect, urllib.request.ProxyHandler({})]
    if target.address is not None:
        handlers += [_PinnedHTTP(target.address), _PinnedHTTPS(target.address)]
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(request, timeout=timeout()) as response:
            status, text = response.status, response.read(EXCERPT_CHARS)
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read(EXCERPT_CHARS) if exc.fp is not None else b""
    except Exception as exc:  # refused, timed out, bad certificate, unreadable answer
        return Answer(None, _ms_since(started), f"{type(exc).__name__}: {exc}"[:EXCERPT_CHARS])
    return Answer(status, _ms_since(started), text.decode("utf-8", "replace")[:EXCERPT_CHARS])


def _pinned(connection: type[http.client.HTTPConnection], address: str) -> type[http.client.HTTPConnection]:
    """``connection`` opening its socket to ``address`` whatever its host (which still names the
    receiver in the Host header and, for https, in TLS's server name and certificate check)."""

    class Pinned(connection):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)

            def create_connection(where: tuple[str, int], *rest: Any, **options: Any) -> socket.socket:
                return socket.create_connection((address, where[1]), *rest, **options)

            self._create_connection = create_connection

    return Pinned


class _PinnedHTTP(urllib.request.HTTPHandler):
    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_pinned(http.client.HTTPConnection, self.address), req)


class _PinnedHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(
            _pinned(http.client.HTTPSConnection, self.address),
            req,
            context=self._context,  # type: ignore[attr-defined]
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer (3xx, not done), not a request to follow with the signed body."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def due() -> QuerySet[WebhookDelivery]:
    """Deliveries to send now, oldest first: pending or failed and due, of an active subscription,
    not claimed by a worker, and with no earlier sequence of their subscription not done."""
    now = timezone.now()
    earlier_not_done = WebhookDelivery.objects.filter(
        subscription_id=OuterRef("subscription_id"), sequence__lt=OuterRef("sequence")
    ).exclude(state=WebhookState.DONE)
    return (
        WebhookDelivery.objects.filter(
            state__in=[WebhookState.PENDING, WebhookState.FAILED],
            next_attempt_at__lte=now,
            subscription__active=True,
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(~Exists(earlier_not_done))
        .order_by("next_attempt_at", "id")
    )


def claim() -> WebhookDelivery | None:
    """Take the first due delivery for this worker (its lease set, committed), or ``None``."""
    with transaction.atomic():
        # Lock: the due delivery row (FOR UPDATE SKIP LOCKED), only while its lease is written, so
        # that two workers never claim the same delivery: the second skips it and takes another
        # due one (of another subscription: a later one of the same subscription is held back by
        # this one not being done). Delivery rows are locked only here and in the replay service
        # (one row); no other transaction of the platform takes them, so no cycle can form. On
        # SQLite select_for_update is a no-op: BEGIN IMMEDIATE serialises the workers.
        delivery = (
            due()
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("event", "subscription")
            .first()
        )
        if delivery is None:
            return None
        lease = dt.timedelta(seconds=timeout() + LEASE_MARGIN_SECONDS)
        delivery.claimed_until = timezone.now() + lease
        delivery.save(update_fields=["claimed_until"])
    return delivery


def record(delivery: WebhookDelivery, answer: Answer) -> None:
    """Write the try's log row and the delivery's new state, in one transaction."""
    with transaction.atomic():
        delivery.attempts += 1
        WebhookAttempt.objects.create(
            delivery=delivery,
            status_code=answer.status,
            duration_ms=answer.duration_ms,
            excerpt=answer.excerpt,
            ok=answer.ok,
            refused=answer.refused,
            replay=delivery.replay,
        )
        delivery.last_status = answer.status
        delivery.claimed_until = None
        delivery.replay = False
        if answer.ok:
            delivery.state = WebhookState.DONE
            delivery.delivered_at = timezone.now()
            delivery.last_error = ""
        else:
            delivery.last_error = answer.excerpt if answer.status is None else f"HTTP {answer.status}"
            if delivery.attempts >= max_attempts():
                delivery.state = WebhookState.DEAD
                log.error("webhook delivery %s dead after %s tries", delivery, delivery.attempts)
            else:
                delivery.state = WebhookState.FAILED
                delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
                transaction.on_commit(partial(schedule, run_after=delivery.next_attempt_at), robust=True)
        delivery.save(
            update_fields=[
                "attempts",
                "state",
                "last_status",
                "last_error",
                "claimed_until",
                "replay",
                "delivered_at",
                "next_attempt_at",
            ]
        )
    if answer.ok:
        # Its subscription's next delivery may be due now.
        transaction.on_commit(schedule, robust=True)


def deliver_one() -> bool | None:
    """Claim, post and record the first due delivery: whether it was received, ``None`` when
    nothing is due."""
    delivery = claim()
    if delivery is None:
        return None
    record(delivery, post(delivery))
    return delivery.state == WebhookState.DONE


def deliver_due(*, limit: int = 500) -> int:
    """Send due deliveries one by one until none is due or ``limit`` were tried; the number
    received. Any number of passes may run at once (the task beside ``webhooks_deliver``)."""
    received = 0
    for _ in range(limit):
        outcome = deliver_one()
        if outcome is None:
            break
        received += outcome
    return received


def schedule(run_after: dt.datetime | None = None) -> None:
    """Queue a delivery pass as a task: now, or at ``run_after`` if the backend can defer tasks
    (otherwise the next pass, or ``webhooks_deliver``, takes it)."""
    from totalquota.webhooks.tasks import deliver_webhooks

    task = deliver_webhooks
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return
        task = task.using(run_after=run_after)
    task.enqueue()
