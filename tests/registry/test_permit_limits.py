"""Permit limits (排污许可量): effective-dated per unit and pollutant without overlaps, read for a
year, shown on the unit's page, imported from a spreadsheet all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.xlsx_helpers import read_export, response_bytes, xlsx_upload
from totalquota.audit.models import AuditEvent
from totalquota.lib.errors import Forbidden, ValidationFailed
from totalquota.registry import selectors, services
from totalquota.registry.models import PermitLimit, Pollutant

pytestmark = pytest.mark.django_db
D = dt.date
T = 1_000_000
START = D(2023, 1, 1)
HEADERS = [h for h, _f in services.PERMIT_IMPORT_COLUMNS]


@pytest.fixture
def p(db):
    return {x.code: x for x in Pollutant.objects.all()}


def limit(world, p, code="COD", *, grams=2 * T, sewer=None, start=START, end=None, actor=None, unit=None):
    return services.permit_limit_record(
        actor=(actor or world.admin).principal,
        enterprise=unit or world.company,
        pollutant=p[code],
        permitted_grams=grams,
        sewer_grams=sewer,
        valid_from=start,
        valid_to=end,
        source="排污许可证（2023 年核发）",
    )


def test_a_limit_copies_the_units_permit_number_and_is_audited(world, p):
    row = limit(world, p, sewer=8 * T)
    assert row.permit_number == world.company.permit_number and row.recorded_by == world.admin
    assert AuditEvent.objects.filter(action="permit_limit.record", object_id=str(row.pk)).exists()


def test_the_limit_of_a_year_is_the_one_in_force_on_the_last_of_december(world, p):
    old = limit(world, p, grams=3 * T, start=D(2021, 1, 1), end=D(2024, 6, 30))
    new = limit(world, p, grams=2 * T, start=D(2024, 7, 1))
    assert selectors.permitted_for(world.company, p["COD"], 2023) == old
    assert selectors.permitted_for(world.company, p["COD"], 2024) == new
    assert selectors.permitted_for(world.company, p["COD"], 2020) is None
    assert selectors.permitted_for(world.company, p["VOCS"], 2024) is None


def test_a_lapsed_permit_still_says_what_was_permitted_that_year(world, p):
    lapsed = limit(world, p, start=D(2021, 1, 1), end=D(2025, 3, 31))
    assert selectors.permitted_for(world.company, p["COD"], 2025) == lapsed


def test_the_figures_of_a_year_hold_every_pollutant_once(world, p):
    limit(world, p, "COD", grams=3 * T, start=D(2021, 1, 1), end=D(2023, 12, 30))
    current = limit(world, p, "COD", grams=2 * T, start=D(2023, 12, 31))
    vocs = limit(world, p, "VOCS", grams=5 * T, start=D(2022, 5, 1))
    assert selectors.permitted_figures(world.company, 2023) == {p["COD"].pk: current, p["VOCS"].pk: vocs}
    assert selectors.permitted_figures(world.other_company, 2023) == {}


@pytest.mark.parametrize(
    ("start", "end"),
    [(D(2024, 1, 1), None), (D(2022, 1, 1), D(2023, 1, 1)), (D(2025, 12, 31), D(2026, 1, 1))],
)
def test_an_overlapping_period_is_refused_and_nothing_is_written(world, p, start, end):
    limit(world, p, start=D(2023, 1, 1), end=D(2025, 12, 31))
    with pytest.raises(ValidationFailed, match="重叠"):
        limit(world, p, start=start, end=end)
    assert PermitLimit.objects.count() == 1


def test_periods_that_touch_but_do_not_share_a_day_are_fine(world, p):
    limit(world, p, start=D(2023, 1, 1), end=D(2025, 12, 31))
    limit(world, p, start=D(2026, 1, 1))
    limit(world, p, "NH3N", start=D(2023, 1, 1))  # another pollutant has its own periods
    assert PermitLimit.objects.count() == 3


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"code": "VOCS", "sewer": T}, "没有接管量"),
        ({"grams": -1}, "不小于零"),
        ({"start": D(2024, 1, 1), "end": D(2023, 1, 1)}, "不能早于"),
        ({"start": D(1980, 1, 1)}, "应在"),
    ],
)
def test_a_wrong_limit_is_refused_and_nothing_is_written(world, p, change, refusal):
    with pytest.raises(ValidationFailed, match=refusal):
        limit(world, p, **change)
    assert not PermitLimit.objects.exists()
    assert not AuditEvent.objects.filter(action="permit_limit.record").exists()


def test_a_unit_without_a_permit_number_gets_no_limit(world, p):
    world.company.permit_number = ""
    world.company.save()
    with pytest.raises(ValidationFailed, match="未登记排污许可证编号"):
        limit(world, p)


def test_the_zone_officer_records_for_the_units_of_the_zone_only(world, p):
    limit(world, p, actor=world.officer)
    with pytest.raises(Forbidden):
        limit(world, p, actor=world.officer, unit=world.other_company)
    with pytest.raises(Forbidden):
        limit(world, p, actor=world.reviewer)
    assert PermitLimit.objects.count() == 1


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_units_page_shows_its_limits_and_the_officer_adds_one(world, p):
    limit(world, p, "PB", grams=1_500, start=D(2024, 1, 1))
    client = _login(world.officer)
    page = client.get(reverse("registry:enterprise_detail", args=[world.company.pk])).content.decode()
    assert "permit-limit-table" in page and "1.5" in page and "kg/a" in page
    assert reverse("registry:permit_limit_create", args=[world.company.pk]) in page
    response = client.post(
        reverse("registry:permit_limit_create", args=[world.company.pk]),
        {
            "pollutant": p["COD"].pk,
            "permitted": "２.５",
            "sewer": "10",
            "valid_from": "2024-01-01",
            "source": "排污许可证 2024 年变更",
        },
    )
    assert response.status_code == 302
    row = PermitLimit.objects.get(pollutant=p["COD"])
    assert (row.permitted_grams, row.sewer_grams) == (2_500_000, 10 * T)
    over = client.post(
        reverse("registry:permit_limit_create", args=[world.company.pk]),
        {"pollutant": p["COD"].pk, "permitted": "1.0000001", "valid_from": "2026-01-01", "source": "x"},
    )
    assert over.status_code == 200 and "精度过高" in over.content.decode()
    assert PermitLimit.objects.filter(pollutant=p["COD"]).count() == 1


def test_staff_of_the_unit_see_the_limits_without_the_add_button(world, p):
    limit(world, p)
    page = _login(world.company_user).get(reverse("registry:enterprise_detail", args=[world.company.pk]))
    assert "permit-limit-table" in page.content.decode()
    assert reverse("registry:permit_limit_create", args=[world.company.pk]) not in page.content.decode()


def _import(client, rows):
    return client.post(reverse("registry:permit_limit_import"), {"file": xlsx_upload(HEADERS, rows)})


def test_an_import_records_every_row_in_the_pollutants_units(world, p):
    code = world.company.uscc
    response = _import(
        _login(world.admin),
        [
            [code, "COD", "2.5", "12", "2024-01-01", None, "排污许可证"],
            [code, "铅", "0.75", None, dt.datetime(2024, 1, 1), "2028-12-31", "排污许可证"],
            [world.other_company.uscc, "挥发性有机物", 3, None, "2024/3/1", None, "排污许可证"],
        ],
    )
    assert response.status_code == 302
    figures = selectors.permitted_figures(world.company, 2024)
    assert figures[p["COD"].pk].permitted_grams == 2_500_000 and figures[p["COD"].pk].sewer_grams == 12 * T
    assert figures[p["PB"].pk].permitted_grams == 750  # kg/a
    assert selectors.permitted_for(world.other_company, p["VOCS"], 2024).valid_from == D(2024, 3, 1)


def test_an_import_with_any_bad_row_writes_nothing_and_names_row_and_column(world, p):
    limit(world, p, "NOX", start=D(2020, 1, 1))
    code = world.company.uscc
    response = _import(
        _login(world.admin),
        [
            [code, "COD", "2.5", None, "2024-01-01", None, "排污许可证"],
            [code, "COD", "2", None, "2025-01-01", None, "排污许可证"],  # overlaps row 2
            [code, "一氧化碳", "1", None, "2024-01-01", None, "排污许可证"],
            [code, "NOX", "1", None, "2024-01-01", None, "排污许可证"],  # overlaps the recorded one
            [code, "SO2", "-1", "1", "2024-01-01", None, ""],
            ["91320594MA1XXXXXX0", "COD", "1", None, "明年", None, "排污许可证"],
        ],
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "未写入任何数据" in page
    problems = {(p_["row"], p_["column"]) for p_ in response.context["problems"]}
    assert {
        (3, "有效期自"),
        (4, "污染物"),
        (5, "有效期自"),
        (6, "许可排放量（外排环境量）"),
        (6, "许可排放量（接管量）"),
        (6, "依据"),
        (7, "统一社会信用代码"),
        (7, "有效期自"),
    } <= problems
    assert PermitLimit.objects.count() == 1


def test_the_list_filters_by_zone_and_exports(world, p):
    limit(world, p, "COD")
    limit(world, p, "COD", unit=world.other_company)
    client = _login(world.reviewer)
    url = reverse("registry:permit_limit_list")
    page = client.get(url, {"zone": world.zone_b.pk}).content.decode()
    assert world.other_company.name in page and world.company.name not in page
    rows = read_export(response_bytes(client.get(url, {"export": "xlsx"})))
    assert len(rows) == 3 and rows[0][0] == "排污单位"
    assert _login(world.other_officer).get(url).context["paginator"].count == 1  # their zone only


def test_the_import_template_downloads_for_those_who_record(world):
    assert _login(world.officer).get(reverse("registry:permit_limit_template")).status_code == 200
    assert _login(world.leader).get(reverse("registry:permit_limit_template")).status_code == 403
