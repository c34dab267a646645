"""Every API operation, fed generated input by schemathesis: never a server error, and every refusal
is a problem document.

Both phases run for every operation, with a zone officer's token (scoped to zone A, the way a zone's
own system calls the API): the coverage phase (boundary and just-out-of-range values of every
parameter: a page past its maximum, a negative page, strings for numbers) and the fuzzing phase
(``FUZZ_EXAMPLES`` generated requests per operation, 40 by default; set it higher for a deeper run).
Runtime on SQLite with the default: about 100 s (``pytest -n 0 tests/api/test_fuzz.py``).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from totalquota.accounts.roles import Role
from totalquota.accounts.services import token_issue
from totalquota.wsgi import application

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json",
    application,
    config=SchemathesisConfig.from_dict(
        {
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
            }
        }
    ),
)


@pytest.fixture
def keep_connection_open(zone_officer_token):
    """Requests go straight to the WSGI handler, whose start- and end-of-request hooks close a
    connection that is not in autocommit; inside the test's transaction that would close
    PostgreSQL's connection under the test. Django's own test client unhooks them the same way
    for each of its requests (and hooks them back afterwards, hence after ``zone_officer_token``)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield zone_officer_token
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def zone_officer_token(world):
    _token, secret = token_issue(
        actor=world.admin.principal,
        name="功能区系统",
        client=world.client,
        role=Role.ZONE_OFFICER,
        zone=world.zone_a,
    )
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
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
