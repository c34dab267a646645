"""Parallel entries through the pages on PostgreSQL: overlapping permit limits of one unit and
pollutant, and zone assessments of one zone, indicator and year, are each recorded once, without
a 500."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.test import Client

from tests.thread_helpers import run_at_once
from totalquota.registry.models import AttainmentStatus, CalendarDay, PermitLimit, Pollutant

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
TIMEOUT = 120
WORKERS = 12


def _session(user: Any) -> tuple[Client, dict[str, str]]:
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(user)
    client.get("/")  # sets the CSRF cookie
    return client, {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def test_overlapping_permit_limits_entered_at_once_are_recorded_once(world):
    cod = Pollutant.objects.get(code="COD")
    browsers = [_session([world.admin, world.officer][n % 2]) for n in range(WORKERS)]
    url = f"/registry/enterprises/{world.company.pk}/permit-limits/new/"

    def enter(n: int) -> int:
        browser, csrf = browsers[n]
        # Every period overlaps every other: each starts in 2024 and none ends.
        form = {
            "pollutant": cod.pk,
            "permitted": "2",
            "valid_from": f"2024-01-{n + 1:02d}",
            "source": "许可证",
        }
        return browser.post(url, form, **csrf).status_code

    codes = Counter(run_at_once(enter, WORKERS, timeout=TIMEOUT))
    assert codes == {302: 1, 200: WORKERS - 1}, codes
    assert PermitLimit.objects.filter(enterprise=world.company, pollutant=cod).count() == 1


def test_a_zones_assessment_entered_at_once_is_recorded_once(world):
    browsers = [_session([world.reviewer, world.reviewer2][n % 2]) for n in range(WORKERS)]
    form = {"year": "2025", "zone": world.zone_a.pk, "indicator": "WATER", "source": "断面考核结果"}

    def enter(n: int) -> int:
        browser, csrf = browsers[n]
        return browser.post("/reserve/attainment/new/", form, **csrf).status_code

    codes = Counter(run_at_once(enter, WORKERS, timeout=TIMEOUT))
    assert codes == {302: 1, 200: WORKERS - 1}, codes
    assert AttainmentStatus.objects.filter(zone=world.zone_a, year=2025, indicator="WATER").count() == 1


def test_the_same_calendar_exception_added_at_once_is_added_once(world):
    browsers = [_session(world.admin) for _n in range(WORKERS)]
    form = {"date": "2027-10-01", "is_working_day": "0", "name": "国庆节"}

    def enter(n: int) -> int:
        browser, csrf = browsers[n]
        return browser.post("/registry/calendar/new/", form, **csrf).status_code

    codes = Counter(run_at_once(enter, WORKERS, timeout=TIMEOUT))
    assert codes == {302: 1, 200: WORKERS - 1}, codes
    assert CalendarDay.objects.filter(date="2027-10-01").count() == 1
