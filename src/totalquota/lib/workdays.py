"""Working days (工作日) without Django: an ordinary Monday to Friday is a working day, a Saturday
or Sunday is not, except where ``exceptions`` (the calendar the bureau keeps, from the State
Council's yearly holiday notice) says otherwise: a public holiday on a weekday, or an adjusted
working day (调休上班) on a weekend.

``exceptions`` maps a date to whether it is a working day; only the exceptions need be in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

ONE_DAY = dt.timedelta(days=1)
# No real calendar has more than a few weeks off in a row; a longer search means the exceptions
# are wrong (every day marked off), and it stops rather than loop for ever.
MAX_DAYS_OFF = 366


def is_working_day(day: dt.date, exceptions: Mapping[dt.date, bool]) -> bool:
    """Whether ``day`` is a working day: its exception if it has one, else Monday to Friday."""
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def next_working_day(day: dt.date, exceptions: Mapping[dt.date, bool]) -> dt.date:
    """The first working day after ``day`` (never ``day`` itself)."""
    candidate = day
    for _ in range(MAX_DAYS_OFF):
        candidate += ONE_DAY
        if is_working_day(candidate, exceptions):
            return candidate
    raise ValueError(f"no working day within {MAX_DAYS_OFF} days after {day.isoformat()}")


def on_or_after(day: dt.date, exceptions: Mapping[dt.date, bool]) -> dt.date:
    """``day`` if it is a working day, else the next one (a deadline falling on a day off)."""
    return day if is_working_day(day, exceptions) else next_working_day(day, exceptions)


def add_working_days(day: dt.date, count: int, exceptions: Mapping[dt.date, bool]) -> dt.date:
    """The working day ``count`` working days after ``day`` (``count`` of 0: ``day`` itself if it
    is a working day, else the next one). ``count`` may not be negative."""
    if count < 0:
        raise ValueError("count must not be negative")
    result = on_or_after(day, exceptions) if count == 0 else day
    for _ in range(count):
        result = next_working_day(result, exceptions)
    return result
