"""Imports of other sources (TOT-3): XLSX and CSV (UTF-8 with or without BOM, GB18030), every
row checked first with its row and column named, nothing written on any error, then a re-check of
the year; the lists of batches and figures.

The bureau's page and the API start a background job (``emissions.source_import``) and answer at
once; the worker streams the file, shows the progress and writes the batch. The tests run the job
the way the worker does (``jobs.runner.run``), synchronously."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from tests.emissions.conftest import YEAR, T, as_, line
from tests.emissions.helpers_review import HEADERS, open_flags, rows_of, submitted
from tests.xlsx_helpers import read_xlsx, xlsx_upload
from totalquota.emissions.models import SourceFigure, SourceImport
from totalquota.emissions.services import review as services
from totalquota.jobs import runner
from totalquota.jobs.models import Job, JobStatus
from totalquota.lib import uscc
from totalquota.lib.errors import ValidationFailed
from totalquota.registry.models import Enterprise

FORM = {"kind": "statistics", "year": YEAR, "source": "2025 年环境统计年报", "source_date": "2026-06-30"}


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


def reviewer(world) -> Client:
    c = Client()
    c.force_login(world.reviewer)
    return c


def page(world, upload, client=None, **more):
    return (client or reviewer(world)).post(
        reverse("emissions:source_import"), {**FORM, **more, "file": upload}
    )


def job_of(response) -> Job:
    """The job the page moved to (``/jobs/<id>/``)."""
    assert response.status_code == 302, response.content.decode()[:2000]
    found = re.fullmatch(r"/jobs/(\d+)/", response["Location"])
    assert found, response["Location"]
    return Job.objects.get(pk=int(found.group(1)))


def worked(job: Job) -> Job:
    """Run the job as the worker does, then read it back."""
    runner.run(job.pk)
    job.refresh_from_db()
    return job


def many_units(world, count: int) -> list[str]:
    """``count`` more units of zone A; their credit codes."""
    codes = [uscc.complete(f"91320594MC{i:07d}") for i in range(count)]
    Enterprise.objects.bulk_create(
        [
            Enterprise(
                name=f"导入测试单位{i}有限公司", uscc=c, permit_number=f"{c}001V", zone=world.company.zone
            )
            for i, c in enumerate(codes)
        ]
    )
    return codes


# --- the checks and the write (the service) ----------------------------------------------------------
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


def test_the_checks_read_the_units_and_pollutants_once_whatever_the_number_of_rows(
    world, p, django_assert_max_num_queries
):
    codes = many_units(world, 300)
    rows = rows_of(*[(code, "2025", pollutant, "1.5") for code in codes for pollutant in ("COD", "NOX")])
    with django_assert_max_num_queries(2):
        figures = services.source_rows_check(year=YEAR, rows=rows)
    assert len(figures) == 600


# --- the page: a background job ----------------------------------------------------------------------
def test_a_2000_row_file_is_imported_through_the_page_as_a_job_with_progress(world, p, monkeypatch):
    codes = many_units(world, 1_000)
    table = [
        (code, 2025, pollutant, f"{i}.25") for i, code in enumerate(codes) for pollutant in ("COD", "NOX")
    ]
    monkeypatch.setattr(runner, "PROGRESS_SECONDS", 0)  # every row's progress written, to watch it
    seen: list[tuple[int, int | None, int, str]] = []
    report = runner.JobContext.progress

    def watched(ctx, done, total=None, **kwargs):
        report(ctx, done, total, **kwargs)
        job = Job.objects.get(pk=ctx.job.pk)
        seen.append((job.progress_done, job.progress_total, len(connection.atomic_blocks), job.status))

    monkeypatch.setattr(runner.JobContext, "progress", watched)
    client = reviewer(world)
    job = job_of(page(world, xlsx_upload(HEADERS, table, name="statistics-2025.xlsx"), client=client))
    assert (job.kind, job.status) == ("emissions.source_import", JobStatus.QUEUED)
    assert job.params == {
        "kind": "statistics",
        "year": YEAR,
        "source": "2025 年环境统计年报",
        "source_date": "2026-06-30",
    }
    assert not SourceImport.objects.exists()  # nothing is imported by the request itself
    queued = client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in queued  # the page polls while the job waits and runs

    outside = len(connection.atomic_blocks)
    job = worked(job)
    assert job.status == JobStatus.DONE, job.result
    # While the rows are read and checked the bar moves, each step committed on its own (outside the
    # import's transaction, so the page sees it); the write and "done" are one transaction after that.
    reading = [
        (done, total) for done, total, depth, status in seen if depth == outside and status == "running"
    ]
    assert len(reading) >= 2_000 and reading[0] == (1, 2_000) and reading[-1] == (2_000, 2_000)
    assert [done for done, _total in reading] == sorted(done for done, _total in reading)
    assert (job.progress_done, job.progress_total) == (2_000, 2_000)

    batch = SourceImport.objects.get()
    assert (batch.row_count, batch.file_name, batch.sha256) == (
        2_000,
        "statistics-2025.xlsx",
        job.input_sha256,
    )
    assert SourceFigure.objects.filter(batch=batch).count() == 2_000
    assert SourceFigure.objects.get(enterprise__uscc=codes[7], pollutant__code="NOX").grams == 7_250_000
    assert job.result["batch_id"] == batch.pk
    detail = reverse("emissions:source_detail", args=[batch.pk])
    assert job.result["links"] == [{"label": "查看导入批次", "url": detail}]
    # The bureau left and comes back: the job's page shows the result and links to the batch.
    shown = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert f'href="{detail}"' in shown and "已处理 2000 / 2000 行" in shown
    assert "hx-trigger" not in client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
    assert client.get(detail).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_bureau_sees_the_bar_move_while_the_worker_reads_the_file(world, monkeypatch):
    codes = many_units(world, 300)
    table = [(code, 2025, pollutant, "1.5") for code in codes for pollutant in ("COD", "NOX")]
    monkeypatch.setattr(runner, "PROGRESS_SECONDS", 0)
    reached, release = threading.Event(), threading.Event()
    numbered = services._numbered

    def pausing(rows):
        for row in numbered(rows):
            if row["_row"] == 301:  # the 300th data row, handed to the checks
                reached.set()
                assert release.wait(30), "the test never released the worker"
            yield row

    monkeypatch.setattr(services, "_numbered", pausing)
    client = reviewer(world)
    job = job_of(page(world, xlsx_upload(HEADERS, table), client=client))

    def work() -> None:
        try:
            runner.run(job.pk)
        finally:
            connections.close_all()  # the worker thread's own connection

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        assert reached.wait(30)
        html = client.get(reverse("jobs:progress", args=[job.pk])).content.decode()
        assert 'data-status="running"' in html and 'hx-trigger="every 1s"' in html
        assert "已处理 300 / 600 行" in html and 'data-percent="50"' in html
        assert not SourceImport.objects.exists()
    finally:
        release.set()
        worker.join(30)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and SourceFigure.objects.count() == 600


def test_one_bad_row_among_many_writes_nothing_and_the_job_shows_its_row_and_column(world, p):
    codes = many_units(world, 300)
    table = [(code, 2025, "COD", "2.5") for code in codes]
    table[149] = (codes[149], 2025, "COD", "2.5000001")  # finer than a gram: row 151 of the file
    client = reviewer(world)
    job = worked(job_of(page(world, xlsx_upload(HEADERS, table), client=client)))
    assert job.status == JobStatus.FAILED
    assert [(e["row"], e["column"]) for e in job.result["errors"]] == [(151, "排放量")]
    assert job.result["error_count"] == 1
    assert not SourceImport.objects.exists() and not SourceFigure.objects.exists()
    shown = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert 'id="job-errors"' in shown and "<td>151</td><td>排放量</td>" in shown
    assert 'id="job-links"' not in shown


def test_the_import_page_reads_an_xlsx_and_rechecks_the_year(world, p, filled):
    report = submitted(world, filled, line(p["COD"], 10 * T))
    job = worked(job_of(page(world, xlsx_upload(HEADERS, [(world.company.uscc, 2025, "COD", 20)]))))
    assert job.status == JobStatus.DONE
    batch = SourceImport.objects.get()
    assert len(batch.sha256) == 64 and batch.file_name == "upload.xlsx"
    assert job.result["counts"] == {"导入的数据": 1, "重新核查的申报": 1}
    [flag] = open_flags(report)
    assert flag.source_kind == "statistics" and flag.other_grams == 20 * T


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_the_import_page_reads_a_csv_in_each_encoding(world, p, encoding):
    text = "统一社会信用代码,年度,污染物,排放量,接管量\n" + f"{world.company.uscc},2025,化学需氧量,7.25,9\n"
    upload = SimpleUploadedFile("环境统计.csv", text.encode(encoding), content_type="text/csv")
    job = worked(job_of(page(world, upload)))
    assert job.status == JobStatus.DONE, job.result
    figure = SourceFigure.objects.get()
    assert (figure.grams, figure.sewer_grams) == (7_250_000, 9 * T)


def test_a_bad_row_of_a_csv_fails_its_job(world, p):
    text = "统一社会信用代码,年度,污染物,排放量\n" + f"{world.company.uscc},2025,COD,1e3\n"
    job = worked(job_of(page(world, SimpleUploadedFile("x.csv", text.encode(), content_type="text/csv"))))
    assert job.status == JobStatus.FAILED
    assert [(e["row"], e["column"]) for e in job.result["errors"]] == [(2, "排放量")]
    assert not SourceImport.objects.exists()


@pytest.mark.parametrize(
    ("upload", "more", "status", "shown"),
    [
        (lambda w: xlsx_upload(["代码", "年度"], [("x", 2025)]), {}, 422, "缺少列"),
        (lambda w: xlsx_upload(HEADERS, []), {}, 422, "文件中没有数据行"),
        (lambda w: SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n\x00\x00"), {}, 422, "CSV"),
        (
            lambda w: xlsx_upload(HEADERS, [(w.company.uscc, 2025, "COD", 1)]),
            {"year": str(dt.date.today().year)},
            422,
            "已结束",
        ),
        # The form's own refusal: the form again, with its error on the field.
        (
            lambda w: xlsx_upload(HEADERS, [(w.company.uscc, 2025, "COD", 1)]),
            {"kind": "execution"},
            200,
            "invalid",
        ),
    ],
    ids=["headers", "no-rows", "not-a-table", "year", "kind"],
)
def test_a_refused_upload_stays_on_the_page_and_starts_no_job(world, p, upload, more, status, shown):
    response = page(world, upload(world), **more)
    assert response.status_code == status
    assert shown in response.content.decode()
    assert not Job.objects.exists() and not SourceImport.objects.exists()


# --- the API ---------------------------------------------------------------------------------------------
def test_the_api_answers_202_with_the_job_and_its_url_then_the_job_imports(world, p):
    c = reviewer(world)
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
    assert api.status_code == 202, api.content
    body = api.json()
    job = Job.objects.get()
    assert body == {
        "job_id": job.pk,
        "status": "queued",
        "url": f"/api/v1/jobs/{job.pk}",
        "page": f"/jobs/{job.pk}/",
    }
    assert not SourceImport.objects.exists()
    worked(job)
    done = c.get(body["url"]).json()
    batch = SourceImport.objects.get()
    assert (done["status"], done["progress_done"], done["progress_total"]) == ("done", 1, 1)
    assert done["result"]["batch_id"] == batch.pk and batch.kind == "online"
    assert done["links"] == [{"label": "查看导入批次", "url": f"/emissions/review/sources/{batch.pk}/"}]
    assert c.get(f"/api/v1/emissions/source-imports/{batch.pk}").json()["row_count"] == 1


@pytest.mark.parametrize(
    ("fields", "file", "said"),
    [
        ({"kind": "execution"}, None, "数据来源应为"),
        ({"kind": "weather"}, None, "数据来源应为"),
        ({"year": "2099"}, None, "年度"),
        ({"source": " "}, None, "来源说明"),
        ({}, SimpleUploadedFile("a.bin", b"\x00\x01\x02binary"), "CSV"),
        ({}, SimpleUploadedFile("a.csv", "代码,年度\nx,2025\n".encode()), "缺少列"),
    ],
    ids=["execution", "unknown-kind", "year", "source", "not-a-table", "headers"],
)
def test_a_refused_api_upload_is_a_4xx_before_any_job(world, p, fields, file, said):
    data = {"kind": "statistics", "year": "2025", "source": "环境统计", "source_date": "2026-02-01"}
    response = reviewer(world).post(
        "/api/v1/emissions/source-imports",
        {**data, **fields, "file": file or xlsx_upload(HEADERS, [(world.company.uscc, 2025, "COD", "1")])},
    )
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert said in response.json()["detail"], response.json()
    assert not Job.objects.exists()


def test_a_unit_may_not_start_an_import(world, p):
    unit = Client()
    unit.force_login(world.company_user)
    response = unit.post(
        "/api/v1/emissions/source-imports",
        {**FORM, "file": xlsx_upload(HEADERS, [(world.company.uscc, 2025, "COD", "1")])},
    )
    assert response.status_code == 403 and not Job.objects.exists()


# --- the job's page in English ------------------------------------------------------------------------
def test_the_job_of_an_import_started_in_english_reads_in_english(world, p):
    from tests.test_english_pages import chinese_left, english_client, readable_text, typed_values

    client = english_client(world.reviewer)
    form = client.get(reverse("emissions:source_import")).content.decode()
    assert "in the background" in readable_text(form)
    upload = xlsx_upload(HEADERS, [(world.company.uscc, 2025, "COD", "1")], name="stat.xlsx")
    job = worked(job_of(page(world, upload, client=client)))
    assert job.language == "en" and job.status == JobStatus.DONE
    text = readable_text(client.get(reverse("jobs:detail", args=[job.pk])).content.decode())
    assert "View the import batch" in text and "figures imported" in text
    assert not chinese_left(text, typed_values())


# --- the template and the lists ----------------------------------------------------------------------------
def test_the_template_and_the_lists(world, p):
    c = reviewer(world)
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
    unit = Client()
    unit.force_login(world.company_user)
    assert unit.get(reverse("emissions:source_list")).status_code == 403
    mine = unit.get("/api/v1/emissions/source-figures").json()
    assert {f["uscc"] for f in mine["items"]} == {world.company.uscc}
