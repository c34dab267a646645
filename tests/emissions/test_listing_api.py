"""The management list, deadlines and reminders through the API: what a caller gets, and refusals
that leave nothing written (4xx problem documents)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.emissions.conftest import YEAR, as_, listed
from tests.emissions.helpers_listing import AFTER_DEADLINE, clock_fixture, put_on_list  # noqa: F401
from totalquota.emissions.models import DeadlineExtension, ListChange, ListEntry, Reminder
from totalquota.emissions.services import listing


def api(user):
    client = Client()
    client.force_login(user)
    return client


def post(client, path, body):
    return client.post(f"/api/v1{path}", body, content_type="application/json")


def test_a_zone_officer_proposes_and_adds_units_of_their_zone(world, clock):
    officer = api(world.officer)
    preview = officer.get("/api/v1/emissions/list/candidates", {"year": YEAR})
    assert preview.status_code == 200
    assert [c["name"] for c in preview.json()["items"]] == [world.company.name]
    assert preview.json()["items"][0]["suggested_basis"] == "简化管理排污许可证"
    added = post(
        officer,
        "/emissions/list",
        {"year": YEAR, "enterprise_ids": [world.company.pk], "basis": "简化管理排污许可证"},
    )
    assert added.status_code == 201 and added.json()[0]["listed"] is True
    history = officer.get(f"/api/v1/emissions/list/{added.json()[0]['id']}/history").json()
    assert [(h["action"], h["actor"]) for h in history] == [("add", str(world.officer))]


def test_adding_another_zones_unit_is_refused_and_nothing_written(world, clock):
    response = post(
        api(world.officer),
        "/emissions/list",
        {"year": YEAR, "enterprise_ids": [world.company.pk, world.other_company.pk], "basis": "依据"},
    )
    assert response.status_code == 404  # the other zone's unit is not in the officer's scope
    assert response["Content-Type"] == "application/problem+json"
    assert not ListEntry.objects.exists() and not ListChange.objects.exists()


def test_a_removal_without_a_reason_is_refused(world, clock):
    entry = put_on_list(world)
    response = post(api(world.officer), f"/emissions/list/{entry.pk}/remove", {})
    assert response.status_code == 422 and response.json()["clause"] == "TOT-1"
    entry.refresh_from_db()
    assert entry.listed and entry.changes.count() == 1
    done = post(api(world.officer), f"/emissions/list/{entry.pk}/remove", {"reason": "停产"})
    assert (
        done.status_code == 200 and done.json()["listed"] is False and done.json()["removed_reason"] == "停产"
    )


def test_after_the_deadline_an_edit_without_a_reason_is_refused(world, clock):
    entry = put_on_list(world)
    clock(AFTER_DEADLINE)
    response = post(api(world.reviewer), f"/emissions/list/{entry.pk}/basis", {"basis": "新依据"})
    assert response.status_code == 422
    assert ListEntry.objects.get().basis == "重点管理排污许可证"
    ok = post(api(world.reviewer), f"/emissions/list/{entry.pk}/basis", {"basis": "新依据", "reason": "更正"})
    assert ok.status_code == 200
    assert ListChange.objects.filter(after_deadline=True).get().reason == "更正"


def test_a_zone_officer_cannot_touch_another_zones_entry(world, clock):
    entry = put_on_list(world, world.other_company)
    for path in ("remove", "restore", "basis"):
        response = post(
            api(world.officer), f"/emissions/list/{entry.pk}/{path}", {"reason": "x", "basis": "x"}
        )
        assert response.status_code == 404
    assert entry.changes.count() == 1


def test_a_zone_officer_cannot_remove_a_unit_with_a_report(world, clock):
    from totalquota.emissions.services.reports import report_create

    entry = put_on_list(world)
    report_create(actor=as_(world.company_user), enterprise=world.company, year=YEAR)
    response = post(api(world.officer), f"/emissions/list/{entry.pk}/remove", {"reason": "误列"})
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.listed


def test_enterprises_and_leaders_cannot_change_the_list(world, clock):
    entry = put_on_list(world)
    for user in (world.company_user, world.leader, world.third_party):
        assert post(api(user), f"/emissions/list/{entry.pk}/remove", {"reason": "x"}).status_code == 403
        assert (
            post(
                api(user),
                "/emissions/list",
                {"year": YEAR, "enterprise_ids": [world.other_company.pk], "basis": "x"},
            ).status_code
            == 403
        )
    assert ListEntry.objects.count() == 1 and ListChange.objects.count() == 1


def test_the_bureau_extends_a_units_deadline_and_the_overdue_list_shows_it(world, clock):
    listed(world)
    listed(world, world.other_company)
    extended = post(
        api(world.reviewer),
        "/emissions/deadlines/extensions",
        {
            "kind": "report",
            "year": YEAR,
            "uscc": world.company.uscc,
            "due_on": "2026-04-20",
            "reason": "系统故障",
        },
    )
    assert extended.status_code == 201 and extended.json()["enterprise_id"] == world.company.pk
    clock(dt.date(2026, 4, 2))
    rows = api(world.admin).get("/api/v1/emissions/overdue", {"year": YEAR, "state": "all"}).json()
    by_unit = {r["enterprise_name"]: r for r in rows}
    assert by_unit[world.company.name]["due_on"] == "2026-04-20"
    assert by_unit[world.company.name]["state"] == "pending"
    assert by_unit[world.company.name]["extension_reason"] == "系统故障"
    assert by_unit[world.other_company.name]["state"] == "overdue"
    assert [
        r["enterprise_name"] for r in api(world.admin).get("/api/v1/emissions/overdue", {"year": YEAR}).json()
    ] == [world.other_company.name]


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "report", "year": YEAR, "zone": "A", "due_on": "2026-03-30", "reason": "早于截止日"},
        {"kind": "report", "year": YEAR, "zone": "A", "due_on": "2026-04-30", "reason": ""},
        {"kind": "report", "year": YEAR, "zone": "NOPE", "due_on": "2026-04-30", "reason": "x"},
        {"kind": "report", "year": YEAR, "uscc": "91320594MA0000000X", "due_on": "2026-04-30", "reason": "x"},
        {"kind": "report", "year": 1999, "zone": "A", "due_on": "2026-04-30", "reason": "x"},
    ],
)
def test_a_bad_extension_is_a_422_and_nothing_written(world, clock, body):
    response = post(api(world.admin), "/emissions/deadlines/extensions", body)
    assert response.status_code == 422, response.content
    assert not DeadlineExtension.objects.exists()


def test_a_zone_officer_cannot_extend(world, clock):
    body = {"kind": "report", "year": YEAR, "zone": "A", "due_on": "2026-04-30", "reason": "x"}
    assert post(api(world.officer), "/emissions/deadlines/extensions", body).status_code == 403
    assert not DeadlineExtension.objects.exists()


def test_reminders_through_the_api(world, clock):
    entry = listed(world)
    other = listed(world, world.other_company)
    refused = post(
        api(world.officer),
        "/emissions/reminders",
        {"year": YEAR, "entry_ids": [entry.pk, other.pk], "message": "请报送"},
    )
    assert refused.status_code == 404 and not Reminder.objects.exists()
    sent = post(
        api(world.officer),
        "/emissions/reminders",
        {"year": YEAR, "entry_ids": [entry.pk], "message": "请报送"},
    )
    assert sent.status_code == 201 and sent.json()[0]["sent_by"] == str(world.officer)
    mine = api(world.company_user)
    assert [r["message"] for r in mine.get("/api/v1/emissions/reminders/mine", {"unread": True}).json()] == [
        "请报送"
    ]
    assert api(world.other_company_user).get("/api/v1/emissions/reminders/mine").json() == []
    assert mine.post("/api/v1/emissions/reminders/mine/read").json() == {"read": 1}
    assert mine.get("/api/v1/emissions/reminders/mine", {"unread": True}).json() == []


def test_the_list_filters(world, clock):
    put_on_list(world, world.company, world.other_company)
    listing.list_remove(
        actor=as_(world.admin), entry=ListEntry.objects.get(enterprise=world.other_company), reason="关闭"
    )
    client = api(world.leader)

    def names(**q):
        return [e["enterprise_name"] for e in client.get("/api/v1/emissions/list", q).json()["items"]]

    assert names(year=YEAR, listed=True) == [world.company.name]
    assert names(zone="B") == [world.other_company.name]
    assert names(q=world.company.uscc) == [world.company.name]
    assert names(year=YEAR + 1) == []
