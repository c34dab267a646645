"""Reads on the registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from totalquota.accounts.permissions import Principal, in_zones
from totalquota.lib.errors import RuleViolation
from totalquota.registry.models import Pollutant, Zone
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
