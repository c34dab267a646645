"""Imports of other sources (TOT-3): XLSX and CSV (UTF-8 with or without BOM, GB18030), every
row checked first with its row and column named, nothing written on any error, then a re-check of
the year; the lists of batches and figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.emissions.conftest import YEAR, T, as_, line
from tests.emissions.helpers_review import HEADERS, open_flags, rows_of, submitted
from tests.xlsx_helpers import read_xlsx, xlsx_upload
from totalquota.emissions.models import SourceFigure, SourceImport
from totalquota.emissions.services import review as services
from totalquota.lib.errors import ValidationFailed


def run(world, rows, **more):
    fields = {
        "actor": as_(world.reviewer),
        "kind": "statistics",
        "year": YEAR,
        "source": "2025 年环境统计年报",
        "source_date": dt.date(2026, 6, 30),
        "rows": rows,
        "file_name": "stat.xlsx",
        "sha256": "a" * 64,
    }
    fields.update(more)
    return services.source_import(**fields)


def page(world, upload, **more):
    c = Client()
    c.force_login(world.reviewer)
    data = {"kind": "statistics", "year": YEAR, "source": "2025 年环境统计年报", "source_date": "2026-06-30"}
    data.update(more)
    return c.post(reverse("emissions:source_import"), {**data, "file": upload})


def test_good_rows_are_written_in_one_batch_with_progress(world, p):
    calls = []
    result = run(
        world,
        rows_of(
            (world.company.uscc, "2025", "COD", "12.5"),
            (world.other_company.uscc, 2025, "挥发性有机物", "3"),
            (world.company.uscc, "2025年", "pb", "1.5"),
        ),
        progress=lambda done, total: calls.append((done, total)),
    )
    figures = {
        (f.enterprise_id, f.pollutant.code): f.grams for f in SourceFigure.objects.select_related("pollutant")
    }
    assert figures == {
        (world.company.pk, "COD"): 12_500_000,
        (world.other_company.pk, "VOCS"): 3 * T,
        (world.company.pk, "PB"): 1_500,  # kg/a, the metal's unit
    }
    assert result.batch.row_count == 3 and calls[-1] == (3, 3)


def test_a_unit_column_and_the_sewer_column_are_read(world, p):
    headers = [*HEADERS, "单位", "接管量"]
    run(
        world,
        rows_of(
            (world.company.uscc, "2025", "COD", "1500", "kg/a", "4000"),
            (world.company.uscc, "2025", "PB", "0.002", "t/a", ""),
            headers=headers,
        ),
    )
    cod = SourceFigure.objects.get(pollutant=p["COD"])
    assert (cod.grams, cod.sewer_grams) == (1_500_000, 4_000_000)
    assert SourceFigure.objects.get(pollutant=p["PB"]).grams == 2_000


def test_any_bad_row_writes_nothing_and_every_problem_names_its_row_and_column(world, p):
    with pytest.raises(ValidationFailed) as refused:
        run(
            world,
            rows_of(
                ("91320594MA0000000X", "2025", "COD", "1"),
                (world.company.uscc, "2024", "COD", "1"),
                (world.company.uscc, "2025", "氟化物", "1"),
                (world.other_company.uscc, "2025", "COD", "1.0000001"),
                (world.other_company.uscc, "2025", "VOCS", "-2"),
                (world.company.uscc, "2025", "VOCS", "1"),
                (world.company.uscc, "2025", "挥发性有机物", "2"),
            ),
        )
    found = {(e["row"], e["column"]) for e in refused.value.errors}
    assert found == {
        (2, "统一社会信用代码"),
        (3, "年度"),
        (4, "污染物"),
        (5, "排放量"),
        (6, "排放量"),
        (8, "污染物"),
    }
    assert not SourceImport.objects.exists() and not SourceFigure.objects.exists()


def test_an_air_pollutant_has_no_sewer_figure(world, p):
    with pytest.raises(ValidationFailed) as refused:
        run(
            world,
            rows_of((world.company.uscc, "2025", "SO2", "1", "", "3"), headers=[*HEADERS, "单位", "接管量"]),
        )
    assert [(e["row"], e["column"]) for e in refused.value.errors] == [(2, "接管量")]


def test_the_import_page_reads_an_xlsx_and_rechecks_the_year(world, p, filled):
    report = submitted(world, filled, line(p["COD"], 10 * T))
    response = page(world, xlsx_upload(HEADERS, [(world.company.uscc, 2025, "COD", 20)]))
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = SourceImport.objects.get()
    assert response["Location"] == reverse("emissions:source_detail", args=[batch.pk])
    assert len(batch.sha256) == 64 and batch.file_name == "upload.xlsx"
    [flag] = open_flags(report)
    assert flag.source_kind == "statistics" and flag.other_grams == 20 * T


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_the_import_page_reads_a_csv_in_each_encoding(world, p, encoding):
    text = "统一社会信用代码,年度,污染物,排放量\n" + f"{world.company.uscc},2025,化学需氧量,7.25\n"
    upload = SimpleUploadedFile("环境统计.csv", text.encode(encoding), content_type="text/csv")
    response = page(world, upload)
    assert response.status_code == 302
    assert SourceFigure.objects.get().grams == 7_250_000


def test_a_refused_file_is_answered_with_422_and_its_problems_listed(world, p):
    text = "统一社会信用代码,年度,污染物,排放量\n" + f"{world.company.uscc},2025,COD,1e3\n"
    response = page(world, SimpleUploadedFile("x.csv", text.encode(), content_type="text/csv"))
    assert response.status_code == 422
    assert 'id="import-errors"' in response.content.decode()
    wrong_headers = page(world, xlsx_upload(["代码", "年度"], [("x", 2025)]))
    assert wrong_headers.status_code == 422 and "缺少列" in wrong_headers.content.decode()
    assert not SourceImport.objects.exists()


def test_the_template_the_lists_and_the_api(world, p):
    c = Client()
    c.force_login(world.reviewer)
    template = c.get(reverse("emissions:source_template"))
    assert read_xlsx(template.getvalue())[0] == (
        "统一社会信用代码",
        "年度",
        "污染物",
        "排放量",
        "单位",
        "接管量",
    )
    run(world, rows_of((world.company.uscc, "2025", "COD", "1")))
    assert c.get(reverse("emissions:source_list")).status_code == 200
    figures = c.get(reverse("emissions:figure_list"), {"q": world.company.name})
    assert world.company.name in figures.content.decode()
    assert c.get(reverse("emissions:figure_list"), {"export": "xlsx"}).status_code == 200
    api = c.post(
        "/api/v1/emissions/source-imports",
        {
            "kind": "online",
            "year": "2025",
            "source": "在线监测年度总量",
            "source_date": "2026-02-01",
            "file": xlsx_upload(HEADERS, [(world.company.uscc, 2025, "COD", "1.1")]),
        },
    )
    assert api.status_code == 201, api.content
    assert api.json()["row_count"] == 1
    unit = Client()
    unit.force_login(world.company_user)
    assert unit.get(reverse("emissions:source_list")).status_code == 403
    mine = unit.get("/api/v1/emissions/source-figures").json()
    assert {f["uscc"] for f in mine["items"]} == {world.company.uscc}
