"""Workbooks in and out: untrusted XML refused, numbers read exactly, texts written as texts."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tests.factories import EnterpriseFactory, credit_code
from tests.reductions.test_import import HEADERS as PROJECT_HEADERS
from tests.reductions.test_import import row as project_row
from tests.xlsx_helpers import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    PLAIN_DTD,
    corrupt_part,
    hostile_xlsx,
    response_bytes,
    rewrite_part,
    xlsx_bytes,
)
from totalquota.accounts.roles import Role
from totalquota.accounts.services import token_issue
from totalquota.audit.models import AuditEvent
from totalquota.common.xlsx import Heading, exact_number, export_filename, read_table, write_workbook
from totalquota.lib.errors import ValidationFailed
from totalquota.lib.units import Unit, parse_quantity
from totalquota.reductions.models import ReductionProject
from totalquota.registry.models import Enterprise
from totalquota.registry.services import IMPORT_COLUMNS as ENTERPRISE_COLUMNS

pytestmark = pytest.mark.django_db
ENTERPRISE_HEADERS = [h for h, _f in ENTERPRISE_COLUMNS]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def enterprise_row(n: int) -> list[str]:
    code = credit_code(6100 + n)
    return [f"苏州实体{n}号有限公司", code, f"{code}001V", "", "", "A", "", "", "", "", "简化管理"]


HOSTILE = {
    "billion laughs": (BILLION_LAUGHS, "&lol9;"),
    "external entity": (EXTERNAL_ENTITY, "&xxe;"),
    "a DTD alone": (PLAIN_DTD, ""),
}


def hostile_upload(kind: str, headers, rows) -> SimpleUploadedFile:
    doctype, reference = HOSTILE[kind]
    return SimpleUploadedFile("导入.xlsx", hostile_xlsx(headers, rows, doctype, reference), content_type=XLSX)


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_workbook_with_a_dtd_or_entities_is_refused_by_both_import_pages(client, world, kind):
    client.force_login(world.officer)
    before = AuditEvent.objects.count()
    for url, headers, rows in (
        (reverse("registry:enterprise_import"), ENTERPRISE_HEADERS, [enterprise_row(1)]),
        (reverse("reductions:import"), PROJECT_HEADERS, [project_row("1")]),
    ):
        response = client.post(url, {"file": hostile_upload(kind, headers, rows)})
        assert response.status_code == 422, url
        assert "DTD 或实体声明" in response.content.decode()
    assert AuditEvent.objects.count() == before
    assert not Enterprise.objects.filter(uscc=credit_code(6101)).exists()
    assert not ReductionProject.objects.exists()


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_workbook_with_a_dtd_or_entities_is_refused_by_both_import_routes(client, world, kind):
    _token, secret = token_issue(
        actor=world.admin.principal,
        name="功能区系统",
        client=world.client,
        role=Role.ZONE_OFFICER,
        zone=world.zone_a,
    )
    before = AuditEvent.objects.count()
    for url, headers, rows in (
        ("/api/v1/enterprises/import", ENTERPRISE_HEADERS, [enterprise_row(2)]),
        ("/api/v1/reductions/import", PROJECT_HEADERS, [project_row("1")]),
    ):
        response = client.post(
            url, {"file": hostile_upload(kind, headers, rows)}, HTTP_AUTHORIZATION=f"Bearer {secret}"
        )
        assert response.status_code == 422, url
        assert response["Content-Type"] == "application/problem+json"
        assert "DTD 或实体声明" in response.json()["detail"]
    assert AuditEvent.objects.count() == before
    assert not ReductionProject.objects.exists()


def test_a_dtd_in_any_part_is_refused_not_only_in_the_sheet():
    content = rewrite_part(xlsx_bytes(["a"], [["x"]]), "xl/workbook.xml", lambda xml: PLAIN_DTD + xml)
    with pytest.raises(ValidationFailed, match="DTD"):
        read_table(io.BytesIO(content), headers=["a"])


def test_a_workbook_inflating_past_the_limit_is_refused(monkeypatch):
    from totalquota.common import xlsx

    monkeypatch.setattr(xlsx, "MAX_UNPACKED_BYTES", 10_000)
    content = xlsx_bytes(["a"], [["x" * 20_000]])
    with pytest.raises(ValidationFailed, match="解压后过大"):
        read_table(io.BytesIO(content), headers=["a"])


def test_a_plain_workbook_still_reads():
    rows = read_table(io.BytesIO(xlsx_bytes(["名称", "数量"], [["甲", "1.5"]])), headers=["名称", "数量"])
    assert rows == [{"名称": "甲", "数量": "1.5", "_row": 2}]


NUMBERS = [0.00005, 0.000001, 1e-6, 12.5, 0.1, 3, 1500000, 2.0, 123456.789012]
EXPECTED = ["0.00005", "0.000001", "0.000001", "12.5", "0.1", "3", "1500000", "2", "123456.789012"]


def test_numeric_cells_arrive_as_the_exact_decimal_text_typed():
    content = xlsx_bytes(["数量"], [[n] for n in NUMBERS])
    # The file really holds numbers (t="n"), written as a spreadsheet writes them.
    assert all(c.data_type == "n" for (c,) in load_workbook(io.BytesIO(content)).active.iter_rows(min_row=2))
    rows = read_table(io.BytesIO(content), headers=["数量"])
    assert [r["数量"] for r in rows] == EXPECTED
    assert [parse_quantity(r["数量"], Unit.TONNES_PER_YEAR) for r in rows] == [
        50,
        1,
        1,
        12_500_000,
        100_000,
        3_000_000,
        1_500_000_000_000,
        2_000_000,
        123_456_789_012,
    ]
    assert [parse_quantity(r["数量"], Unit.KILOGRAMS_PER_YEAR) for r in rows[3:5]] == [12_500, 100]


def test_exact_number_never_uses_exponent_notation():
    for value in (5e-05, 1e-07, 1.5e-10, 1e16, 1.25e20, 0.30000000000000004):
        text = exact_number(value)
        assert "e" not in text.lower() and Decimal(text) == Decimal(repr(value))


def test_a_numeric_investment_cell_imports_exactly(client, world):
    client.force_login(world.officer)
    rows = [
        project_row("1", **{"资金投入（万元）": 12.5}),
        project_row("2", **{"资金投入（万元）": 0.0001, "项目名称": "导入项目小额"}),
    ]
    response = client.post(reverse("reductions:import"), {"file": _upload(PROJECT_HEADERS, rows)})
    assert response.status_code in (200, 302), response.content.decode()[:2000]
    amounts = dict(ReductionProject.objects.values_list("name", "investment_yuan"))
    assert amounts == {"导入项目1": 125_000, "导入项目小额": 1}


def test_a_numeric_investment_finer_than_a_yuan_is_refused_with_the_precision_message(client, world):
    client.force_login(world.officer)
    rows = [project_row("1", **{"资金投入（万元）": 0.00005})]
    response = client.post(reverse("reductions:import"), {"file": _upload(PROJECT_HEADERS, rows)})
    assert response.status_code == 422
    assert "资金投入精度过高" in response.content.decode()
    assert not ReductionProject.objects.exists()


def _upload(headers, rows) -> SimpleUploadedFile:
    return SimpleUploadedFile("导入.xlsx", xlsx_bytes(headers, rows), content_type=XLSX)


FORMULA_LIKE = ['=HYPERLINK("http://evil.invalid","点击")', "+1+2", "-3+4", "@SUM(A1:A2)", "=1+1"]


def _text_cells(content: bytes) -> dict[str, str]:
    """Every cell of every sheet as ``{value: data_type}`` (full mode: data types as stored)."""
    wb = load_workbook(io.BytesIO(content))
    return {
        cell.value: cell.data_type
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }


def test_write_workbook_writes_every_text_as_a_text_cell():
    file = write_workbook([("表", ["名称", "数量"], [[text, 1] for text in FORMULA_LIKE])])
    cells = _text_cells(file.read())
    for text in FORMULA_LIKE:
        assert cells[text] == "s", text


def test_a_list_export_keeps_a_formula_like_enterprise_name_as_text(client, world):
    for n, text in enumerate(FORMULA_LIKE):
        EnterpriseFactory(zone=world.zone_a, name=text, address=text, uscc=credit_code(6500 + n))
    client.force_login(world.leader)
    content = response_bytes(client.get(reverse("registry:enterprise_list"), {"export": "xlsx"}))
    cells = _text_cells(content)
    for text in FORMULA_LIKE:
        assert cells.get(text) == "s", text


def test_text_cells_turns_formula_texts_of_a_full_workbook_into_texts():
    from totalquota.common.xlsx import text_cells

    wb = Workbook()
    wb.active.append(FORMULA_LIKE)
    out = io.BytesIO()
    text_cells(wb).save(out)
    cells = _text_cells(out.getvalue())
    assert all(cells[t] == "s" for t in FORMULA_LIKE)


def test_openpyxl_itself_parses_through_defusedxml():
    """A second line of defence behind check_untrusted_xlsx: openpyxl picks defusedxml when it is
    installed (it is a runtime dependency)."""
    import openpyxl
    from openpyxl.xml import functions

    assert openpyxl.DEFUSEDXML is True
    assert functions.iterparse.__module__.startswith("defusedxml")


def _with_vml(content: bytes, vml: bytes) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("xl/drawings/vmlDrawing1.vml", vml)
    return out.getvalue()


def test_a_legacy_vml_part_need_not_be_well_formed_but_may_not_declare_a_dtd():
    content = xlsx_bytes(["a"], [["x"]])
    sloppy = b'<xml xmlns:v="urn:schemas-microsoft-com:vml"><v:shape><div>note<br></div></v:shape></xml>'
    assert read_table(io.BytesIO(_with_vml(content, sloppy)), headers=["a"])[0]["a"] == "x"
    with pytest.raises(ValidationFailed, match="DTD"):
        read_table(io.BytesIO(_with_vml(content, b'<!DOCTYPE x [<!ENTITY e "e">]>' + sloppy)), headers=["a"])


def test_a_workbook_with_corrupt_compressed_data_is_a_422_not_a_500(client, world):
    _token, secret = token_issue(
        actor=world.admin.principal,
        name="功能区系统",
        client=world.client,
        role=Role.ZONE_OFFICER,
        zone=world.zone_a,
    )
    content = corrupt_part(xlsx_bytes(ENTERPRISE_HEADERS, [enterprise_row(2)]), "xl/worksheets/sheet1.xml")
    before = AuditEvent.objects.count()
    upload = SimpleUploadedFile("单位.xlsx", content)
    response = client.post(
        "/api/v1/enterprises/import", {"file": upload}, HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert "无法读取文件" in response.json()["detail"]
    assert AuditEvent.objects.count() == before


def test_an_office_evidence_file_with_corrupt_compressed_data_is_refused_not_failed():
    from totalquota.common.files import UnsupportedFile, sniff

    content = corrupt_part(xlsx_bytes(["a"], [["x"]]), "xl/workbook.xml")
    with pytest.raises(UnsupportedFile):
        sniff(io.BytesIO(content))


def test_an_export_starts_with_title_period_and_issuer_rows_and_reads_back():
    heading = Heading(
        "排污单位", "范围：全部记录（导出时间：2026年12月1日 09:00）", "出具单位：苏州工业园区生态环境局"
    )
    file = write_workbook(
        [("排污单位", ["单位名称", "地址"], [["苏州甲电子有限公司", "星湖街 1 号"]])], heading=heading
    )
    content = file.read()
    wb = load_workbook(io.BytesIO(content))
    ws = wb.active
    assert [ws.cell(row=r, column=1).value for r in range(1, 5)] == [*heading.rows(), "单位名称"]
    assert ws.freeze_panes == "A5"
    rows = read_table(
        SimpleUploadedFile("导出.xlsx", content, content_type=XLSX), headers=["单位名称", "地址"]
    )
    assert rows == [{"单位名称": "苏州甲电子有限公司", "地址": "星湖街 1 号", "_row": 5}]


def test_export_file_names_say_what_and_when():
    assert export_filename("排污单位名录", dt.date(2026, 12, 1)) == "排污单位名录-2026年12月1日.xlsx"
    assert (
        export_filename("通报", "2026年1月1日至2026年6月30日", "pdf")
        == "通报-2026年1月1日至2026年6月30日.pdf"
    )
