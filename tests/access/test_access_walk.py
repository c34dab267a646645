"""Every page and every API route, as every role: who gets it, who gets 403, who gets 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from totalquota.accounts.roles import Role
from totalquota.accounts.services import token_issue
from totalquota.api.routes import api
from totalquota.audit.models import AuditEvent
from totalquota.registry.services import enterprise_update

from . import OK, PEOPLE, collect

PAGES, API_ROUTES = collect()
SKIPPED_NAMESPACES = {"api"}  # walked through the OpenAPI document instead


def url_names(patterns=None, prefix="") -> set[str]:
    names: set[str] = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            namespace = entry.namespace
            if namespace in SKIPPED_NAMESPACES:
                continue
            inner = f"{prefix}{namespace}:" if namespace else prefix
            names |= url_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(prefix + entry.name)
    return names


def api_operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    return {(method, path) for path, ops in schema["paths"].items() for method in ops}


def test_every_page_has_a_row_in_the_access_table():
    listed = {name.split("#")[0] for name in PAGES}
    assert url_names() - listed == set(), "add these pages to tests/access/"
    assert listed - url_names() == set(), "these rows name pages that no longer exist"


def test_every_api_operation_has_a_row_in_the_access_table():
    assert api_operations() - set(API_ROUTES) == set(), "add these API routes to tests/access/"
    assert set(API_ROUTES) - api_operations() == set()


def matches(expected, status: int) -> bool:
    if expected == OK:
        return status < 400 or status == 422
    return status == expected


@pytest.fixture
def walk_world(world):
    world.token = token_issue(actor=world.admin.principal, name="walk", client=world.client)[0]
    enterprise_update(actor=world.admin.principal, enterprise=world.company, contact_name="赵六")
    world.audit_event = AuditEvent.objects.order_by("-id").first()
    return world


@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_role_gets_what_the_table_says_for_each_page(walk_world, name):
    page = PAGES[name]
    url = reverse(name.split("#")[0], kwargs=page.kwargs(walk_world) if page.kwargs else None)
    got, want = {}, {}
    for role in PEOPLE:
        client = Client()
        client.force_login(walk_world.persona(role))
        data = page.data(walk_world) if page.data else {}
        response = getattr(client, page.method)(url, data)
        got[role] = response.status_code
        want[role] = page.expect[role]
    mismatched = {r: (want[r], got[r]) for r in PEOPLE if not matches(want[r], got[r])}
    assert mismatched == {}, f"{url}: role -> (expected, got)"
    anonymous = getattr(Client(), page.method)(url)
    assert anonymous.status_code == page.anonymous


@pytest.mark.parametrize("key", sorted(API_ROUTES), ids=lambda k: f"{k[0]} {k[1]}")
def test_each_role_gets_what_the_table_says_for_each_api_route(walk_world, key):
    method, template = key
    route = API_ROUTES[key]
    path = template.format(**route.params(walk_world))
    _token, secret = token_issue(
        actor=walk_world.admin.principal, name="walk-system", client=walk_world.client
    )
    mismatched = {}
    for role in Role:
        client = Client()
        headers = {}
        if role == Role.SYSTEM:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        else:
            client.force_login(walk_world.persona(role))
        body = route.body(walk_world) if route.body else None
        kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}
        response = getattr(client, method)(path, **kwargs, **headers)
        if not matches(route.expect[role], response.status_code):
            mismatched[role] = (route.expect[role], response.status_code, response.content[:200])
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json", path
    assert mismatched == {}, f"{method.upper()} {path}: role -> (expected, got, body)"
    anonymous = getattr(Client(), method)(path)
    assert anonymous.status_code == 401
