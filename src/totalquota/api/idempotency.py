"""``Idempotency-Key`` on the API's POST routes: a request sent again is answered, not run again.

A caller (a bearer token, or a signed-in person) that sends ``Idempotency-Key: <key>`` with a POST
gets, for the same key on the same route:

- the same body (same digest of body and content type): the first response again, byte for byte
  with its status and content type, refusals (4xx) included, marked ``Idempotent-Replayed: true``;
- a different body: 409 (``idempotency-key-reused``);
- while the first request is still being handled: 409 (``idempotency-in-progress``).

A 5xx answer (or a 429) is not kept: the key is released so that a retry runs. Without the header
nothing changes.

How: once the caller is known and admitted (``core._Admission.admit`` calls :func:`claim`), the key
is claimed by inserting an :class:`~totalquota.api.models.IdempotencyRecord` in a short
transaction of its own, committed before the handler runs, so a concurrent request with the same
key sees it; the unique constraint on (caller, route, key) decides who was first. The other request
reads the record and is answered from it (:class:`Answered`, turned into its response by the API's
exception handler). :func:`kept` wraps every operation of the API and, after the handler, stores
the response in the claimed record (or releases it).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.api.models import IdempotencyRecord, IdempotencyState
from totalquota.common.middleware import is_multipart
from totalquota.common.problems import TITLES, problem

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
# 1 to 255 visible ASCII characters (no spaces, no control characters).
VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")
# Answers that say "try again" rather than answer the request: never kept.
NOT_KEPT = 429
_ATTR = "_idempotency_record"
# The header as the OpenAPI document describes it on every POST operation.
PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "幂等键（可选）：同一调用方、同一接口、同一幂等键且请求体相同时返回第一次的响应（含拒绝），"
        "带 Idempotent-Replayed: true；请求体不同或第一次仍在处理时 409。"
        " Optional: the same caller, route, key and body get the first response again (refusals "
        "included) with Idempotent-Replayed: true; a different body, or the first still running, 409."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
}


class Answered(Exception):
    """The request is answered from its key (a replay, or a 409/400 about the key) without running
    the handler; ``response`` is that answer."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


def route_of(request: HttpRequest) -> str:
    """The method and path the key was sent to (a path too long for the column by its digest)."""
    route = f"{request.method} {request.path}"
    if len(route) > 300:
        route = "sha256:" + hashlib.sha256(route.encode()).hexdigest()
    return route


def body_digest(request: HttpRequest) -> str:
    """SHA-256 over the body's content type and the body. A file form is read as its fields and
    files (names, file names, contents), since a client sending it again picks a new boundary."""
    digest = hashlib.sha256()
    if is_multipart(request):
        digest.update(b"multipart/form-data\n")
        for name in sorted(request.POST):
            digest.update(json.dumps(["field", name, request.POST.getlist(name)]).encode() + b"\n")
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                digest.update(json.dumps(["file", name, upload.name, upload.size]).encode() + b"\n")
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
        return digest.hexdigest()
    content_type = request.content_type or ""
    charset = request.content_params.get("charset", "") if request.content_params else ""
    digest.update(f"{content_type.lower()};{charset.lower()}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def claim(request: HttpRequest, principal: Principal) -> None:
    """Claim the request's ``Idempotency-Key`` for its caller and route before the handler runs,
    or raise :class:`Answered` with the answer it gets instead. Nothing happens without the header
    or for methods other than POST."""
    if request.method != "POST" or HEADER not in request.headers:
        return
    key = request.headers[HEADER]
    if not VALID_KEY.fullmatch(key):
        raise Answered(
            problem(
                request,
                400,
                TITLES[400],
                gettext("请求头 Idempotency-Key 须为 1 至 255 个可见 ASCII 字符（不含空格）"),
                code="idempotency-key-invalid",
            )
        )
    caller, route, digest = principal.caller, route_of(request), body_digest(request)
    for _attempt in range(3):
        record = _insert(caller, route, key, digest)
        if record is not None:
            setattr(request, _ATTR, record)
            return
        found = IdempotencyRecord.objects.filter(caller=caller, route=route, key=key).first()
        if found is None:
            continue  # released (a 5xx) between our insert and our read: claim it again
        if found.body_hash != digest:
            raise Answered(
                problem(
                    request,
                    409,
                    TITLES[409],
                    gettext("该 Idempotency-Key 已用于内容不同的另一个请求；新的请求请使用新的幂等键"),
                    code="idempotency-key-reused",
                )
            )
        if found.state == IdempotencyState.DONE:
            raise Answered(replay(found))
        if _take_over(found):
            setattr(request, _ATTR, found)
            return
        raise Answered(in_progress(request))
    raise Answered(in_progress(request))


def _insert(caller: str, route: str, key: str, digest: str) -> IdempotencyRecord | None:
    """The new record claiming the key, or ``None`` when someone holds it already. Its own short
    transaction: committed before the handler runs, so that a concurrent request sees the claim."""
    now = timezone.now()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                caller=caller,
                route=route,
                key=key,
                body_hash=digest,
                state=IdempotencyState.IN_PROGRESS,
                created_at=now,
                claimed_at=now,
            )
    except IntegrityError:
        return None


def _take_over(found: IdempotencyRecord) -> bool:
    """Whether this request takes over a claim left unanswered past ``IDEMPOTENCY_STALE_SECONDS``
    (its process died): one conditional update, so of two requests trying only one succeeds."""
    stale = timezone.now() - dt.timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS)
    if found.claimed_at >= stale:
        return False
    now = timezone.now()
    taken = IdempotencyRecord.objects.filter(
        pk=found.pk, state=IdempotencyState.IN_PROGRESS, claimed_at=found.claimed_at
    ).update(claimed_at=now)
    found.claimed_at = now
    return taken == 1


def replay(record: IdempotencyRecord) -> HttpResponse:
    """The response first given under the key, as it was, marked as a replay."""
    response = HttpResponse(
        bytes(record.body), status=record.status_code or 200, content_type=record.content_type or None
    )
    response[REPLAYED] = "true"
    return response


def in_progress(request: HttpRequest) -> HttpResponse:
    return problem(
        request,
        409,
        TITLES[409],
        gettext("使用该 Idempotency-Key 的请求仍在处理中，请稍后用同一幂等键重试"),
        code="idempotency-in-progress",
    )


def finish(request: HttpRequest, response: HttpResponseBase | None) -> None:
    """Store the answer in the record the request claimed, or release the key when the answer is
    not to be kept (a 5xx, a 429, a streamed body, no answer at all)."""
    record: IdempotencyRecord | None = getattr(request, _ATTR, None)
    if record is None:
        return
    delattr(request, _ATTR)
    mine = IdempotencyRecord.objects.filter(pk=record.pk, claimed_at=record.claimed_at)
    try:
        if (
            response is None
            or response.status_code >= 500
            or response.status_code == NOT_KEPT
            or response.streaming
        ):
            mine.delete()
            return
        assert isinstance(response, HttpResponse)
        mine.update(
            state=IdempotencyState.DONE,
            status_code=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=response.content,
        )
    except Exception:
        # The request itself was answered; the key stays claimed and a retry gets 409 until the
        # claim is stale. Failing the answer now would invite a second run of a committed request.
        log.exception("could not store the answer under an idempotency key")


def kept(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wraps an operation's ``run`` (ninja's view-mode decorator): after the handler, the answer is
    stored under the key the request claimed while being admitted. A POST operation's OpenAPI
    description gains the header."""
    operation = getattr(run, "__self__", None)
    if operation is not None and "POST" in getattr(operation, "methods", ()):
        extra = dict(operation.openapi_extra or {})
        parameters = list(extra.get("parameters", []))
        if not any(p.get("name") == HEADER for p in parameters):
            extra["parameters"] = [*parameters, PARAMETER]
            operation.openapi_extra = extra

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = None
        try:
            response = run(request, *args, **kwargs)
        finally:
            finish(request, response)
        return response

    return wrapper


def prune(*, now: dt.datetime | None = None) -> int:
    """Remove the records older than ``IDEMPOTENCY_RETENTION_DAYS``; how many were removed."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.IDEMPOTENCY_RETENTION_DAYS)
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
