"""Reads on the registry: thresholds, zones, permit limits and the working-day calendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from totalquota.accounts.permissions import Principal, in_zones
from totalquota.lib import workdays
from totalquota.lib.errors import RuleViolation
from totalquota.registry.models import CalendarDay, Enterprise, PermitLimit, Pollutant, UnitVersion, Zone
from totalquota.registry.rules import FILING_THRESHOLD, RuleValue, rule_value


def filing_thresholds(on: dt.date | None = None) -> dict[int, RuleValue | None]:
    """The filing threshold (RES-2) of every pollutant on ``on`` (today by default), by pollutant id;
    ``None`` where no parameter is in force."""
    on = on or timezone.localdate()
    result: dict[int, RuleValue | None] = {}
    for pollutant in Pollutant.objects.all():
        try:
            result[pollutant.pk] = rule_value(FILING_THRESHOLD.key, on, pollutant=pollutant)
        except RuleViolation:
            result[pollutant.pk] = None
    return result


def active_zones(principal: Principal) -> QuerySet[Zone]:
    """The zones in use that ``principal`` sees (all of them park-wide, else their own)."""
    return in_zones(principal, Zone.objects.filter(is_active=True))


def with_filing_thresholds(pollutants: Iterable[Pollutant], on: dt.date | None = None) -> list[Pollutant]:
    """``pollutants`` as a list, each carrying ``filing_threshold``: its RES-2 threshold on ``on``
    (a :class:`RuleValue`), or ``None`` where no parameter is in force."""
    thresholds = filing_thresholds(on)
    rows = list(pollutants)
    for pollutant in rows:
        pollutant.filing_threshold = thresholds.get(pollutant.pk)  # type: ignore[attr-defined]
    return rows


def year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def permitted_for(enterprise: Enterprise, pollutant: Pollutant, year: int) -> PermitLimit | None:
    """The unit's permit limit of ``pollutant`` for ``year``: the one in force on 31 December of
    that year, else the latest that began before it (a permit that lapsed during the year still
    says what was permitted); ``None`` when the unit has none."""
    return (
        PermitLimit.objects.filter(enterprise=enterprise, pollutant=pollutant, valid_from__lte=year_end(year))
        .order_by("-valid_from")
        .first()
    )


def permitted_figures(enterprise: Enterprise, year: int) -> dict[int, PermitLimit]:
    """:func:`permitted_for` of every pollutant the unit has a limit of, by pollutant id, in one
    query. Limits never overlap, so the latest start on or before 31 December is the one in force
    whenever one is."""
    figures: dict[int, PermitLimit] = {}
    rows = (
        PermitLimit.objects.filter(enterprise=enterprise, valid_from__lte=year_end(year))
        .select_related("pollutant")
        .order_by("pollutant_id", "-valid_from")
    )
    for row in rows:
        figures.setdefault(row.pollutant_id, row)
    return figures


def permit_limits(enterprise: Enterprise) -> QuerySet[PermitLimit]:
    """Every limit of the unit, as its page lists them: by pollutant, the newest period first."""
    return (
        PermitLimit.objects.filter(enterprise=enterprise)
        .select_related("pollutant", "recorded_by")
        .order_by("pollutant__sort_order", "-valid_from")
    )


# Far beyond the longest run of days off (the Spring Festival's nine): a deadline's search for the
# next working day reads the calendar's exceptions of this many days.
CALENDAR_WINDOW = dt.timedelta(days=62)


def calendar_exceptions(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    """The calendar's exceptions from ``start`` to ``end`` inclusive: date -> is a working day."""
    return dict(CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "is_working_day"))


def is_working_day(day: dt.date) -> bool:
    return workdays.is_working_day(day, calendar_exceptions(day, day))


def deadline_on(day: dt.date) -> dt.date:
    """The deadline a rule puts on ``day``: the day itself if it is a working day, else the next
    working day (a deadline on 2024-10-01 falls on 2024-10-08)."""
    return workdays.on_or_after(day, calendar_exceptions(day, day + CALENDAR_WINDOW))


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The working day ``count`` working days after ``day``, by the calendar."""
    window = CALENDAR_WINDOW + dt.timedelta(days=2 * count)
    return workdays.add_working_days(day, count, calendar_exceptions(day, day + window))


# --- 单位沿革: a unit's versions ---------------------------------------------------------------------


def unit_versions(enterprise: Enterprise) -> QuerySet[UnitVersion]:
    """The unit's versions, oldest first, as its page lists them."""
    return (
        UnitVersion.objects.filter(enterprise=enterprise)
        .select_related("zone", "related", "recorded_by")
        .order_by("effective_on", "pk")
    )


def unit_name_on(enterprise: Enterprise, day: dt.date) -> str:
    """The unit's name as registered on ``day``: that of its latest version from ``day`` or
    earlier; before its first version the first version's, and without versions its current name."""
    rows = UnitVersion.objects.filter(enterprise=enterprise).order_by("-effective_on", "-pk")
    name = rows.filter(effective_on__lte=day).values_list("name", flat=True).first()
    if name is None:
        name = rows.order_by("effective_on", "pk").values_list("name", flat=True).first()
    return name if name is not None else enterprise.name


def unit_names_on(enterprise_ids: Iterable[int], day: dt.date) -> dict[int, str]:
    """:func:`unit_name_on` of many units in one query, by unit id (units without a version that
    old are left out: the caller keeps their current name)."""
    names: dict[int, str] = {}
    rows = (
        UnitVersion.objects.filter(enterprise_id__in=list(enterprise_ids), effective_on__lte=day)
        .order_by("enterprise_id", "-effective_on", "-pk")
        .values_list("enterprise_id", "name")
    )
    for enterprise_id, name in rows:
        names.setdefault(enterprise_id, name)
    return names


def merged_unit_ids(enterprise: Enterprise) -> list[int]:
    """The units merged into ``enterprise``, directly or through a unit merged into it, by id."""
    found: list[int] = []
    frontier = [enterprise.pk]
    while frontier:
        frontier = [
            pk
            for pk in Enterprise.objects.filter(merged_into_id__in=frontier)
            .order_by("pk")
            .values_list("pk", flat=True)
            if pk not in found and pk != enterprise.pk
        ]
        found.extend(frontier)
    return found
