"""What the management-list and deadline tests share: the clock, and a unit put on the list
through the service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.emissions.conftest import YEAR, as_
from totalquota.emissions.services import listing

BEFORE_DEADLINE = dt.date(2026, 1, 15)  # the 2025 list is fixed by the end of February 2026
AFTER_DEADLINE = dt.date(2026, 3, 16)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture(name="clock")
def clock_fixture(monkeypatch):
    """Sets the platform's clock (services, ``auto_now`` fields and ``localdate`` follow it)."""

    def set_to(day: dt.date, hour: int = 10) -> None:
        moment = at(day, hour)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    set_to(BEFORE_DEADLINE)
    return set_to


def put_on_list(world, *units, by=None, year=YEAR, basis="重点管理排污许可证", reason=""):
    entries = listing.list_add(
        actor=as_(by or world.admin),
        year=year,
        enterprises=list(units) or [world.company],
        basis=basis,
        reason=reason,
    )
    return entries[0] if len(entries) == 1 else entries
