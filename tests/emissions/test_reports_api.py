"""The self-report through the API: create, put the whole list of lines, versions and their diff,
attachments and the workflow's actions; every bad input a 4xx problem document, nothing written."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.emissions.conftest import YEAR, T, as_, listed
from tests.emissions.helpers_reports import api_line, lines_of, new_report, opinion, signed_in, submitted
from tests.reductions.conftest import MINIMAL_PDF
from totalquota.accounts.roles import Role
from totalquota.accounts.services import token_issue
from totalquota.audit.models import AuditEvent
from totalquota.emissions.models import EmissionReport, ReportAttachment, ReportStatus, ReportVersion
from totalquota.emissions.services import reports as svc

pytestmark = pytest.mark.django_db
URL = "/api/v1/emission-reports"


def put(client, report, lines, **more):
    return client.put(f"{URL}/{report.pk}/lines", {"lines": lines, **more}, content_type="application/json")


def refused(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def unit_token(world, enterprise=None) -> dict:
    _token, secret = token_issue(
        actor=world.admin.principal,
        name="企业自动监控系统",
        client=world.client,
        role=Role.ENTERPRISE,
        enterprise=enterprise or world.company,
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


# --- creating --------------------------------------------------------------------------------------
def test_a_unit_creates_its_report_and_a_second_one_is_a_conflict(world):
    listed(world)
    client = signed_in(world.company_user)
    created = client.post(URL, {"year": YEAR}, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert body["enterprise_id"] == world.company.pk and body["status"] == "draft"
    assert body["current_version"] == 1 and body["accepted_version"] is None and body["accepted"] == []
    assert refused(client.post(URL, {"year": YEAR}, content_type="application/json"), 409)["type"].endswith(
        "conflict"
    )
    assert EmissionReport.objects.count() == 1


def test_a_unit_not_on_the_list_gets_422_and_nothing_is_written(world):
    events = AuditEvent.objects.count()
    body = refused(
        signed_in(world.company_user).post(URL, {"year": YEAR}, content_type="application/json"), 422
    )
    assert body["clause"] == "TOT-1"
    assert not EmissionReport.objects.exists() and AuditEvent.objects.count() == events


def test_a_unit_cannot_create_another_units_report(world):
    listed(world, world.other_company)
    client = signed_in(world.company_user)
    response = client.post(
        URL, {"year": YEAR, "enterprise_id": world.other_company.pk}, content_type="application/json"
    )
    assert response.status_code in (403, 404)
    assert refused(signed_in(world.reviewer).post(URL, {"year": YEAR}, content_type="application/json"), 403)
    assert not EmissionReport.objects.exists()


def test_a_units_system_token_creates_fills_and_submits(world):
    listed(world)
    client = signed_in(world.company_user)  # any client; the token decides
    auth = unit_token(world)
    from django.test import Client

    api = Client(raise_request_exception=False, **auth)
    created = api.post(URL, {"year": YEAR}, content_type="application/json")
    assert created.status_code == 201
    pk = created.json()["id"]
    report = EmissionReport.objects.get(pk=pk)
    assert put(api, report, [api_line("COD", "12.5", sewer="30")]).status_code == 200
    submitted_ = api.post(f"{URL}/{pk}/submit", {"note": "按期报送"}, content_type="application/json")
    assert submitted_.status_code == 200 and submitted_.json()["status"] == "submitted"
    assert client is not None


# --- lines -----------------------------------------------------------------------------------------
def test_lines_come_back_in_grams_and_as_text_in_the_pollutants_unit(world):
    report = new_report(world)
    client = signed_in(world.company_user)
    response = put(client, report, [api_line("COD", "１２．５", sewer="30"), api_line("PB", "1.234")])
    assert response.status_code == 200
    lines = {x["pollutant"]: x for x in response.json()["lines"]}
    assert lines["COD"]["actual_grams"] == 12_500_000 and lines["COD"]["actual"] == "12.5"
    assert lines["COD"]["sewer_grams"] == 30 * T and lines["COD"]["unit"] == "t/a"
    assert (
        lines["PB"]["actual_grams"] == 1_234
        and lines["PB"]["unit"] == "kg/a"
        and lines["PB"]["actual"] == "1.234"
    )
    assert lines["COD"]["method"] == "self" and lines["COD"]["method_label"] == "自行监测"


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([api_line("COD", "-1")], "lines.0.actual"),
        ([api_line("COD", "1.0000001")], "lines.0.actual"),
        ([api_line("PB", "0.0005")], "lines.0.actual"),
        ([api_line("COD", "1e3")], "lines.0.actual"),
        ([api_line("XX", "1")], "lines.0.pollutant"),
        ([api_line("TP", "1", difference_note="")], "lines[0].difference_note"),
        ([api_line("VOCS", "1", sewer="1")], "lines[0].sewer_grams"),
        ([api_line("COD", None)], "lines[0].actual_grams"),
        ([api_line("COD", "1", method="guess")], "lines[0].method"),
        ([api_line("COD", "1"), api_line("COD", "2")], "lines[1].pollutant"),
    ],
)
def test_each_bad_line_is_a_422_naming_its_field_and_nothing_changes(world, filled, lines, field):
    report = filled()
    before = lines_of(report)
    events = AuditEvent.objects.count()
    body = refused(put(signed_in(world.company_user), report, lines), 422)
    assert field in {e["field"] for e in body["errors"]}, body
    assert lines_of(report) == before and AuditEvent.objects.count() == events


def test_a_json_number_is_refused_before_any_handler(world, filled):
    report = filled()
    before = lines_of(report)
    body = refused(
        put(signed_in(world.company_user), report, [{**api_line("COD", "1"), "actual": 12.5}]), 422
    )
    assert body["type"].endswith("validation")
    assert lines_of(report) == before


def test_editing_a_frozen_version_is_a_conflict(world, p, filled):
    report = submitted(world, p, filled)
    before = lines_of(report)
    assert refused(put(signed_in(world.company_user), report, [api_line("COD", "1")]), 409)["type"].endswith(
        "conflict"
    )
    assert lines_of(report) == before


def test_another_units_report_is_not_found(world, filled):
    report = filled()
    client = signed_in(world.other_company_user)
    assert refused(client.get(f"{URL}/{report.pk}"), 404)
    assert refused(put(client, report, [api_line("COD", "1")]), 404)
    assert refused(client.post(f"{URL}/{report.pk}/submit", {}, content_type="application/json"), 404)
    assert refused(client.get(f"{URL}/{report.pk}/versions/1"), 404)
    other = signed_in(world.other_officer)
    assert refused(other.get(f"{URL}/{report.pk}/versions/1/diff"), 404)
    ids = [r["id"] for r in client.get(URL).json()["items"]]
    assert report.pk not in ids


# --- versions, diff and the accepted figures ------------------------------------------------------
def test_versions_and_their_diff_and_the_accepted_figures(world, p, filled):
    report = submitted(world, p, filled)
    reviewer = signed_in(world.reviewer)
    returned = reviewer.post(
        f"{URL}/{report.pk}/return", {"reason": "COD 偏低"}, content_type="application/json"
    )
    assert returned.status_code == 200 and returned.json()["current_version"] == 2
    unit = signed_in(world.company_user)
    put(
        unit,
        report,
        [api_line("COD", "11", sewer="30"), api_line("TP", "0.5")],
        change_note="COD 更正，补报总磷",
    )
    assert unit.post(f"{URL}/{report.pk}/submit", {}, content_type="application/json").status_code == 200
    diff = reviewer.get(f"{URL}/{report.pk}/versions/2/diff").json()
    assert diff["version"] == 2 and diff["previous"] == 1 and diff["change_note"] == "COD 更正，补报总磷"
    kinds = {x["pollutant"]: x for x in diff["lines"]}
    assert kinds["TP"]["kind"] == "added" and kinds["VOCS"]["kind"] == "removed"
    cod = {c["field"]: c for c in kinds["COD"]["changes"]}
    assert cod["actual_grams"]["old"] == 12 * T and cod["actual_grams"]["new"] == 11 * T
    assert cod["actual_grams"]["new_text"] == "11 t/a" and set(cod) == {"actual_grams"}
    assert reviewer.get(f"{URL}/{report.pk}/versions/1/diff").json()["lines"] == []
    assert refused(reviewer.get(f"{URL}/{report.pk}/versions/9"), 404)
    v1 = reviewer.get(f"{URL}/{report.pk}/versions/1").json()
    assert v1["frozen"] and not v1["accepted"] and {x["pollutant"] for x in v1["lines"]} == {"COD", "VOCS"}

    opinion(report, world.third_party)
    accepted = reviewer.post(f"{URL}/{report.pk}/accept", {"reason": ""}, content_type="application/json")
    assert accepted.status_code == 200
    body = accepted.json()
    assert body["accepted_version"] == 2
    assert {x["pollutant"]: x["actual_grams"] for x in body["accepted"]} == {"COD": 11 * T, "TP": T // 2}
    assert [t["version"] for t in body["transitions"]] == [1, 1, 1, 2, 2]
    assert [t["to_status"] for t in body["transitions"]] == [
        "draft",
        "submitted",
        "returned",
        "resubmitted",
        "accepted",
    ]

    reopened = reviewer.post(
        f"{URL}/{report.pk}/reopen", {"reason": "单位申请更正"}, content_type="application/json"
    )
    assert reopened.status_code == 200 and reopened.json()["current_version"] == 3
    put(unit, report, [api_line("COD", "99")], change_note="草稿中")
    detail = reviewer.get(f"{URL}/{report.pk}").json()
    assert {x["pollutant"]: x["actual_grams"] for x in detail["accepted"]} == {"COD": 11 * T, "TP": T // 2}
    assert {x["pollutant"]: x["actual_grams"] for x in detail["lines"]} == {"COD": 99 * T}


def test_a_return_without_a_comment_and_an_accept_by_the_unit_are_refused(world, p, filled):
    report = submitted(world, p, filled)
    assert refused(
        signed_in(world.reviewer).post(
            f"{URL}/{report.pk}/return", {"reason": ""}, content_type="application/json"
        ),
        422,
    )
    assert refused(
        signed_in(world.company_user).post(f"{URL}/{report.pk}/accept", {}, content_type="application/json"),
        403,
    )
    assert refused(
        signed_in(world.reviewer2).post(f"{URL}/{report.pk}/accept", {}, content_type="application/json"), 422
    )  # no opinion yet
    report.refresh_from_db()
    assert (
        report.status == ReportStatus.SUBMITTED and ReportVersion.objects.filter(report=report).count() == 1
    )


def test_the_list_filters_by_year_zone_status_and_correction(world, p, filled):
    report = submitted(world, p, filled)
    svc.report_return(actor=as_(world.reviewer), report=report, reason="更正")
    new_report(world, world.other_company, world.other_company_user)
    client = signed_in(world.reviewer)

    def names(query: str) -> list[str]:
        return [r["enterprise_name"] for r in client.get(f"{URL}?{query}").json()["items"]]

    assert sorted(names("")) == ["苏州乙医药有限公司", "苏州甲电子有限公司"]
    assert names("zone=b") == ["苏州乙医药有限公司"]
    assert names("status=returned") == ["苏州甲电子有限公司"]
    assert names("corrected=true") == ["苏州甲电子有限公司"]
    assert names("corrected=false") == ["苏州乙医药有限公司"]
    assert names(f"year={YEAR - 1}") == []
    assert names("q=乙医药") == ["苏州乙医药有限公司"]


# --- attachments -----------------------------------------------------------------------------------
def test_attachments_upload_download_and_delete_through_the_api(world, p, filled):
    report = filled()
    client = signed_in(world.company_user)
    created = client.post(
        f"{URL}/{report.pk}/attachments",
        {"kind": "execution", "file": SimpleUploadedFile("年报.pdf", MINIMAL_PDF), "note": "年报"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["version"] == 1 and body["kind_label"] == "排污许可执行报告"
    got = client.get(body["download_url"])
    assert got.status_code == 200 and b"".join(got.streaming_content) == MINIMAL_PDF
    again = client.post(
        f"{URL}/{report.pk}/attachments",
        {"kind": "execution", "file": SimpleUploadedFile("b.pdf", MINIMAL_PDF)},
    )
    assert refused(again, 409)
    bad = client.post(
        f"{URL}/{report.pk}/attachments", {"kind": "nope", "file": SimpleUploadedFile("c.pdf", MINIMAL_PDF)}
    )
    assert refused(bad, 422)
    assert refused(
        client.post(f"{URL}/{report.pk}/attachments", {"kind": "other"}, content_type="application/json"), 415
    )
    assert client.delete(f"{URL}/{report.pk}/attachments/{body['id']}").status_code == 204
    assert not ReportAttachment.objects.exists()


def test_a_submitted_versions_attachment_stays(world, p, filled):
    report = filled()
    svc.attachment_add(
        actor=as_(world.company_user),
        report=report,
        kind="other",
        upload=SimpleUploadedFile("x.pdf", MINIMAL_PDF),
    )
    svc.report_submit(actor=as_(world.company_user), report=report)
    attachment = ReportAttachment.objects.get()
    assert refused(
        signed_in(world.company_user).delete(f"{URL}/{report.pk}/attachments/{attachment.pk}"), 409
    )
    svc.report_return(actor=as_(world.reviewer), report=report, reason="补充")
    # The correction carries a copy; removing the copy keeps the submitted version's file.
    copy = ReportAttachment.objects.exclude(pk=attachment.pk).get()
    assert signed_in(world.company_user).delete(f"{URL}/{report.pk}/attachments/{copy.pk}").status_code == 204
    assert ReportAttachment.objects.filter(pk=attachment.pk).exists()
    assert attachment.file.storage.exists(attachment.file.name)


def test_a_missing_return_comment_is_refused_in_the_language_of_the_request(world, p, filled):
    """The action table holds the Chinese text; an English caller reads the refusal in English."""
    report = submitted(world, p, filled)
    reviewer = signed_in(world.reviewer)
    reviewer.cookies["django_language"] = "en"
    problem = refused(
        reviewer.post(
            f"{URL}/{report.pk}/return",
            {"reason": ""},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
        ),
        422,
    )
    assert "Returning for changes needs your comments" in str(problem)
    chinese = refused(
        signed_in(world.reviewer).post(
            f"{URL}/{report.pk}/return", {"reason": ""}, content_type="application/json"
        ),
        422,
    )
    assert "退回修改须填写修改意见" in str(chinese)
