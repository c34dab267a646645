"""The access table: for every page and API route, what each role gets.

Each app has a module here (``registry.py``, ``accounts.py``, …) defining ``PAGES`` and
``API_ROUTES``; :func:`collect` merges them. ``test_access_walk`` fails when a URL exists that no
module lists, so a new page cannot ship without its row in this table.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from totalquota.accounts.roles import Role

OK = "ok"  # the request got past authorisation: 2xx, 3xx, or 422 for an empty form/body
PEOPLE = [r for r in Role if r != Role.SYSTEM]
EVERY_ROLE = list(Role)


def allow(
    *roles: Role,
    others: int | str = 403,
    overrides: dict[Role, int | str] | None = None,
    roles_list: list[Role] | None = None,
) -> dict[Role, int | str]:
    """``{role: OK}`` for ``roles`` and ``others`` for the rest; ``overrides`` wins."""
    table = {r: (OK if r in roles else others) for r in (roles_list or EVERY_ROLE)}
    table.update(overrides or {})
    return table


@dataclass(frozen=True)
class Page:
    """A UI route: what each person role gets (system clients do not use pages)."""

    expect: dict[Role, int | str]
    kwargs: Callable[[Any], dict[str, Any]] | None = None
    method: str = "get"
    data: Callable[[Any], dict[str, Any]] | None = None
    anonymous: int = 302


@dataclass(frozen=True)
class ApiRoute:
    """An API operation: what each role (system client by token) gets; anonymous gets 401."""

    expect: dict[Role, int | str]
    params: Callable[[Any], dict[str, Any]] = field(default=lambda w: {})
    body: Callable[[Any], Any] | None = None


def collect() -> tuple[dict[str, Page], dict[tuple[str, str], ApiRoute]]:
    pages: dict[str, Page] = {}
    routes: dict[tuple[str, str], ApiRoute] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, page in getattr(module, "PAGES", {}).items():
            assert name not in pages, f"{name} listed twice"
            pages[name] = page
        for key, route in getattr(module, "API_ROUTES", {}).items():
            assert key not in routes, f"{key} listed twice"
            routes[key] = route
    return pages, routes
