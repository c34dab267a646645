"""Every API operation, fed generated input by schemathesis: never a server error, and every refusal
is a problem document."""

from __future__ import annotations

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings

from totalquota.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def keep_connection_open(session_headers):
    """Requests go straight to the WSGI handler, whose start- and end-of-request hooks close a
    connection that is not in autocommit; inside the test's transaction that would close
    PostgreSQL's connection under the test. Django's own test client unhooks them the same way
    for each of its requests (and hooks them back afterwards, hence after ``session_headers``)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield session_headers
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def session_headers(world):
    client = Client()
    client.force_login(world.admin)
    client.get("/")  # sets the CSRF cookie
    sessionid = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    csrf = client.cookies["csrftoken"].value
    return {"Cookie": f"sessionid={sessionid}; csrftoken={csrf}", "X-CSRFToken": csrf}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_input_makes_the_api_fail_with_a_server_error(case, keep_connection_open):
    response = case.call(headers=keep_connection_open)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    )
    if response.status_code >= 400:
        content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type", [""])
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type.startswith("application/problem+json"), (
            case.method,
            case.formatted_path,
            response.status_code,
        )
