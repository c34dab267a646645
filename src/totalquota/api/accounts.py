"""Account routes, as the account pages do them: people's accounts (a bureau administrator),
lifting a sign-in lockout, a person's deputy for an absence, and units' accounts with one-time
passwords (administrators and zone officers, in their zones). One-time passwords are in the
response once and never stored in clear text."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from totalquota.accounts import selectors, services
from totalquota.accounts.models import Delegation, User
from totalquota.accounts.permissions import access, in_zones, require, restrict
from totalquota.accounts.roles import Role
from totalquota.api.core import ApiRequest, Pages, allowed, filtered
from totalquota.api.fields import RecordId
from totalquota.api.lookups import zone_or_none
from totalquota.api.schemas import path
from totalquota.lib.errors import ValidationFailed
from totalquota.registry.models import Enterprise, Zone

router = Router(tags=["账号 accounts"])
MANAGE = "accounts.manage_users"
UNIT_ACCOUNTS = "accounts.manage_unit_accounts"


# --- people's accounts ------------------------------------------------------------------------------


class UserOut(Schema):
    """A person's account: role and scope, never a password."""

    id: int
    username: str
    display_name: str
    role: str
    zone: str | None = Field(description="功能区代码（功能区角色）/ zone officers' zone")
    enterprise_id: int | None = Field(description="排污单位（排污单位角色）/ enterprise staff's unit")
    assigned_zones: list[str] = Field(description="受托的功能区（第三方机构）/ third parties' zones")
    organisation: str
    phone: str
    email: str
    is_active: bool
    must_change_password: bool
    last_login: dt.datetime | None

    resolve_zone = path("zone.code")

    @staticmethod
    def resolve_assigned_zones(user: User) -> list[str]:
        return [z.code for z in user.assigned_zones.all()]


class UserFields(Schema):
    display_name: str = Field("", max_length=150)
    organisation: str = Field("", max_length=200)
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    zone: str | None = Field(None, max_length=32, description="功能区代码：功能区角色必填")
    enterprise_id: RecordId | None = Field(None, description="排污单位：排污单位角色必填")
    assigned_zones: list[str] = Field(
        default_factory=list, max_length=50, description="第三方机构的功能区代码"
    )


class UserIn(UserFields):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=128, description="须符合密码规则 / the password policy")
    role: str = Field(description="角色代码 / role code")


TEXT_FIELDS = ("display_name", "organisation", "phone", "email")
# The fields of a change that ``null`` cannot clear (``zone`` and ``enterprise_id`` can).
NOT_NULL = (*TEXT_FIELDS, "is_active", "role", "assigned_zones")


class UserPatch(Schema):
    display_name: str | None = Field(None, max_length=150)
    organisation: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=30)
    email: str | None = Field(None, max_length=254)
    role: str | None = None
    zone: str | None = Field(None, max_length=32)
    enterprise_id: RecordId | None = None
    assigned_zones: list[str] | None = Field(None, max_length=50)
    is_active: bool | None = None


class PasswordIn(Schema):
    password: str = Field(min_length=1, max_length=128)


class UnlockIn(Schema):
    username: str = Field(min_length=1, max_length=150)


class UnlockOut(Schema):
    username: str
    attempts_removed: int


def _people() -> QuerySet[User]:
    return User.objects.select_related("zone", "enterprise").prefetch_related("assigned_zones")


def _zones(codes: list[str]) -> list[Zone]:
    return [z for z in (zone_or_none(code, field="assigned_zones") for code in codes) if z is not None]


def _enterprise(pk: int | None) -> Enterprise | None:
    if pk is None:
        return None
    found = Enterprise.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationFailed(gettext("排污单位不存在"), field="enterprise_id")
    return found


def _role(code: str) -> str:
    if code not in Role.values:
        raise ValidationFailed(gettext("未知的角色：{role}").format(role=code), field="role")
    return code


@router.get("/users", response=list[UserOut], summary="用户账号（管理员）/ Accounts", auth=allowed(MANAGE))
@paginate(Pages, page_size=100)
def list_users(request: ApiRequest, q: str = "", role: str = "", active: bool | None = None):
    qs = restrict(request.auth, _people(), MANAGE)
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q) | Q(organisation__icontains=q))
    return filtered(qs, role=role, is_active=active).order_by("username")


@router.get("/users/{int:user_id}", response=UserOut, summary="用户账号详情（管理员）", auth=allowed(MANAGE))
def get_user(request: ApiRequest, user_id: int):
    return access(request.auth, _people(), user_id, MANAGE)


@router.post(
    "/users",
    response={201: UserOut},
    summary="新建用户账号：角色与范围（管理员）/ Create an account",
    auth=allowed(MANAGE),
)
def create_user(request: ApiRequest, payload: UserIn):
    actor = require(request.auth, MANAGE)
    user = services.user_create(
        actor=actor,
        username=payload.username.strip(),
        password=payload.password,
        role=_role(payload.role),
        display_name=payload.display_name,
        organisation=payload.organisation,
        phone=payload.phone,
        email=payload.email,
        zone=zone_or_none(payload.zone),
        enterprise=_enterprise(payload.enterprise_id),
        assigned_zones=_zones(payload.assigned_zones),
    )
    return Status(201, _people().get(pk=user.pk))


@router.patch(
    "/users/{int:user_id}",
    response=UserOut,
    summary="修改用户的资料、角色、范围或启用状态（不含密码）/ Change an account",
    auth=allowed(MANAGE),
)
def update_user(request: ApiRequest, user_id: int, payload: UserPatch):
    actor = require(request.auth, MANAGE)
    user = access(actor, _people(), user_id, MANAGE)
    given = payload.dict(exclude_unset=True)
    # ``null`` clears a zone or an enterprise; for any other field it would mean nothing, so it
    # is refused rather than dropped (a text is cleared with "").
    for name in NOT_NULL:
        if name in given and given[name] is None:
            raise ValidationFailed(
                gettext("{field} 不能为 null；清空文字请传空字符串").format(field=name), field=name
            )
    changes: dict[str, Any] = {k: given[k] for k in (*TEXT_FIELDS, "is_active") if k in given}
    if "role" in given:
        changes["role"] = _role(given["role"])
    if "zone" in given:
        changes["zone"] = zone_or_none(given["zone"])
    if "enterprise_id" in given:
        changes["enterprise"] = _enterprise(given["enterprise_id"])
    zones = _zones(given["assigned_zones"]) if "assigned_zones" in given else None
    services.user_update(actor=actor, user=user, assigned_zones=zones, **changes)
    return _people().get(pk=user.pk)


@router.post(
    "/users/{int:user_id}/password",
    response={204: None},
    summary="为用户设置新密码（他人须在下次登录时自行修改）/ Set a password",
    auth=allowed(MANAGE),
)
def set_password(request: ApiRequest, user_id: int, payload: PasswordIn):
    user = access(request.auth, User, user_id, MANAGE)
    services.user_set_password(actor=request.auth, user=user, password=payload.password)
    return Status(204, None)


@router.post(
    "/users/unlock",
    response=UnlockOut,
    summary="解除账号的登录锁定（连续登录失败后）/ Lift a sign-in lockout",
    auth=allowed("accounts.unlock"),
)
def unlock(request: ApiRequest, payload: UnlockIn):
    removed = services.account_unlock(actor=request.auth, username=payload.username)
    return {"username": payload.username, "attempts_removed": removed}


# --- a person's deputy ------------------------------------------------------------------------------


class DelegationOut(Schema):
    id: int
    principal: str = Field(description="被代理人 / the person away")
    deputy_id: int
    deputy: str
    starts_on: dt.date
    ends_on: dt.date
    reason: str
    cleared_at: dt.datetime | None

    resolve_principal = path("principal", str)
    resolve_deputy = path("deputy", str)


class DelegationsOut(Schema):
    mine: list[DelegationOut] = Field(description="我设置的代理（最近 20 次）")
    deputy_for: list[DelegationOut] = Field(description="我正在代理的人")


class DelegationIn(Schema):
    deputy_id: RecordId
    starts_on: dt.date
    ends_on: dt.date
    reason: str = Field(max_length=300)


@router.get(
    "/delegation",
    response=DelegationsOut,
    summary="我的代理人 / My deputy",
    auth=allowed("accounts.delegate"),
)
def my_delegation(request: ApiRequest):
    user = request.auth.user
    rows = Delegation.objects.select_related("principal", "deputy")
    return {
        "mine": list(rows.filter(principal=user).order_by("-pk")[:20]),
        "deputy_for": list(rows.filter(deputy=user, cleared_at__isnull=True).order_by("-pk")[:20]),
    }


@router.post(
    "/delegation",
    response={201: DelegationOut},
    summary="设置代理人（同角色、在岗，最长一年；代新设置替代在前的）/ Name a deputy",
    auth=allowed("accounts.delegate"),
)
def set_delegation(request: ApiRequest, payload: DelegationIn):
    deputy = User.objects.filter(pk=payload.deputy_id).first()
    row = services.delegation_set(
        actor=request.auth,
        deputy=deputy,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        reason=payload.reason,
    )
    return Status(201, Delegation.objects.select_related("principal", "deputy").get(pk=row.pk))


@router.delete(
    "/delegation",
    response={204: None},
    summary="撤销代理（提前返岗）/ End my delegation",
    auth=allowed("accounts.delegate"),
)
def clear_delegation(request: ApiRequest):
    services.delegation_clear(actor=request.auth)
    return Status(204, None)


# --- units' accounts --------------------------------------------------------------------------------


class UnitAccountOut(Schema):
    id: int
    username: str
    display_name: str
    enterprise_id: int
    enterprise: str
    zone: str
    must_change_password: bool
    is_active: bool
    last_login: dt.datetime | None

    resolve_enterprise = path("enterprise.name")
    resolve_zone = path("enterprise.zone.code")


class OneTimePasswordOut(Schema):
    user_id: int
    username: str
    enterprise_id: int
    one_time_password: str = Field(description="一次性初始密码，只显示这一次；首次登录须修改")


class UnitAccountsIn(Schema):
    enterprise_ids: list[RecordId] = Field(min_length=1, max_length=2000)


def _handed(issued: list[services.OneTimePassword]) -> list[dict[str, Any]]:
    return [
        {
            "user_id": i.user.pk,
            "username": i.user.username,
            "enterprise_id": i.user.enterprise_id,
            "one_time_password": i.password,
        }
        for i in issued
    ]


@router.get(
    "/unit-accounts",
    response=list[UnitAccountOut],
    summary="排污单位账号（本人管辖的功能区）/ Units' accounts",
    auth=allowed(UNIT_ACCOUNTS),
)
@paginate(Pages, page_size=100)
def list_unit_accounts(request: ApiRequest, q: str = ""):
    qs = selectors.unit_accounts(request.auth)
    if q:
        qs = qs.filter(
            Q(username__icontains=q) | Q(enterprise__name__icontains=q) | Q(enterprise__uscc__icontains=q)
        )
    return qs.order_by("username")


@router.post(
    "/unit-accounts",
    response={201: list[OneTimePasswordOut]},
    summary="为排污单位开通账号（全部可开通才开通），返回一次性密码 / Open units' accounts",
    auth=allowed(UNIT_ACCOUNTS),
)
def open_unit_accounts(request: ApiRequest, payload: UnitAccountsIn):
    actor = require(request.auth, UNIT_ACCOUNTS)
    ids = set(payload.enterprise_ids)
    units = list(in_zones(actor, Enterprise.objects.filter(pk__in=ids), "zone_id"))
    if len(units) != len(ids):
        raise ValidationFailed(
            gettext("所选排污单位中有 {n} 家不存在或不在您管辖的功能区内").format(n=len(ids) - len(units)),
            field="enterprise_ids",
        )
    return Status(201, _handed(services.unit_accounts_create(actor=actor, enterprises=units)))


@router.post(
    "/unit-accounts/{int:user_id}/reset-password",
    response=OneTimePasswordOut,
    summary="重置排污单位账号的密码，返回新的一次性密码 / Reset a unit's password",
    auth=allowed(UNIT_ACCOUNTS),
)
def reset_unit_password(request: ApiRequest, user_id: int):
    actor = require(request.auth, UNIT_ACCOUNTS)
    user = selectors.unit_accounts(actor).filter(pk=user_id).first()
    if user is None:  # not a unit's account, or outside the caller's zones: not revealed
        raise Http404(gettext("记录不存在或不在您的权限范围内"))
    return _handed([services.unit_password_reset(actor=actor, user=user)])[0]
