"""Workflow actions as API routes: one ``POST …/{id}/<action>`` per row of an action table.

The route's auth checks the action's permission before the body is read (as every route here); the
handler finds the object within the caller's scope (``load``: 404 outside it), runs the action
through the kernel with the text field the action names (``reason``, ``note``, ``proposal``) and
answers with the object's detail (``out``). A refusal is the kernel's ``DomainError``, which the
API turns into a problem document like any other.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from django.db import models
from ninja import Router, Schema
from pydantic import create_model

from totalquota.api.core import ApiRequest, allowed
from totalquota.workflow.kernel import Action, ActionTable, perform


@functools.cache
def text_body(field: str) -> type[Schema]:
    """The body of an action that takes one text (``{"reason": "…"}``), one class per field name
    (the OpenAPI document names it ``ReasonIn``, ``NoteIn``)."""
    model = create_model(f"{field.capitalize()}In", __base__=Schema, **{field: (str, "")})  # type: ignore[call-overload]
    return model  # type: ignore[no-any-return]


def _body(action: Action[Any]) -> type[Schema] | None:
    return text_body(action.reason_field) if action.reason_field else None


def action_routes(
    router: Router,
    table: ActionTable[Any],
    *,
    route: str,
    load: Callable[[ApiRequest, int, str], models.Model],
    response: Any,
    out: Callable[[Any], Any],
    only: tuple[str, ...] | None = None,
    name: str = "{object}_{action}",
) -> None:
    """Add a route for every action of ``table`` (or those named in ``only``): ``POST
    {route}/{int:<object>_id}/<action path>``, the object being the table's (its transitions'
    ``transition_fk``: ``project``, ``application``); ``name`` gives the operation's function name
    (and so its OpenAPI operation id), which published clients rely on."""
    param = f"{table.transition_fk}_id"
    for action in table.actions:
        if only is not None and action.name not in only:
            continue
        handler = _handler(table, action, param=param, load=load, out=out)
        handler.__name__ = name.format(object=table.transition_fk, action=action.name)
        router.post(
            f"{route}/{{int:{param}}}/{action.slug}",
            response=response,
            summary=action.summary or str(action.label),
            auth=allowed(action.permission),
        )(handler)


def _handler(
    table: ActionTable[Any],
    action: Action[Any],
    *,
    param: str,
    load: Callable[[ApiRequest, int, str], models.Model],
    out: Callable[[Any], Any],
) -> Callable[..., Any]:
    """The route's function: its signature (``request``, the object's id, the body when the action
    takes a text) is what the API reads to parse the request."""
    body = _body(action)

    def handler(request: ApiRequest, **kwargs: Any) -> Any:
        obj = load(request, kwargs[param], action.permission)
        payload = kwargs.get("payload")
        reason = getattr(payload, action.reason_field, "") if payload is not None else ""
        return out(perform(table, action.name, principal=request.auth, obj=obj, reason=reason))

    parameters = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=ApiRequest),
        inspect.Parameter(param, inspect.Parameter.KEYWORD_ONLY, annotation=int),
    ]
    if body is not None:
        parameters.append(inspect.Parameter("payload", inspect.Parameter.KEYWORD_ONLY, annotation=body))
    handler.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    handler.__doc__ = action.summary or str(action.label)
    handler.__module__ = load.__module__  # the operation id names the API module, as hand-written routes do
    return handler
