"""Writes on users and API tokens. Each is atomic and records its audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.hashers import OneTimePasswordHasher
from totalquota.accounts.models import ApiToken, Delegation, User
from totalquota.accounts.permissions import Principal, require, zone_allowed
from totalquota.accounts.roles import TOKEN_ROLES, Role
from totalquota.audit.services import record, snapshot
from totalquota.lib.errors import Conflict, NotFound, ValidationFailed

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
        raise ValidationFailed(gettext("功能区人员必须指定所属功能区"), field="zone")
    if role == Role.ENTERPRISE and enterprise is None:
        raise ValidationFailed(gettext("企业用户必须指定所属排污单位"), field="enterprise")
    if role == Role.THIRD_PARTY and assigned_zones is not None and not list(assigned_zones):
        raise ValidationFailed(gettext("第三方机构必须指定至少一个服务功能区"), field="assigned_zones")


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
        raise Conflict(gettext("用户名“{username}”已被使用").format(username=username), field="username")
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
            raise ValidationFailed(gettext("不能修改字段 {name}").format(name=name))
        setattr(user, name, value)
    if user.role != Role.ZONE_OFFICER:
        user.zone = None
    if user.role != Role.ENTERPRISE:
        user.enterprise = None
    zones = assigned_zones if assigned_zones is not None else user.assigned_zones.all()
    _check_scope(user.role, user.zone, user.enterprise, zones if user.role == Role.THIRD_PARTY else None)
    if actor.user_id == user.pk and (not user.is_active or user.role != before["role"]):
        raise ValidationFailed(gettext("不能停用自己的账号或修改自己的角色"))
    user.save()
    if user.role == Role.THIRD_PARTY:
        user.assigned_zones.set(zones)
    else:
        user.assigned_zones.clear()
    record(actor=actor, action="user.update", obj=user, before=before, after=_user_state(user))
    return user


@transaction.atomic
def user_set_password(*, actor: Principal, user: User, password: str) -> None:
    """The bureau admin sets ``user``'s password. Someone else's password is then known to the
    admin, so that person must choose their own at the next sign-in."""
    _check_password(password, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    user.set_password(password)
    user.must_change_password = user.pk != actor.user_id
    user.save(update_fields=["password", "must_change_password"])
    record(
        actor=actor,
        action="user.set_password",
        obj=user,
        after={"must_change_password": user.must_change_password},
    )


@transaction.atomic
def user_change_own_password(*, actor: Principal, password: str) -> User:
    """A person chooses their own password (the form checked the old one and that the new one
    differs from it): the validators apply, and a one-time password's obligation to change it ends. Changing the password changes
    the session hash, so the person's other sessions end; the caller keeps the current one."""
    user = actor.user
    _check_password(password, user)
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    record(actor=actor, action="user.change_password", obj=user, after={"must_change_password": False})
    return user


# --- units' accounts with one-time passwords ---------------------------------------------------

# One-time passwords are read off paper and typed in: no characters that look alike (0/O, 1/l/I).
ONE_TIME_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
# Three groups of four, e.g. "h7Kq-Rm3x-Tz9d": 12 random characters, about 69 bits.
ONE_TIME_GROUPS = 3
UNIT_TITLE = "环保专员"
# Legal forms left out of a unit's short name, longest first.
LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司")


@dataclass(frozen=True)
class OneTimePassword:
    """A one-time password just issued to ``user``: handed over once (letter, spreadsheet), never
    stored in clear text."""

    user: User
    password: str


def one_time_password() -> str:
    """A random password from :data:`ONE_TIME_ALPHABET` (``secrets``), with a digit, a capital and
    a small letter, in groups of four separated by hyphens."""
    while True:
        chars = "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(4 * ONE_TIME_GROUPS))
        if (
            any(c.isdigit() for c in chars)
            and any(c.isupper() for c in chars)
            and any(c.islower() for c in chars)
        ):
            return "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))


def _one_time_password_for(user: User) -> str:
    """A one-time password the validators accept for ``user`` (a random one almost always is)."""
    for _attempt in range(10):
        password = one_time_password()
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password
    raise RuntimeError("no one-time password passed the password validators")


def _one_time_hash(password: str) -> str:
    """``password`` hashed with the cheaper hasher of one-time passwords (``accounts.hashers``)."""
    return make_password(password, hasher=OneTimePasswordHasher.algorithm)


def unit_username(unit: Any) -> str:
    """The username of a unit's account: its unified social credit code, as on its licence."""
    return str(unit.uscc).strip().upper()


def unit_display_name(unit: Any) -> str:
    """The unit's short name (its name without the legal form) and 环保专员, fitting the field."""
    short = str(unit.name).strip()
    for form in LEGAL_FORMS:
        if short.endswith(form) and len(short) > len(form):
            short = short[: -len(form)]
            break
    room = (User._meta.get_field("display_name").max_length or 50) - len(UNIT_TITLE)
    return short[:room] + UNIT_TITLE


def _unit_account_problems(actor: Principal, units: list[Any]) -> list[dict[str, Any]]:
    """Why accounts cannot be opened for ``units`` (an empty list when they can), one problem per
    unit: outside the actor's zones (not named: its existence is not revealed), struck off the
    register, already holding an account, or its username taken."""
    problems: list[dict[str, Any]] = []
    outside = sum(1 for u in units if not zone_allowed(actor, u.zone_id))
    if outside:
        problems.append(
            {"field": "enterprises", "message": f"所选排污单位中有 {outside} 家不存在或不在您管辖的功能区内"}
        )
    units = [u for u in units if zone_allowed(actor, u.zone_id)]
    holders = dict(
        User.objects.filter(enterprise__in=[u.pk for u in units]).values_list("enterprise_id", "username")
    )
    taken = set(
        User.objects.annotate(name=Lower("username"))
        .filter(name__in=[unit_username(u).lower() for u in units])
        .values_list("name", flat=True)
    )
    for unit in units:
        if not unit.is_active:
            message = f"{unit.name}已不在册，不能开通账号"
        elif unit.pk in holders:
            message = f"{unit.name}已有账号（用户名 {holders[unit.pk]}）"
        elif unit_username(unit).lower() in taken:
            message = f"{unit.name}的用户名 {unit_username(unit)} 已被其他账号使用"
        else:
            continue
        problems.append({"field": "enterprises", "message": message, "enterprise": unit.pk})
    return problems


def unit_accounts_create(*, actor: Principal, enterprises: Iterable[Any]) -> list[OneTimePassword]:
    """Open one account (role 排污单位) for each of ``enterprises`` (registry ``Enterprise`` rows),
    each with a one-time password that must be changed at the first sign-in.

    All or nothing: every unit is checked first (in the actor's zones, in the register, without an
    account, its username free) and one refusal lists every problem and opens no account. The
    username is the unit's credit code, the display name its short name and 环保专员.

    The passwords are hashed with the cheaper hasher of one-time passwords (``accounts.hashers``;
    ``python -m bench.unit_accounts`` measures 240 units) before the transaction begins, so that
    no write lock is held meanwhile;
    the transaction then checks the units again (another person may have opened one in between),
    inserts the accounts and writes one audit event per account, last. Two people opening the same
    unit at the same moment meet at the unique username: the second is refused whole.

    Returns the passwords in clear text for the caller to hand over once; nothing keeps them.
    """
    require(actor, "accounts.manage_unit_accounts")
    units = list({u.pk: u for u in enterprises}.values())
    if not units:
        raise ValidationFailed(gettext("请至少选择一家排污单位"), field="enterprises")
    problems = _unit_account_problems(actor, units)
    if problems:
        raise ValidationFailed(
            f"有 {len(problems)} 项问题，未开通任何账号", field="enterprises", errors=problems
        )
    issued: list[OneTimePassword] = []
    for unit in units:
        user = User(
            username=unit_username(unit),
            role=Role.ENTERPRISE,
            display_name=unit_display_name(unit),
            organisation=str(unit.name)[: User._meta.get_field("organisation").max_length or 100],
            enterprise=unit,
            must_change_password=True,
        )
        password = _one_time_password_for(user)
        user.password = _one_time_hash(password)
        issued.append(OneTimePassword(user=user, password=password))
    try:
        with transaction.atomic():
            problems = _unit_account_problems(actor, units)
            if problems:
                raise ValidationFailed(
                    f"有 {len(problems)} 项问题，未开通任何账号", field="enterprises", errors=problems
                )
            User.objects.bulk_create([i.user for i in issued])
            for item in issued:
                record(actor=actor, action="user.create", obj=item.user, after=_unit_account_state(item.user))
    except IntegrityError:
        raise Conflict(
            "其中有单位的账号刚被他人开通，未开通任何账号；请刷新后重试", field="enterprises"
        ) from None
    return issued


def _unit_account_state(user: User) -> dict[str, Any]:
    data = snapshot(user, [*USER_FIELDS, "must_change_password"])
    data["assigned_zones"] = []
    return data


@transaction.atomic
def unit_password_reset(*, actor: Principal, user: User) -> OneTimePassword:
    """Give a unit's account a new one-time password: the person must change it at the next
    sign-in, their sessions end (the session hash follows the password) and a login lockout of the
    account is lifted. For a zone officer, only accounts of units in their zones; for the bureau
    admin, any unit's account. Returns the password in clear text, to hand over once."""
    require(actor, "accounts.manage_unit_accounts")
    # Lock the account row alone (no ledger path takes it): two resets at once run one after the
    # other, and the first one's letter is void (its seal's fingerprint no longer matches).
    user = User.objects.select_for_update().get(pk=user.pk)
    unit = user.enterprise
    if user.role != Role.ENTERPRISE or unit is None or not zone_allowed(actor, unit.zone_id):
        raise NotFound(gettext("账号不存在或不在您的权限范围内"))
    if not user.is_active:
        raise Conflict(gettext("该账号已停用，请先由生态环境局管理员启用"))
    password = _one_time_password_for(user)
    user.password = _one_time_hash(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    from axes.utils import reset

    lifted = reset(username=user.username)
    record(
        actor=actor,
        action="user.reset_password",
        obj=user,
        after={"must_change_password": True, "lockouts_lifted": lifted},
    )
    return OneTimePassword(user=user, password=password)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


MAX_TOKEN_DAYS = 3650


def token_check(*, name: str, role: str, zone: Any, enterprise: Any, lifetime_days: int | None) -> None:
    """Every check of a token to issue that does not need its client account (the command runs
    them before it creates one)."""
    if not (name or "").strip():
        raise ValidationFailed(gettext("请填写令牌用途"), field="name")
    if lifetime_days is not None and not 1 <= lifetime_days <= MAX_TOKEN_DAYS:
        raise ValidationFailed(
            gettext("令牌有效期应为 1 至 {days} 天").format(days=MAX_TOKEN_DAYS), field="lifetime_days"
        )
    if role not in TOKEN_ROLES:
        raise ValidationFailed(gettext("令牌角色只能是系统对接、功能区、排污单位或领导小组"), field="role")
    if zone is not None and enterprise is not None:
        raise ValidationFailed(gettext("令牌只能限定一个功能区或一个排污单位，不能同时限定"), field="zone")
    if role == Role.ZONE_OFFICER and zone is None:
        raise ValidationFailed(gettext("功能区角色的令牌必须限定功能区"), field="zone")
    if role == Role.ENTERPRISE and enterprise is None:
        raise ValidationFailed(gettext("排污单位角色的令牌必须限定排污单位"), field="enterprise")


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
    lifetime_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Issue a bearer token for ``client`` (a system-client account); returns the token record and
    the token text, which is shown once and never stored. ``actor`` is ``None`` when the platform's
    operator issues it on the server (``manage.py issue_api_token``). The token expires at
    ``expires_at``, else after ``lifetime_days``, else after ``settings.API_TOKEN_LIFETIME_DAYS``."""
    if client.role != Role.SYSTEM:
        raise ValidationFailed(gettext("令牌只能签发给“系统对接客户端”账号"), field="client")
    token_check(name=name, role=role, zone=zone, enterprise=enterprise, lifetime_days=lifetime_days)
    if expires_at is None:
        days = lifetime_days if lifetime_days is not None else settings.API_TOKEN_LIFETIME_DAYS
        expires_at = timezone.now() + dt.timedelta(days=days)
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
    # Lock the token row (the only row this takes): two revocations of one token run one after the
    # other, and the second is refused (409) instead of writing a second audit event.
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise Conflict(gettext("该令牌已撤销"))
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
        raise Conflict(gettext("账号 {username} 没有被锁定").format(username=username))
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
        raise ValidationFailed(gettext("请选择在岗的代理人"), field="deputy")
    if deputy.pk == actor.user.pk:
        raise ValidationFailed(gettext("不能指定本人为代理人"), field="deputy")
    if deputy.role != actor.role:
        raise ValidationFailed(gettext("代理人须与本人角色相同"), field="deputy")
    if not isinstance(starts_on, dt.date) or not isinstance(ends_on, dt.date):
        raise ValidationFailed(gettext("请填写代理起止日期"), field="starts_on")
    if ends_on < starts_on:
        raise ValidationFailed(gettext("结束日期不能早于开始日期"), field="ends_on")
    if ends_on < timezone.localdate():
        raise ValidationFailed(gettext("结束日期不能早于今天"), field="ends_on")
    if (ends_on - starts_on).days > 366:
        raise ValidationFailed(gettext("代理期限不能超过一年"), field="ends_on")
    if not (reason or "").strip():
        raise ValidationFailed(gettext("请说明事由"), field="reason")
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
        raise Conflict(gettext("当前没有生效或待生效的代理"))
    for delegation in running:
        delegation.cleared_at = timezone.now()
        delegation.save(update_fields=["cleared_at"])
        record(actor=actor, action="accounts.delegation_clear", obj=delegation, after=snapshot(delegation))
