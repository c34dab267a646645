"""Environmental quality assessments per zone (or the park), indicator and year: one record each,
read by the RES-2 balance ratio and by the emission total library (TOT-3), a zone without its own
record read through the park's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.reserve.conftest import T, line
from tests.xlsx_helpers import read_export, response_bytes
from totalquota.audit.models import AuditEvent
from totalquota.lib.errors import Conflict, ValidationFailed
from totalquota.registry.models import AttainmentStatus, Medium
from totalquota.reserve import selectors, services
from totalquota.reserve.decisions import decide_line

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 6, 1)  # a decision this year reads last year's (2025) assessment


def record(world, indicator, attained, *, year=2025, zone=None, source="2025 年环境质量状况公报"):
    return services.attainment_record(
        actor=world.admin.principal,
        year=year,
        indicator=indicator,
        attained=attained,
        source=source,
        zone=zone,
    )


def ratio(world, p, zone, code="VOCS"):
    decision = decide_line(zone=zone, pollutant=p[code], new_discharge_grams=T, on=ON)
    return (decision.ratio.numerator, decision.ratio.denominator), decision.snapshot["attainment"]


def test_the_ratio_reads_the_zones_own_record_before_the_parks(world, p):
    record(world, "O3", True)  # the park attained ozone
    record(world, "O3", False, zone=world.zone_a)  # zone A did not
    (value, used) = ratio(world, p, world.zone_a)
    assert value == (2, 1)
    assert used["assessed_for"] == "A" and used["attained"] is False


def test_a_zone_without_its_own_record_is_read_through_the_parks(world, p):
    record(world, "O3", False)
    record(world, "O3", True, zone=world.zone_a)
    (value, used) = ratio(world, p, world.zone_b)  # zone B has no record of its own
    assert value == (2, 1)
    assert used["assessed_for"] == "park" and used["year"] == 2025


def test_a_zones_older_record_does_not_hide_the_parks_newer_one(world, p):
    record(world, "O3", False, year=2023, zone=world.zone_a)
    record(world, "O3", True, year=2025)
    (value, used) = ratio(world, p, world.zone_a)
    assert value == (1, 1) and used["assessed_for"] == "park" and used["year"] == 2025


def test_with_no_record_at_all_the_general_ratio_applies_and_says_so(world, p):
    (value, used) = ratio(world, p, world.zone_a)
    assert value == (1, 1) and used["assessed_for"] is None and "尚未录入" in used["note"]


def test_an_application_in_a_non_attaining_zone_is_deducted_at_two_to_one(world, p, stock, draft):
    stock(world.zone_a, "VOCS", 5 * T)
    record(world, "O3", True)
    record(world, "O3", False, year=dt.date.today().year - 1, zone=world.zone_a)
    app = services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=2 * T, new=T)])
    )
    vocs = app.lines.get()
    assert (vocs.ratio_num, vocs.ratio_den) == (2, 1) and vocs.deduction_grams == 2 * T
    assert vocs.rule_snapshot["attainment"]["assessed_for"] == "A"


def test_the_library_reads_a_medium_as_not_attained_when_any_recorded_indicator_was_not(world):
    record(world, "PM25", True)
    record(world, "O3", True)
    record(world, "O3", False, zone=world.zone_a)
    attained, used = selectors.attainment_of(zone=world.zone_a, medium=Medium.AIR, year=2025)
    assert attained is False
    assert {(r.indicator, r.zone_id) for r in used} == {("PM25", None), ("O3", world.zone_a.pk)}
    attained, used = selectors.attainment_of(zone=world.zone_b, medium=Medium.AIR, year=2025)
    assert attained is True and all(r.zone_id is None for r in used)


def test_the_library_gets_none_for_a_medium_without_any_record(world):
    record(world, "O3", False)
    assert selectors.attainment_of(zone=world.zone_a, medium=Medium.WATER, year=2025) == (None, [])
    assert selectors.attainment_of(zone=None, medium=Medium.AIR, year=2024) == (None, [])


def test_the_park_reads_only_the_parks_records(world):
    record(world, "WATER", False, zone=world.zone_a)
    record(world, "WATER", True)
    attained, used = selectors.attainment_of(zone=None, medium=Medium.WATER, year=2025)
    assert attained is True and [r.zone_id for r in used] == [None]


def test_a_heavy_metal_going_to_air_or_water_is_assessed_by_both_media(world):
    record(world, "WATER", False, zone=world.zone_a)
    record(world, "O3", True, zone=world.zone_a)
    attained, used = selectors.attainment_of(zone=world.zone_a, medium=Medium.AIR_OR_WATER, year=2025)
    assert attained is False and len(used) == 2


def test_the_same_zone_indicator_and_year_is_recorded_once(world):
    record(world, "O3", False, zone=world.zone_a)
    with pytest.raises(Conflict, match="高端制造与国际贸易区该指标的达标状况已录入"):
        record(world, "O3", True, zone=world.zone_a)
    record(world, "O3", True, zone=world.zone_b)  # another zone: its own record
    record(world, "O3", True)  # and the park's
    with pytest.raises(Conflict, match="全园区该指标的达标状况已录入"):
        record(world, "O3", False)
    assert AttainmentStatus.objects.count() == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": " "}, "请注明依据"),
        ({"year": 2019}, "年度应在 2021"),
        ({"indicator": "CO"}, "指标应为"),
    ],
)
def test_a_refused_record_writes_nothing(world, change, message):
    data = {
        "year": 2025,
        "indicator": "O3",
        "attained": False,
        "source": "公报",
        "zone": world.zone_a,
    } | change
    with pytest.raises(ValidationFailed, match=message):
        services.attainment_record(actor=world.admin.principal, **data)
    assert not AttainmentStatus.objects.exists()
    assert not AuditEvent.objects.filter(action="reserve.attainment").exists()


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_reviewer_records_a_zones_assessment_on_the_form(world):
    form = {"year": "2025", "zone": world.zone_a.pk, "indicator": "WATER", "source": "2025 年断面考核结果"}
    response = _login(world.reviewer).post(reverse("reserve:attainment_create"), form)
    assert response.status_code == 302
    row = AttainmentStatus.objects.get()
    assert (row.zone, row.indicator, row.attained, row.recorded_by) == (
        world.zone_a,
        "WATER",
        False,
        world.reviewer,
    )
    again = _login(world.reviewer2).post(reverse("reserve:attainment_create"), form)
    assert again.status_code == 200 and "已录入" in again.content.decode()
    assert AttainmentStatus.objects.count() == 1


def test_a_zone_officer_may_not_record_an_assessment(world):
    form = {"year": "2025", "zone": world.zone_a.pk, "indicator": "O3", "source": "公报"}
    response = _login(world.officer).post(reverse("reserve:attainment_create"), form)
    assert response.status_code == 403 and not AttainmentStatus.objects.exists()


def test_the_list_filters_by_zone_or_park_searches_and_exports(world):
    record(world, "O3", False, zone=world.zone_a, source="高端制造区监测年报")
    record(world, "O3", True, zone=world.zone_b, source="独墅湖区监测年报")
    record(world, "PM25", True, source="园区环境质量公报")
    client = _login(world.leader)
    url = reverse("reserve:attainment_list")
    page = client.get(url, {"zone": world.zone_a.pk}).content.decode()
    assert "高端制造区监测年报" in page and "独墅湖区监测年报" not in page and "园区环境质量公报" not in page
    park = client.get(url, {"zone": "park"}).content.decode()
    assert "园区环境质量公报" in park and "监测年报" not in park
    found = client.get(url, {"q": "监测年报"}).content.decode()
    assert "高端制造区监测年报" in found and "独墅湖区监测年报" in found and "园区环境质量公报" not in found
    export = read_export(response_bytes(client.get(url, {"export": "xlsx", "zone": "park"})))
    assert [row[1] for row in export[1:]] == ["全园区"]
