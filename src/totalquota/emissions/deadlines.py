"""Deadlines of the emission total library (TOT-1, TOT-2): when a year's management list is fixed
and when a listed unit's report is due, with the bureau's extensions.

A deadline is a rule parameter (``list_deadline``, ``report_deadline`` per zone, both a month and
day of the year after the emission year; ``02-29`` means the last day of February, whatever the
year) moved to the next working day when it falls on a rest day. An extension
(:class:`~totalquota.emissions.models.DeadlineExtension`) is given as a date and is not moved: the
latest extension for the unit wins, else the latest for its zone, else the rule.

Reads only; the extension itself is written by
:func:`totalquota.emissions.services.listing.deadline_extend`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from totalquota.accounts.permissions import Principal, restrict
from totalquota.emissions.models import DeadlineExtension, DeadlineKind, EmissionReport, ListEntry
from totalquota.emissions.rules import LIST_DEADLINE, REMINDER_DAYS, REPORT_DEADLINE
from totalquota.registry.rules import rule_value
from totalquota.registry.selectors import deadline_on


def _working_day(day: dt.date) -> dt.date:
    """``day`` if it is a working day, else the next working day, by the working-day calendar
    (``registry.CalendarDay``: public holidays and the weekends worked in their place, as data)."""
    return deadline_on(day)


def month_day_in(year: int, month_day: str) -> dt.date:
    """``"MM-DD"`` in ``year``, a day past the month's end clamped to its last day (``02-29`` in a
    year that is not a leap year is 28 February)."""
    month, day = int(month_day[:2]), int(month_day[3:])
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Due:
    """A deadline as it stands for one unit or zone: ``on`` the day it falls due, ``rule_on`` the
    rule's day (moved to a working day), ``extension`` the extension that set ``on`` if any, and
    the rule parameter read (``rule``, its snapshot)."""

    on: dt.date
    rule_on: dt.date
    extension: DeadlineExtension | None
    rule: dict[str, Any]

    @property
    def extended(self) -> bool:
        return self.extension is not None


def _rule_day(key: str, year: int, zone: Any = None) -> tuple[dt.date, dict[str, Any]]:
    # The parameter in force at the start of the year the deadline falls in (year + 1).
    value = rule_value(key, dt.date(year + 1, 1, 1), zone=zone)
    return _working_day(month_day_in(year + 1, value.value)), value.snapshot()


def latest_extension(
    kind: str, year: int, *, enterprise: Any = None, zone: Any = None
) -> DeadlineExtension | None:
    """The latest extension of ``kind`` for ``year`` given to ``enterprise`` (or, without one, to
    ``zone``)."""
    qs = DeadlineExtension.objects.filter(kind=kind, year=year)
    qs = qs.filter(enterprise=enterprise) if enterprise is not None else qs.filter(zone=zone, enterprise=None)
    return qs.order_by("-granted_at", "-pk").first()


def list_due_detail(year: int, zone: Any = None) -> Due:
    """When the management list of emission year ``year`` is fixed (TOT-1), for ``zone`` (the
    latest extension for it) or park-wide."""
    rule_on, rule = _rule_day(LIST_DEADLINE.key, year)
    extension = latest_extension(DeadlineKind.LIST, year, zone=zone) if zone is not None else None
    return Due(extension.due_on if extension else rule_on, rule_on, extension, rule)


def list_due(year: int, zone: Any = None) -> dt.date:
    """The day the management list of ``year`` is fixed (the last day changes need no reason)."""
    return list_due_detail(year, zone).on


def report_due_detail(enterprise: Any, year: int, zone: Any = None) -> Due:
    """When ``enterprise`` must report its emissions of ``year`` (TOT-2): its own latest extension,
    else its zone's, else the zone's rule ``report_deadline`` moved to a working day. ``zone`` is
    the zone it is listed in (its current zone when not given)."""
    zone = zone if zone is not None else enterprise.zone
    rule_on, rule = _rule_day(REPORT_DEADLINE.key, year, zone)
    extension = latest_extension(DeadlineKind.REPORT, year, enterprise=enterprise) or latest_extension(
        DeadlineKind.REPORT, year, zone=zone
    )
    return Due(extension.due_on if extension else rule_on, rule_on, extension, rule)


def zone_report_due(year: int, zone: Any) -> dt.date:
    """The day reports of ``year`` are due in ``zone`` for units without an extension of their own."""
    rule_on, _rule = _rule_day(REPORT_DEADLINE.key, year, zone)
    extension = latest_extension(DeadlineKind.REPORT, year, zone=zone)
    return extension.due_on if extension else rule_on


def report_due(enterprise: Any, year: int, zone: Any = None) -> dt.date:
    """The day ``enterprise``'s report of ``year`` is due."""
    return report_due_detail(enterprise, year, zone).on


def reminder_days(year: int) -> int:
    """How many days before its due date a unit that has not reported is reminded (TOT-2)."""
    return int(rule_value(REMINDER_DAYS.key, dt.date(year + 1, 1, 1)).value)


class ReportDues:
    """The due dates of many units' reports of one year, read with a few queries: the rule per
    zone and the year's extensions once (for overdue lists and the reminder command)."""

    def __init__(self, year: int) -> None:
        self.year = year
        self._rule: dict[int, tuple[dt.date, dict[str, Any]]] = {}
        self._unit: dict[int, DeadlineExtension] = {}
        self._zone: dict[int, DeadlineExtension] = {}
        # Oldest first, so that the latest one of each unit or zone stays in the dict.
        for ext in DeadlineExtension.objects.filter(kind=DeadlineKind.REPORT, year=year).order_by(
            "granted_at", "pk"
        ):
            if ext.enterprise_id is not None:
                self._unit[ext.enterprise_id] = ext
            elif ext.zone_id is not None:
                self._zone[ext.zone_id] = ext

    def of(self, enterprise_id: int, zone: Any) -> Due:
        if zone.pk not in self._rule:
            self._rule[zone.pk] = _rule_day(REPORT_DEADLINE.key, self.year, zone)
        rule_on, rule = self._rule[zone.pk]
        extension = self._unit.get(enterprise_id) or self._zone.get(zone.pk)
        return Due(extension.due_on if extension else rule_on, rule_on, extension, rule)


# --- who has reported, who is late (TOT-2) -------------------------------------------------------
class ReportState(models.TextChoices):
    OVERDUE = "overdue", _("逾期未报")
    DUE_SOON = "due_soon", _("临近截止")
    PENDING = "pending", _("未到截止日")
    SUBMITTED = "submitted", _("已报送")


@dataclass(frozen=True)
class UnitDue:
    """A listed unit's report of a year as the overdue list shows it: its due date (and
    extension), its report if it opened one, and where it stands on ``today``."""

    entry: ListEntry
    due: Due
    report: EmissionReport | None
    state: str
    days_left: int

    @property
    def state_label(self) -> str:
        return str(ReportState(self.state).label)


def unit_dues(
    principal: Principal,
    year: int,
    *,
    today: dt.date | None = None,
    zone: Any = None,
    entries: QuerySet[ListEntry] | None = None,
) -> list[UnitDue]:
    """Every unit listed for ``year`` that ``principal`` sees (their own unit, their zone, or the
    park), with its due date and state on ``today``: reported once its report has been submitted
    (a returned report awaiting correction counts as reported), else overdue past its due date,
    due soon within the rule's ``report_reminder_days``, else pending."""
    today = today or timezone.localdate()
    qs = entries if entries is not None else ListEntry.objects.all()
    qs = restrict(principal, qs, "emissions.view").filter(year=year, listed=True)
    if zone is not None:
        qs = qs.filter(zone=zone)
    qs = qs.select_related("enterprise", "zone").order_by("zone__sort_order", "enterprise__name")
    reports = {
        r.enterprise_id: r for r in EmissionReport.objects.filter(year=year, entry__in=qs.values("pk"))
    }
    dues = ReportDues(year)
    window = reminder_days(year)
    rows = []
    for entry in qs:
        due = dues.of(entry.enterprise_id, entry.zone)
        report = reports.get(entry.enterprise_id)
        left = (due.on - today).days
        if report is not None and report.submitted_at is not None:
            state = ReportState.SUBMITTED
        elif left < 0:
            state = ReportState.OVERDUE
        elif left <= window:
            state = ReportState.DUE_SOON
        else:
            state = ReportState.PENDING
        rows.append(UnitDue(entry, due, report, state, left))
    return rows
