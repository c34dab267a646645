"""The per-zone bulletin (RED-5): figures, reproducibility for past periods, XLSX and a PDF whose
Chinese text can be read back."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from tests.reductions.conftest import at, ready_project
from tests.xlsx_helpers import export_name, read_export, response_bytes
from totalquota.reductions import services
from totalquota.reductions.bulletin import build_bulletin

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(world, clock):
    """A zone-A project (completed in 2025, declared before that year closed at the end of
    February) approved on 10 March 2026 (2.5 t/a VOCs), half of it sold on 1 May, the
    mark cancelled on 1 August; a zone-B project declared late, accepted and approved on 20 May
    (kg/a of lead)."""
    dates = {
        "start_date": dt.date(2025, 6, 1),
        "completion_date": dt.date(2025, 12, 1),
        "acceptance_date": dt.date(2025, 12, 20),
    }
    clock(at("2026-02-27"))
    a = ready_project(world, dt.date(2026, 2, 27), **dates)
    services.project_submit(actor=world.officer.principal, project=a)
    clock(at("2026-03-10"))
    services.project_approve(actor=world.reviewer.principal, project=a)
    clock(at("2026-05-01"))
    mark = services.usage_mark(
        actor=world.reviewer.principal,
        line=a.lines.get(),
        kind="sold",
        amount="1.25",
        reference="出让合同 7 号",
        used_on="2026-04-30",
    )
    b = ready_project(
        world,
        dt.date(2026, 5, 1),
        actor=world.other_officer.principal,
        enterprise=world.other_company,
        **dates,
    )
    from tests.reductions.conftest import pollutant

    services.line_set(
        actor=world.other_officer.principal,
        project=b,
        pollutant=pollutant("PB"),
        method="closure",
        inputs={"baseline": "3.2", "basis": "监测"},
    )
    services.project_submit(actor=world.other_officer.principal, project=b)
    clock(at("2026-05-20"))
    # Declared in May for a 2025 completion: late (2025 closed at the end of February), accepted.
    services.project_accept_late(
        actor=world.reviewer.principal, project=b, reason="关停证明 4 月方由主管部门出具"
    )
    services.project_approve(actor=world.reviewer.principal, project=b)
    clock(at("2026-08-01"))
    services.usage_cancel(actor=world.reviewer.principal, usage=mark, reason="合同解除")
    clock(at("2026-11-20"))
    return a, b


def zone_a(bulletin):
    return next(s for s in bulletin.zones if s.zone.code == "A")


def test_the_first_quarter_shows_the_project_and_nothing_used_yet(history, world):
    b = build_bulletin(principal=world.leader.principal, start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
    row = zone_a(b).rows[0]
    assert (row.pollutant.code, row.projects, row.period_grams, row.verified_grams, row.used_grams) == (
        "VOCS",
        1,
        2_500_000,
        2_500_000,
        0,
    )
    assert [p.name for p in zone_a(b).projects] == ["喷涂线油性漆改水性漆项目"]


def test_a_past_quarter_keeps_the_use_known_then_even_after_a_later_cancellation(history, world):
    b = build_bulletin(principal=world.leader.principal, start=dt.date(2026, 4, 1), end=dt.date(2026, 6, 30))
    row = zone_a(b).rows[0]
    assert (row.period_grams, row.verified_grams, row.used.get("sold"), row.unused_grams) == (
        0,
        2_500_000,
        1_250_000,
        1_250_000,
    )
    later = build_bulletin(
        principal=world.leader.principal, start=dt.date(2026, 7, 1), end=dt.date(2026, 9, 30)
    )
    assert zone_a(later).rows[0].used_grams == 0


def test_heavy_metals_are_reported_in_kilograms_and_totals_add_up_across_zones(history, world):
    b = build_bulletin(principal=world.leader.principal, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    zone_b = next(s for s in b.zones if s.zone.code == "B")
    lead = next(r for r in zone_b.rows if r.pollutant.code == "PB")
    assert lead.verified_grams == 3_200 and lead.fmt(lead.verified_grams) == "3.2"
    totals = {r.pollutant.code: r.verified_grams for r in b.totals}
    assert totals == {"VOCS": 5_000_000, "PB": 3_200}


def test_a_zone_officer_gets_the_bulletin_of_their_zone_only(history, world):
    b = build_bulletin(
        principal=world.officer.principal, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31)
    )
    assert [s.zone.code for s in b.zones] == ["A"]


def test_the_pdf_is_a4_with_the_chinese_title_period_figures_and_issuer(history, client, world):
    client.force_login(world.leader)
    response = client.get(
        reverse("reductions:bulletin"),
        {"zone": world.zone_a.pk, "start": "2026-01-01", "end": "2026-06-30", "format": "pdf"},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape, in points
    text = "".join(page.extract_text() for page in reader.pages)
    compact = text.replace(" ", "").replace("\n", "")
    for expected in (
        "苏州工业园区减排项目通报",
        "2026年01月01日至2026年06月30日",
        "高端制造与国际贸易区",
        "挥发性有机物",
        "喷涂线油性漆改水性漆项目",
        "苏州工业园区生态环境局",
    ):
        assert expected in compact, expected
    assert "2.5" in text and "1.25" in text


def test_the_xlsx_has_one_row_per_zone_and_pollutant_with_exact_figures(history, client, world):
    client.force_login(world.admin)
    response = client.get(
        reverse("reductions:bulletin"), {"start": "2026-01-01", "end": "2026-06-30", "format": "xlsx"}
    )
    rows = read_export(response_bytes(response))
    assert export_name(response).endswith("-2026年1月1日至2026年6月30日.xlsx")
    assert rows[0][:6] == ("功能区", "污染物", "单位", "本期入库项目数", "本期核定减排量", "累计核定减排量")
    by_key = {(r[0], r[1]): r for r in rows[1:]}
    voc = by_key[("高端制造与国际贸易区", "挥发性有机物")]
    assert (
        voc[2] == "t/a" and Decimal(str(voc[5])) == Decimal("2.5") and Decimal(str(voc[8])) == Decimal("1.25")
    )
    lead = by_key[("独墅湖科教创新区", "铅")]
    assert lead[2] == "kg/a" and Decimal(str(lead[5])) == Decimal("3.2")
    assert ("合计", "挥发性有机物") in by_key


def test_the_bulletin_page_refuses_a_zone_outside_ones_scope(history, client, world):
    client.force_login(world.officer)
    response = client.get(
        reverse("reductions:bulletin"), {"zone": world.zone_b.pk, "start": "2026-01-01", "end": "2026-06-30"}
    )
    assert response.status_code == 422
    response = client.get(reverse("reductions:bulletin"), {"start": "2026-01-01", "end": "2026-06-30"})
    assert "独墅湖科教创新区" not in response.content.decode().split('id="bulletin"')[1]
