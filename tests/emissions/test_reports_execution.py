"""The permit execution report (执行报告) into a self-report: the platform's template, a file
exported elsewhere read through a column mapping, and any bad row refusing the whole file."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from tests.emissions.conftest import T
from tests.emissions.helpers_reports import lines_of, new_report, signed_in
from tests.xlsx_helpers import xlsx_bytes
from totalquota.emissions import execution
from totalquota.emissions.models import ReportOrigin, SourceFigure, SourceImport

pytestmark = pytest.mark.django_db

TEMPLATE_HEADERS = [c.header for c in execution.COLUMNS]


def upload(client, report, content: bytes, name: str = "执行报告.xlsx"):
    return client.post(
        f"/emissions/reports/{report.pk}/execution/", {"file": SimpleUploadedFile(name, content)}
    )


def columns_page(client, report):
    return client.get(f"/emissions/reports/{report.pk}/execution/columns/")


def test_the_template_has_the_execution_reports_columns_lists_and_instructions(world):
    response = signed_in(world.company_user).get("/emissions/reports/execution-template.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = wb["年度排放量"]
    assert [c.value for c in sheet[1]] == [
        "污染物",
        "许可排放量",
        "实际排放量（外排环境量）",
        "实际排放量（接管量）",
        "核算方法",
        "数据来源",
        "说明",
    ]
    formulas = [dv.formula1 for dv in sheet.data_validations.dataValidation]
    assert any("化学需氧量" in f for f in formulas) and any("在线监测" in f for f in formulas)
    assert any("ISNUMBER" in f for f in formulas)
    notes = [r[0].value for r in wb["填写说明"].iter_rows(min_row=2)]
    assert "单位" in notes and "核算方法" in notes


def test_a_file_in_the_template_is_mapped_by_itself_and_imported(world):
    report = new_report(world)
    client = signed_in(world.company_user)
    content = xlsx_bytes(
        TEMPLATE_HEADERS,
        [
            ["化学需氧量", "20", "12.5", "30", "在线监测", "2025 年执行报告", "许可证未载明"],
            ["PB", "", "1.5", "", "物料衡算", "", "许可证未载明"],
        ],
    )
    assert upload(client, report, content).status_code == 302
    page = columns_page(client, report)
    html = page.content.decode()
    assert page.status_code == 200 and html.count("selected>") >= 7
    mapping = {f"col_{i}": c.key for i, c in enumerate(execution.COLUMNS)}
    assert client.post(f"/emissions/reports/{report.pk}/execution/columns/", mapping).status_code == 302
    assert lines_of(report) == [("COD", 12_500_000), ("PB", 1_500)]
    report.refresh_from_db()
    assert report.current_version.origin == ReportOrigin.EXECUTION_REPORT
    cod = report.current_version.lines.get(pollutant__code="COD")
    assert cod.permitted_grams == 20 * T and cod.sewer_grams == 30 * T and cod.method == "online"
    lead = report.current_version.lines.get(pollutant__code="PB")
    assert lead.data_source == "排污许可执行报告" and lead.method == "balance"
    batch = SourceImport.objects.get()
    assert batch.kind == "execution" and batch.enterprise == world.company and batch.year == report.year
    assert sorted(SourceFigure.objects.values_list("pollutant__code", "grams", "sewer_grams")) == [
        ("COD", 12_500_000, 30 * T),
        ("PB", 1_500, None),
    ]


def test_a_file_exported_elsewhere_is_read_through_its_synonyms_and_the_chosen_columns(world):
    report = new_report(world)
    client = signed_in(world.company_user)
    headers = ["序号", "污染物种类", "年许可排放量(t/a)", "实际排放量(t/a)", "核算方法", "备注"]
    content = "\n".join(
        [
            "2025 年排污许可执行报告 实际排放情况",
            ",".join(headers),
            "1,氨氮,2,0.8,自动监测,许可证未载明",
            "2,挥发性有机物,5,3.25,产排污系数法,许可证未载明",
        ]
    ).encode("gb18030")
    assert upload(client, report, content, "导出.csv").status_code == 302
    html = columns_page(client, report).content.decode()
    # Pre-selected: each known header maps to its field; 序号 is left out.
    assert 'name="col_0"' in html and 'name="col_1"' in html
    form = {
        "col_0": "",
        "col_1": "pollutant",
        "col_2": "permitted",
        "col_3": "actual",
        "col_4": "method",
        "col_5": "difference_note",
    }
    for i, key in enumerate(["", "pollutant", "permitted", "actual", "method", "difference_note"]):
        if key:
            block = html.split(f'name="col_{i}"')[1].split("</select>")[0]
            assert f'value="{key}" selected' in block, (i, key)
    assert client.post(f"/emissions/reports/{report.pk}/execution/columns/", form).status_code == 302
    assert lines_of(report) == [("VOCS", 3_250_000), ("NH3N", 800_000)]
    report.refresh_from_db()
    assert report.current_version.lines.get(pollutant__code="NH3N").method == "online"


def test_any_bad_row_refuses_the_whole_file_naming_row_and_column(world, filled):
    report = filled()
    before = lines_of(report)
    client = signed_in(world.company_user)
    content = xlsx_bytes(
        TEMPLATE_HEADERS,
        [
            ["COD", "", "12.5", "", "在线监测", "", "许可证未载明"],
            ["VOCS", "", "-1", "", "在线监测", "", "许可证未载明"],
            ["PB", "", "0.0001", "", "在线监测", "", "许可证未载明"],
            ["二噁英", "", "1", "", "在线监测", "", ""],
            ["SO2", "", "1", "2", "猜的", "", "x"],
        ],
    )
    upload(client, report, content)
    mapping = {f"col_{i}": c.key for i, c in enumerate(execution.COLUMNS)}
    response = client.post(f"/emissions/reports/{report.pk}/execution/columns/", mapping)
    assert response.status_code == 422
    html = response.content.decode()
    table = html.split('id="import-errors"')[1].split("</table>")[0]
    problems = [[cell.split(">", 1)[1] for cell in tr.split("<td")[1:5]] for tr in table.split("<tr>")[2:]]
    cells = {(p[0].split("<")[0], p[1].split("<")[0]) for p in problems}
    assert ("3", "实际排放量（外排环境量）") in cells  # negative
    assert ("4", "实际排放量（外排环境量）") in cells  # over-precise kg/a
    assert ("5", "污染物") in cells  # unknown pollutant
    assert ("6", "实际排放量（接管量）") in cells and ("6", "核算方法") in cells
    assert lines_of(report) == before
    assert not SourceImport.objects.exists() and not SourceFigure.objects.exists()


def test_a_row_the_service_refuses_is_named_by_row_and_column(world):
    report = new_report(world)
    client = signed_in(world.company_user)
    content = xlsx_bytes(TEMPLATE_HEADERS, [["COD", "", "1", "", "在线监测", "", ""]])
    upload(client, report, content)
    mapping = {f"col_{i}": c.key for i, c in enumerate(execution.COLUMNS)}
    response = client.post(f"/emissions/reports/{report.pk}/execution/columns/", mapping)
    assert response.status_code == 422
    table = response.content.decode().split('id="import-errors"')[1]
    assert "<td>2</td><td>说明</td>" in table and "请说明排放原因" in table
    assert lines_of(report) == [] and not SourceImport.objects.exists()


def test_the_pollutant_and_actual_columns_must_be_mapped(world):
    report = new_report(world)
    client = signed_in(world.company_user)
    upload(client, report, xlsx_bytes(["甲", "乙"], [["COD", "1"]]))
    response = client.post(
        f"/emissions/reports/{report.pk}/execution/columns/", {"col_0": "pollutant", "col_1": ""}
    )
    assert response.status_code == 422 and "请为以下字段选择对应的列" in response.content.decode()
    response = client.post(
        f"/emissions/reports/{report.pk}/execution/columns/", {"col_0": "actual", "col_1": "actual"}
    )
    assert response.status_code == 422 and "对应了多列" in response.content.decode()
    assert lines_of(report) == []


def test_a_file_that_is_not_a_table_is_refused_at_upload(world):
    report = new_report(world)
    client = signed_in(world.company_user)
    assert upload(client, report, b"PK\x03\x04 not a zip").status_code == 422
    assert upload(client, report, b"%PDF-1.4", "a.pdf").status_code == 422
    assert columns_page(client, report).status_code == 302  # nothing kept: back to the upload


def test_a_submitted_report_takes_no_import(world, p, filled):
    from tests.emissions.helpers_reports import submitted

    report = submitted(world, p, filled)
    client = signed_in(world.company_user)
    response = upload(
        client, report, xlsx_bytes(TEMPLATE_HEADERS, [["COD", "", "1", "", "在线监测", "", "x"]])
    )
    assert response.status_code == 409


def api_import(client, report, content: bytes, name: str = "执行报告.xlsx", **fields):
    return client.post(
        f"/api/v1/emission-reports/{report.pk}/execution",
        {"file": SimpleUploadedFile(name, content), **fields},
    )


def test_the_api_imports_an_execution_report_in_one_request(world):
    report = new_report(world)
    client = signed_in(world.company_user)
    rows = [["化学需氧量", "20", "12.5", "30", "在线监测", "2025 年执行报告", "许可证未载明"]]
    answer = api_import(client, report, xlsx_bytes(TEMPLATE_HEADERS, rows))
    assert answer.status_code == 200, answer.json()
    assert lines_of(report) == [("COD", 12_500_000)]
    assert SourceImport.objects.get().kind == "execution"


def test_the_api_takes_a_mapping_of_another_systems_headers(world):
    report = new_report(world)
    client = signed_in(world.company_user)
    content = xlsx_bytes(
        ["因子", "本年排放（吨）", "方法", "备注"], [["氨氮", "1.25", "在线监测", "许可证未载明"]]
    )
    assert api_import(client, report, content).status_code == 422  # nothing recognised: the mapping is needed
    mapping = '{"因子": "pollutant", "本年排放（吨）": "actual", "方法": "method", "备注": "difference_note"}'
    answer = api_import(client, report, content, mapping=mapping)
    assert answer.status_code == 200, answer.json()
    assert lines_of(report) == [("NH3N", 1_250_000)]


def test_api_refusals_name_the_row_and_write_nothing(world):
    report = new_report(world)
    before = lines_of(report)
    client = signed_in(world.company_user)
    bad_rows = [["化学需氧量", "", "12.5", "", "", "", ""], ["不存在的污染物", "", "1", "", "", "", ""]]
    refused = api_import(client, report, xlsx_bytes(TEMPLATE_HEADERS, bad_rows))
    assert refused.status_code == 422 and refused["Content-Type"] == "application/problem+json"
    assert [e.get("row") for e in refused.json()["errors"]] == [3]
    for mapping in ("not json", '{"没有的表头": "actual"}', '{"污染物": "nonsense"}'):
        answer = api_import(client, report, xlsx_bytes(TEMPLATE_HEADERS, bad_rows[:1]), mapping=mapping)
        assert answer.status_code == 422, mapping
    assert api_import(client, report, b"not a workbook", name="x.xlsx").status_code in (400, 415, 422)
    assert api_import(client, report, b"a,b", name="x.pdf").status_code == 422
    other = signed_in(world.other_company_user)
    rows = xlsx_bytes(TEMPLATE_HEADERS, bad_rows[:1])
    assert api_import(other, report, rows).status_code in (403, 404)
    assert lines_of(report) == before and not SourceImport.objects.exists()
