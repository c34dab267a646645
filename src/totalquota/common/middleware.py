"""Request id: every request carries one, so audit events written by it can be found together;
and the guard that upload views put in front of their form."""

from __future__ import annotations

import contextvars
import functools
import re
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext, gettext_lazy

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_SAFE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str | None:
    """The id of the request being served, ``None`` outside a request (commands, tasks)."""
    return _request_id.get()


class RequestIdMiddleware:
    """Takes a well-formed ``X-Request-ID`` from the caller or makes one, and echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class SandboxMiddleware:
    """In the sandbox (``SANDBOX``, ``./bin/start --sandbox``) every answer says so in an
    ``X-Sandbox: true`` header, so a partner's test client can tell it from the real platform."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.SANDBOX:
            response["X-Sandbox"] = "true"
        return response


class ApiProblemMiddleware:
    """Under ``/api/``, answers that Django or the router produce themselves (an unknown path, a
    method the route does not have) become problem documents too, like every other API refusal."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and 400 <= response.status_code < 500
            and not response.get("Content-Type", "").startswith(
                ("application/problem+json", "application/json")
            )
        ):
            from totalquota.common.problems import TITLES, problem

            status = response.status_code
            details = {
                404: gettext("请求的接口不存在"),
                405: gettext("该接口不支持 {method} 方法").format(method=request.method),
                413: gettext("请求体过大"),
                415: str(MULTIPART_ONLY),
            }
            detail = details.get(status, gettext("请求无法处理"))
            result = problem(request, status, TITLES.get(status, gettext("请求有误")), detail, code="http")
            if response.has_header("Allow"):
                result["Allow"] = response["Allow"]
            return result
        return response


MULTIPART_ONLY = gettext_lazy("上传只接受 multipart/form-data 格式（须带 boundary 参数），文件放在表单字段中")


def is_multipart(request: HttpRequest) -> bool:
    """Whether the body is declared as ``multipart/form-data`` with a non-empty boundary."""
    kind, _sep, params = request.META.get("CONTENT_TYPE", "").partition(";")
    return kind.strip().lower() == "multipart/form-data" and any(
        name.strip().lower() == "boundary" and value.strip().strip('"')
        for name, _eq, value in (p.partition("=") for p in params.split(";"))
    )


def multipart_post(view):
    """A page that takes a file: a POST whose body is anything but a file form is refused with 415
    before the form reads it (a form posted as text or JSON would otherwise just be shown again
    empty, and one without a boundary fail in the parser)."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs):
        if request.method == "POST" and not is_multipart(request):
            return HttpResponse(str(MULTIPART_ONLY), status=415, content_type="text/plain; charset=utf-8")
        return view(request, *args, **kwargs)

    return guarded
