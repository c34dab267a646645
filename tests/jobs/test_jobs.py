"""A background job: started with its file, run by the worker, its progress seen while it runs,
refused files leaving nothing written, a stopped run taken over, and only its owner (and the
bureau) seeing it."""

from __future__ import annotations

import datetime as dt
import io
import signal
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from tests.jobs.conftest import HEADERS, KIND, gate, rows, start, upload
from totalquota.audit.models import AuditEvent
from totalquota.common.models import DocumentCounter
from totalquota.jobs import runner, services
from totalquota.jobs.models import Job, JobStatus
from totalquota.lib.errors import Conflict, Forbidden, ValidationFailed

TASK_PATH = "totalquota.jobs.tasks.run_job"


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def run_worker() -> None:
    """``manage.py db_worker --batch``: run the queued tasks, then stop."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", batch=True, reload=False, startup_delay=False, stdout=StringIO())
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)


def downloaded(response) -> io.BytesIO:
    return io.BytesIO(b"".join(response.streaming_content))


def fragment(client: Client, job: Job) -> str:
    response = client.get(reverse("jobs:progress", args=[job.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_job_is_queued_after_its_commit_and_the_worker_runs_it_once(world):
    job = start(world.company_user)
    assert DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").count() == 1
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempt == 1
    assert (job.progress_done, job.progress_total) == (10, 10)
    assert job.result == {"summary": "imported 10 rows", "counts": {"rows": 10}}
    assert DocumentCounter.objects.filter(kind__startswith="C").count() == 10
    assert DocumentCounter.objects.get(kind="C00003").last == 3_500_000  # 3.5 t/a in grams
    # A second task queued for the same job (a run again that raced the first) does nothing.
    services.enqueue(job.pk)
    run_worker()
    assert DocumentCounter.objects.filter(kind__startswith="C").count() == 10
    assert Job.objects.get(pk=job.pk).attempt == 1


@pytest.mark.django_db
def test_starting_keeps_the_file_under_its_digest_and_records_who_started_it(world):
    job = start(world.company_user)
    assert job.input_name == "counters.xlsx" and len(job.input_sha256) == 64
    assert job.input_file.name.endswith(job.input_sha256)
    assert (job.zone_id, job.enterprise_id, job.owner_id) == (
        world.zone_a.pk,
        world.company.pk,
        world.company_user.pk,
    )
    event = AuditEvent.objects.get(action="jobs.start")
    assert event.object_id == str(job.pk) and event.actor_id == world.company_user.pk


@pytest.mark.django_db
def test_a_refused_row_fails_the_job_with_every_error_and_writes_nothing(world):
    table = [*rows(3), ["C9", "二〇二五", "1.5"], ["", 2025, "-2"], ["C11", 2025, "0.0000001"]]
    job = start(world.company_user, table)
    assert runner.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert DocumentCounter.objects.count() == 0
    assert job.result["error_count"] == 4
    found = [(e["row"], e["column"]) for e in job.result["errors"]]
    assert found == [(5, "年度"), (6, "编号"), (6, "数量（t/a）"), (7, "数量（t/a）")]
    assert "未写入任何数据" in job.result["summary"] == job.message
    # The whole list is a download, and the page lists the errors with row and column.
    page = client_of(world.company_user).get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert 'id="job-errors"' in page and "精度过高" in page and "hx-trigger" not in page
    download = client_of(world.company_user).get(reverse("jobs:result", args=[job.pk]))
    assert download.status_code == 200
    sheet = load_workbook(downloaded(download), read_only=True).worksheets[0]
    listed = [r for r in sheet.iter_rows(values_only=True)]
    assert listed[0] == ("行", "列", "内容", "问题") and len(listed) == 5


@pytest.mark.django_db
def test_an_error_in_the_write_rolls_back_the_rows_already_written(world):
    job = start(world.company_user, fail_in_write=True)
    assert runner.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.message == "写入时发现重复的编号"
    assert DocumentCounter.objects.count() == 0


@pytest.mark.django_db
def test_a_bug_in_the_kind_fails_the_job_with_a_plain_message(world, caplog):
    job = start(world.company_user, crash=True)
    assert runner.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.result["internal"] is True
    assert "a bug in the kind" not in job.message and "a bug in the kind" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_the_progress_is_seen_while_the_job_runs_and_polling_stops_when_it_ends(world, monkeypatch):
    monkeypatch.setattr(runner, "PROGRESS_SECONDS", 0)  # every row written, so the test knows where it is
    job = start(world.company_user, pause_at=4)  # row 4 is the third data row

    def work() -> None:
        try:
            runner.run(job.pk)
        finally:
            connections.close_all()  # the worker thread's own connection

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        assert gate().reached.wait(20)
        client = client_of(world.company_user)
        html = fragment(client, job)
        assert 'hx-trigger="every 1s"' in html and 'data-status="running"' in html
        assert "已处理 3 / 10 行" in html and 'data-percent="30"' in html
        # The owner left and comes back: the list and the home page find the job.
        assert f'href="/jobs/{job.pk}/"' in client.get(reverse("jobs:list")).content.decode()
        assert "进行中的后台任务" in client.get(reverse("home")).content.decode()
        assert client.get(f"/api/v1/jobs/{job.pk}").json()["progress_done"] == 3
    finally:
        gate().release.set()
        worker.join(20)
    html = fragment(client_of(world.company_user), job)
    assert "hx-trigger" not in html and 'data-status="done"' in html and 'data-percent="100"' in html
    assert "imported 10 rows" in html


@pytest.mark.django_db
def test_a_job_whose_worker_stopped_is_run_again_and_the_stopped_run_writes_nothing_more(world):
    job = start(world.company_user)
    stopped = runner.JobContext(runner.claim(job.pk))  # a worker took it, then died
    assert stopped.attempt == 1
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=10))
    client = client_of(world.company_user)
    assert "job-rerun" in client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    response = client.post(reverse("jobs:rerun", args=[job.pk]))
    assert response.status_code == 302
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED
    assert AuditEvent.objects.filter(action="jobs.rerun", object_id=str(job.pk)).exists()
    with pytest.raises(runner.Superseded):
        stopped.progress(5, 10, force=True)  # the old run wakes: its lease is gone
    assert runner.run(job.pk) == "done"
    with pytest.raises(runner.Superseded):
        stopped.commit(lambda: DocumentCounter.objects.create(kind="late", year=2025))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempt == 2
    assert DocumentCounter.objects.count() == 10  # written once, by the second run


@pytest.mark.django_db
def test_a_job_that_is_alive_or_finished_is_not_run_again(world):
    job = start(world.company_user)
    with pytest.raises(Conflict):
        services.job_rerun(actor=world.company_user.principal, job=job)  # queued a moment ago
    runner.claim(job.pk)
    with pytest.raises(Conflict):
        services.job_rerun(actor=world.company_user.principal, job=job)  # running, heartbeat fresh
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, heartbeat_at=timezone.now() - dt.timedelta(days=1)
    )
    response = client_of(world.company_user).post(reverse("jobs:rerun", args=[job.pk]), follow=True)
    assert "不能重新运行" in response.content.decode()
    assert Job.objects.get(pk=job.pk).status == JobStatus.DONE


@pytest.mark.django_db
def test_a_job_queued_past_its_lease_may_be_queued_again(world, settings):
    settings.JOBS_LEASE_SECONDS = 60
    job = start(world.company_user)
    Job.objects.filter(pk=job.pk).update(queued_at=timezone.now() - dt.timedelta(minutes=2))
    services.job_rerun(actor=world.company_user.principal, job=Job.objects.get(pk=job.pk))
    assert runner.run(job.pk) == "done"


@pytest.mark.django_db
def test_another_persons_job_is_not_found_and_the_bureau_sees_every_job(world):
    job = start(world.company_user)
    runner.run(job.pk)
    urls = [reverse(f"jobs:{name}", args=[job.pk]) for name in ("detail", "progress", "input", "result")]
    for user in (world.other_company_user, world.officer, world.leader, world.third_party):
        client = client_of(user)
        assert [client.get(url).status_code for url in urls] == [404] * 4, user
        # A leader changes nothing: running a job again is refused before the job is looked for.
        assert client.post(reverse("jobs:rerun", args=[job.pk])).status_code == (
            403 if user == world.leader else 404
        )
        assert client.get(f"/api/v1/jobs/{job.pk}").status_code == 404
        assert f"/jobs/{job.pk}/" not in client.get(reverse("jobs:list")).content.decode()
    for user in (world.company_user, world.reviewer, world.admin):
        client = client_of(user)
        assert client.get(urls[0]).status_code == 200
        assert client.get(urls[2]).status_code == 200  # the uploaded file
        assert client.get(f"/api/v1/jobs/{job.pk}").json()["status"] == "done"


@pytest.mark.django_db
def test_the_api_gives_status_progress_and_row_errors(world):
    job = start(world.company_user, [["", 2025, "1"]])
    runner.run(job.pk)
    body = client_of(world.company_user).get(f"/api/v1/jobs/{job.pk}").json()
    assert body["status"] == "failed" and body["kind"] == KIND and body["stale"] is False
    assert (body["progress_done"], body["progress_total"]) == (1, 1)
    assert body["errors"] == [{"row": 2, "column": "编号", "value": "", "message": "编号不能为空"}]
    assert body["error_count"] == 1 and body["input_sha256"] == job.input_sha256


@pytest.mark.django_db
def test_starting_is_refused_before_anything_is_kept(world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def refused(exc_type, **kwargs):
        with pytest.raises(exc_type):
            services.job_start(actor=kwargs.pop("actor", world.company_user.principal), **kwargs)

    refused(ValidationFailed, kind="no.such.kind")
    refused(ValidationFailed, kind=KIND, upload=None)
    refused(ValidationFailed, kind=KIND, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 \x00\x01"))
    refused(ValidationFailed, kind=KIND, upload=SimpleUploadedFile("a.xlsx", b"PK\x03\x04 not a zip"))
    refused(Forbidden, kind=KIND, upload=upload(rows(1)), enterprise=world.other_company)
    refused(Forbidden, actor=world.officer.principal, kind=KIND, upload=upload(rows(1)), zone=world.zone_b)
    assert not Job.objects.exists() and not AuditEvent.objects.filter(action="jobs.start").exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


@pytest.mark.django_db
def test_a_csv_in_gb18030_is_read_like_a_workbook(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = ",".join(HEADERS) + "\r\n" + "C1,2025,1.25\r\n\r\nC2,2025,２．５\r\n"
    job = services.job_start(
        actor=world.officer.principal,
        kind=KIND,
        upload=SimpleUploadedFile("counters.csv", text.encode("gb18030"), content_type="text/csv"),
    )
    assert job.input_content_type == "text/csv" and job.zone_id == world.zone_a.pk
    assert runner.run(job.pk) == "done"
    assert dict(DocumentCounter.objects.filter(kind__startswith="C").values_list("kind", "last")) == {
        "C1": 1_250_000,
        "C2": 2_500_000,
    }
