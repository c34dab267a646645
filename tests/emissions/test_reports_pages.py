"""The self-report's pages through the HTTP handler: the list, starting a report, the lines form
(every refusal on its cell, nothing saved), attachments, the report's page with the workflow's
buttons and, for the bureau, what changed against the previous version."""

from __future__ import annotations

import re

import pytest

from tests.emissions.conftest import YEAR, T, as_, line, listed
from tests.emissions.helpers_reports import lines_of, new_report, opinion, signed_in, submitted
from tests.page_text import visible_text
from tests.reductions.conftest import MINIMAL_PDF
from tests.xlsx_helpers import read_export
from totalquota.emissions.models import EmissionReport, ReportAttachment, ReportStatus, ReportTransition
from totalquota.emissions.services import reports as svc

pytestmark = pytest.mark.django_db


def rows(prefix: str = "lines", **cells) -> dict:
    """A posted lines form: ``cells`` maps a row number to its fields."""
    data = {f"{prefix}-TOTAL_FORMS": str(len(cells)), f"{prefix}-INITIAL_FORMS": "0"}
    for n, fields in cells.items():
        for name, value in fields.items():
            data[f"{prefix}-{n.removeprefix('r')}-{name}"] = value
    return data


def row(code: str, actual: str, **more) -> dict:
    fields = {
        "pollutant": code,
        "actual": actual,
        "method": "self",
        "data_source": "2025 年自行监测报告",
        "difference_note": "许可证未载明，按实际申报",
    }
    fields.update(more)
    return fields


# --- starting a report -------------------------------------------------------------------------
def test_a_listed_unit_starts_its_report_and_lands_on_its_lines(world):
    listed(world)
    client = signed_in(world.company_user)
    page = client.get("/emissions/reports/new/")
    assert page.status_code == 200 and f'<option value="{YEAR}">' in page.content.decode()
    response = client.post("/emissions/reports/new/", {"year": YEAR})
    report = EmissionReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/emissions/reports/{report.pk}/lines/"
    assert report.enterprise == world.company and report.year == YEAR


def test_the_year_chooser_offers_only_listed_years_without_a_report(world, filled):
    filled()
    listed(world, year=YEAR - 1)
    text = signed_in(world.company_user).get("/emissions/reports/new/").content.decode()
    assert f'<option value="{YEAR - 1}">' in text and f'<option value="{YEAR}">' not in text


def test_a_second_report_for_the_same_year_is_refused_with_409(world, filled):
    filled()
    response = signed_in(world.company_user).post("/emissions/reports/new/", {"year": YEAR})
    assert response.status_code == 409
    assert "已存在" in visible_text(response.content.decode())
    assert EmissionReport.objects.count() == 1


def test_a_unit_not_on_the_list_is_refused_with_422(world):
    response = signed_in(world.company_user).post("/emissions/reports/new/", {"year": YEAR})
    assert response.status_code == 422 and "不在 2025 年度重点排污单位名录中" in response.content.decode()
    assert not EmissionReport.objects.exists()


def test_only_a_units_staff_start_a_report(world):
    assert signed_in(world.reviewer).get("/emissions/reports/new/").status_code == 403
    assert signed_in(world.officer).post("/emissions/reports/new/", {"year": YEAR}).status_code == 403
    assert not EmissionReport.objects.exists()


# --- the lines -----------------------------------------------------------------------------------
def test_the_lines_are_typed_in_each_pollutants_unit(world, p):
    report = new_report(world)
    response = signed_in(world.company_user).post(
        f"/emissions/reports/{report.pk}/lines/",
        rows(r0=row("COD", "12.5", sewer="30"), r1=row("PB", "1.234")),
    )
    assert response.status_code == 302
    assert lines_of(report) == [("COD", 12_500_000), ("PB", 1_234)]
    cod = report.current_version.lines.get(pollutant__code="COD")
    assert cod.sewer_grams == 30 * T and cod.method == "self"


def test_every_bad_cell_is_refused_on_its_cell_and_nothing_is_saved(world, p, filled):
    report = filled()
    before = lines_of(report)
    response = signed_in(world.company_user).post(
        f"/emissions/reports/{report.pk}/lines/",
        rows(
            r0=row("COD", "1.0000001"),  # finer than a gram
            r1=row("VOCS", "-2"),
            r2=row("PB", "0.0005"),  # kg/a: three decimals at most
            r3=row("TP", "1", difference_note=""),  # parses, but the service would refuse it
        ),
    )
    assert response.status_code == 422
    html = response.content.decode()
    cells = re.findall(r'id="row-(\w+)".*?</tr>', html, re.S)
    assert cells == ["COD", "VOCS", "PB", "TP"]
    assert "请说明排放原因" in html.split('id="row-TP"')[1].split("</tr>")[0]
    for code in ("COD", "VOCS", "PB", "TP"):
        segment = html.split(f'id="row-{code}"')[1].split("</tr>")[0]
        assert "cell-error" in segment, code
    assert "精度过高" in html and "不能为负数" in html
    assert lines_of(report) == before


def test_a_pollutant_without_permit_and_without_explanation_is_refused_on_its_note(world, filled):
    report = filled()
    before = lines_of(report)
    response = signed_in(world.company_user).post(
        f"/emissions/reports/{report.pk}/lines/", rows(r0=row("TP", "0.5", difference_note=""))
    )
    assert response.status_code == 422
    segment = response.content.decode().split('id="row-TP"')[1].split("</tr>")[0]
    assert "cell-error" in segment and "请说明排放原因" in segment
    assert lines_of(report) == before


def test_sewer_for_an_air_pollutant_is_refused(world, filled):
    report = filled()
    response = signed_in(world.company_user).post(
        f"/emissions/reports/{report.pk}/lines/", rows(r0=row("VOCS", "1", sewer="1"))
    )
    assert response.status_code == 422 and "没有接管量" in response.content.decode()


def test_adding_a_pollutant_row_shows_it_and_saves_nothing(world, filled):
    report = filled()
    before = lines_of(report)
    data = rows(r0=row("COD", "99"))
    data.update({"add": "1", "add_pollutant": "NH3N"})
    response = signed_in(world.company_user).post(f"/emissions/reports/{report.pk}/lines/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="row-COD"' in html and 'id="row-NH3N"' in html and 'value="99"' in html
    assert "cell-error" not in html
    assert lines_of(report) == before


def test_a_row_marked_for_deletion_is_left_out(world, filled):
    report = filled()
    data = rows(r0=row("COD", "1"), r1=row("VOCS", "2", DELETE="on"))
    assert (
        signed_in(world.company_user).post(f"/emissions/reports/{report.pk}/lines/", data).status_code == 302
    )
    assert lines_of(report) == [("COD", T)]


def test_a_corrected_version_needs_its_change_note_before_submission(world, p, filled):
    report = submitted(world, p, filled)
    svc.report_return(actor=as_(world.reviewer), report=report, reason="COD 偏低")
    client = signed_in(world.company_user)
    page = client.get(f"/emissions/reports/{report.pk}/lines/").content.decode()
    assert 'id="change-note"' in page
    data = rows(r0=row("COD", "11"), r1=row("VOCS", "3"))
    data["change_note"] = "COD 按在线监测更正"
    assert client.post(f"/emissions/reports/{report.pk}/lines/", data).status_code == 302
    report.refresh_from_db()
    assert report.current_version.number == 2 and report.current_version.change_note == "COD 按在线监测更正"


def test_editing_a_frozen_version_answers_409_and_changes_nothing(world, p, filled):
    report = submitted(world, p, filled)
    before = lines_of(report)
    client = signed_in(world.company_user)
    assert client.get(f"/emissions/reports/{report.pk}/lines/").status_code == 409
    response = client.post(f"/emissions/reports/{report.pk}/lines/", rows(r0=row("COD", "1")))
    assert response.status_code == 409 and "不能修改" in response.content.decode()
    assert lines_of(report) == before


def test_another_units_report_is_not_found(world, filled):
    report = filled()
    client = signed_in(world.other_company_user)
    assert client.get(f"/emissions/reports/{report.pk}/").status_code == 404
    assert client.post(f"/emissions/reports/{report.pk}/lines/", rows(r0=row("COD", "1"))).status_code == 404
    assert client.post(f"/emissions/reports/{report.pk}/submit/").status_code == 404
    assert signed_in(world.other_officer).get(f"/emissions/reports/{report.pk}/").status_code == 404


def test_the_bureau_cannot_edit_a_units_lines(world, filled):
    report = filled()
    before = lines_of(report)
    assert (
        signed_in(world.reviewer)
        .post(f"/emissions/reports/{report.pk}/lines/", rows(r0=row("COD", "1")))
        .status_code
        == 403
    )
    assert lines_of(report) == before


# --- the report's page and its workflow ----------------------------------------------------------
def test_the_report_page_shows_header_lines_and_prefilled_figures_that_differ(world, p, filled, monkeypatch):
    from totalquota.emissions import selectors

    monkeypatch.setattr(selectors, "permitted_of", lambda enterprise, year: {p["COD"].pk: 20 * T})
    report = filled(
        line(p["COD"], 12 * T, sewer_grams=30 * T, permitted_grams=18 * T, difference_note="许可变更")
    )
    html = signed_in(world.company_user).get(f"/emissions/reports/{report.pk}/").content.decode()
    text = visible_text(html)
    assert "苏州甲电子有限公司" in text and "高端制造与国际贸易区" in text and "第 1 版" in text
    cod = html.split('data-pollutant="COD"')[1].split("</tr>")[0]
    assert "18 t/a" not in cod and "18" in cod and "differs" in cod and "许可证载明 20" in cod
    assert "30" in cod and "许可变更" in cod
    assert 'id="submit-report"' in html and 'id="return-report"' not in html


def test_a_unit_submits_and_a_reviewer_returns_through_the_buttons(world, filled):
    report = filled()
    unit = signed_in(world.company_user)
    assert unit.post(f"/emissions/reports/{report.pk}/submit/", {"note": "请审核"}).status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    reviewer = signed_in(world.reviewer)
    page = reviewer.get(f"/emissions/reports/{report.pk}/").content.decode()
    assert 'id="return-report"' in page and 'id="accept-report"' in page
    # A return without a comment is refused and changes nothing.
    reviewer.post(f"/emissions/reports/{report.pk}/return/", {"reason": ""})
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    reviewer.post(f"/emissions/reports/{report.pk}/return/", {"reason": "COD 与在线监测不符"})
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED and report.current_version.number == 2
    history = reviewer.get(f"/emissions/reports/{report.pk}/").content.decode().split('id="history"')[1]
    assert "COD 与在线监测不符" in history and "生态环境局审核人员" in history and "reviewer" in history


def test_accepting_without_an_opinion_is_refused_and_the_report_stays_submitted(world, p, filled):
    report = submitted(world, p, filled)
    response = signed_in(world.reviewer).post(f"/emissions/reports/{report.pk}/accept/", follow=True)
    assert "尚无技术审核意见" in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and report.accepted_version is None


def test_the_opinions_author_sees_why_they_cannot_accept(world, p, filled):
    report = submitted(world, p, filled)
    opinion(report, world.reviewer)
    html = signed_in(world.reviewer).get(f"/emissions/reports/{report.pk}/").content.decode()
    assert 'id="accept-report"' not in html and 'id="four-eyes"' in html
    html = signed_in(world.reviewer2).get(f"/emissions/reports/{report.pk}/").content.decode()
    assert 'id="accept-report"' in html


def test_the_reviewer_sees_what_changed_against_the_previous_version(world, p, filled):
    report = submitted(world, p, filled)
    svc.report_return(actor=as_(world.reviewer), report=report, reason="COD 偏低")
    svc.report_lines_save(
        actor=as_(world.company_user),
        report=report,
        lines=[line(p["COD"], 11 * T, sewer_grams=30 * T, method="online"), line(p["TP"], T // 2)],
        change_note="COD 按在线监测更正，删除 VOCs，补报总磷",
    )
    svc.report_submit(actor=as_(world.company_user), report=report)
    html = signed_in(world.reviewer).get(f"/emissions/reports/{report.pk}/").content.decode()
    diff = html.split('id="diff"')[1].split('id="attachments"')[0]
    assert "第 2 版与第 1 版的差异" in visible_text(html)
    assert "COD 按在线监测更正，删除 VOCs，补报总磷" in diff
    cod_actual = diff.split('data-pollutant="COD" data-field="actual_grams"')[1].split("</tr>")[0]
    assert "12 t/a" in cod_actual and "11 t/a" in cod_actual
    cod_method = diff.split('data-pollutant="COD" data-field="method"')[1].split("</tr>")[0]
    assert "自行监测" in cod_method and "在线监测" in cod_method
    assert 'data-pollutant="VOCS" data-field="actual_grams" class="diff-removed"' in diff
    assert 'data-pollutant="TP" data-field="actual_grams" class="diff-added"' in diff
    # The unit sees its lines, not the bureau's comparison.
    assert (
        'id="diff"'
        not in signed_in(world.company_user).get(f"/emissions/reports/{report.pk}/").content.decode()
    )


def test_a_reopened_report_shows_the_accepted_version_beside_the_correction(world, p, filled):
    report = submitted(world, p, filled)
    opinion(report, world.third_party)
    svc.report_accept(actor=as_(world.reviewer), report=report)
    reviewer = signed_in(world.reviewer)
    reviewer.post(f"/emissions/reports/{report.pk}/reopen/", {"reason": "单位申请更正 VOCs"})
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED and report.accepted_version.number == 1
    html = reviewer.get(f"/emissions/reports/{report.pk}/").content.decode()
    assert 'id="accepted-table"' in html and "有效申报：第 1 版" in visible_text(html)


# --- attachments -----------------------------------------------------------------------------------
def test_a_unit_uploads_downloads_and_removes_an_attachment(world, filled):
    from django.core.files.uploadedfile import SimpleUploadedFile

    report = filled()
    client = signed_in(world.company_user)
    upload = SimpleUploadedFile("执行报告.pdf", MINIMAL_PDF, content_type="application/pdf")
    response = client.post(
        f"/emissions/reports/{report.pk}/attachments/", {"kind": "execution", "file": upload, "note": "年报"}
    )
    assert response.status_code == 302
    attachment = ReportAttachment.objects.get()
    assert attachment.version == report.current_version and attachment.content_type == "application/pdf"
    download = client.get(f"/emissions/reports/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == MINIMAL_PDF
    assert (
        signed_in(world.other_company_user)
        .get(f"/emissions/reports/attachments/{attachment.pk}/")
        .status_code
        == 404
    )
    assert client.post(f"/emissions/reports/attachments/{attachment.pk}/delete/").status_code == 302
    assert not ReportAttachment.objects.exists()


def test_a_file_that_is_not_a_document_is_refused(world, filled):
    from django.core.files.uploadedfile import SimpleUploadedFile

    report = filled()
    upload = SimpleUploadedFile("a.pdf", b"<html><script>alert(1)</script>", content_type="application/pdf")
    response = signed_in(world.company_user).post(
        f"/emissions/reports/{report.pk}/attachments/", {"kind": "other", "file": upload}
    )
    assert response.status_code == 422 and not ReportAttachment.objects.exists()


def test_an_attachment_of_a_submitted_version_cannot_be_removed(world, p, filled):
    from django.core.files.uploadedfile import SimpleUploadedFile

    report = filled()
    svc.attachment_add(
        actor=as_(world.company_user),
        report=report,
        kind="monitoring",
        upload=SimpleUploadedFile("m.pdf", MINIMAL_PDF),
    )
    svc.report_submit(actor=as_(world.company_user), report=report)
    attachment = ReportAttachment.objects.get()
    response = signed_in(world.company_user).post(
        f"/emissions/reports/attachments/{attachment.pk}/delete/", follow=True
    )
    assert "不能修改" in response.content.decode()
    assert ReportAttachment.objects.count() == 1


# --- the list ------------------------------------------------------------------------------------
def test_the_list_filters_searches_and_exports_with_heading_rows(world, p, filled):
    report = submitted(world, p, filled)
    svc.report_return(actor=as_(world.reviewer), report=report, reason="更正")
    other = new_report(world, world.other_company, world.other_company_user)
    client = signed_in(world.reviewer)
    text = visible_text(client.get("/emissions/reports/").content.decode())
    assert "苏州甲电子有限公司" in text and "苏州乙医药有限公司" in text
    only = visible_text(client.get("/emissions/reports/?corrected=1").content.decode())
    assert "苏州甲电子有限公司" in only and "苏州乙医药有限公司" not in only
    assert "苏州甲电子有限公司" not in visible_text(
        client.get("/emissions/reports/?status=draft").content.decode()
    )
    found = visible_text(client.get(f"/emissions/reports/?q={world.other_company.uscc}").content.decode())
    assert "苏州乙医药有限公司" in found and "苏州甲电子有限公司" not in found
    export = client.get(f"/emissions/reports/?zone={world.zone_b.pk}&export=xlsx")
    table = read_export(
        export.getvalue() if hasattr(export, "getvalue") else b"".join(export.streaming_content)
    )
    assert table[0][0] == "排污单位" and [r[0] for r in table[1:]] == ["苏州乙医药有限公司"]
    assert other.pk


def test_a_units_staff_see_only_their_own_reports(world, filled):
    filled()
    new_report(world, world.other_company, world.other_company_user)
    text = visible_text(signed_in(world.company_user).get("/emissions/reports/").content.decode())
    assert "苏州甲电子有限公司" in text and "苏州乙医药有限公司" not in text
    assert "填报排放量申报" in text
    assert "填报排放量申报" not in visible_text(
        signed_in(world.reviewer).get("/emissions/reports/").content.decode()
    )


# --- the home page -----------------------------------------------------------------------------
def test_a_units_home_shows_its_reports_per_year_with_status_and_deadline(world, filled):
    filled()
    listed(world, year=YEAR - 1)
    text = visible_text(signed_in(world.company_user).get("/").content.decode())
    assert f"{YEAR} 年度排放量申报" in text and "草稿" in text and f"报送截止 {YEAR + 1}-03-31" in text
    assert f"{YEAR - 1} 年度排放量申报：尚未填报" in text and f"报送截止 {YEAR}-03-31" in text


def test_the_bureaus_home_counts_reports_waiting_for_review(world, p, filled):
    submitted(world, p, filled)
    assert "待审核的排放量申报" in visible_text(signed_in(world.reviewer).get("/").content.decode())
    assert ReportTransition.objects.filter(to_status="submitted").count() == 1
