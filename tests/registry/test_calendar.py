"""The working-day calendar kept as data: the official holidays and adjusted working days seeded
for 2021-2026, deadlines that fall on a day off, and the administrator's page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from totalquota.audit.models import AuditEvent
from totalquota.lib.errors import Conflict, Forbidden, ValidationFailed
from totalquota.registry import selectors, services
from totalquota.registry.models import CalendarDay

pytestmark = pytest.mark.django_db
D = dt.date


def test_an_ordinary_monday_is_a_working_day():
    assert selectors.is_working_day(D(2025, 3, 31))
    assert selectors.deadline_on(D(2025, 3, 31)) == D(2025, 3, 31)


def test_a_deadline_falling_on_the_first_of_october_2024_moves_to_the_eighth():
    assert selectors.deadline_on(D(2024, 10, 1)) == D(2024, 10, 8)


def test_a_saturday_adjusted_working_day_is_a_working_day():
    assert selectors.is_working_day(D(2025, 10, 11))  # Saturday, worked for the National Day week
    assert selectors.is_working_day(D(2025, 9, 28))  # Sunday, likewise
    assert selectors.deadline_on(D(2025, 10, 11)) == D(2025, 10, 11)


def test_the_seeded_calendar_follows_the_notices_2021_to_2026():
    assert {d.year for d in CalendarDay.objects.values_list("date", flat=True)} >= set(range(2021, 2027))
    for day in [D(2025, 10, d) for d in (1, 2, 3, 6, 7, 8)]:
        assert not selectors.is_working_day(day), day
    assert selectors.deadline_on(D(2026, 2, 15)) == D(2026, 2, 24)  # the nine days of Spring Festival 2026
    assert selectors.is_working_day(D(2026, 2, 14)) and selectors.is_working_day(D(2026, 2, 28))
    assert selectors.deadline_on(D(2023, 9, 29)) == D(2023, 10, 7)  # a Saturday worked after the holiday
    # Only exceptions are stored: no weekend holiday and no working weekday.
    for row in CalendarDay.objects.all():
        assert row.is_working_day == (row.date.weekday() >= 5), row


def test_working_days_are_added_by_the_calendar():
    assert selectors.add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)


def test_the_administrator_adds_and_removes_an_exception_with_its_audit_events(world):
    admin = world.admin.principal
    row = services.calendar_day_set(actor=admin, date=D(2027, 10, 1), is_working_day=False, name="国庆节")
    assert selectors.deadline_on(D(2027, 10, 1)) == D(2027, 10, 4)
    services.calendar_day_delete(actor=admin, day=row)
    assert selectors.deadline_on(D(2027, 10, 1)) == D(2027, 10, 1)
    actions = list(
        AuditEvent.objects.filter(object_type="registry.calendarday")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["calendar.add", "calendar.delete"]


@pytest.mark.parametrize(
    ("date", "working", "name", "refusal"),
    [
        (D(2027, 3, 1), True, "调休上班", "本来就是工作日"),  # a Monday is a working day already
        (D(2027, 3, 6), False, "周六", "本来就不是工作日"),  # a Saturday is off already
        (D(2027, 3, 1), False, " ", "请填写名称"),
        (D(1989, 12, 29), False, "元旦", "应在"),
    ],
)
def test_an_exception_that_is_none_or_incomplete_is_refused_and_nothing_is_written(
    world, date, working, name, refusal
):
    before = CalendarDay.objects.count()
    with pytest.raises(ValidationFailed, match=refusal):
        services.calendar_day_set(actor=world.admin.principal, date=date, is_working_day=working, name=name)
    assert CalendarDay.objects.count() == before
    assert not AuditEvent.objects.filter(action="calendar.add").exists()


def test_a_day_already_in_the_calendar_is_a_conflict(world):
    with pytest.raises(Conflict, match="已在工作日历中"):
        services.calendar_day_set(
            actor=world.admin.principal, date=D(2024, 10, 1), is_working_day=False, name="国庆节"
        )


def test_only_an_administrator_keeps_the_calendar(world):
    with pytest.raises(Forbidden):
        services.calendar_day_set(
            actor=world.reviewer.principal, date=D(2027, 10, 1), is_working_day=False, name="国庆节"
        )
    response = _login(world.reviewer).get(reverse("registry:calendar_list"))
    assert response.status_code == 403


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_calendar_page_lists_a_year_and_adds_and_deletes(world):
    client = _login(world.admin)
    page = client.get(reverse("registry:calendar_list"), {"year": "2025"}).content.decode()
    assert "2025-10-08" in page and "2025-10-11" in page and "2024-10-01" not in page
    response = client.post(
        reverse("registry:calendar_create"), {"date": "2027-10-01", "is_working_day": "0", "name": "国庆节"}
    )
    assert response.status_code == 302
    row = CalendarDay.objects.get(date=D(2027, 10, 1))
    assert client.post(reverse("registry:calendar_delete", args=[row.pk])).status_code == 302
    assert not CalendarDay.objects.filter(date=D(2027, 10, 1)).exists()
    refused = client.post(
        reverse("registry:calendar_create"), {"date": "2027-03-01", "is_working_day": "1", "name": "x"}
    )
    assert refused.status_code == 200 and "本来就是工作日" in refused.content.decode()
