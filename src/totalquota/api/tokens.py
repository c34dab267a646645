"""Token routes: a caller lists and revokes its own API tokens; a bureau administrator lists and
revokes any. The secret is never shown again (only its prefix); every revocation is audited by
``accounts.services.token_revoke``."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from totalquota.accounts import selectors, services
from totalquota.accounts.models import ApiToken
from totalquota.api.core import ApiRequest, Pages, allowed, filtered
from totalquota.api.schemas import path

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
