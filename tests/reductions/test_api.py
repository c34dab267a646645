"""The reduction library through the API: the same services, problem+json refusals citing clauses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.reductions.conftest import MINIMAL_PDF, project_data, upload
from totalquota.accounts.services import token_issue
from totalquota.reductions import services
from totalquota.reductions.models import ProjectStatus, ReductionProject

pytestmark = pytest.mark.django_db
API = "/api/v1/reductions"


def as_json(data):
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items()}


@pytest.fixture
def officer(world):
    client = Client()
    client.force_login(world.officer)
    return client


def test_a_zone_officer_declares_through_the_api_and_a_reviewer_approves(officer, world, today):
    body = as_json(project_data(today, enterprise=world.company.uscc))
    created = officer.post(f"{API}/projects", body, content_type="application/json")
    assert created.status_code == 201, created.content
    project = created.json()
    assert project["status"] == "draft" and project["zone"] == "A" and project["investment_yuan"] == 855_000
    pid = project["id"]
    line = officer.put(
        f"{API}/projects/{pid}/lines/vocs",
        {"method": "closure", "inputs": {"baseline": "2.5", "basis": "2024 年执行报告"}},
        content_type="application/json",
    )
    assert line.status_code == 200, line.content
    assert line.json()["reduction_grams"] == 2_500_000 and line.json()["reduction"] == "2.5 t/a"
    assert "按克向下取整" in line.json()["computation"]
    for kind, name, extra in (("acceptance", "验收.pdf", b""), ("accounting", "核算.pdf", b"1")):
        response = officer.post(
            f"{API}/projects/{pid}/evidence", {"kind": kind, "file": upload(MINIMAL_PDF + extra, name)}
        )
        assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "application/pdf" and len(response.json()["sha256"]) == 64
    submitted = officer.post(
        f"{API}/projects/{pid}/submit", {"note": "季度申报"}, content_type="application/json"
    )
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    reviewer = Client()
    reviewer.force_login(world.reviewer)
    approved = reviewer.post(
        f"{API}/projects/{pid}/approve", {"reason": "同意"}, content_type="application/json"
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert [t["action"] for t in approved.json()["transitions"]] == ["create", "submit", "approve"]


def test_bad_dates_are_a_422_problem_citing_red_3(officer, world, today):
    body = as_json(project_data(today, start_date=today, completion_date=today - dt.timedelta(days=3)))
    response = officer.post(f"{API}/projects", body, content_type="application/json")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["clause"] == "RED-3" and "不能早于开工时间" in problem["detail"]
    assert not ReductionProject.objects.exists()


def test_a_wrong_file_type_is_refused_with_red_3(officer, make_project):
    project = make_project(evidence=False)
    response = officer.post(
        f"{API}/projects/{project.pk}/evidence",
        {"kind": "acceptance", "file": upload(b"MZ\x90\x00binary", "验收.pdf")},
    )
    assert response.status_code == 422 and response.json()["clause"] == "RED-3"
    assert project.evidence.count() == 0


def test_the_four_eyes_refusal_is_a_403_citing_red_4(world, today):
    suggestion = services.project_suggest(
        actor=world.reviewer,
        name="餐饮关闭",
        project_type="other",
        subtype="restaurant_closure",
        zone=world.zone_a,
        suggestion_note="排查",
        **{k: v for k, v in project_data(today).items() if k not in ("name", "project_type", "subtype")},
    )
    from tests.reductions.conftest import pdf, pollutant

    services.project_adopt(actor=world.officer, project=suggestion)
    services.line_set(
        actor=world.officer,
        project=suggestion,
        pollutant=pollutant("PM"),
        method="closure",
        inputs={"baseline": "1", "basis": "监测"},
    )
    services.evidence_add(actor=world.officer, project=suggestion, kind="acceptance", upload=pdf())
    services.evidence_add(
        actor=world.officer, project=suggestion, kind="accounting", upload=pdf("b.pdf", b"b")
    )
    services.project_submit(actor=world.officer, project=suggestion)
    client = Client()
    client.force_login(world.reviewer)
    response = client.post(f"{API}/projects/{suggestion.pk}/approve", {}, content_type="application/json")
    assert response.status_code == 403 and response.json()["clause"] == "RED-4"
    assert ReductionProject.objects.get(pk=suggestion.pk).status == ProjectStatus.SUBMITTED


def test_a_zone_token_reads_only_its_zone_and_sees_the_computation(client, world, make_project, today):
    project = make_project()
    from tests.reductions.conftest import ready_project

    ready_project(world, today, actor=world.other_officer, enterprise=world.other_company)
    _t, secret = token_issue(
        actor=world.admin.principal, name="执法系统（A区）", client=world.client, zone=world.zone_a
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    listed = client.get(f"{API}/projects", **headers).json()
    assert [p["id"] for p in listed["items"]] == [project.pk]
    detail = client.get(f"{API}/projects/{project.pk}", **headers).json()
    assert detail["lines"][0]["inputs"] == {"baseline": "2.5", "basis": "2024 年排污许可执行报告"}
    assert {e["kind"] for e in detail["evidence"]} == {"acceptance", "accounting"}
    download = client.get(detail["evidence"][0]["download_url"], **headers)
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_the_bulletin_data_and_the_library(client, world, make_project, today):
    project = make_project()
    services.project_submit(actor=world.officer, project=project)
    services.project_approve(actor=world.reviewer, project=project)
    services.usage_mark(
        actor=world.reviewer,
        line=project.lines.get(),
        kind="sold",
        amount="0.5",
        reference="合同",
        used_on=today,
    )
    client.force_login(world.leader)
    data = client.get(
        f"{API}/bulletin", {"start": today.replace(month=1, day=1), "end": today, "zone": "A"}
    ).json()
    row = data["zones"][0]["rows"][0]
    assert (
        row["pollutant"],
        row["period_grams"],
        row["verified_grams"],
        row["sold_grams"],
        row["unused_grams"],
    ) == (
        "VOCS",
        2_500_000,
        2_500_000,
        500_000,
        2_000_000,
    )
    assert data["title"].endswith("减排项目通报")
    library = client.get(f"{API}/library").json()["items"]
    assert library[0]["excluded_grams"] == 500_000 and library[0]["unused_grams"] == 2_000_000
    client.force_login(world.company_user)
    assert client.get(f"{API}/bulletin", {"start": today, "end": today}).status_code == 403


def test_methods_and_factors_are_published_for_system_clients(client, world):
    client.force_login(world.partner)
    methods = {m["code"]: m for m in client.get(f"{API}/methods").json()}
    assert set(methods) == {"closure", "solvent", "treatment", "fuel", "wastewater", "vapour", "documented"}
    assert methods["vapour"]["pollutants"] == ["VOCS"]
    factors = client.get(f"{API}/factors", {"pollutant": "VOCS"}).json()
    assert any(f["code"] == "AP42-5.2-REFUEL-UNC" and f["value"] == "1320" for f in factors)


def test_the_bureau_adds_and_retires_a_factor_through_the_api(world, officer, today):
    from totalquota.audit.models import AuditEvent
    from totalquota.reductions.models import AccountingFactor

    admin = Client()
    admin.force_login(world.admin)
    body = {
        "code": "JS-VOC-2026",
        "name": "加油站油气排放系数（江苏省核算指南）",
        "pollutant": "vocs",
        "value": "1.25",
        "unit": "kg/t",
        "source": "江苏省挥发性有机物排放量核算指南",
        "effective_from": today.isoformat(),
    }
    assert officer.post(f"{API}/factors", body, content_type="application/json").status_code == 403
    refused = admin.post(f"{API}/factors", {**body, "source": " "}, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["clause"] == "RED-2"
    unknown = admin.post(f"{API}/factors", {**body, "pollutant": "XYZ"}, content_type="application/json")
    assert unknown.status_code == 422 and "污染物代码“XYZ”不存在" in unknown.json()["detail"]
    assert not AccountingFactor.objects.filter(code="JS-VOC-2026").exists()

    created = admin.post(f"{API}/factors", body, content_type="application/json")
    assert created.status_code == 201
    factor = created.json()
    assert factor["pollutant"] == "VOCS" and factor["value"] == "1.25" and factor["effective_to"] is None
    again = admin.post(f"{API}/factors", body, content_type="application/json")
    assert again.status_code == 409

    later = (today + dt.timedelta(days=30)).isoformat()
    retire = f"{API}/factors/{factor['id']}/retire"
    assert officer.post(retire, {"effective_to": later}, content_type="application/json").status_code == 403
    retired = admin.post(retire, {"effective_to": later}, content_type="application/json")
    assert retired.status_code == 200 and retired.json()["effective_to"] == later
    assert admin.post(retire, {"effective_to": later}, content_type="application/json").status_code == 409
    assert [e.action for e in AuditEvent.objects.filter(object_id=str(factor["id"])).order_by("id")] == [
        "reduction.factor_create",
        "reduction.factor_retire",
    ]
