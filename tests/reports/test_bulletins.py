"""Bulletins that can be verified (RED-5, RES-3, SUP-4): figures checked against the ledger,
regeneration as known at issue, re-issue with today's knowledge, the files (PDF text and pages,
XLSX with its chart), verification of a genuine and a tampered copy, the public page, refusals
and the background job's progress."""

from __future__ import annotations

import datetime as dt
import io
import subprocess

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.reductions.conftest import at, ready_project
from tests.reports.conftest import T, allocate_back_dated
from totalquota.documents.models import DocumentState, IssuedDocument
from totalquota.documents.responses import verify_url
from totalquota.documents.services import document_files
from totalquota.jobs import runner
from totalquota.jobs.models import Job, JobStatus
from totalquota.ledger.models import AccountKind, Phase, Transfer
from totalquota.reductions import services as reductions
from totalquota.registry.models import Zone
from totalquota.reports import bulletins
from totalquota.reports.bulletins_services import bulletin_issue
from totalquota.reports.models import BulletinKind as K
from totalquota.reports.models import BulletinSeries

pytestmark = pytest.mark.django_db
YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
POSTED = (Phase.POSTED, Phase.POST_PENDING)


def series(kind, zone=None, period=YEAR):
    return BulletinSeries(kind=kind, zone=zone, start=period[0], end=period[1])


def figures_now(world, kind, zone=None, period=YEAR):
    return bulletins.bulletin_figures(
        series(kind, zone, period), known_at=bulletins.known_at_for(), user=world.reviewer
    )


def issue(world, kind, zone=None, period=YEAR):
    figures = figures_now(world, kind, zone, period)
    return bulletin_issue(
        actor=world.reviewer.principal, kind=kind, start=period[0], end=period[1], zone=zone, figures=figures
    )


def table(figures, key):
    return next(t for t in figures["tables"] if t["key"] == key)


def grams(cell):
    return None if cell is None else cell["g"]


def ledger_reserve(zone, end):
    """A zone's lots at ``end``, summed straight from the transfers (not through the selectors)."""
    base = Transfer.objects.filter(phase__in=POSTED, effective_date__lte=end)
    into = (
        base.filter(credit__kind=AccountKind.LOT, credit__zone=zone).aggregate(s=Sum("amount_grams"))["s"]
        or 0
    )
    out = (
        base.filter(debit__kind=AccountKind.LOT, debit__zone=zone).aggregate(s=Sum("amount_grams"))["s"] or 0
    )
    return into - out


def ledger_allocated(enterprise, start, end):
    base = Transfer.objects.filter(phase__in=POSTED, effective_date__gte=start, effective_date__lte=end)
    return base.filter(credit__holder_enterprise=enterprise).aggregate(s=Sum("amount_grams"))["s"] or 0


# --- figures against the ledger ------------------------------------------------------------------
def test_the_supervision_report_states_each_zones_reserve_and_each_units_quota_used(world, history):
    f = figures_now(world, K.SUPERVISION)
    zones = {(r[0], r[1]): r for r in table(f, "zones")["rows"]}
    a = zones[(world.zone_a.name, "挥发性有机物")]
    assert grams(a[5]) == ledger_reserve(world.zone_a, YEAR[1]) == 7 * T
    assert grams(a[6]) == ledger_allocated(world.company, *YEAR) == 3 * T
    b = zones[(world.zone_b.name, "挥发性有机物")]
    assert grams(b[5]) == ledger_reserve(world.zone_b, YEAR[1]) == 4 * T
    units = table(f, "units")["rows"]
    assert [(r[1], r[3], grams(r[7])) for r in units] == [(world.company.name, "挥发性有机物", 3 * T)]
    assert f["basis"]["as_of"] == "2025-12-31" and f["basis"]["period"] == ["2025-01-01", "2025-12-31"]
    assert len(f["basis"]["ledger_digest"]) == 64
    assert dt.datetime.fromisoformat(f["basis"]["known_at"]).utcoffset() is not None


def test_the_warning_bulletin_states_balance_income_and_spending_from_the_ledger(world, history):
    f = figures_now(world, K.WARNING, zone=world.zone_a)
    (row,) = [r for r in table(f, "warnings")["rows"] if r[1] == "挥发性有机物"]
    assert grams(row[3]) == ledger_reserve(world.zone_a, YEAR[1])
    spent = Transfer.objects.filter(
        phase__in=POSTED, debit__kind=AccountKind.LOT, debit__zone=world.zone_a, effective_date__year=2025
    ).aggregate(s=Sum("amount_grams"))["s"]
    assert grams(row[6]) == spent == 3 * T
    assert grams(row[5]) == 10 * T  # the opening lot of 2025
    assert f["scope"] == world.zone_a.name
    # The forecast (RES-3): what is left after pending demand at the drawdown of the last whole
    # quarters before the period's end, from the ledger.
    from totalquota.reserve.selectors import drawdown_quarters, drawdown_window

    quarters = drawdown_quarters(YEAR[1])
    first, last = drawdown_window(YEAR[1], quarters)
    drawn = Transfer.objects.filter(
        phase__in=POSTED,
        debit__kind=AccountKind.LOT,
        debit__zone=world.zone_a,
        effective_date__range=(first, last),
    ).aggregate(s=Sum("amount_grams"))["s"]
    per_month = drawn // (3 * quarters)
    assert grams(row[7]) == per_month
    left = grams(row[3]) - grams(row[4])
    assert row[8] == f"{left * 10 // per_month // 10}.{left * 10 // per_month % 10}"
    assert table(f, "warnings")["headers"][8:10] == ["可覆盖月数", "预计耗尽日期"]


def test_the_reduction_bulletin_counts_the_approved_project_of_the_zone(world, clock):
    clock(at("2026-02-27"))
    project = ready_project(
        world,
        dt.date(2026, 2, 27),
        start_date=dt.date(2025, 6, 1),
        completion_date=dt.date(2025, 12, 1),
        acceptance_date=dt.date(2025, 12, 20),
    )
    reductions.project_submit(actor=world.officer.principal, project=project)
    clock(at("2026-03-10"))
    reductions.project_approve(actor=world.reviewer.principal, project=project)
    clock(at("2026-04-01"))
    f = figures_now(world, K.REDUCTION, zone=world.zone_a, period=(dt.date(2026, 1, 1), dt.date(2026, 3, 31)))
    line = project.lines.get()
    (row,) = table(f, "summary")["rows"]
    assert row[1] == line.pollutant.name and row[3] == 1
    assert grams(row[4]) == grams(row[5]) == line.reduction_grams
    assert [p[2] for p in table(f, "projects")["rows"]] == [project.name]


# --- as known at issue, and with today's knowledge ------------------------------------------------
def test_regenerating_as_known_at_issue_gives_the_same_figures_and_a_reissue_supersedes(
    world, history, clock
):
    v1 = issue(world, K.SUPERVISION)
    assert v1.version == 1 and v1.state == DocumentState.VALID
    clock(at("2026-06-02"))
    allocate_back_dated(world, history, 2 * T, "late-1")  # effective in 2025, recorded after the issue
    clock(at("2026-06-02", 11))  # past the safety margin: today's knowledge includes it
    check = bulletins.verify_bulletin(IssuedDocument.objects.get(pk=v1.pk))
    assert check.matches and check.recomputed_digest == v1.figures["basis"]["ledger_digest"]
    today = figures_now(world, K.SUPERVISION)
    assert today["basis"]["ledger_digest"] != v1.figures["basis"]["ledger_digest"]
    assert (
        grams(table(today, "units")["rows"][0][7]) == 5 * T != grams(table(v1.figures, "units")["rows"][0][7])
    )
    v2 = bulletin_issue(
        actor=world.reviewer.principal,
        kind=K.SUPERVISION,
        start=YEAR[0],
        end=YEAR[1],
        zone=None,
        figures=today,
    )
    v1.refresh_from_db()
    assert (v2.version, v1.state, v1.superseded_by_id) == (2, DocumentState.SUPERSEDED, v2.pk)
    assert v2.subject_id == v1.subject_id and v2.code != v1.code
    # the old version still reproduces exactly what it stated
    assert bulletins.verify_bulletin(v1).matches


def test_issuing_a_bulletin_records_an_outbox_event_naming_it_and_the_version_it_replaces(
    world, history, clock
):
    from totalquota.outbox.models import OutboxEvent

    v1 = issue(world, K.SUPERVISION)
    clock(at("2026-06-02"))
    allocate_back_dated(world, history, 2 * T, "late-1")
    clock(at("2026-06-02", 11))
    v2 = issue(world, K.SUPERVISION)

    events = OutboxEvent.objects.filter(topic="reports.bulletin.issued").order_by("id")
    assert [
        (e.object_id, e.payload["code"], e.payload["version"], e.payload["supersedes"]) for e in events
    ] == [
        (str(v1.pk), v1.code, 1, None),
        (str(v2.pk), v2.code, 2, v1.code),
    ]
    assert events[0].payload["start"] == "2025-01-01" and events[0].payload["kind"] == K.SUPERVISION


def test_a_stated_figure_that_no_longer_matches_the_ledger_is_reported(world, history):
    doc = issue(world, K.WARNING, zone=world.zone_a)
    forged = IssuedDocument(
        subject_type=doc.subject_type,
        subject_id=doc.subject_id,
        issued_by=doc.issued_by,
        figures={**doc.figures, "basis": {**doc.figures["basis"], "ledger_digest": "0" * 64}},
    )
    check = bulletins.verify_bulletin(forged)
    assert not check.matches and not check.digest_match and check.differences == ["basis"]


def test_known_at_lies_a_safety_margin_before_the_computation_so_late_commits_cannot_change_it(
    world, history, clock
):
    clock(at("2026-06-03"))
    started = at("2026-06-03")
    assert bulletins.known_at_for(started) == started - dt.timedelta(minutes=5)
    # A transfer inserted two minutes before the computation (its transaction may still be open
    # when the bulletin reads) is after known_at: never counted, now or when drawn again.
    clock(started - dt.timedelta(minutes=2))
    allocate_back_dated(world, history, 1 * T, "in-flight")
    clock(started)
    f = bulletins.bulletin_figures(
        series(K.SUPERVISION), known_at=bulletins.known_at_for(started), user=world.reviewer
    )
    assert grams(table(f, "units")["rows"][0][7]) == 3 * T


def test_issuing_again_what_the_valid_version_states_is_refused(world, history):
    issue(world, K.WARNING, zone=world.zone_a)
    client = Client()
    client.force_login(world.reviewer)
    from totalquota.lib.errors import Conflict

    with pytest.raises(Conflict):
        issue(world, K.WARNING, zone=world.zone_a)
    assert IssuedDocument.objects.filter(kind="bulletin").count() == 1


# --- the job, its progress and the files ----------------------------------------------------------
def start_by_page(user, **data):
    client = Client()
    client.force_login(user)
    return client, client.post(reverse("reports:bulletin_issue"), data)


def test_the_bureau_starts_the_report_as_a_job_whose_bar_moves_per_zone_and_ends_with_the_files(
    world, history
):
    client, response = start_by_page(world.reviewer, kind="supervision", start="2025-01-01", end="2025-12-31")
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert runner.run(job.pk) == "done"
    job.refresh_from_db()
    zones = Zone.objects.filter(is_active=True).count()
    assert job.status == JobStatus.DONE and job.progress_total == zones + 1 == job.progress_done
    doc = IssuedDocument.objects.get(pk=job.result["document"])
    assert job.links == [{"label": "查看通报", "url": reverse("reports:bulletin_detail", args=[doc.pk])}]
    assert doc.is_stored and doc.xlsx_sha256
    page = client.get(reverse("jobs:detail", args=[job.pk]))
    assert reverse("reports:bulletin_detail", args=[doc.pk]) in page.content.decode()
    listed = client.get(reverse("reports:bulletin_list"), {"bulletin_kind": "supervision"}).content.decode()
    assert doc.code in listed
    detail = client.get(reverse("reports:bulletin_detail", args=[doc.pk])).content.decode()
    assert 'id="bulletin-chart-data"' in detail and doc.figures["basis"]["ledger_digest"] in detail


@pytest.fixture
def stored(world, history):
    doc = issue(world, K.SUPERVISION)
    return document_files(document=doc, verify_url=verify_url(doc.verification_code))


def test_the_pdf_has_the_chinese_headings_and_prints_as_a4_pages(stored, tmp_path):
    pdf = bytes(stored.pdf)
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    for heading in (
        "2025年度排污总量监管报告",
        "各功能区汇总",
        "各排污单位明细",
        "违法违规与信用记录",
        "验证码",
        stored.code,
    ):
        assert heading in text.replace(" ", "")
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape, points
    (tmp_path / "b.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(tmp_path / "b.pdf"), str(tmp_path / "page")], check=True
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == len(reader.pages) and pages[0].stat().st_size > 2000


def test_the_xlsx_holds_the_tables_and_a_native_chart_set_for_a4(stored):
    wb = load_workbook(io.BytesIO(bytes(stored.xlsx)))
    assert wb.sheetnames == ["各功能区汇总", "图表", "各排污单位明细", "违法违规与信用记录", "说明与验证"]
    zones = wb["各功能区汇总"]
    assert zones["A1"].value == stored.figures["title"] and [c.value for c in zones[3]][:4] == [
        "功能区",
        "污染物",
        "单位",
        "实际排放量",
    ]
    assert len(wb["图表"]._charts) == 1
    assert (
        str(zones.page_setup.paperSize) == zones.PAPERSIZE_A4 and zones.page_setup.orientation == "landscape"
    )
    info = {r[0].value: r[1].value for r in wb["说明与验证"].iter_rows()}
    assert info["台账摘要（SHA-256）"] == stored.figures["basis"]["ledger_digest"]


# --- verification of a copy, the public page -----------------------------------------------------
def test_the_verify_page_tells_a_genuine_copy_from_a_tampered_one(stored):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("documents:verify_code", args=[stored.verification_code])
    genuine = Client().post(url, {"file": SimpleUploadedFile("b.pdf", bytes(stored.pdf))})
    assert genuine.status_code == 200 and 'data-result="genuine"' in genuine.content.decode()
    # A bulletin names its issuer, not an emission unit.
    assert "发布单位" in genuine.content.decode() and "排污单位" not in genuine.content.decode()
    tampered_bytes = bytearray(stored.xlsx)
    tampered_bytes[len(tampered_bytes) // 2] ^= 0xFF
    tampered = Client().post(url, {"file": SimpleUploadedFile("b.xlsx", bytes(tampered_bytes))})
    assert tampered.status_code == 200 and 'data-result="altered"' in tampered.content.decode()


def test_the_public_page_lists_only_what_the_bureau_published(world, history):
    published = issue(world, K.WARNING, zone=world.zone_a)
    kept = issue(world, K.SUPERVISION)
    reviewer = Client()
    reviewer.force_login(world.reviewer)
    assert reviewer.post(reverse("reports:document_publish", args=[published.pk])).status_code == 302
    officer = Client()
    officer.force_login(world.officer)
    assert officer.post(reverse("reports:document_publish", args=[kept.pk])).status_code == 403
    page = Client().get(reverse("reports:public"))
    text = page.content.decode()
    assert page.status_code == 200
    assert published.code in text and kept.code not in text
    assert reverse("documents:verify_code", args=[published.verification_code]) in text
    published.refresh_from_db()
    assert published.published_by == world.reviewer
    from totalquota.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="documents.publish", object_id=str(published.pk)).exists()


# --- refusals ------------------------------------------------------------------------------------
def test_a_zone_officer_may_not_issue_and_nothing_is_saved(world, history):
    _, response = start_by_page(world.officer, kind="supervision", start="2025-01-01", end="2025-12-31")
    assert response.status_code == 403
    assert not Job.objects.exists() and not BulletinSeries.objects.exists()


@pytest.mark.parametrize(
    "start,end", [("2025-12-31", "2025-01-01"), ("2020-01-01", "2020-12-31"), ("2025-01-01", "2099-01-01")]
)
def test_a_bad_period_is_refused_with_422_and_nothing_is_saved(world, history, start, end):
    _, response = start_by_page(world.reviewer, kind="supervision", start=start, end=end)
    assert response.status_code == 422
    assert not Job.objects.exists() and not BulletinSeries.objects.exists()


def test_the_api_starts_a_job_with_202_and_serves_the_figures(world, history):
    client = Client()
    client.force_login(world.reviewer)
    bad = client.post(
        "/api/v1/supervision/bulletins",
        {"kind": "warning", "start": "2025-05-01", "end": "2025-01-01"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and not Job.objects.exists()
    ok = client.post(
        "/api/v1/supervision/bulletins",
        {"kind": "warning", "start": "2025-01-01", "end": "2025-12-31", "zone_id": world.zone_a.pk},
        content_type="application/json",
    )
    assert ok.status_code == 202
    assert runner.run(ok.json()["job_id"]) == "done"
    (row,) = client.get("/api/v1/supervision/bulletins").json()["items"]
    one = client.get(f"/api/v1/supervision/bulletins/{row['id']}").json()
    assert one["figures"]["basis"]["ledger_digest"] == row["ledger_digest"]
    pdf = client.get(f"/api/v1/supervision/bulletins/{row['id']}/files/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    officer_b = Client()
    officer_b.force_login(world.other_officer)
    assert officer_b.get(f"/api/v1/supervision/bulletins/{row['id']}").status_code == 404
    leader = Client()
    leader.force_login(world.leader)
    assert leader.get(reverse("reports:bulletin_detail", args=[row["id"]])).status_code == 200
    company = Client()
    company.force_login(world.company_user)
    assert company.get(reverse("reports:bulletin_detail", args=[row["id"]])).status_code == 403


def test_the_supervision_report_counts_findings_as_known_at_its_issue(world, history, clock):
    from totalquota.enforcement import services as enforcement

    def find(facts):
        return enforcement.finding_create(
            actor=world.officer.principal,
            source="inspection",
            facts=facts,
            enterprise=world.company,
            year=2025,
            inspection_date=dt.date(2026, 5, 20),
            inspectors="张三、李四",
        )

    find("未按要求落实总量控制措施")
    clock(at("2026-06-01", 13))
    v1 = issue(world, K.SUPERVISION)
    findings = table(v1.figures, "findings")["rows"]
    assert findings[0][:4] == [world.zone_a.name, world.company.name, world.company.uscc, 1]
    assert table(v1.figures, "units")["rows"][0][-1] == 1
    clock(at("2026-06-02"))
    find("台账记录与实际不符")
    clock(at("2026-06-02", 11))
    assert bulletins.verify_bulletin(v1).matches
    today = figures_now(world, K.SUPERVISION)
    assert table(today, "findings")["rows"][0][3] == 2


def test_the_ledger_digest_is_the_same_whether_the_database_or_python_computes_it(world, history):
    known_at = bulletins.known_at_for()
    allocate_back_dated(world, history, T, "more")  # recorded after known_at: in neither
    for zones in (None, [world.zone_a]):
        streamed = bulletins.ledger_digest(zones, YEAR[1], known_at, in_database=False)
        assert bulletins.ledger_digest(zones, YEAR[1], known_at) == streamed
    lines = "".join(
        f"{t.pk}|{t.phase}|{t.debit_id}|{t.credit_id}|{t.pollutant_id}|{t.amount_grams}|{t.effective_date}|"
        f"{t.pending_ref_id or ''}\n"
        for t in Transfer.objects.filter(created_at__lte=known_at).order_by("id")
    )
    import hashlib

    assert bulletins.ledger_digest(None, YEAR[1], known_at) == hashlib.sha256(lines.encode()).hexdigest()
