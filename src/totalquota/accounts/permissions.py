"""The one place that decides who may do what and see which records.

Two questions, two tables:

* **What** a role may do: :data:`PERMISSIONS` maps each action (``"<area>.<verb>"``) to the roles
  allowed to perform it. :func:`may` answers it; views and API routes ask it through
  :func:`require` / :func:`restrict` / :func:`access`.
* **Which records**: a model names the fields that scope it (``scope_fields = {"zone": ...,
  "enterprise": ...}``); :func:`restrict` filters every queryset by the principal's zone, assigned
  zones or unit. A model without ``scope_fields`` is reference data that everyone allowed the action
  sees; a model without an ``"enterprise"`` path is invisible to enterprise staff.

Objects outside a person's scope answer 404 (their existence is not revealed); actions the role
lacks answer 403.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.utils.translation import gettext

from totalquota.accounts.roles import PARK_WIDE, Role

if TYPE_CHECKING:
    from totalquota.accounts.models import User

R = Role
ALL_PEOPLE = frozenset(set(Role) - {Role.SYSTEM})
EVERYONE = frozenset(Role)
BUREAU = frozenset({R.REVIEWER, R.ADMIN})
READ_PARK = frozenset({R.PARTNER, R.REVIEWER, R.ADMIN, R.LEADER, R.SYSTEM})

PERMISSIONS: dict[str, frozenset[Role]] = {
    # --- registry (基础信息) ---
    "registry.view": EVERYONE,
    "registry.edit_enterprise": frozenset({R.ADMIN, R.ZONE_OFFICER}),
    "registry.import_enterprise": frozenset({R.ADMIN, R.ZONE_OFFICER}),
    "registry.view_rules": frozenset({R.ADMIN, R.REVIEWER, R.LEADER, R.ZONE_OFFICER, R.THIRD_PARTY}),
    "registry.edit_rules": frozenset({R.ADMIN}),
    "registry.manage_zones": frozenset({R.ADMIN}),
    "registry.own_unit": frozenset({R.ENTERPRISE}),  # the home page shows the person's own unit
    "registry.chase_contacts": frozenset({R.ZONE_OFFICER, R.ADMIN}),  # units lacking a contact
    # --- accounts ---
    "accounts.manage_users": frozenset({R.ADMIN}),
    "accounts.manage_tokens": frozenset({R.ADMIN}),
    "accounts.unlock": frozenset({R.ADMIN}),
    # Naming a deputy (代理人) for an absence: the bureau people who decide things.
    "accounts.delegate": frozenset({R.REVIEWER, R.ADMIN}),
    # --- workflow kernel ---
    # Naming who decides an open item (a prepared intake run, a proposed recovery or decision).
    "workflow.assign": frozenset({R.ADMIN}),
    # open units' accounts from the registry, reset a unit's password (one-time passwords)
    "accounts.manage_unit_accounts": frozenset({R.ADMIN, R.ZONE_OFFICER}),
    # --- audit ---
    "audit.view": frozenset({R.ADMIN, R.REVIEWER, R.LEADER}),
}


def register_actions(actions: dict[str, Iterable[Role]]) -> None:
    """Apps add their actions here at import time (their ``permissions.py``), one table in the end."""
    for action, roles in actions.items():
        if action in PERMISSIONS:
            raise ValueError(f"action {action} registered twice")
        PERMISSIONS[action] = frozenset(roles)


@dataclass(frozen=True)
class Principal:
    """Who is acting: a person, or a system client through one of its tokens.

    ``zone_ids`` is ``None`` for park-wide scope; ``enterprise_id`` is set when the scope is one unit.
    """

    user: User
    role: Role
    zone_ids: frozenset[int] | None
    enterprise_id: int | None
    token_id: int | None = None

    @property
    def user_id(self) -> int:
        return self.user.pk

    @property
    def caller(self) -> str:
        """Whom the API counts and keys requests by (rate limits, idempotency keys): the token a
        system or person calls with, else the person signed in."""
        return f"token:{self.token_id}" if self.token_id is not None else f"user:{self.user_id}"

    @property
    def zone_id(self) -> int | None:
        """The single zone of a zone officer (or a zone-scoped token), else ``None``."""
        if self.zone_ids is not None and len(self.zone_ids) == 1 and self.enterprise_id is None:
            return next(iter(self.zone_ids))
        return None

    @property
    def sees_several_zones(self) -> bool:
        """Whether the scope spans zones (park-wide, or a third party serving two or more)."""
        return self.enterprise_id is None and (self.zone_ids is None or len(self.zone_ids) > 1)


def principal_for_user(user: User) -> Principal:
    cached = getattr(user, "_principal", None)
    if cached is not None:
        return cached
    role = Role(user.role) if user.role else None
    if role is None or not user.is_active:
        raise PermissionDenied(gettext("账号未分配角色或已停用"))
    zone_ids: frozenset[int] | None
    enterprise_id = None
    if role in PARK_WIDE or role == Role.SYSTEM:
        zone_ids = None
    elif role == Role.ZONE_OFFICER:
        zone_ids = frozenset({user.zone_id}) if user.zone_id else frozenset()
    elif role == Role.THIRD_PARTY:
        zone_ids = frozenset(user.assigned_zones.values_list("pk", flat=True))
    else:  # enterprise staff
        enterprise = user.enterprise
        enterprise_id = user.enterprise_id
        zone_ids = frozenset({enterprise.zone_id}) if enterprise is not None else frozenset()
    principal = Principal(user=user, role=role, zone_ids=zone_ids, enterprise_id=enterprise_id)
    user._principal = principal  # type: ignore[attr-defined]
    return principal


def principal_for_token(token: Any) -> Principal:
    """The principal of a system client calling with ``token`` (an ``ApiToken``)."""
    zone_ids: frozenset[int] | None = None
    if token.enterprise_id:
        zone_ids = frozenset({token.enterprise.zone_id})
    elif token.zone_id:
        zone_ids = frozenset({token.zone_id})
    return Principal(
        user=token.client,
        role=Role(token.role),
        zone_ids=zone_ids,
        enterprise_id=token.enterprise_id,
        token_id=token.pk,
    )


def principal_of(who: Principal | User | Any) -> Principal:
    """Normalise a request user, a ``User`` or a ``Principal`` to a ``Principal``."""
    if isinstance(who, Principal):
        return who
    if who is None or not getattr(who, "is_authenticated", False):
        raise PermissionDenied(gettext("请先登录"))
    return principal_for_user(who)


def may(who: Principal | User | Any, action: str) -> bool:
    """Whether ``who``'s role may perform ``action`` at all (scope is checked separately)."""
    try:
        principal = principal_of(who)
    except PermissionDenied:
        return False
    try:
        return principal.role in PERMISSIONS[action]
    except KeyError:
        raise KeyError(f"unknown action {action!r}: add it to accounts.permissions.PERMISSIONS") from None


def require(who: Principal | User | Any, action: str) -> Principal:
    """The principal, or ``PermissionDenied`` (403) when the role may not ``action``."""
    principal = principal_of(who)
    if not may(principal, action):
        raise PermissionDenied(gettext("您的角色无权执行此操作"))
    return principal


M = TypeVar("M", bound=models.Model)


def scope_q(principal: Principal, model: type[models.Model]) -> models.Q | None:
    """The filter that limits ``model`` to ``principal``'s scope; ``None`` means no limit, and an
    impossible filter is returned when the model is invisible at that scope.

    A scope path may also be a tuple of paths, any of which puts the record in scope (a transfer
    between two zones is seen from both). A model's ``hidden_from_unit`` filter names its records
    that the unit they are about does not see yet."""
    fields: dict[str, str | tuple[str, ...]] | None = getattr(model, "scope_fields", None)
    if not fields:
        return None
    nothing = models.Q(pk__in=[])

    def any_of(paths: str | tuple[str, ...] | None, lookup: str, value: Any) -> models.Q:
        if not paths:
            return nothing
        q = models.Q()
        for path in (paths,) if isinstance(paths, str) else paths:
            q |= models.Q(**{f"{path}{lookup}": value})
        return q

    if principal.enterprise_id is not None:
        own = any_of(fields.get("enterprise"), "", principal.enterprise_id)
        # Records about a unit that the unit is not shown yet (a finding before its notice).
        hidden: models.Q | None = getattr(model, "hidden_from_unit", None)
        return own if hidden is None else own & ~hidden
    if principal.zone_ids is None:
        return None
    return any_of(fields.get("zone"), "__in", principal.zone_ids)


def restrict(
    who: Principal | User | Any, queryset: models.QuerySet[M] | type[M], action: str
) -> models.QuerySet[M]:
    """``queryset`` limited to what ``who`` may ``action``: empty when the role lacks the action,
    else filtered by scope. Every list, export, API route and selector starts here."""
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    if not may(who, action):
        return qs.none()
    q = scope_q(principal_of(who), qs.model)
    return qs if q is None else qs.filter(q)


def access(who: Principal | User | Any, queryset: models.QuerySet[M] | type[M], pk: Any, action: str) -> M:
    """The object ``pk`` if ``who`` may ``action`` it: 403 when the role lacks the action, 404 when
    the object does not exist or lies outside ``who``'s scope."""
    require(who, action)
    qs = restrict(who, queryset, action)
    try:
        pk = qs.model._meta.pk.to_python(pk)  # "abc", "²", "" from a URL or a form: no such record
    except ValidationError:
        raise Http404("记录不存在或不在您的权限范围内") from None
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404("记录不存在或不在您的权限范围内")
    return obj


def can_access_object(who: Principal | User | Any, obj: models.Model, action: str) -> bool:
    """Whether ``obj`` is within ``who``'s scope for ``action`` (for templates and services)."""
    if not may(who, action):
        return False
    return restrict(who, type(obj), action).filter(pk=obj.pk).exists()


def in_zones(who: Principal, queryset: models.QuerySet[M], path: str = "pk") -> models.QuerySet[M]:
    """``queryset`` limited to the zones ``who`` sees, ``path`` leading to a zone id (``"pk"`` for
    zones themselves, ``"zone_id"``, ``"debit__zone_id"`` …): everything for park-wide people, their
    zone(s) for zone officers, third parties and enterprise staff (whose unit lies in one zone). The
    one place a list, page, API route, bulletin or selector narrows by zone."""
    if who.zone_ids is None:
        return queryset
    return queryset.filter(**{f"{path}__in": who.zone_ids})


def zone_visible(who: Principal, zone_id: int | None) -> bool:
    """Whether ``who`` sees zone ``zone_id`` (the test :func:`in_zones` applies, for one id)."""
    return who.zone_ids is None or zone_id in who.zone_ids


def zone_allowed(who: Principal | User | Any, zone_id: int | None) -> bool:
    """Whether ``who`` may act in ``zone_id`` (writes that name a zone, such as imports)."""
    principal = principal_of(who)
    if principal.enterprise_id is not None:
        return False
    return principal.zone_ids is None or zone_id in principal.zone_ids
