"""Linking committed audit events into the keyed chain, and recomputing links.

Why after commit: linking needs the previous link, so appends to the chain are serialised on the
chain head. If that happened inside every business transaction (as it once did), every write of
the park would wait on the head until the slowest writer committed, and the head, locked last
there, met ledger rows locked in other orders on other paths (deadlocks). Here the business
transaction only inserts its event (plus a row in the pending queue) and takes no shared lock;
the head is locked only by the chainer, in a short transaction of its own that locks nothing
else, so it can neither deadlock with business locks nor make one zone wait for another longer
than the chaining itself.

The chainer runs right after each commit that recorded events (``transaction.on_commit``), from
``manage.py audit_chain`` (which can run periodically, and is harmless to run any time) and at the
start of ``audit_verify`` and ``ledger_reconcile``.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import logging
import os
import threading
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from totalquota.audit import keys as keyring
from totalquota.audit.models import AuditChainHead, AuditEvent, AuditLink, AuditPending
from totalquota.common import rawsql

log = logging.getLogger(__name__)

GENESIS = "0" * 64
BATCH = 500


class ChainRefused(RuntimeError):
    """Chaining cannot go on (the carried-over chain is broken, or there is no key)."""


def _canonical(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return value


def event_content(event: AuditEvent) -> dict[str, Any]:
    """Every stored column of ``event`` (by column name), in plain JSON types.

    Built from the model's fields, so a column added later is covered without anyone having to
    remember it."""
    return {
        str(field.column): _canonical(field.value_from_object(event)) for field in event._meta.concrete_fields
    }


def link_message(
    *, seq: int, prev: str, key_id: str, algorithm: str, linked_at: dt.datetime, content: dict[str, Any]
) -> bytes:
    body = {
        "v": 2,
        "seq": seq,
        "prev": prev,
        "key": key_id,
        "alg": algorithm,
        "linked_at": _canonical(linked_at),
        "event": content,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def link_mac(link: AuditLink, event: AuditEvent, key: bytes) -> str:
    message = link_message(
        seq=link.seq,
        prev=link.prev,
        key_id=link.key_id,
        algorithm=link.algorithm,
        linked_at=link.linked_at,
        content=event_content(event),
    )
    return keyring.mac(key, link.algorithm, message)


def head_message(head: AuditChainHead) -> bytes:
    body = {
        "head": 2,
        "seq": head.seq,
        "hash": head.hash,
        "v1_seq": head.v1_seq,
        "v1_hash": head.v1_hash,
        "carried": head.carried,
        "key": head.key_id,
        "alg": head.algorithm,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def anchor(head: AuditChainHead) -> str:
    """What the first link's ``prev`` is: the last hash of the carried-over chain, or zeros."""
    return head.v1_hash or GENESIS


# --- the plain SHA-256 chain of events written before keyed links (v1) -----------------------------


def v1_digest(event: AuditEvent) -> str:
    """The digest events carried a ``v1_hash`` of (kept only to verify them before carrying)."""
    import hashlib

    body = json.dumps(
        {
            "seq": event.v1_seq,
            "at": _canonical(event.at),
            "actor": event.actor_id,
            "token": event.token_id,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "before": event.before,
            "after": event.after,
            "request_id": event.request_id,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((event.v1_prev_hash + body).encode()).hexdigest()


def verify_v1(head: AuditChainHead) -> tuple[int, str]:
    """Check the old chain as the old verifier did; (count, problem or "")."""
    prev, expected = GENESIS, 1
    for event in AuditEvent.objects.filter(v1_seq__isnull=False).order_by("v1_seq").iterator(chunk_size=2000):
        if event.v1_seq != expected:
            return expected - 1, f"旧链缺少序号 {expected}"
        if event.v1_prev_hash != prev or v1_digest(event) != event.v1_hash:
            return expected - 1, f"旧链序号 {expected} 的记录与哈希不符"
        prev = event.v1_hash or ""
        expected += 1
    if head.v1_seq != expected - 1 or (expected > 1 and head.v1_hash != prev):
        return expected - 1, f"旧链链头指向序号 {head.v1_seq}，但记录只到 {expected - 1}"
    return expected - 1, ""


# --- chaining --------------------------------------------------------------------------------------


def _locked_head(*, wait: bool) -> AuditChainHead | None:
    """Lock the chain head: the only lock the chainer takes, and only the chainer takes it; it
    serialises appends so that every link follows exactly one predecessor, and nothing else is
    locked while it is held (so it is ordered after every business lock: their transactions have
    committed before the chainer starts). Without ``wait``, ``None`` if another chainer holds it
    (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises the chainers)."""
    head = AuditChainHead.objects.select_for_update(skip_locked=not wait).filter(pk=1).first()
    if head is None:
        if not wait and AuditChainHead.objects.filter(pk=1).exists():
            return None
        carried = not AuditEvent.objects.filter(v1_seq__isnull=False).exists()
        AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": "", "carried": carried})
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def _keyring_for(head: AuditChainHead) -> keyring.Keyring:
    try:
        return keyring.load()
    except keyring.KeyringError:
        # A first key is made only for a chain that has no link yet; once links exist, a missing
        # keyring is a lost key (restore it from the backup), never something to paper over.
        if head.seq == 0 and not AuditLink.objects.exists() and keyring.ensure_key():
            log.warning("audit: created the keyring %s; keep it in every backup", keyring.key_file())
            return keyring.load()
        raise


def _append(head: AuditChainHead, ring: keyring.Keyring, events: Iterable[AuditEvent]) -> list[AuditLink]:
    algorithm = keyring.digest_name()
    key_id, key = ring.newest, ring.keys[ring.newest]
    now = timezone.now()
    links = []
    prev = head.hash or anchor(head)
    seq = head.seq
    for event in events:
        seq += 1
        link = AuditLink(
            seq=seq, event_id=event.pk, prev=prev, mac="", key_id=key_id, algorithm=algorithm, linked_at=now
        )
        link.mac = link_mac(link, event, key)
        links.append(link)
        prev = link.mac
    if links:
        _insert_links(links)
        head.seq, head.hash = seq, prev
    return links


def _insert_links(links: list[AuditLink]) -> None:
    """One multi-row INSERT per batch (a chaining after a busy moment links many events at once)."""
    table = rawsql.quote(AuditLink._meta.db_table)
    linked_at = AuditLink._meta.get_field("linked_at")
    for start in range(0, len(links), 100):
        part = links[start : start + 100]
        values, params = [], []
        for link in part:
            values.append("(%s, %s, %s, %s, %s, %s, %s)")
            params += [
                link.seq,
                link.event_id,
                link.prev,
                link.mac,
                link.key_id,
                link.algorithm,
                linked_at.get_db_prep_save(link.linked_at, connection),
            ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (seq, event_id, prev, mac, key_id, algorithm, linked_at) VALUES "
                + ", ".join(values),
                params,
            )


def _save_head(head: AuditChainHead, ring: keyring.Keyring) -> None:
    head.key_id, head.algorithm = ring.newest, keyring.digest_name()
    head.head_mac = keyring.mac(ring.keys[ring.newest], head.algorithm, head_message(head))
    table = rawsql.quote(AuditChainHead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET seq = %s, hash = %s, head_mac = %s, key_id = %s, algorithm = %s, "
            "v1_seq = %s, v1_hash = %s, carried = %s WHERE id = %s",
            [
                head.seq,
                head.hash,
                head.head_mac,
                head.key_id,
                head.algorithm,
                head.v1_seq,
                head.v1_hash,
                head.carried,
                head.pk,
            ],
        )


def head_ok(head: AuditChainHead, ring: keyring.Keyring) -> bool:
    """The head's own HMAC verifies with the key it names."""
    key = ring.get(head.key_id)
    return key is not None and keyring.mac(key, head.algorithm, head_message(head)) == head.head_mac


def _check_head(head: AuditChainHead, ring: keyring.Keyring) -> None:
    """Refuse to append after a head that does not verify: the chainer holds the key, and must not
    sign whatever someone put in the head (e.g. a head moved back over a deleted tail)."""
    if not head.head_mac and head.seq == 0 and not head.hash:
        return  # nothing linked yet
    if not head_ok(head, ring):
        raise ChainRefused("审计链头的摘要不符（链头被改动），拒绝继续入链；请运行 audit_verify 并核查")


def _carry_over(head: AuditChainHead, ring: keyring.Keyring) -> int:
    """Link the events of the plain SHA-256 chain, in their old order, after verifying it."""
    checked, problem = verify_v1(head)
    if problem:
        raise ChainRefused(f"旧审计链（SHA-256）核验未通过，拒绝接续：{problem}")
    linked = 0
    batch: list[AuditEvent] = []
    for event in AuditEvent.objects.filter(v1_seq__isnull=False).order_by("v1_seq").iterator(chunk_size=2000):
        batch.append(event)
        if len(batch) == 2000:
            linked += len(_append(head, ring, batch))
            batch = []
    linked += len(_append(head, ring, batch))
    head.carried = True
    log.info("audit: carried %s events of the SHA-256 chain (anchor %s)", checked, head.v1_hash)
    return linked


def chain_pending(*, wait: bool = True, recheck: bool = True, batch_size: int = BATCH) -> int:
    """Link every committed event not linked yet, oldest id first; the number linked.

    Each batch is its own short transaction: lock the head, read the queue, write the links,
    clear the queue rows, move the head. An empty queue costs two statements.

    With ``wait=False`` (after each commit) a chainer finding the head locked leaves at once
    instead of queueing behind it: on a busy machine a chainer can lose the processor while it
    holds the head, and every writer of the park would wait on it. Nothing is left behind: every
    chainer, after releasing the head, looks at the queue again and goes on if it is not empty, so
    an event committed before a chainer gave up is seen either by the one holding the head then
    (its look after release comes later) or by whoever takes the head after it."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        # As on PostgreSQL (synchronous_commit off below), the chaining need not wait for the disk:
        # WAL frames reach it in order, so a chaining lost in a power cut is lost whole and its
        # events are still queued. Without this, every write on SQLite would pay a second durable
        # commit (synchronous=FULL) for its own chaining.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")
        try:
            return _chain_batches(wait=wait, recheck=recheck, batch_size=batch_size)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=FULL")
    return _chain_batches(wait=wait, recheck=recheck, batch_size=batch_size)


def _chain_batches(*, wait: bool, recheck: bool, batch_size: int) -> int:
    total = 0
    pending_table = rawsql.quote(AuditPending._meta.db_table)
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Safe without waiting for the disk: a chaining lost in a crash is lost whole (links,
                # head and queue rows together), so its events are still queued and are linked again.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            head = _locked_head(wait=wait)
            if head is None:
                return total
            ring = _keyring_for(head)
            _check_head(head, ring)
            changed = not head.head_mac
            if not head.carried:
                total += _carry_over(head, ring)
                changed = True
            queue = AuditPending.objects.order_by("event_id").values("event_id")[:batch_size]
            events = list(
                AuditEvent.objects.filter(pk__in=Subquery(queue))
                .annotate(linked=Exists(AuditLink.objects.filter(event_id=OuterRef("pk"))))
                .order_by("id")
            )
            # An event already linked (its queue row put back by hand) is never linked twice.
            links = _append(head, ring, [e for e in events if not e.linked])  # type: ignore[attr-defined]
            if events:
                ids = [e.pk for e in events]
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"DELETE FROM {pending_table} WHERE event_id IN ({', '.join(['%s'] * len(ids))})", ids
                    )
            if links or changed:
                _save_head(head, ring)
            total += len(links)
        if len(events) == batch_size:
            continue
        # recheck=False: the caller looks at the queue itself after a pause (the chaining thread),
        # rather than chasing every commit that lands meanwhile one by one.
        if wait or not recheck or not AuditPending.objects.exists():
            return total


def chain_after_commit(*, recheck: bool = True) -> None:
    """``on_commit`` hook: link what was just committed. Never fails the request whose change is
    already committed: a problem is logged, the events stay queued, and the verifier reports them
    if they stay unchained."""
    try:
        chain_pending(wait=False, recheck=recheck)
    except Exception:
        log.exception("audit: chaining after commit failed; events stay queued for manage.py audit_chain")


class _AfterCommit:
    """One chaining per transaction, however many events it records (a hook not run yet is reused)."""

    def __init__(self) -> None:
        self.ran = False

    def __call__(self) -> None:
        self.ran = True
        delay = _delay_seconds()
        if delay:
            _background.kick(delay)
        else:
            chain_after_commit()


def _delay_seconds() -> float:
    """``AUDIT_CHAIN_DELAY_MS``, on every database: on PostgreSQL it keeps writers of different
    zones from meeting on the head; on SQLite, which writes one transaction at a time anyway, it
    spares each write a chaining transaction of its own (one chaining links the commits of the
    moment). An in-memory SQLite database (tests) is not shared with another thread, so there the
    hook chains at once."""
    in_memory = getattr(connection, "is_in_memory_db", None)  # the SQLite backend's own test
    if in_memory is not None and in_memory():
        return 0.0
    return max(0, int(getattr(settings, "AUDIT_CHAIN_DELAY_MS", 0) or 0)) / 1000


class _Background:
    """One thread per process that chains shortly after commits, gathering those of the moment
    into one chaining (a busy process links many events per chaining instead of one each). It has
    its own database connection. Events of a process that dies before its thread runs stay
    queued: ``manage.py audit_chain`` (every minute) links them and the verifier reports them if
    they waited longer than the grace period."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.delay = 0.2
        self.connected = False
        self.busy = False

    IDLE_CLOSE_SECONDS = 2.0

    def kick(self, delay: float) -> None:
        self.delay = delay
        with self._lock:
            # A forked process (e.g. a server's worker) has no thread of its own yet.
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="audit-chainer", daemon=True)
                self._thread.start()
        self._wanted.set()

    def _run(self) -> None:
        while True:
            if not self._wanted.wait(timeout=self.IDLE_CLOSE_SECONDS):
                # Quiet for a while: give the connection back (it is opened again when needed).
                connection.close()
                self.connected = False
                self._wanted.wait()
            time.sleep(self.delay)
            self._wanted.clear()
            self.connected = self.busy = True
            chain_after_commit(recheck=False)
            try:
                # Commits that landed meanwhile (or whose chainer gave way to this one): next round.
                if AuditPending.objects.exists():
                    self._wanted.set()
            except Exception:  # pragma: no cover - the next commit kicks the thread again
                log.exception("audit: looking at the chaining queue failed")
            self.busy = False
            try:
                connection.close_if_unusable_or_obsolete()
            except Exception:  # pragma: no cover - a broken connection is reopened next time
                log.exception("audit: closing the chainer's connection failed")

    def flush(self) -> None:
        """At exit: link what this process committed and its thread has not linked yet (waiting
        for the head if the thread, or another process, is chaining at that moment)."""
        if self._thread is None or self._pid != os.getpid() or not (self._wanted.is_set() or self.busy):
            return
        try:
            chain_pending(wait=True)
        except Exception:
            log.exception("audit: chaining at exit failed; events stay queued for manage.py audit_chain")


_background = _Background()
# Once per process: flush() itself looks whether this process has anything left to link.
atexit.register(_background.flush)


def schedule() -> None:
    """Make sure the chainer runs once after the current transaction commits."""
    conn = transaction.get_connection()
    if any(isinstance(func, _AfterCommit) and not func.ran for _sids, func, _robust in conn.run_on_commit):
        return
    transaction.on_commit(_AfterCommit())
