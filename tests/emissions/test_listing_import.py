"""The management list's XLSX import (TOT-1): a good file applies every row; a file with any bad
row writes nothing and names each problem's row and column."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.emissions.conftest import YEAR, as_
from tests.emissions.helpers_listing import AFTER_DEADLINE, clock_fixture, put_on_list  # noqa: F401
from tests.factories import EnterpriseFactory
from tests.xlsx_helpers import read_xlsx, xlsx_upload
from totalquota.audit.models import AuditEvent
from totalquota.common.xlsx import read_table
from totalquota.emissions.models import ListChange, ListEntry
from totalquota.emissions.services import listing
from totalquota.lib.errors import ValidationFailed

HEADERS = listing.IMPORT_COLUMNS


def rows_of(*rows):
    return read_table(xlsx_upload(HEADERS, rows), headers=list(HEADERS))


def snapshot():
    return (
        list(ListEntry.objects.order_by("pk").values_list("enterprise_id", "listed", "basis")),
        ListChange.objects.count(),
        AuditEvent.objects.filter(action__startswith="emissions.list_").count(),
    )


def test_a_good_file_adds_removes_and_restores(world, clock):
    newcomer = EnterpriseFactory(zone=world.zone_a, name="甲区新单位")
    gone = put_on_list(world)
    back = put_on_list(world, world.other_company)
    listing.list_remove(actor=as_(world.admin), entry=back, reason="误移")
    result = listing.list_import(
        actor=as_(world.admin),
        year=YEAR,
        rows=rows_of(
            (newcomer.uscc, "重点管理排污许可证", "列入", ""),
            (world.company.uscc, "", "移出", "已关闭"),
            (world.other_company.uscc, "", "恢复", ""),
        ),
    )
    assert (result.added, result.removed, result.restored) == (1, 1, 1)
    assert ListEntry.objects.get(enterprise=newcomer).basis == "重点管理排污许可证"
    gone.refresh_from_db()
    back.refresh_from_db()
    assert not gone.listed and gone.removed_reason == "已关闭" and back.listed


def test_an_empty_basis_takes_the_units_permit_category(world, clock):
    listing.list_import(actor=as_(world.admin), year=YEAR, rows=rows_of((world.company.uscc, "", "列入", "")))
    assert ListEntry.objects.get().basis == "简化管理排污许可证"


def test_a_file_with_any_bad_row_writes_nothing_and_names_row_and_column(world, clock):
    outsider = EnterpriseFactory(zone=world.zone_b, name="乙区单位")
    put_on_list(world, world.company, by=world.officer)
    fresh = EnterpriseFactory(zone=world.zone_a, name="甲区好单位")
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        listing.list_import(
            actor=as_(world.officer),
            year=YEAR,
            rows=rows_of(
                (fresh.uscc, "重点管理", "列入", ""),  # row 2: good
                ("91320594MA0000000X", "依据", "列入", ""),  # row 3: unknown code
                (outsider.uscc, "依据", "列入", ""),  # row 4: another zone's unit
                (world.company.uscc, "", "移出", ""),  # row 5: removal without a reason
                (fresh.uscc, "依据", "列入", ""),  # row 6: duplicate of row 2
                (world.company.uscc.lower(), "", "删除", "x"),  # row 7: duplicate code, bad operation
            ),
        )
    problems = {(p["row"], p["column"]) for p in refused.value.errors}
    assert problems == {
        (3, "统一社会信用代码"),
        (4, "统一社会信用代码"),
        (5, "理由"),
        (6, "统一社会信用代码"),
        (7, "统一社会信用代码"),
    }
    assert snapshot() == before


def test_after_the_deadline_every_row_needs_a_reason(world, clock):
    fresh = EnterpriseFactory(zone=world.zone_a)
    clock(AFTER_DEADLINE)
    with pytest.raises(ValidationFailed) as refused:
        listing.list_import(actor=as_(world.admin), year=YEAR, rows=rows_of((fresh.uscc, "依据", "列入", "")))
    assert [(p["row"], p["column"]) for p in refused.value.errors] == [(2, "理由")]
    assert not ListEntry.objects.exists()
    listing.list_import(actor=as_(world.admin), year=YEAR, rows=rows_of((fresh.uscc, "依据", "列入", "补列")))
    assert ListChange.objects.get().after_deadline


def test_operations_that_do_not_fit_the_entrys_state_are_refused(world, clock):
    put_on_list(world)
    with pytest.raises(ValidationFailed) as refused:
        listing.list_import(
            actor=as_(world.admin),
            year=YEAR,
            rows=rows_of(
                (world.company.uscc, "依据", "列入", ""),  # already listed
                (world.other_company.uscc, "", "移出", "关闭"),  # not listed
            ),
        )
    assert [(p["row"], p["column"]) for p in refused.value.errors] == [(2, "操作"), (3, "操作")]


def test_the_import_page_takes_the_template_and_shows_the_problems(world, clock):
    client = Client()
    client.force_login(world.officer)
    template = client.get("/emissions/list/import/template/")
    assert template.status_code == 200
    assert read_xlsx(b"".join(template.streaming_content))[0] == HEADERS
    bad = client.post(
        "/emissions/list/import/",
        {"year": YEAR, "file": xlsx_upload(HEADERS, [(world.other_company.uscc, "依据", "列入", "")])},
    )
    assert bad.status_code == 422 and "import-errors" in bad.content.decode()
    assert not ListEntry.objects.exists()
    good = client.post(
        "/emissions/list/import/",
        {"year": YEAR, "file": xlsx_upload(HEADERS, [(world.company.uscc, "依据", "列入", "")])},
    )
    assert good.status_code == 302
    assert ListEntry.objects.get().enterprise == world.company


def test_the_import_api_refuses_a_bad_file_and_writes_nothing(world, clock):
    client = Client()
    client.force_login(world.officer)
    response = client.post(
        "/api/v1/emissions/list/import",
        {"year": YEAR, "file": xlsx_upload(HEADERS, [(world.other_company.uscc, "依据", "列入", "")])},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["row"] == 2
    assert not ListEntry.objects.exists()
    response = client.post(
        "/api/v1/emissions/list/import",
        {"year": YEAR, "file": xlsx_upload(HEADERS, [(world.company.uscc, "依据", "列入", "")])},
    )
    assert response.status_code == 200 and response.json() == {"added": 1, "removed": 0, "restored": 0}
