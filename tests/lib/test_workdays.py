"""Working days without Django: weekdays work, weekends rest, the calendar's exceptions win."""

from __future__ import annotations

import datetime as dt

import pytest

from totalquota.lib.workdays import add_working_days, is_working_day, next_working_day, on_or_after

D = dt.date
# The 2024 National Day week as the notice has it: 1-7 October off, Sunday 29 September and
# Saturday 12 October worked.
NATIONAL_DAY_2024 = {D(2024, 10, d): False for d in (1, 2, 3, 4, 7)} | {
    D(2024, 9, 29): True,
    D(2024, 10, 12): True,
}


def test_an_ordinary_monday_is_a_working_day_and_a_saturday_is_not():
    assert is_working_day(D(2025, 3, 31), {})  # a Monday
    assert not is_working_day(D(2025, 3, 29), {})  # a Saturday


def test_a_holiday_on_a_weekday_is_not_a_working_day_and_an_adjusted_saturday_is():
    assert not is_working_day(D(2024, 10, 1), NATIONAL_DAY_2024)
    assert is_working_day(D(2024, 10, 12), NATIONAL_DAY_2024)


def test_the_next_working_day_after_a_friday_is_the_monday():
    assert next_working_day(D(2025, 3, 28), {}) == D(2025, 3, 31)


def test_a_deadline_on_the_first_of_october_2024_moves_past_the_holiday_week():
    assert on_or_after(D(2024, 10, 1), NATIONAL_DAY_2024) == D(2024, 10, 8)
    assert on_or_after(D(2024, 10, 8), NATIONAL_DAY_2024) == D(2024, 10, 8)


def test_working_days_are_counted_through_holidays_and_adjusted_weekends():
    # From Friday 27 September: Sunday 29 (worked), Monday 30, then Tuesday 8 October.
    assert add_working_days(D(2024, 9, 27), 1, NATIONAL_DAY_2024) == D(2024, 9, 29)
    assert add_working_days(D(2024, 9, 27), 3, NATIONAL_DAY_2024) == D(2024, 10, 8)
    assert add_working_days(D(2024, 10, 5), 0, NATIONAL_DAY_2024) == D(2024, 10, 8)


def test_a_negative_count_and_a_calendar_without_working_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(D(2024, 1, 1), -1, {})
    never = {D(2024, 1, 1) + dt.timedelta(days=n): False for n in range(400)}
    with pytest.raises(ValueError):
        next_working_day(D(2024, 1, 1), never)
