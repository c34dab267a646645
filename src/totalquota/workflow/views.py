"""The assignment of an open workflow item (指派): the box on the item's page and its handler."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import may, principal_of, require
from totalquota.lib.errors import DomainError
from totalquota.workflow import services
from totalquota.workflow.kernel import TABLES, item_of
from totalquota.workflow.models import Assignment


def assignment_context(user: Any, obj: models.Model) -> dict[str, Any]:
    """What an item's page shows of its assignment: the current assignee, and for a bureau
    administrator the people who may be named (those who may decide it, not its preparers)."""
    kind = ContentType.objects.get_for_model(obj)
    current = (
        Assignment.objects.filter(content_type=kind, object_id=obj.pk).select_related("assignee").first()
    )
    table = TABLES.get(type(obj))
    can = (
        table is not None
        and bool(table.deciding)
        and may(user, "workflow.assign")
        and services.is_waiting(obj)
    )
    candidates: list[Any] = []
    if can and table is not None:
        preparers = set(table.preparers(obj)) if table.preparers else set()
        candidates = [
            u
            for u in get_user_model()._default_manager.filter(is_active=True).order_by("username")
            if u.pk not in preparers and any(may(u, a.permission) for a in table.deciding)
        ]
    return {
        "current": current,
        "can_assign": can,
        "candidates": candidates,
        "kind": f"{kind.app_label}.{kind.model}",
        "pk": obj.pk,
    }


@login_required
@require_POST
def assign(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Name (or clear, with an empty choice) the person who decides the item."""
    actor = require(request.user, "workflow.assign")
    obj = item_of(kind, pk)
    choice = str(request.POST.get("assignee", "")).strip()
    try:
        if not choice:
            services.assignment_clear(actor=principal_of(actor), obj=obj)
            messages.success(request, _("已取消指派。"))
        else:
            user = get_user_model()._default_manager.filter(pk=int(choice) if choice.isdigit() else 0).first()
            services.assignment_set(
                actor=actor, obj=obj, assignee=user, reason=str(request.POST.get("reason", ""))
            )
            messages.success(request, _("已指派办理人。"))
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect(obj.get_absolute_url())  # type: ignore[attr-defined]


def history(obj: models.Model) -> list[dict[str, Any]]:
    """The transitions of ``obj`` as a page shows them: statuses, role and action by their labels."""
    from totalquota.accounts.roles import Role

    table = TABLES.get(type(obj))
    labels = dict(getattr(type(obj)._meta.get_field("status"), "choices", None) or [])
    roles = dict(Role.choices)
    rows = []
    # Every workflow names its history "transitions".
    transitions: Any = obj.transitions  # type: ignore[attr-defined]
    for t in transitions.select_related("actor"):
        action = table[t.action].label if table is not None and t.action in table else ""
        rows.append(
            {
                "at": t.at,
                "actor": t.actor,
                "role": roles.get(t.role, ""),
                "before": labels.get(t.from_status, ""),
                "after": labels.get(t.to_status, ""),
                "action": action,
                "reason": t.reason,
            }
        )
    return rows


@login_required
def assigned(request: HttpRequest) -> HttpResponse:
    """My to-do: the open items assigned to me, or to the people I stand in for as deputy."""
    items = services.assigned_to(request.user.pk)
    return render(request, "workflow/assigned.html", {"title": _("指派给我的待办"), "items": items})
