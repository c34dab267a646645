"""Requests no well-behaved client sends: each is a 4xx problem document that writes nothing."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.factories import credit_code
from tests.reductions.conftest import ready_project
from tests.xlsx_helpers import xlsx_upload
from totalquota.accounts.roles import Role
from totalquota.accounts.services import token_issue
from totalquota.audit.models import AuditEvent
from totalquota.reductions.models import Evidence
from totalquota.registry.models import Enterprise
from totalquota.registry.services import IMPORT_COLUMNS

pytestmark = pytest.mark.django_db

PAGINATED = [
    "/api/v1/ledger/accounts",
    "/api/v1/ledger/transfers",
    "/api/v1/reserve/applications",
    "/api/v1/enterprises",
    "/api/v1/reductions/projects",
    "/api/v1/reductions/library",
]


@pytest.fixture
def officer_token(world):
    _token, secret = token_issue(
        actor=world.admin.principal,
        name="功能区系统",
        client=world.client,
        role=Role.ZONE_OFFICER,
        zone=world.zone_a,
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


@pytest.mark.parametrize("url", PAGINATED)
@pytest.mark.parametrize(
    "page", ["99999999999999999999", "9223372036854775808", "1000001", "-1", "0", "x", "1e3"]
)
def test_a_page_number_out_of_range_is_a_422_on_every_paginated_route(client, officer_token, url, page):
    body = assert_problem(client.get(url, {"page": page}, **officer_token), 422)
    assert body["errors"][0]["field"] == "page"


def test_the_last_allowed_page_is_an_empty_page_and_a_huge_page_size_is_refused(client, officer_token):
    response = client.get("/api/v1/ledger/transfers", {"page": 1_000_000}, **officer_token)
    assert response.status_code == 200 and response.json()["items"] == []
    body = assert_problem(client.get("/api/v1/enterprises", {"page_size": 10**30}, **officer_token), 422)
    assert "应不大于" in body["detail"]


def test_a_json_body_over_the_limit_is_a_413(client, world, officer_token):
    before = AuditEvent.objects.count()
    payload = json.dumps({"name": "x" * (6 * 1024 * 1024), "uscc": credit_code(9), "zone": "A"})
    client.force_login(world.officer)
    for headers in ({}, officer_token):
        response = client.post(
            "/api/v1/enterprises", data=payload, content_type="application/json", **headers
        )
        assert "5 MB" in assert_problem(response, 413)["detail"]
    assert AuditEvent.objects.count() == before
    assert not Enterprise.objects.filter(uscc=credit_code(9)).exists()


def upload_routes(world, today):
    project = ready_project(world, today, evidence=False)
    return project, [
        "/api/v1/enterprises/import",
        "/api/v1/reductions/import",
        f"/api/v1/reductions/projects/{project.pk}/evidence",
    ]


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("application/json", '{"file": "aGVsbG8="}'),
        ("text/plain", "hello"),
        ("application/x-www-form-urlencoded", "kind=acceptance&file=x"),
        ("multipart/form-data", "--x\r\n\r\n--x--"),
        ("multipart/form-data; boundary=", "--x--"),
        ("application/octet-stream", "%PDF-1.4"),
    ],
)
def test_upload_routes_refuse_an_undeclared_content_type_with_415(
    client, world, today, officer_token, content_type, data
):
    project, routes = upload_routes(world, today)
    before = AuditEvent.objects.count()
    for url in routes:
        response = client.post(url, data=data, content_type=content_type, **officer_token)
        assert "multipart/form-data" in assert_problem(response, 415)["detail"]
    # The same through a signed-in session (whose CSRF check reads the form first).
    session = Client(enforce_csrf_checks=True)
    session.force_login(world.officer)
    session.get("/")
    csrf = session.cookies["csrftoken"].value
    for url in routes:
        response = session.post(url, data=data, content_type=content_type, HTTP_X_CSRFTOKEN=csrf)
        assert_problem(response, 415)
    assert AuditEvent.objects.count() == before
    assert not Evidence.objects.filter(project=project).exists()


def test_upload_routes_still_take_a_multipart_file(client, world, officer_token):
    headers = [h for h, _f in IMPORT_COLUMNS]
    row = ["苏州上传测试有限公司", credit_code(8101), f"{credit_code(8101)}001V"]
    row += ["", "", "A", "", "", "", "", "简化管理"]
    response = client.post(
        "/api/v1/enterprises/import", {"file": xlsx_upload(headers, [row])}, **officer_token
    )
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1


def test_a_permission_refusal_comes_before_the_content_type_check(client, world):
    _token, secret = token_issue(
        actor=world.admin.principal,
        name="排污单位系统",
        client=world.client,
        role=Role.ENTERPRISE,
        enterprise=world.company,
    )
    response = client.post(
        "/api/v1/enterprises/import",
        data="x",
        content_type="text/plain",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert_problem(response, 403)


def test_a_refusal_django_makes_before_the_api_is_a_problem_with_the_right_words(client):
    response = client.get("/api/v1/zones", HTTP_HOST="evil.invalid")
    body = assert_problem(response, 400)
    assert body["detail"] == "请求无法处理" and "方法" not in body["detail"]
