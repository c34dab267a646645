"""Zones, permit limits and the working-day calendar through the API: the same services, scoping
and refusals as their pages, and a refusal writes nothing."""

from __future__ import annotations

import pytest

from tests.api_helpers import api
from tests.xlsx_helpers import xlsx_upload
from totalquota.audit.models import AuditEvent
from totalquota.registry import services
from totalquota.registry.models import CalendarDay, PermitLimit, Zone

pytestmark = pytest.mark.django_db
HEADERS = [h for h, _f in services.PERMIT_IMPORT_COLUMNS]


def test_an_administrator_creates_and_changes_a_zone(client, world):
    made = api(
        client, world.admin, "post", "/api/v1/zones", {"code": "d_1", "name": " 新区 ", "sort_order": 4}
    )
    assert made.status_code == 201, made.json()
    assert made.json() | {"id": 0} == {
        "id": 0,
        "code": "D_1",
        "name": "新区",
        "is_active": True,
        "sort_order": 4,
    }
    zone_id = made.json()["id"]
    changed = api(client, world.admin, "patch", f"/api/v1/zones/{zone_id}", {"name": "新兴产业区"})
    assert changed.status_code == 200 and changed.json()["name"] == "新兴产业区"
    assert changed.json()["code"] == "D_1" and changed.json()["sort_order"] == 4
    assert list(
        AuditEvent.objects.filter(object_id=str(zone_id)).order_by("id").values_list("action", flat=True)
    ) == [
        "zone.create",
        "zone.update",
    ]


def test_zone_refusals_write_nothing(client, world):
    before = (Zone.objects.count(), AuditEvent.objects.count())
    for bad in ({"code": "a b", "name": "x"}, {"code": "A", "name": "x"}, {"code": "Q", "name": ""}, {}):
        answer = api(client, world.admin, "post", "/api/v1/zones", bad)
        assert answer.status_code == 422, (bad, answer.json())
        assert answer["Content-Type"] == "application/problem+json"
    # A zone with a registered unit cannot be switched off.
    refused = api(client, world.admin, "patch", f"/api/v1/zones/{world.zone_a.pk}", {"is_active": False})
    assert refused.status_code == 422 and "在册排污单位" in refused.json()["detail"]
    for user in (world.reviewer, world.officer, world.leader, world.company_user):
        assert api(client, user, "post", "/api/v1/zones", {"code": "E", "name": "东区"}).status_code == 403
    assert (Zone.objects.count(), AuditEvent.objects.count()) == before
    world.zone_a.refresh_from_db()
    assert world.zone_a.is_active


def test_a_zone_officer_records_a_permit_limit_with_a_unit_and_reads_it_back(client, world):
    body = {
        "pollutant": "pb",
        "permitted": {"value": "0.0015", "unit": "t/a"},
        "valid_from": "2024-01-01",
        "source": "排污许可证（2024 年核发）",
    }
    made = api(client, world.officer, "post", f"/api/v1/enterprises/{world.company.pk}/permit-limits", body)
    assert made.status_code == 201, made.json()
    row = PermitLimit.objects.get()
    assert (row.permitted_grams, row.sewer_grams, row.recorded_by) == (1_500, None, world.officer)
    assert (
        made.json()["permitted"] == "1.5 kg/a" and made.json()["permit_number"] == world.company.permit_number
    )
    listed = api(client, world.reviewer, "get", "/api/v1/permit-limits?pollutant=PB").json()["items"]
    assert [(r["uscc"], r["permitted_grams"]) for r in listed] == [(world.company.uscc, 1_500)]
    # The officer of zone B does not see zone A's limits; the unit itself sees its own.
    assert api(client, world.other_officer, "get", "/api/v1/permit-limits").json()["items"] == []
    assert len(api(client, world.company_user, "get", "/api/v1/permit-limits").json()["items"]) == 1


def test_permit_limit_refusals_write_nothing(client, world):
    url = f"/api/v1/enterprises/{world.company.pk}/permit-limits"
    body = {"pollutant": "COD", "permitted": "2", "valid_from": "2024-01-01", "source": "许可证"}
    assert api(client, world.admin, "post", url, body).status_code == 201
    before = (PermitLimit.objects.count(), AuditEvent.objects.count())
    for bad in (
        {"permitted": 2},  # a JSON number
        {"permitted": "-1"},
        {"permitted": "abc"},
        {"pollutant": "XYZ"},
        {"valid_from": "2024-06-01"},  # overlaps the limit just recorded
        {"valid_from": "2025-01-01", "valid_to": "2024-01-01"},
        {"pollutant": "SO2", "sewer": "1"},  # a sewer quantity for an air pollutant
        {"source": ""},
    ):
        answer = api(client, world.admin, "post", url, body | bad)
        assert answer.status_code == 422, (bad, answer.json())
    other = f"/api/v1/enterprises/{world.other_company.pk}/permit-limits"
    assert api(client, world.officer, "post", other, body).status_code == 404
    for user in (world.reviewer, world.leader, world.company_user, world.third_party):
        assert api(client, user, "post", url, body | {"valid_from": "2030-01-01"}).status_code == 403
    assert (PermitLimit.objects.count(), AuditEvent.objects.count()) == before


def test_a_permit_limit_file_imports_whole_or_not_at_all(client, world):
    client.force_login(world.admin)
    good = [world.company.uscc, "化学需氧量", "2.5", "", "2024-01-01", "", "许可证"]
    bad = [world.other_company.uscc, "COD", "-1", "", "2024-01-01", "", "许可证"]
    refused = client.post("/api/v1/permit-limits/import", {"file": xlsx_upload(HEADERS, [good, bad])})
    assert refused.status_code == 422
    assert [e["row"] for e in refused.json()["errors"]] == [3]
    assert not PermitLimit.objects.exists()
    done = client.post("/api/v1/permit-limits/import", {"file": xlsx_upload(HEADERS, [good])})
    assert done.status_code == 200 and done.json() == {"recorded": 1}
    assert PermitLimit.objects.get().permitted_grams == 2_500_000


def test_the_calendar_is_kept_by_administrators(client, world):
    made = api(
        client,
        world.admin,
        "post",
        "/api/v1/calendar",
        {"date": "2031-10-01", "is_working_day": False, "name": "国庆节"},
    )
    assert made.status_code == 201, made.json()
    listed = api(client, world.admin, "get", "/api/v1/calendar?year=2031").json()["items"]
    assert [(d["date"], d["is_working_day"], d["name"]) for d in listed] == [("2031-10-01", False, "国庆节")]
    before = (CalendarDay.objects.count(), AuditEvent.objects.count())
    again = {"date": "2031-10-01", "is_working_day": False, "name": "重复"}
    assert api(client, world.admin, "post", "/api/v1/calendar", again).status_code == 409
    for bad in (
        {"date": "2031-10-06", "is_working_day": True, "name": "周一"},  # a Monday is already a working day
        {"date": "2031-10-02", "is_working_day": False, "name": ""},
        {"date": "3031-10-02", "is_working_day": False, "name": "太远"},
    ):
        assert api(client, world.admin, "post", "/api/v1/calendar", bad).status_code == 422, bad
    assert api(client, world.admin, "get", "/api/v1/calendar?year=99999999").status_code == 422
    for user in (world.reviewer, world.officer):
        assert (
            api(
                client,
                user,
                "post",
                "/api/v1/calendar",
                {"date": "2031-10-02", "is_working_day": False, "name": "x"},
            ).status_code
            == 403
        )
        assert api(client, user, "delete", f"/api/v1/calendar/{made.json()['id']}").status_code == 403
    assert (CalendarDay.objects.count(), AuditEvent.objects.count()) == before
    gone = api(client, world.admin, "delete", f"/api/v1/calendar/{made.json()['id']}")
    assert gone.status_code == 204 and not CalendarDay.objects.filter(pk=made.json()["id"]).exists()
    assert api(client, world.admin, "delete", f"/api/v1/calendar/{made.json()['id']}").status_code == 404
