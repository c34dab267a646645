"""Problem documents (RFC 9457): the one shape every API refusal takes, whether the API's own
handlers or the middleware that catches what Django and the router answer by themselves."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from totalquota.common.middleware import current_request_id

PROBLEM_BASE = "https://totalquota.invalid/problems/"

# The title of each status; statuses not listed fall back to the caller's default.
TITLES = {
    400: _("请求有误"),
    401: _("未认证"),
    403: _("无权操作"),
    404: _("不存在"),
    405: _("不支持的请求方法"),
    409: _("冲突"),
    413: _("请求体过大"),
    415: _("不支持的请求格式"),
    422: _("数据校验未通过"),
}

# The title of a refusal whose kind says more than its status: a park rule refusing well-formed
# input (``lib.errors.RuleViolation``) is a rule refusal, not a validation error.
CODE_TITLES = {"rule": _("规则拒绝")}


def problem(
    request: HttpRequest,
    status: int,
    title: str | Promise,
    detail: str,
    *,
    code: str = "error",
    clause: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": str(title),
        "status": status,
        "detail": detail,
        "instance": request.path,
        "request_id": getattr(request, "request_id", None) or current_request_id(),
    }
    if clause:
        body["clause"] = clause
    if errors:
        body["errors"] = errors
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, default=str),
        status=status,
        content_type="application/problem+json",
    )
