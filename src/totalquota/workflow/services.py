"""Writes of the workflow kernel's own records: who is to decide an open item (指派)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal, may, require
from totalquota.audit.services import record
from totalquota.lib.errors import Conflict, ValidationFailed
from totalquota.workflow.kernel import TABLES, ActionTable
from totalquota.workflow.models import Assignment


def table_of(obj: models.Model) -> ActionTable[Any]:
    """The action table of ``obj``'s workflow, if it has actions four eyes applies to."""
    table = TABLES.get(type(obj))
    if table is None or not table.deciding:
        raise ValidationFailed(gettext("该事项不需要指派办理人"), field="item")
    return table


def is_waiting(obj: models.Model) -> bool:
    """Whether ``obj`` waits for a deciding action (a status one of them starts from)."""
    table = TABLES.get(type(obj))
    return table is not None and any(str(getattr(obj, "status", "")) in a.sources for a in table.deciding)


@transaction.atomic
def assignment_set(*, actor: Principal, obj: models.Model, assignee: Any, reason: str = "") -> Assignment:
    """A bureau administrator names who decides an open item. The assignee must hold the right
    to decide it and must not have prepared it (four eyes); the item must be waiting for a
    decision. Replaces an earlier assignment."""
    require(actor, "workflow.assign")
    table = table_of(obj)
    # Lock order step 1: the item's row, as the kernel takes it before deciding, so an assignment
    # and a decision of one item go one after the other.
    obj = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    if not is_waiting(obj):
        raise Conflict(
            gettext("{item}不在待决定状态，不能指派").format(item=table.label), clause=table.clause
        )
    user_model = get_user_model()
    if not isinstance(assignee, user_model) or not assignee.is_active:
        raise ValidationFailed(gettext("请选择在岗的办理人"), field="assignee")
    if not any(may(assignee, a.permission) for a in table.deciding):
        raise ValidationFailed(
            gettext("{assignee} 无权决定{item}").format(assignee=assignee, item=table.label), field="assignee"
        )
    if table.preparers is not None and assignee.pk in set(table.preparers(obj)):
        raise ValidationFailed(
            f"{assignee} 编制或拟定了{table.label}，按四眼原则不能决定", field="assignee", clause=table.clause
        )
    kind = ContentType.objects.get_for_model(obj)
    current = Assignment.objects.select_for_update().filter(content_type=kind, object_id=obj.pk).first()
    before = {"assignee": current.assignee_id} if current else None
    assignment, _created = Assignment.objects.update_or_create(
        content_type=kind,
        object_id=obj.pk,
        defaults={"assignee": assignee, "assigned_by": actor.user, "reason": (reason or "").strip()},
    )
    record(
        actor=actor,
        action="workflow.assign",
        obj=obj,
        before=before,
        after={"assignee": assignee.pk, "reason": assignment.reason},
    )
    return assignment


@transaction.atomic
def assignment_clear(*, actor: Principal, obj: models.Model) -> None:
    """Remove an item's assignment: every reviewer but its preparers may decide it again."""
    require(actor, "workflow.assign")
    table_of(obj)
    kind = ContentType.objects.get_for_model(obj)
    current = Assignment.objects.select_for_update().filter(content_type=kind, object_id=obj.pk).first()
    if current is None:
        raise Conflict(gettext("该事项未指派办理人"))
    before = {"assignee": current.assignee_id}
    current.delete()
    record(actor=actor, action="workflow.unassign", obj=obj, before=before, after=None)


def assigned_to(user_id: int | None, on: Any = None) -> list[Assignment]:
    """The open items assigned to ``user_id`` or to someone they stand in for today, oldest first."""
    from totalquota.accounts.selectors import acting_for

    rows = Assignment.objects.filter(assignee_id__in=acting_for(user_id, on)).select_related(
        "content_type", "assignee"
    )
    return [a for a in rows.order_by("at") if a.item is not None and is_waiting(a.item)]
