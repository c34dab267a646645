import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import credit_code
from tests.xlsx_helpers import xlsx_upload
from totalquota.accounts.services import token_issue, token_revoke
from totalquota.audit.models import AuditEvent
from totalquota.registry.models import Enterprise
from totalquota.registry.services import IMPORT_COLUMNS

pytestmark = pytest.mark.django_db


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_a_system_client_reads_enterprises_with_its_token(client, world):
    _token, secret = token_issue(actor=world.admin.principal, name="审批系统", client=world.client)
    response = client.get("/api/v1/enterprises", **bearer(secret))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and {e["name"] for e in body["items"]} == {
        "苏州甲电子有限公司",
        "苏州乙医药有限公司",
    }


def test_a_token_scoped_to_a_zone_sees_only_that_zone(client, world):
    _token, secret = token_issue(
        actor=world.admin.principal, name="执法系统（A区）", client=world.client, zone=world.zone_a
    )
    body = client.get("/api/v1/enterprises", **bearer(secret)).json()
    assert [e["name"] for e in body["items"]] == ["苏州甲电子有限公司"]
    assert client.get(f"/api/v1/enterprises/{world.other_company.pk}", **bearer(secret)).status_code == 404


def test_revoked_expired_and_unknown_tokens_get_401(client, world):
    token, secret = token_issue(actor=world.admin.principal, name="x", client=world.client)
    token_revoke(actor=world.admin.principal, token=token)
    assert client.get("/api/v1/zones", **bearer(secret)).status_code == 401
    _t, expired = token_issue(
        actor=world.admin.principal,
        name="y",
        client=world.client,
        expires_at=timezone.now() - dt.timedelta(minutes=1),
    )
    assert client.get("/api/v1/zones", **bearer(expired)).status_code == 401
    response = client.get("/api/v1/zones", **bearer("tq_deadbeef_nope"))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert "令牌" in response.json()["detail"]


def test_tokens_are_stored_only_as_digests(world):
    token, secret = token_issue(actor=world.admin.principal, name="x", client=world.client)
    assert secret not in json.dumps(list(type(token).objects.values()), default=str)
    assert secret not in json.dumps(list(AuditEvent.objects.values("before", "after")), default=str)


def test_bad_input_is_a_chinese_problem_document_not_a_server_error(client, world):
    client.force_login(world.admin)
    response = client.post(
        "/api/v1/enterprises", data={"name": "x", "uscc": "123", "zone": "A"}, content_type="application/json"
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["status"] == 422 and "统一社会信用代码应为 18 位" in problem["detail"]
    assert any(e["field"] == "uscc" for e in problem["errors"])
    response = client.post("/api/v1/enterprises", data="{not json", content_type="application/json")
    assert response.status_code in (400, 422) and response["Content-Type"] == "application/problem+json"
    response = client.get("/api/v1/enterprises", {"page": "abc"})
    assert response.status_code == 422


def test_a_person_creates_an_enterprise_through_the_api_and_it_is_audited(client, world):
    client.force_login(world.officer)
    code = credit_code(7777)
    response = client.post(
        "/api/v1/enterprises",
        data={
            "name": "苏州接口测试有限公司",
            "uscc": code,
            "permit_number": f"{code}001V",
            "zone": "A",
        },
        content_type="application/json",
        HTTP_X_REQUEST_ID="req-0123456789",
    )
    assert response.status_code == 201, response.content
    assert response["X-Request-ID"] == "req-0123456789"
    event = AuditEvent.objects.get(action="enterprise.create")
    assert event.request_id == "req-0123456789" and event.actor == world.officer


def test_session_writes_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin)
    response = client.patch(
        f"/api/v1/enterprises/{world.company.pk}", data={"contact_name": "X"}, content_type="application/json"
    )
    assert response.status_code == 403
    world.company.refresh_from_db()
    assert world.company.contact_name != "X"


def test_an_import_through_the_api_is_all_or_nothing(client, world):
    client.force_login(world.admin)
    headers = [h for h, _f in IMPORT_COLUMNS]
    good = [
        "苏州接口导入有限公司",
        credit_code(8001),
        f"{credit_code(8001)}001V",
        "",
        "",
        "A",
        "",
        "",
        "",
        "",
        "简化管理",
    ]
    bad = ["", "bad", "", "", "", "A", "", "", "", "", "简化管理"]
    response = client.post("/api/v1/enterprises/import", {"file": xlsx_upload(headers, [good, bad])})
    assert response.status_code == 422
    assert {e["row"] for e in response.json()["errors"]} == {3}
    assert not Enterprise.objects.filter(name="苏州接口导入有限公司").exists()
    response = client.post("/api/v1/enterprises/import", {"file": xlsx_upload(headers, [good])})
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}


def test_the_openapi_document_and_docs_are_served_locally(client, world):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/enterprises" in schema["paths"]
    client.force_login(world.leader)
    docs = client.get("/api/v1/docs").content.decode()
    assert "cdn" not in docs.lower() and "/static/ninja/" in docs
