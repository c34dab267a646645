"""Writing audit events. Every service calls :func:`record` inside its own transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from totalquota.audit.models import AuditChainHead, AuditEvent
from totalquota.common import rawsql
from totalquota.common.middleware import current_request_id

GENESIS = "0" * 64


def to_json(value: Any) -> Any:
    """``value`` as plain JSON types (dates as ISO strings, Decimals as strings, ids as ints)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of ``obj`` (foreign keys as ids), for ``before``/``after``."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        data[field.attname] = field.value_from_object(obj)
    return to_json(data)


def event_digest(
    *,
    prev_hash: str,
    seq: int,
    at: dt.datetime,
    actor_id: int | None,
    token_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    before: Any,
    after: Any,
    request_id: str,
) -> str:
    """SHA-256 over the previous link and this event's content, in a canonical JSON form."""
    body = json.dumps(
        {
            "seq": seq,
            "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor": actor_id,
            "token": token_id,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "before": before,
            "after": after,
            "request_id": request_id,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    object_repr: str | None = None,
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    """Append an audit event for a write happening in the caller's transaction.

    ``actor`` is a ``User``, a ``Principal`` or ``None`` (the platform itself, e.g. a migration or
    an expiry task). Refuses to run outside a transaction: an event must commit or roll back with
    the change it describes.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction of the change it records")
    user = getattr(actor, "user", actor)
    token_id = getattr(actor, "token_id", None)
    role = str(getattr(actor, "role", "") or "")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        object_repr = str(obj) if object_repr is None else object_repr
    before_json, after_json = to_json(before), to_json(after)
    at = timezone.now()
    request_id = current_request_id() or ""
    # Lock the chain head: appends are serialised so that each event links to exactly one
    # predecessor. The lock is held to the end of the caller's transaction, which is why services
    # record their audit event last, after their own row locks. (Plain SQL: this runs for every
    # write in the platform.)
    head_table = rawsql.quote(AuditChainHead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {head_table} h WHERE h.id = 1{rawsql.lock_clause('h')}")
        row = cursor.fetchone()
        if row is None:
            AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS})
            cursor.execute(f"SELECT seq, hash FROM {head_table} h WHERE h.id = 1{rawsql.lock_clause('h')}")
            row = cursor.fetchone()
    prev_seq, prev_hash = row
    seq = prev_seq + 1
    actor_id = user.pk if user is not None else None
    object_id_text = str(object_id if object_id is not None else "")
    digest = event_digest(
        prev_hash=prev_hash,
        seq=seq,
        at=at,
        actor_id=actor_id,
        token_id=token_id,
        action=action,
        object_type=object_type or "",
        object_id=object_id_text,
        before=before_json,
        after=after_json,
        request_id=request_id,
    )
    event = AuditEvent(
        seq=seq,
        at=at,
        actor_id=actor_id,
        actor_label=(str(user) if user is not None else "系统")[:150],
        role=role or (getattr(user, "role", "") or ""),
        token_id=token_id,
        action=action,
        object_type=object_type or "",
        object_id=object_id_text,
        object_repr=(object_repr or "")[:200],
        before=before_json,
        after=after_json,
        request_id=request_id,
        prev_hash=prev_hash,
        hash=digest,
    )
    # The event and the new chain head are written together (one statement on PostgreSQL).
    rawsql.insert(
        [event], with_update=(f"UPDATE {head_table} SET seq = %s, hash = %s WHERE id = 1", [seq, digest])
    )
    return event
