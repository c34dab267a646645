"""The workflow kernel: one way to act on a workflow object.

A workflow (reduction projects, quota applications, later emission reports and findings) is a
model with a ``status``, a transition model (a subclass of :class:`~totalquota.workflow.models.Transition`)
and an :class:`ActionTable`: one :class:`Action` per thing a person can do to it. The page
(:mod:`totalquota.web.actions`) and the API (:mod:`totalquota.api.actions`) both read the table,
so an action exists in both or in neither. :func:`perform` is the one function that runs an
action:

1. the role must hold the action's permission (``accounts.permissions``; 403);
2. the object row is locked (lock order step 1, see ``ledger.services``) and read again, so two
   people acting at once each see the other's change;
3. the table's guard checks scope and anything the workflow adds (403);
4. the status must be one the action starts from (409);
5. a reason, where the action requires one (422);
6. four eyes: whoever prepared the object may not take an action that decides it (403); and when
   a bureau administrator assigned the object to a named person (``workflow.models.Assignment``),
   only that person, or their deputy while a delegation runs (``accounts.Delegation``), may (403);
7. the action's service does the domain work (ledger postings, figures, rule look-ups); it may
   refuse (and changes nothing: everything runs in one transaction), choose the target status
   and record the rule parameters it used;
8. the transition row, the object's new status, the audit event and the outbox event are written
   in the same transaction.

A new action is one :class:`Action` row (usually declared with :func:`row`), one service function
and, for the page, one template fragment (see ``docs/architecture.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import models, transaction
from django.http import Http404
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext

from totalquota import outbox
from totalquota.accounts.permissions import Principal, may, require
from totalquota.accounts.selectors import acting_for
from totalquota.audit.services import record, snapshot
from totalquota.lib.errors import Conflict, DomainError, Forbidden, ValidationFailed

Obj = TypeVar("Obj", bound=models.Model)


@dataclass
class Step(Generic[Obj]):
    """What an action's service is given and may fill in: the locked object, who acts, the reason
    and the action's own inputs; ``to`` (the target status, when the action chooses it), ``rules``
    (the rule parameters used, kept on the transition), ``audit`` (extra facts for the audit
    event's ``after``) and ``result`` (what :func:`perform` returns instead of the object)."""

    obj: Obj
    principal: Principal
    reason: str
    params: dict[str, Any]
    action: Action[Obj]
    to: str | None = None
    rules: list[dict[str, Any]] = field(default_factory=list)
    audit: dict[str, Any] = field(default_factory=dict)
    result: Any = None
    warning: str = ""

    @property
    def outcome(self) -> Any:
        """What :func:`perform` returns: the service's ``result``, else the object."""
        return self.obj if self.result is None else self.result


@dataclass(frozen=True)
class Action(Generic[Obj]):
    """One row of an action table.

    ``name`` is the verb (``approve``) and the last part of the API path (``path`` when it
    differs, e.g. ``send-back``); ``permission`` the entry of the permission table the role must
    hold; ``sources`` the statuses it starts from; ``to`` the status it ends in (``None`` when
    the service decides, or when the action does not change the status); ``service`` the domain
    work, ``service(step)``; ``reason`` the refusal shown when a reason is required and missing
    (empty: the reason is optional); ``four_eyes`` whether the people who prepared the object are
    refused (the table says who they are); ``done`` the message the page shows afterwards;
    ``summary`` the API operation's summary; ``reason_field`` the name of the text field in the form and the API body (``reason``,
    ``note``, ``proposal``); ``conflict`` the refusal when the status is not one of ``sources``
    (empty: a message naming the status, see :attr:`verb`); ``denied`` the refusal
    (``Forbidden``) when the role lacks the permission (empty: ``PermissionDenied``, as
    ``accounts.permissions.require``); ``audit_fields`` the fields the audit event snapshots, when
    they differ from the table's."""

    name: str
    label: str | Promise
    permission: str
    sources: frozenset[str]
    service: Callable[[Step[Obj]], None]
    to: str | None = None
    reason: str = ""
    clause: str | None = None
    four_eyes: bool = False
    done: str | Promise = ""
    summary: str = ""
    path: str = ""
    reason_field: str = "reason"
    conflict: str = ""
    denied: str = ""
    audit_fields: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        return self.path or self.name

    @property
    def verb(self) -> str:
        """How refusals name the action (“不能报送”): the label in the source language, whatever
        language the page is shown in (refusals are written in Chinese)."""
        with translation.override(None):
            return str(self.label)


@dataclass(frozen=True)
class ActionTable(Generic[Obj]):
    """The actions of one workflow, and how the kernel finds its rows.

    ``model`` the workflow object; ``transition_model`` and ``transition_fk`` its history;
    ``audit_prefix`` the audit action names (``reduction.`` + ``approve``) and ``topic`` the outbox
    topic (``reduction`` + ``.approve``); ``audit_fields`` the fields snapshotted before and after,
    or ``audit_state(obj)`` the whole state the audit event shows (an application with its lines);
    ``guard(principal, obj, action)`` the workflow's own scope checks (raise ``Forbidden``);
    ``preparers(obj)`` the user ids four eyes refuses; ``four_eyes_message`` and ``clause`` what
    the refusal says; ``label`` how refusals name the object (``项目``)."""

    model: type[Obj]
    transition_model: type[models.Model]
    transition_fk: str
    audit_prefix: str
    topic: str
    actions: tuple[Action[Obj], ...]
    audit_fields: tuple[str, ...] = ("status",)
    audit_state: Callable[[Obj], dict[str, Any]] | None = None
    guard: Callable[[Principal, Obj, Action[Obj]], None] | None = None
    preparers: Callable[[Obj], Iterable[int | None]] | None = None
    four_eyes_message: str = "四眼原则：编制或提交该事项的人员不能作出决定"
    clause: str | None = None
    label: str = "该事项"

    def __post_init__(self) -> None:
        names = [a.name for a in self.actions]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.model.__name__}: an action is listed twice")
        TABLES[self.model] = self

    @property
    def deciding(self) -> tuple[Action[Obj], ...]:
        """The actions four eyes applies to: those that decide the object."""
        return tuple(a for a in self.actions if a.four_eyes)

    def __getitem__(self, name: str) -> Action[Obj]:
        for action in self.actions:
            if action.name == name or action.path == name:
                return action
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(name in (a.name, a.path) for a in self.actions)

    def available(self, principal: Principal, obj: Obj) -> dict[str, bool]:
        """Which actions ``principal`` may take on ``obj`` now (role, status, four eyes and the
        table's guard: the checks :func:`run` makes before the service), for the page to show its
        buttons; the kernel checks again when one is pressed."""
        preparers = set(self.preparers(obj)) if self.preparers else set()
        status = getattr(obj, "status", None)
        assignee = assignee_of(obj)
        kept = assignee is not None and assignee not in acting_for(principal.user_id)
        shown = {}
        for action in self.actions:
            allowed = (
                may(principal, action.permission)
                and status in action.sources
                and not (action.four_eyes and (principal.user_id in preparers or kept))
            )
            if allowed and self.guard is not None:
                try:
                    self.guard(principal, obj, action)
                except DomainError:
                    allowed = False
            shown[action.name] = allowed
        return shown


def perform(
    table: ActionTable[Obj],
    name: str,
    *,
    principal: Principal,
    obj: Obj,
    reason: str = "",
    **params: Any,
) -> Any:
    """Run action ``name`` of ``table`` on ``obj`` as ``principal``; returns the object, or what
    the service put in ``step.result``. Services of a workflow call this."""
    return run(table, name, principal=principal, obj=obj, reason=reason, **params).outcome


def run(
    table: ActionTable[Obj],
    name: str,
    *,
    principal: Principal,
    obj: Obj,
    reason: str = "",
    **params: Any,
) -> Step[Obj]:
    """Run action ``name`` of ``table`` on ``obj`` as ``principal`` (the steps in the module
    docstring), in one transaction, and return the finished :class:`Step` (the page reads its
    ``warning``)."""
    if not isinstance(principal, Principal):
        raise TypeError("perform() takes a Principal (accounts.permissions.principal_of)")
    action = table[name]
    if action.denied and not may(principal, action.permission):
        raise Forbidden(action.denied)
    require(principal, action.permission)
    with transaction.atomic():
        # Lock order step 1 (ledger.services): the workflow object's row, before any zone, balance
        # or counter row the service may lock, so that actions on one object queue one behind the
        # other and never cross.
        obj = table.model._default_manager.select_for_update().get(pk=obj.pk)
        if table.guard is not None:
            table.guard(principal, obj, action)
        status = str(obj.status)  # type: ignore[attr-defined]
        if status not in action.sources:
            display = getattr(obj, "get_status_display", lambda: status)()
            raise Conflict(
                action.conflict or f"{table.label}当前状态为“{display}”，不能{action.verb}",
                clause=table.clause,
            )
        reason = (reason or "").strip()
        if action.reason and not reason:
            # The table holds the Chinese text (marked with gettext_noop); refused in the page's language.
            raise ValidationFailed(gettext(action.reason), field=action.reason_field, clause=action.clause)
        if (
            action.four_eyes
            and table.preparers is not None
            and principal.user_id in set(table.preparers(obj))
        ):
            raise Forbidden(table.four_eyes_message, clause=action.clause or table.clause)
        if action.four_eyes:
            check_assignee(table, obj, principal)
        before = _audit_state(table, action, obj)
        step = Step(
            obj=obj, principal=principal, reason=reason, params=dict(params), action=action, to=action.to
        )
        action.service(step)
        if step.to is not None:
            transition = create_transition(
                table,
                obj,
                principal=principal,
                action=action.name,
                to=step.to,
                reason=step.reason,
                rules=step.rules,
                from_status=status,
            )
            obj.save()
        else:
            transition = None
        after = {**_audit_state(table, action, obj), **step.audit}
        record(
            actor=principal, action=f"{table.audit_prefix}{action.name}", obj=obj, before=before, after=after
        )
        if transition is None:  # an action that keeps the status still tells the outbox
            _emit(table, obj, principal, action.name, status, status, None, step.reason)
    return step


# Every action table by its model, for the assignment of open items (``workflow.services``).
TABLES: dict[type[models.Model], ActionTable[Any]] = {}


def assignee_of(obj: models.Model) -> int | None:
    """The user id ``obj`` is assigned to (``workflow.models.Assignment``), or ``None``."""
    from django.contrib.contenttypes.models import ContentType

    from totalquota.workflow.models import Assignment

    return (
        Assignment.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
        .values_list("assignee_id", flat=True)
        .first()
    )


def check_assignee(table: ActionTable[Any], obj: models.Model, principal: Principal) -> None:
    """An assigned object is decided by its assignee, or by the assignee's deputy while the
    delegation runs (403 for anyone else)."""
    assignee = assignee_of(obj)
    if assignee is not None and assignee not in acting_for(principal.user_id):
        from django.contrib.auth import get_user_model

        name = str(get_user_model()._default_manager.get(pk=assignee))
        raise Forbidden(
            gettext("{item}已指派给 {name} 办理（或其代理人）").format(item=table.label, name=name),
            clause=table.clause,
        )


def _audit_state(table: ActionTable[Obj], action: Action[Obj], obj: Obj) -> dict[str, Any]:
    if table.audit_state is not None and not action.audit_fields:
        return table.audit_state(obj)
    return snapshot(obj, list(action.audit_fields or table.audit_fields))


def _emit(
    table: ActionTable[Obj],
    obj: Obj,
    principal: Principal,
    action: str,
    from_status: str,
    to: str,
    transition: models.Model | None,
    reason: str,
) -> None:
    """The outbox event of a step (``<topic>.<action>``), in the step's transaction.

    Its payload: ``action``, ``from``, ``to``, ``transition_id`` (``None`` for an action that keeps
    the status), ``reason``; and whose object it is, for handlers that tell people (notifications):
    ``enterprise_id`` and ``zone_id`` (through the model's ``scope_fields``; ``None`` when it has
    none), ``label`` (the object's code, else its text) and ``url`` (its page, or ``""``)."""
    outbox.emit(
        f"{table.topic}.{action}",
        obj=obj,
        actor=principal.user,
        payload={
            "action": action,
            "from": from_status,
            "to": to,
            "transition_id": transition.pk if transition is not None else None,
            "reason": reason,
            "enterprise_id": _scope_value(obj, "enterprise"),
            "zone_id": _scope_value(obj, "zone"),
            "label": str(getattr(obj, "code", "") or obj),
            "url": obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else "",
        },
    )


def _scope_value(obj: models.Model, scope: str) -> Any:
    """The id ``obj``'s ``scope_fields`` name for ``scope`` (the first path of several), read
    through its relations (``line__application__zone_id``); ``None`` when there is none."""
    paths = (getattr(obj, "scope_fields", None) or {}).get(scope)
    if not paths:
        return None
    value: Any = obj
    for part in (paths if isinstance(paths, str) else paths[0]).split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def create_transition(
    table: ActionTable[Obj],
    obj: Obj,
    *,
    principal: Principal,
    action: str,
    to: str,
    reason: str = "",
    rules: Any = (),
    first: bool = False,
    from_status: str | None = None,
) -> models.Model:
    """The transition row of ``obj`` to ``to`` (the object's ``status`` set, not saved): the one
    :func:`run` writes for an action, the first of a new object (``"" → draft``; action ``create``,
    or any action with ``first``) or one a service writes as part of a larger write (an edit that
    reopens a returned project). ``from_status`` defaults to the object's status."""
    if from_status is None:
        from_status = "" if first or action == "create" else str(getattr(obj, "status", ""))
    transition = table.transition_model._default_manager.create(
        **{table.transition_fk: obj},
        from_status=from_status,
        to_status=to,
        action=action,
        actor=principal.user,
        role=principal.role,
        reason=reason,
        rules=list(rules),
    )
    obj.status = to  # type: ignore[attr-defined]
    # Every status change tells the outbox, whether an action made it or a larger write (creation,
    # a reopening edit, a pre-check): a handler on ``<topic>.*`` sees the whole history.
    _emit(table, obj, principal, action, from_status, to, transition, reason)
    return transition


def unchanged(step: Step[Any]) -> None:
    """The work of an action that changes the status and nothing else."""


def row(
    name: str,
    label: str | Promise,
    permission: str,
    from_: str | Iterable[str],
    to: str | None,
    service: Callable[[Step[Any]], None] = unchanged,
    **more: Any,
) -> Action[Any]:
    """One row of an action table, its facts in the order a reader looks for them: the verb, the
    button's label, the permission, the status(es) it starts from, the status it ends in (``None``:
    unchanged, or the service decides) and the service (none: :func:`unchanged`); ``more`` are the
    other fields of :class:`Action` (texts, clause, four eyes). Rows that share facts (the same
    permission and starting states, the same refusal) are made by ``functools.partial`` of this."""
    return Action(
        name=name, label=label, permission=permission, sources=sources(from_), to=to, service=service, **more
    )


def sources(*statuses: str | Iterable[str]) -> frozenset[str]:
    """The from-states of an action, from statuses or sets of them."""
    out: set[str] = set()
    for s in statuses:
        out |= {str(s)} if isinstance(s, str) else {str(x) for x in s}
    return frozenset(out)


def item_of(kind: str, pk: int) -> models.Model:
    """The workflow item of ``kind`` (``app_label.model``, as URLs name it) and ``pk``, park-wide
    (the bureau administrator's scope); 404 for a kind without a workflow table or no such item."""
    from django.contrib.contenttypes.models import ContentType

    app_label, _dot, model = kind.partition(".")
    try:
        model_class = ContentType.objects.get_by_natural_key(app_label, model).model_class()
    except ContentType.DoesNotExist:
        raise Http404(gettext("没有这类事项")) from None
    if model_class not in TABLES:
        raise Http404(gettext("没有这类事项"))
    obj = model_class._default_manager.filter(pk=pk).first()
    if obj is None:
        raise Http404(gettext("没有这项事项"))
    return obj
