"""The one page handler for workflow actions: every button on a workflow object's page posts here.

``action_view(table, load)`` returns a view for ``POST …/<pk>/<action>/``; ``action_urls`` gives
one URL per row of the table, named ``<prefix>_<action>`` so templates link to
``{% url 'reductions:project_approve' pk %}``. The view finds the object within the person's scope
(``load``, through ``accounts.permissions.access``: 404 outside scope, 403 without the role), runs
the action through the kernel and shows its message; a refusal is shown as the kernel's error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import principal_of
from totalquota.lib.errors import DomainError
from totalquota.workflow.kernel import Action, ActionTable, run

Loader = Callable[[HttpRequest, int, str], Any]  # a workflow object with get_absolute_url()
Params = Callable[[HttpRequest, Action[Any], Any], dict[str, Any]]


def action_view(
    table: ActionTable[Any], load: Loader, params: Params | None = None
) -> Callable[..., HttpResponse]:
    """The view that runs ``table``'s actions: ``load(request, pk, permission)`` finds the object,
    ``params(request, action, obj)`` reads an action's own inputs from the form (raise
    ``DomainError`` to refuse them)."""

    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
        if action not in table:
            raise Http404(gettext("没有这项操作"))
        act = table[action]
        obj = load(request, pk, act.permission)
        reason = str(request.POST.get(act.reason_field, ""))
        try:
            extra = params(request, act, obj) if params is not None else {}
            step = run(table, act.name, principal=principal_of(request.user), obj=obj, reason=reason, **extra)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect(obj)
        if step.warning:
            messages.warning(request, step.warning)
        elif act.done:
            messages.success(request, str(act.done))
        return redirect(step.obj)

    return view


def action_urls(
    table: ActionTable[Any],
    route: str,
    view: Callable[..., HttpResponse],
    prefix: str,
    only: tuple[str, ...] | None = None,
) -> list[URLPattern]:
    """One URL per action (or per action named in ``only``): ``route`` with ``<int:pk>`` (e.g.
    ``projects/<int:pk>/``) + the action's path segment, named ``<prefix>_<name>``."""
    return [
        path(f"{route}{action.slug}/", view, {"action": action.name}, name=f"{prefix}_{action.name}")
        for action in table.actions
        if only is None or action.name in only
    ]
