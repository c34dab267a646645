"""The API under ``/api/v1``: authentication, problem+json errors, pagination.

People call it with their browser session (CSRF-protected); system clients with
``Authorization: Bearer <token>``. Either way ``request.auth`` is a
:class:`~totalquota.accounts.permissions.Principal`, and routes scope every query with the same
``restrict`` / ``access`` helpers as the pages.
"""

from __future__ import annotations

import json
import logging
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext
from ninja import Field, NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PageNumberPagination
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie

from totalquota.accounts.permissions import Principal, principal_for_token, principal_for_user, require
from totalquota.accounts.services import token_authenticate
from totalquota.api import idempotency
from totalquota.api.throttling import CallerRateThrottle
from totalquota.common.middleware import MULTIPART_ONLY, is_multipart
from totalquota.common.problems import CODE_TITLES, TITLES, problem
from totalquota.lib.errors import DomainError, ValidationFailed

log = logging.getLogger(__name__)
M = TypeVar("M", bound=Model)


class ApiRequest(HttpRequest):
    """The request as API handlers see it: ``auth`` is the authenticated principal."""

    auth: Principal


def require_multipart(request: HttpRequest) -> None:
    """Upload routes take ``multipart/form-data`` with a boundary and nothing else (415 otherwise),
    checked after the caller's identity and right and before the body is parsed."""
    if not is_multipart(request):
        raise HttpError(415, str(MULTIPART_ONLY))


def _nul_fields(value: Any, path: tuple[str, ...] = ()) -> list[str]:
    """The paths (``lines.0.project_env``) of the texts in a parsed JSON body that hold a NUL."""
    if isinstance(value, str):
        return [".".join(path)] if "\x00" in value else []
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _nul_fields(v, (*path, str(k)))]
    if isinstance(value, list):
        return [f for i, v in enumerate(value) for f in _nul_fields(v, (*path, str(i)))]
    return []


def refuse_nul(request: HttpRequest) -> None:
    """A NUL character in a query value or a JSON body is refused (422, naming the fields) before
    any handler reads it: no text the platform keeps may hold one, and PostgreSQL refuses it in a
    query or a row, which used to surface as a 500. Uploads are left to their own checks (a file
    may hold NULs); a body that is not JSON is left to the parser's own refusal."""
    fields = [key for key, values in request.GET.lists() if any("\x00" in v for v in values)]
    if not fields and request.method not in ("GET", "HEAD") and not is_multipart(request):
        try:
            fields = _nul_fields(json.loads(request.body)) if b"\\u0000" in request.body else []
        except (RequestDataTooBig, ValueError):
            fields = []  # answered 413, or 422 as a body that is not JSON, where the body is read
    if fields:
        message = gettext("请求含有空字符（NUL），平台不接受")
        raise ValidationFailed(
            message, field=fields[0], errors=[{"field": f, "message": message} for f in fields]
        )


class _Admission:
    """What both ways in check once the caller is known: with ``action``, the principal must also
    be allowed that action (403 otherwise), checked before the request body is read, so a caller
    without the right learns nothing from validation errors; with ``upload``, the body must then be
    declared as ``multipart/form-data`` (415 otherwise). Last, a POST's ``Idempotency-Key`` is
    claimed for the caller (see :mod:`totalquota.api.idempotency`): a request answered from its key
    runs no handler."""

    def __init__(self, action: str | None = None, *, upload: bool = False) -> None:
        super().__init__()
        self.action = action
        self.upload = upload

    def admit(self, request: HttpRequest, principal: Principal) -> Principal:
        if self.action:
            require(principal, self.action)
        if self.upload:
            require_multipart(request)
        refuse_nul(request)
        request.principal = principal  # type: ignore[attr-defined]
        idempotency.claim(request, principal)
        return principal


class BearerTokenAuth(_Admission, HttpBearer):
    """``Authorization: Bearer tq_…``: a system client's token, hashed and looked up."""

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        found = token_authenticate(token)
        if found is None:
            return None
        return self.admit(request, principal_for_token(found))


class SessionPrincipalAuth(_Admission, APIKeyCookie):
    """A signed-in person's session; unsafe methods need the CSRF token like any form."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not getattr(user, "role", ""):
            return None
        try:
            principal = principal_for_user(user)
        except PermissionDenied:
            return None
        return self.admit(request, principal)


def allowed(action: str) -> list:
    """Route-level ``auth=`` for operations that need ``action`` (see accounts.permissions)."""
    return [BearerTokenAuth(action), SessionPrincipalAuth(action)]


def allowed_upload(action: str) -> list:
    """Like :func:`allowed`, for routes that take a file: the body must be ``multipart/form-data``."""
    return [BearerTokenAuth(action, upload=True), SessionPrincipalAuth(action, upload=True)]


def filtered(qs: QuerySet[M], **lookups: Any) -> QuerySet[M]:
    """``qs`` filtered by each lookup that was given a value: a query parameter left out (``""``
    or ``None``) filters nothing."""
    given = {lookup: value for lookup, value in lookups.items() if value is not None and value != ""}
    return qs.filter(**given) if given else qs


MAX_PAGE = 1_000_000


class Pages(PageNumberPagination):
    """Every paginated API list pages through this: ``page`` from 1 to :data:`MAX_PAGE` (a page
    number beyond the database's integer range used to reach the query as an offset and fail
    there), ``page_size`` up to the route's maximum."""

    class Input(PageNumberPagination.Input):
        page: int = Field(1, ge=1, le=MAX_PAGE, description=f"页码，1 至 {MAX_PAGE}")
        page_size: int | None = Field(None, ge=1, le=1000, description="每页条数（不超过接口上限）")


api = NinjaAPI(
    title="排污总量管理平台 API",
    version="1",
    description=(
        "园区排污总量管理平台的数据接口：功能区、污染物、排污单位，以及减排库、储备库、总量库。"
        "人员使用登录会话调用（写操作需 CSRF 令牌）；项目审批、排污许可、执法等系统使用管理员签发的"
        "Bearer 令牌调用。所有错误以 application/problem+json 返回，含中文说明，规则拒绝时附条款编号（clause）。"
        "新建或决定类的 POST 请求可带 Idempotency-Key 请求头（1–255 个可见 ASCII 字符，建议使用 UUID）："
        "同一调用方、同一接口、同一幂等键且请求体相同时，返回第一次的响应（含拒绝），并带 "
        "Idempotent-Replayed: true；请求体不同时返回 409；第一次请求仍在处理时返回 409。5xx 响应不保留，可用同一幂等键重试。"
        "幂等键至少保留 7 天。"
        " POST requests that create or decide accept an Idempotency-Key header (1–255 visible ASCII "
        "characters; a UUID is recommended): the same caller, route and key with the same body get the first "
        "response again (refusals included) with Idempotent-Replayed: true; a different body gets 409, and so "
        "does a retry while the first request is still running. 5xx answers are not kept: retry with the same "
        "key. Keys are kept at least 7 days."
    ),
    auth=[BearerTokenAuth(), SessionPrincipalAuth()],
    throttle=[CallerRateThrottle()],
    urls_namespace="api",
    docs_url="/docs",
)
# Every operation stores its answer under the Idempotency-Key its request claimed (if any).
api.add_decorator(idempotency.kept, mode="view")


@api.exception_handler(idempotency.Answered)
def _answered(request, exc: idempotency.Answered):
    return exc.response


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return problem(
        request,
        exc.status,
        CODE_TITLES.get(exc.code, TITLES.get(exc.status, gettext("请求被拒绝"))),
        str(exc),
        code=exc.code,
        clause=exc.clause,
        errors=exc.errors or None,
    )


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    errors = []
    for item in exc.errors:
        loc = [str(x) for x in item.get("loc", [])]
        # ("body", "payload", "lines", "0", "plant_env") names the field as the document has it,
        # "lines.0.plant_env", like the services' refusals; a query or path parameter keeps its name.
        field = loc[2:] if loc[:1] == ["body"] and len(loc) > 2 else loc[1:] or loc
        errors.append(
            {
                "field": ".".join(field),
                "message": _translate_pydantic(item),
                "type": item.get("type"),
            }
        )
    return problem(
        request,
        422,
        TITLES[422],
        gettext("请求数据格式不正确：")
        + gettext("；").join(f"{e['field']}: {e['message']}" for e in errors[:5]),
        code="validation",
        errors=errors,
    )


def _translate_pydantic(item: dict[str, Any]) -> str:
    kind = str(item.get("type", ""))
    if kind == "missing":
        return gettext("必填")
    if kind.endswith("_parsing") or kind.endswith("_type"):
        return gettext("类型不正确")
    if kind == "json_invalid":
        return gettext("不是有效的 JSON")
    if kind.startswith("string_too_long"):
        return gettext("过长")
    ctx = item.get("ctx") or {}
    if kind == "greater_than_equal":
        return gettext("应不小于 {ge}").format(ge=ctx.get("ge"))
    if kind == "less_than_equal":
        return gettext("应不大于 {le}").format(le=ctx.get("le"))
    return str(item.get("msg", gettext("不正确")))


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return problem(
        request,
        401,
        TITLES[401],
        gettext("请登录，或在请求头中提供有效的 Bearer 令牌"),
        code="unauthenticated",
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return problem(request, 403, TITLES[403], str(exc) or gettext("您的角色无权执行此操作"), code="forbidden")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem(request, 404, TITLES[404], gettext("记录不存在或不在您的权限范围内"), code="not-found")


@api.exception_handler(DjangoValidationError)
def _django_validation(request, exc: DjangoValidationError):
    return problem(request, 422, TITLES[422], gettext("；").join(exc.messages), code="validation")


@api.exception_handler(Throttled)
def _throttled(request, exc: Throttled):
    return problem(
        request,
        429,
        gettext("请求过于频繁"),
        gettext("此令牌或账号的请求超过了每个周期的限额（{rate}），请在 Retry-After 所示秒数后重试").format(
            rate=settings.API_RATE_LIMIT
        ),
        code="rate-limited",
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return problem(
        request, exc.status_code, TITLES.get(exc.status_code, gettext("请求被拒绝")), str(exc), code="http"
    )


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return problem(
        request,
        413,
        TITLES[413],
        f"请求体超过 {limit // (1024 * 1024)} MB 上限；文件请以 multipart/form-data 上传",
        code="too-large",
    )


@api.exception_handler(MultiPartParserError)
def _bad_multipart(request, exc):
    return problem(request, 415, TITLES[415], str(MULTIPART_ONLY), code="unsupported-media-type")


@api.exception_handler(SuspiciousOperation)
def _suspicious(request, exc):
    # TooManyFieldsSent / TooManyFilesSent and the like: a request no client of ours would send.
    detail = (
        "表单字段或文件数量过多" if isinstance(exc, TooManyFieldsSent | TooManyFilesSent) else "请求无法处理"
    )
    return problem(request, 400, TITLES[400], detail, code="bad-request")


@api.exception_handler(Exception)
def _unexpected(request, exc: Exception):
    log.exception("unexpected API error")
    return problem(
        request,
        500,
        gettext("服务器内部错误"),
        gettext("服务器处理请求时出错，已记录；请稍后再试"),
        code="server",
    )
