"""Reminders (TOT-2): the daily run reminds units due soon and overdue once a day, people remind
the units they choose, and a unit reads its reminders on its home page and reminder page."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from tests.emissions.conftest import YEAR, as_, listed
from tests.emissions.helpers_listing import clock_fixture  # noqa: F401
from tests.factories import EnterpriseFactory
from totalquota.emissions.models import EmissionReport, Reminder
from totalquota.emissions.services import listing
from totalquota.lib.errors import Forbidden, ValidationFailed
from totalquota.web.home import cards_for

D = dt.date


@pytest.fixture
def units(world):
    soon = EnterpriseFactory(zone=world.zone_a, name="甲区未报单位")
    for unit in (world.company, world.other_company, soon):
        listed(world, unit)
    EmissionReport.objects.create(
        year=YEAR,
        enterprise=world.company,
        zone=world.zone_a,
        entry=world.company.list_entries.get(),
        created_by=world.company_user,
        submitted_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    )
    return soon


def run(today):
    out = StringIO()
    call_command("emission_reminders", today=today, stdout=out)
    return out.getvalue()


def test_the_daily_run_reminds_units_due_soon_and_not_those_that_reported(world, units, clock):
    assert "0" in run(D(2026, 3, 20))  # eleven days before the deadline: nobody yet
    run(D(2026, 3, 25))
    reminded = Reminder.objects.values_list("enterprise__name", "kind", "due_on", "sent_by")
    assert sorted(reminded) == [
        ("甲区未报单位", "due_soon", D(2026, 3, 31), None),
        (world.other_company.name, "due_soon", D(2026, 3, 31), None),
    ]


def test_the_daily_run_is_idempotent_per_unit_and_day(world, units, clock):
    run(D(2026, 3, 25))
    run(D(2026, 3, 25))
    assert Reminder.objects.count() == 2
    run(D(2026, 4, 2))
    assert Reminder.objects.filter(sent_on=D(2026, 4, 2), kind="overdue").count() == 2
    assert Reminder.objects.count() == 4


def test_a_platform_reminder_reads_in_the_readers_language(world, units, clock):
    from totalquota.emissions.services.listing import reminder_text

    run(D(2026, 4, 2))
    reminder = Reminder.objects.filter(enterprise=units).get()
    assert "2026-03-31" in reminder.message and "尚未报送" in reminder.message
    with translation.override("en"):
        text = reminder_text(reminder)
    assert "2026-03-31" in text and "尚未" not in text


def test_a_zone_officer_reminds_units_of_their_zone_only(world, units, clock):
    entries = list(world.other_company.list_entries.all())
    with pytest.raises(Forbidden):
        listing.reminders_send(actor=as_(world.officer), year=YEAR, entries=entries, message="请报送")
    sent = listing.reminders_send(
        actor=as_(world.officer), year=YEAR, entries=units.list_entries.all(), message="请尽快报送"
    )
    assert [(r.sent_by, r.kind, r.message) for r in sent] == [(world.officer, "manual", "请尽快报送")]


def test_a_unit_that_reported_is_not_reminded_and_a_message_is_needed(world, units, clock):
    with pytest.raises(ValidationFailed):
        listing.reminders_send(
            actor=as_(world.admin), year=YEAR, entries=world.company.list_entries.all(), message="请报送"
        )
    with pytest.raises(ValidationFailed):
        listing.reminders_send(
            actor=as_(world.admin), year=YEAR, entries=units.list_entries.all(), message=" "
        )
    assert not Reminder.objects.exists()


def test_a_unit_sees_its_unread_reminders_and_next_due_date_on_its_home_page_until_it_opens_them(
    world, clock
):
    listed(world)
    clock(D(2026, 3, 25))
    run(D(2026, 3, 25))
    cards = {str(c.title): c for c in cards_for(as_(world.company_user))}
    assert cards["未读的催报提醒"].value == 1
    assert cards["2025 年度排放量申报截止日"].value == "2026-03-31"
    assert cards["2025 年度排放量申报截止日"].level == "warning"
    client = Client()
    client.force_login(world.company_user)
    page = client.get("/emissions/reminders/")
    assert page.status_code == 200 and "2026-03-31" in page.content.decode()
    assert not Reminder.objects.filter(read_at__isnull=True).exists()
    assert "未读的催报提醒" not in {str(c.title) for c in cards_for(as_(world.company_user))}


def test_zones_and_the_bureau_see_overdue_counts_per_zone(world, units, clock):
    clock(D(2026, 4, 2))
    bureau = {str(c.title): c for c in cards_for(as_(world.admin))}
    overdue = bureau["逾期未报排放量的名录单位"]
    assert overdue.value == 2 and world.zone_a.name in overdue.note and world.zone_b.name in overdue.note
    officer = {str(c.title): c for c in cards_for(as_(world.officer))}
    assert officer["逾期未报排放量的名录单位"].value == 1


def test_the_remind_button_of_the_overdue_page(world, units, clock):
    clock(D(2026, 4, 2))
    client = Client()
    client.force_login(world.officer)
    page = client.get("/emissions/overdue/", {"year": YEAR})
    assert page.status_code == 200 and units.name in page.content.decode()
    assert world.other_company.name not in page.content.decode()
    entry = units.list_entries.get()
    response = client.post(
        "/emissions/overdue/remind/", {"year": YEAR, "entry": [entry.pk], "message": "请报送"}
    )
    assert response.status_code == 302
    assert Reminder.objects.get().sent_by == world.officer
    # Another zone's unit: nothing is sent.
    other = world.other_company.list_entries.get()
    client.post("/emissions/overdue/remind/", {"year": YEAR, "entry": [other.pk], "message": "请报送"})
    assert Reminder.objects.count() == 1


def test_the_overdue_list_exports_with_heading_rows(world, units, clock):
    from tests.xlsx_helpers import read_xlsx

    clock(D(2026, 4, 2))
    client = Client()
    client.force_login(world.admin)
    response = client.get("/emissions/overdue/", {"year": YEAR, "export": "xlsx"})
    rows = read_xlsx(b"".join(response.streaming_content))
    assert rows[0][0] == "未按期申报的单位"
    assert rows[3][:3] == ("排放年度", "功能区", "排污单位")
    assert {r[2] for r in rows[4:]} == {"甲区未报单位", world.other_company.name}


def test_the_schedule_queues_one_daily_run(db, settings):
    from django_tasks_db.models import DBTaskResult

    from totalquota.emissions import tasks

    assert tasks.schedule() is True
    assert tasks.schedule() is True
    assert DBTaskResult.objects.filter(task_path=tasks.send_daily_reminders.module_path).count() == 1
