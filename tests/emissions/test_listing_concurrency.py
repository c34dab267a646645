"""On PostgreSQL, through the HTTP handler with real threads: a unit is listed once however many
people add it at the same moment, a removal and a restore of one entry queue one behind the
other, and parallel reminder runs send one reminder a unit and day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.emissions.conftest import YEAR, listed
from tests.thread_helpers import run_at_once
from totalquota.emissions.models import ListChange, ListEntry, Reminder
from totalquota.emissions.services import listing

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def api(user):
    client = Client()
    client.force_login(user)
    return client


def test_parallel_adds_of_one_unit_list_it_once(world):
    users = [world.admin, world.reviewer, world.officer, world.reviewer2]
    clients = [api(u) for u in users]
    body = {
        "year": YEAR,
        "enterprise_ids": [world.company.pk],
        "basis": "重点管理排污许可证",
        "reason": "并发",
    }

    def add(n):
        return clients[n].post("/api/v1/emissions/list", body, content_type="application/json").status_code

    statuses = run_at_once(add, len(clients))
    assert sorted(statuses) == [201, 409, 409, 409]
    assert ListEntry.objects.count() == 1 and ListChange.objects.count() == 1


def test_parallel_removals_of_one_entry_remove_it_once(world):
    entry = listed(world)
    clients = [api(u) for u in (world.admin, world.reviewer, world.officer)]

    def remove(n):
        return (
            clients[n]
            .post(
                f"/api/v1/emissions/list/{entry.pk}/remove",
                {"reason": f"关闭 {n}"},
                content_type="application/json",
            )
            .status_code
        )

    assert sorted(run_at_once(remove, len(clients))) == [200, 409, 409]
    assert ListChange.objects.filter(entry=entry, action="remove").count() == 1


def test_parallel_reminder_runs_send_one_reminder_a_unit(world):
    listed(world)
    listed(world, world.other_company)
    today = dt.date(2026, 4, 2)
    run_at_once(lambda n: listing.reminders_daily(today=today), 4)
    assert Reminder.objects.count() == 2
