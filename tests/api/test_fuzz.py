"""Every API operation, fed generated input by schemathesis: never a server error, and every refusal
is a problem document.

Both phases run for every operation, with a zone officer's token (scoped to zone A, the way a zone's
own system calls the API): the coverage phase (boundary and just-out-of-range values of every
parameter: a page past its maximum, a negative page, strings for numbers) and the fuzzing phase
(``FUZZ_EXAMPLES`` generated requests per operation, 40 by default; set it higher for a deeper run).

A zone officer is refused the bureau's operations (403) before their input is read, so the same
phases run again as a signed-in bureau administrator and as a reviewer (their session and CSRF
token, as a browser calls the API), with ``FUZZ_BUREAU_EXAMPLES`` generated requests per operation
(10 by default). Runtime on SQLite with the defaults: about 100 s for the zone officer and as much
again for the two bureau roles (``pytest -n 0 tests/api/test_fuzz.py``). The release check runs
``FUZZ_EXAMPLES=500 FUZZ_BUREAU_EXAMPLES=200`` (see docs/conventions.md).
"""

from __future__ import annotations

import os
import uuid

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.middleware.csrf import CSRF_SECRET_LENGTH
from django.test import Client
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from werkzeug.test import Client as WerkzeugClient

from totalquota.accounts.roles import Role
from totalquota.accounts.services import token_issue
from totalquota.wsgi import application

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
BUREAU_EXAMPLES = int(os.environ.get("FUZZ_BUREAU_EXAMPLES", "10"))
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much]
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
def direct_wsgi():
    """Requests go straight to the WSGI handler, whose start- and end-of-request hooks close a
    connection that is not in autocommit; inside the test's transaction that would close
    PostgreSQL's connection under the test. Django's own test client unhooks them the same way
    for each of its requests (and hooks them back afterwards, hence after the fixtures that use
    the test client)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
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


@pytest.fixture(params=["admin", "reviewer"])
def bureau_session(request, world):
    """A signed-in bureau person's browser: the session cookie, and the CSRF cookie with the same
    token in the header, as the platform's pages send it for unsafe methods."""
    browser = Client()
    browser.force_login(getattr(world, request.param))
    csrf = get_random_string(CSRF_SECRET_LENGTH)
    return {
        "headers": {"X-CSRFToken": csrf},
        "cookies": {
            django_settings.SESSION_COOKIE_NAME: browser.cookies[django_settings.SESSION_COOKIE_NAME].value,
            django_settings.CSRF_COOKIE_NAME: csrf,
        },
    }


def check(case, headers, cookies=None) -> None:
    """Never a server error; every refusal a problem document.

    A generated ``Idempotency-Key`` is replaced by a fresh one: derandomized generation repeats
    the same few keys, and a key sent again with another body is answered 409 before the
    operation reads it, so most cases would never reach the code under test (the header's own
    refusals are tested in ``test_idempotency.py``)."""
    if case.headers and any(k.lower() == "idempotency-key" for k in case.headers):
        case.headers = {k: v for k, v in case.headers.items() if k.lower() != "idempotency-key"}
        headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
    response = case.call(headers=headers, cookies=cookies)
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


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=HEALTH)
def test_no_input_makes_the_api_fail_with_a_server_error(case, zone_officer_token, direct_wsgi):
    check(case, zone_officer_token)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=BUREAU_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=HEALTH)
def test_no_input_of_a_bureau_person_makes_the_api_fail_with_a_server_error(
    case, bureau_session, direct_wsgi
):
    check(case, bureau_session["headers"], bureau_session["cookies"])


@pytest.mark.django_db
def test_the_bureau_session_is_signed_in_and_passes_the_csrf_check(bureau_session, direct_wsgi, request):
    """What the bureau's fuzzing sends does reach the operations as that person: without it every
    case would be a 401 and the test above would prove nothing."""
    browser = WerkzeugClient(application)
    assert browser.get("/api/v1/reserve/adjustments").status_code == 401
    for key, value in bureau_session["cookies"].items():  # as the fuzzing's WSGI transport sets them
        browser.set_cookie(key=key, value=value, domain="localhost")
    assert browser.get("/api/v1/reserve/adjustments").status_code == 200
    # An unsafe method passes the CSRF check with the header (and fails it without).
    body = {"line_id": 1, "amount": "1", "reason": "x"}
    sent = browser.post("/api/v1/reserve/upper-deductions", json=body, headers=bureau_session["headers"])
    unsent = browser.post("/api/v1/reserve/upper-deductions", json=body)
    expected = 404 if request.node.callspec.params["bureau_session"] == "admin" else 403
    assert (sent.status_code, unsent.status_code) == (expected, 403), (sent.text, unsent.text)
