"""Writes on users and API tokens. Each is atomic and records its audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from totalquota.accounts.models import ApiToken, Delegation, User
from totalquota.accounts.permissions import Principal, require
from totalquota.accounts.roles import TOKEN_ROLES, Role
from totalquota.audit.services import record, snapshot
from totalquota.lib.errors import Conflict, ValidationFailed

USER_FIELDS = [
    "username",
    "display_name",
    "organisation",
    "phone",
    "email",
    "role",
    "zone",
    "enterprise",
    "is_active",
]


def _check_scope(role: str, zone: Any, enterprise: Any, assigned_zones: Any = None) -> None:
    if role == Role.ZONE_OFFICER and zone is None:
        raise ValidationFailed("功能区人员必须指定所属功能区", field="zone")
    if role == Role.ENTERPRISE and enterprise is None:
        raise ValidationFailed("企业用户必须指定所属排污单位", field="enterprise")
    if role == Role.THIRD_PARTY and assigned_zones is not None and not list(assigned_zones):
        raise ValidationFailed("第三方机构必须指定至少一个服务功能区", field="assigned_zones")


def _check_password(password: str, user: User) -> None:
    """The password validators' verdict on ``password`` for ``user``, as a 422 on the field."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed("；".join(exc.messages), field="password") from None


def _user_state(user: User) -> dict[str, Any]:
    data = snapshot(user, [f for f in USER_FIELDS])
    data["assigned_zones"] = sorted(user.assigned_zones.values_list("pk", flat=True)) if user.pk else []
    return data


@transaction.atomic
def user_create(
    *,
    actor: Principal,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    organisation: str = "",
    phone: str = "",
    email: str = "",
    zone: Any = None,
    enterprise: Any = None,
    assigned_zones: Any = (),
) -> User:
    """Create a person's account with a role and scope; the password must pass the validators."""
    _check_scope(role, zone, enterprise, assigned_zones if role == Role.THIRD_PARTY else None)
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"用户名“{username}”已被使用", field="username")
    user = User(
        username=username,
        role=role,
        display_name=display_name,
        organisation=organisation,
        phone=phone,
        email=email,
        zone=zone if role == Role.ZONE_OFFICER else None,
        enterprise=enterprise if role == Role.ENTERPRISE else None,
    )
    _check_password(password, user)
    user.set_password(password)
    user.save()
    if role == Role.THIRD_PARTY:
        user.assigned_zones.set(assigned_zones)
    record(actor=actor, action="user.create", obj=user, after=_user_state(user))
    return user


@transaction.atomic
def user_update(*, actor: Principal, user: User, assigned_zones: Any = None, **changes: Any) -> User:
    """Change a person's profile, role, scope or active flag (not the password)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    before = _user_state(user)
    for name, value in changes.items():
        if name not in USER_FIELDS or name == "username":
            raise ValidationFailed(f"不能修改字段 {name}")
        setattr(user, name, value)
    if user.role != Role.ZONE_OFFICER:
        user.zone = None
    if user.role != Role.ENTERPRISE:
        user.enterprise = None
    zones = assigned_zones if assigned_zones is not None else user.assigned_zones.all()
    _check_scope(user.role, user.zone, user.enterprise, zones if user.role == Role.THIRD_PARTY else None)
    if actor.user_id == user.pk and (not user.is_active or user.role != before["role"]):
        raise ValidationFailed("不能停用自己的账号或修改自己的角色")
    user.save()
    if user.role == Role.THIRD_PARTY:
        user.assigned_zones.set(zones)
    else:
        user.assigned_zones.clear()
    record(actor=actor, action="user.update", obj=user, before=before, after=_user_state(user))
    return user


@transaction.atomic
def user_set_password(*, actor: Principal, user: User, password: str) -> None:
    _check_password(password, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    user.set_password(password)
    user.save(update_fields=["password"])
    record(actor=actor, action="user.set_password", obj=user)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_issue(
    *,
    actor: Principal | None,
    name: str,
    client: User,
    role: str = Role.SYSTEM,
    zone: Any = None,
    enterprise: Any = None,
    expires_at: Any = None,
) -> tuple[ApiToken, str]:
    """Issue a bearer token for ``client`` (a system-client account); returns the token record and
    the token text, which is shown once and never stored. ``actor`` is ``None`` when the platform's
    operator issues it on the server (``manage.py issue_api_token``)."""
    if client.role != Role.SYSTEM:
        raise ValidationFailed("令牌只能签发给“系统对接客户端”账号", field="client")
    if role not in TOKEN_ROLES:
        raise ValidationFailed("令牌角色只能是系统对接、功能区、排污单位或领导小组", field="role")
    if zone is not None and enterprise is not None:
        raise ValidationFailed("令牌只能限定一个功能区或一个排污单位，不能同时限定", field="zone")
    if role == Role.ZONE_OFFICER and zone is None:
        raise ValidationFailed("功能区角色的令牌必须限定功能区", field="zone")
    if role == Role.ENTERPRISE and enterprise is None:
        raise ValidationFailed("排污单位角色的令牌必须限定排污单位", field="enterprise")
    prefix = secrets.token_hex(4)
    while ApiToken.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    text = f"tq_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        name=name,
        client=client,
        prefix=prefix,
        digest=token_digest(text),
        role=role,
        zone=zone,
        enterprise=enterprise,
        issued_by=actor.user if actor is not None else None,
        expires_at=expires_at,
    )
    record(
        actor=actor,
        action="token.issue",
        obj=token,
        after=snapshot(token, ["name", "client", "prefix", "role", "zone", "enterprise", "expires_at"]),
    )
    return token, text


@transaction.atomic
def token_revoke(*, actor: Principal, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise Conflict("该令牌已撤销")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(actor=actor, action="token.revoke", obj=token, after={"revoked_at": token.revoked_at.isoformat()})
    return token


def token_authenticate(text: str) -> ApiToken | None:
    """The live token for ``text``, or ``None``. Updates ``last_used_at`` at most once a minute."""
    if not text or not text.startswith("tq_"):
        return None
    token = (
        ApiToken.objects.select_related("client", "enterprise")
        .filter(digest=token_digest(text), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.client.is_active:
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


@transaction.atomic
def account_unlock(*, actor: Principal, username: str) -> int:
    """Lift a login lockout (django-axes) for ``username``; returns how many attempt records went."""
    from axes.utils import reset

    removed = reset(username=username)
    if not removed:
        raise Conflict(f"账号 {username} 没有被锁定")
    record(
        actor=actor,
        action="user.unlock",
        object_type="accounts.user",
        object_id=username,
        object_repr=username,
        after={"attempts_removed": removed},
    )
    return removed


@transaction.atomic
def delegation_set(
    *, actor: Principal, deputy: Any, starts_on: dt.date, ends_on: dt.date, reason: str
) -> Delegation:
    """A reviewer names a deputy (代理人) for an absence: from ``starts_on`` to ``ends_on`` the
    deputy sees and may decide the items assigned to the reviewer (still under four eyes). One
    delegation of a person runs at a time: a new one clears the one in force or ahead."""
    require(actor, "accounts.delegate")
    if not isinstance(deputy, User) or not deputy.is_active:
        raise ValidationFailed("请选择在岗的代理人", field="deputy")
    if deputy.pk == actor.user.pk:
        raise ValidationFailed("不能指定本人为代理人", field="deputy")
    if deputy.role != actor.role:
        raise ValidationFailed("代理人须与本人角色相同", field="deputy")
    if not isinstance(starts_on, dt.date) or not isinstance(ends_on, dt.date):
        raise ValidationFailed("请填写代理起止日期", field="starts_on")
    if ends_on < starts_on:
        raise ValidationFailed("结束日期不能早于开始日期", field="ends_on")
    if ends_on < timezone.localdate():
        raise ValidationFailed("结束日期不能早于今天", field="ends_on")
    if (ends_on - starts_on).days > 366:
        raise ValidationFailed("代理期限不能超过一年", field="ends_on")
    if not (reason or "").strip():
        raise ValidationFailed("请说明事由", field="reason")
    # Lock order: the person's own user row, so two settings of one person's deputy queue.
    User.objects.select_for_update().get(pk=actor.user.pk)
    for earlier in Delegation.objects.filter(
        principal=actor.user, cleared_at__isnull=True, ends_on__gte=timezone.localdate()
    ):
        earlier.cleared_at = timezone.now()
        earlier.save(update_fields=["cleared_at"])
    delegation = Delegation.objects.create(
        principal=actor.user, deputy=deputy, starts_on=starts_on, ends_on=ends_on, reason=reason.strip()
    )
    record(actor=actor, action="accounts.delegation_set", obj=delegation, after=snapshot(delegation))
    return delegation


@transaction.atomic
def delegation_clear(*, actor: Principal) -> None:
    """End the person's delegations in force or ahead now (back from the absence)."""
    require(actor, "accounts.delegate")
    User.objects.select_for_update().get(pk=actor.user.pk)  # as delegation_set
    running = list(
        Delegation.objects.filter(
            principal=actor.user, cleared_at__isnull=True, ends_on__gte=timezone.localdate()
        )
    )
    if not running:
        raise Conflict("当前没有生效或待生效的代理")
    for delegation in running:
        delegation.cleared_at = timezone.now()
        delegation.save(update_fields=["cleared_at"])
        record(actor=actor, action="accounts.delegation_clear", obj=delegation, after=snapshot(delegation))
