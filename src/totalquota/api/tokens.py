"""Token routes: a caller lists and revokes its own API tokens; a bureau administrator lists and
revokes any, and issues a system client's token. The secret is shown once, when issued, and never
again (only its prefix); every issue and revocation is audited by ``accounts.services``. No token
role holds ``accounts.manage_tokens`` (``accounts.services.TOKEN_ROLES``): a token never mints
another; a signed-in administrator issues it, as on the page."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from totalquota.accounts import selectors, services
from totalquota.accounts.models import ApiToken, User
from totalquota.accounts.permissions import require
from totalquota.accounts.roles import Role
from totalquota.api.core import ApiRequest, Pages, allowed, filtered
from totalquota.api.fields import RecordId
from totalquota.api.lookups import zone_or_none
from totalquota.api.schemas import path
from totalquota.lib.errors import ValidationFailed
from totalquota.registry.models import Enterprise

router = Router(tags=["接口令牌 tokens"])


class TokenOut(Schema):
    """An API token as its owner and the administrators see it: never its secret."""

    id: int
    name: str
    prefix: str = Field(description="令牌前缀（令牌以 tq_<前缀>_ 开头），用于辨认")
    client: str = Field(description="所属客户端账号")
    role: str
    zone: str | None
    enterprise_id: int | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    state: str = Field(description="active 有效、expired 已过期、revoked 已撤销")

    resolve_client = path("client.username")
    resolve_zone = path("zone.code")

    @staticmethod
    def resolve_state(token: ApiToken) -> str:
        if token.revoked_at is not None:
            return "revoked"
        if token.expires_at is not None and token.expires_at <= timezone.now():
            return "expired"
        return "active"


def _one(tokens: QuerySet[ApiToken], token_id: int) -> ApiToken:
    token = tokens.filter(pk=token_id).first()
    if token is None:
        raise Http404
    return token


@router.get("/tokens/mine", response=list[TokenOut], summary="本账号的接口令牌")
@paginate(Pages, page_size=100)
def my_tokens(request: ApiRequest):
    return selectors.own_tokens(request.auth).order_by("-pk")


@router.post("/tokens/mine/{int:token_id}/revoke", response=TokenOut, summary="撤销本账号的一个接口令牌")
def revoke_my_token(request: ApiRequest, token_id: int):
    token = _one(selectors.own_tokens(request.auth), token_id)  # another account's token: 404
    services.token_revoke(actor=request.auth, token=token)
    return _one(selectors.own_tokens(request.auth), token_id)


@router.get(
    "/tokens",
    response=list[TokenOut],
    summary="全部接口令牌（管理员）",
    auth=allowed("accounts.manage_tokens"),
)
@paginate(Pages, page_size=100)
def list_tokens(request: ApiRequest, client: str = "", revoked: bool | None = None):
    qs = filtered(selectors.all_tokens(request.auth), client__username=client)
    if revoked is not None:
        qs = qs.filter(revoked_at__isnull=not revoked)
    return qs.order_by("-pk")


@router.post(
    "/tokens/{int:token_id}/revoke",
    response=TokenOut,
    summary="撤销任一接口令牌（管理员）",
    auth=allowed("accounts.manage_tokens"),
)
def revoke_token(request: ApiRequest, token_id: int):
    token = _one(selectors.all_tokens(request.auth), token_id)
    services.token_revoke(actor=request.auth, token=token)
    return _one(selectors.all_tokens(request.auth), token_id)


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100, description="令牌用途 / what the token is for")
    client: str = Field(max_length=150, description="系统对接客户端账号的用户名 / the client account")
    role: str = Field(Role.SYSTEM, description="令牌角色：system、zone_officer、enterprise 或 leader")
    zone: str | None = Field(None, max_length=32, description="限定功能区代码 / limit to a zone")
    enterprise_id: RecordId | None = Field(None, description="限定排污单位 / limit to a unit")
    lifetime_days: int | None = Field(None, description="有效天数；不填为平台默认 / days valid")


class IssuedTokenOut(Schema):
    token: TokenOut
    secret: str = Field(description="令牌全文，只显示这一次 / the token, shown this once")


@router.post(
    "/tokens",
    response={201: IssuedTokenOut},
    summary="签发系统对接令牌（管理员登录后签发）/ Issue a system client's token",
    auth=allowed("accounts.manage_tokens"),
)
def issue_token(request: ApiRequest, payload: TokenIn):
    actor = require(request.auth, "accounts.manage_tokens")
    client = User.objects.filter(username=payload.client, role=Role.SYSTEM).first()
    if client is None:
        raise ValidationFailed(gettext("令牌只能签发给“系统对接客户端”账号"), field="client")
    zone = zone_or_none(payload.zone)
    enterprise = (
        Enterprise.objects.filter(pk=payload.enterprise_id).first() if payload.enterprise_id else None
    )
    if payload.enterprise_id and enterprise is None:
        raise ValidationFailed(gettext("排污单位不存在"), field="enterprise_id")
    token, secret = services.token_issue(
        actor=actor,
        name=payload.name,
        client=client,
        role=payload.role,
        zone=zone,
        enterprise=enterprise,
        lifetime_days=payload.lifetime_days,
    )
    return Status(201, {"token": selectors.all_tokens(actor).get(pk=token.pk), "secret": secret})
