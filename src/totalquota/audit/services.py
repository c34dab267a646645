"""Writing audit events. Every service calls :func:`record` inside its own transaction.

The event is chained (keyed digest, see :mod:`totalquota.audit.chain`) right after that
transaction commits.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from totalquota.accounts.permissions import Principal
from totalquota.audit import chain
from totalquota.audit.models import AuditEvent, AuditPending
from totalquota.common import rawsql
from totalquota.common.i18n import chinese
from totalquota.common.middleware import current_request_id

if TYPE_CHECKING:
    from totalquota.accounts.models import User


def to_json(value: Any) -> Any:
    """``value`` as plain JSON types (dates as ISO strings, Decimals as strings, ids as ints)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of ``obj`` (foreign keys as ids), for ``before``/``after``."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        value = field.value_from_object(obj)
        data[field.attname] = value.name or "" if isinstance(field, models.FileField) else value
    return to_json(data)


def record(
    *,
    actor: Principal | User | None,
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
    user: User | None
    if isinstance(actor, Principal):
        user, token_id, role = actor.user, actor.token_id, str(actor.role)
    else:
        user, token_id, role = actor, None, (actor.role if actor is not None else "") or ""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        object_repr = chinese(obj) if object_repr is None else object_repr  # stored in Chinese
    actor_id = user.pk if user is not None else None
    event = AuditEvent(
        at=timezone.now(),
        actor_id=actor_id,
        actor_label=(str(user) if user is not None else "系统")[:150],
        role=role,
        token_id=token_id,
        action=action,
        object_type=object_type or "",
        object_id=str(object_id if object_id is not None else ""),
        object_repr=(object_repr or "")[:200],
        before=to_json(before),
        after=to_json(after),
        request_id=current_request_id() or "",
    )
    # Only inserts: no shared row is locked here, so writers in different zones never wait on each
    # other for the audit log. The event is linked into the chain right after this transaction
    # commits (chain.schedule), by the chainer, which alone locks the chain head.
    # The event and its row in the chainer's queue: one statement on PostgreSQL.
    rawsql.insert([event], with_child=(AuditPending, "event_id"))
    chain.schedule()
    return event


def record_change(*, actor: Principal | User | None, action: str, obj: models.Model, **values: Any) -> None:
    """Set ``values`` on ``obj``, save only those fields and record the change: the fields'
    values before and after, in the caller's transaction."""
    fields = list(values)
    before = snapshot(obj, fields)
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save(update_fields=fields)
    record(actor=actor, action=action, obj=obj, before=before, after=snapshot(obj, fields))
