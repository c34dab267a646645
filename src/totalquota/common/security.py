"""Security headers and the client address the login lockout keys on."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """``{"camera": []}`` → ``camera=()``; an allow-list item is ``self`` or an origin."""

    def item(origin: str) -> str:
        return origin if origin in {"self", "*"} else f'"{origin}"'

    return ", ".join(
        f"{feature}=({' '.join(item(o) for o in allowed)})" for feature, allowed in policy.items()
    )


class PermissionsPolicyMiddleware:
    """Sends ``Permissions-Policy`` from ``settings.PERMISSIONS_POLICY`` on every response that has
    none of its own (Django 5.2 has no setting for it)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy_header(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The address of the person logging in, for django-axes (``AXES_CLIENT_IP_CALLABLE``).

    With ``TRUSTED_PROXY_COUNT = 0`` (one machine, no proxy) it is the socket's address and any
    ``X-Forwarded-For`` is ignored: a caller could write anything there. Behind N trusted reverse
    proxies, each appending the address it received the request from, the client is the N-th
    entry from the right of ``X-Forwarded-For``; entries further left were written by the caller and
    are not trusted. A header with fewer entries than proxies (or a malformed entry) means the
    request did not come through the proxies as configured, and the socket's address is used.
    """
    remote = request.META.get("REMOTE_ADDR")
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if hops <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        return remote
    return _address(forwarded[-hops]) or remote
