"""Reads of the emission total library."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F

from totalquota.emissions.models import (
    DeterminationLine,
    DeterminationStatus,
    ReportLine,
    ReportVersion,
    VerifiedEmission,
)
from totalquota.registry.attainment import attainment_of
from totalquota.registry.models import Enterprise, Pollutant, Zone
from totalquota.registry.selectors import permitted_figures


def latest_verified(
    enterprise: Enterprise, pollutant: Pollutant, *, since_year: int
) -> VerifiedEmission | None:
    """The latest verified emission of ``pollutant`` by ``enterprise`` from ``since_year`` on."""
    return (
        VerifiedEmission.objects.filter(enterprise=enterprise, pollutant=pollutant, year__gte=since_year)
        .order_by("-year")
        .first()
    )


def latest_accepted_line(
    enterprise: Enterprise, pollutant: Pollutant, *, since_year: int
) -> ReportLine | None:
    """The line of ``pollutant`` in the accepted version of the unit's latest report of a year from
    ``since_year`` on that states an actual emission (外排环境量), with its version and report."""
    return (
        ReportLine.objects.filter(
            version__report__enterprise=enterprise,
            version__report__year__gte=since_year,
            version__report__accepted_version=F("version_id"),
            pollutant=pollutant,
            actual_grams__isnull=False,
        )
        .select_related("version__report", "pollutant")
        .order_by("-version__report__year")
        .first()
    )


def permitted_of(enterprise: Enterprise, year: int) -> dict[int, int]:
    """The unit's permitted yearly emissions (外排环境量, grams) by pollutant id, as its permit data
    state them for ``year`` (``registry.PermitLimit``: the limit in force on 31 December)."""
    return {pid: limit.permitted_grams for pid, limit in permitted_figures(enterprise, year).items()}


def allowed_of(enterprise: Enterprise, year: int) -> dict[int, int]:
    """The unit's allowed emissions of ``year`` by pollutant id: what the issued determination of
    that year (made the year before from the accepted reports) states."""
    return dict(
        DeterminationLine.objects.filter(
            determination__enterprise=enterprise,
            determination__year=year,
            determination__status=DeterminationStatus.ISSUED,  # a computed one was never told the unit
        ).values_list("pollutant_id", "allowed_grams")
    )


def prefill_of(enterprise: Enterprise, year: int, pollutant: Pollutant) -> dict[str, int | None]:
    """What the platform offers for one pollutant of the unit's report of ``year``."""
    return {
        "permitted_prefill_grams": permitted_of(enterprise, year).get(pollutant.pk),
        "allowed_prefill_grams": allowed_of(enterprise, year).get(pollutant.pk),
    }


def prefilled_lines(enterprise: Enterprise, year: int) -> list[dict[str, Any]]:
    """The lines a new report of ``year`` starts with: every pollutant the unit holds a permitted
    quantity or an allowance for, its permitted and allowed figures filled in (TOT-2)."""
    permitted = permitted_of(enterprise, year)
    allowed = allowed_of(enterprise, year)
    ids = set(permitted) | set(allowed)
    return [
        {
            "pollutant": p,
            "permitted_grams": permitted.get(p.pk),
            "permitted_prefill_grams": permitted.get(p.pk),
            "allowed_grams": allowed.get(p.pk),
            "allowed_prefill_grams": allowed.get(p.pk),
        }
        for p in Pollutant.objects.filter(pk__in=ids)
    ]


def lines_state(version: ReportVersion) -> list[dict[str, Any]]:
    """A version's lines as the audit event keeps them."""
    return [
        {
            "pollutant": code,
            "actual_grams": actual,
            "sewer_grams": sewer,
            "permitted_grams": permitted,
            "allowed_grams": allowed,
            "method": method,
        }
        for code, actual, sewer, permitted, allowed, method in version.lines.values_list(
            "pollutant__code", "actual_grams", "sewer_grams", "permitted_grams", "allowed_grams", "method"
        )
    ]


def accepted_lines(
    *, year: int, enterprise: Enterprise | None = None, known_at: dt.datetime | None = None
) -> Any:
    """The lines of the accepted versions of the reports of ``year`` (the only figures anything is
    computed from); with ``known_at``, of the reports accepted by then."""
    qs = ReportLine.objects.filter(
        version__report__year=year, version__report__accepted_version=F("version_id")
    )
    if known_at is not None:
        qs = qs.filter(version__report__accepted_at__lte=known_at)
    if enterprise is not None:
        qs = qs.filter(version__report__enterprise=enterprise)
    return qs.select_related("pollutant", "version__report")


def quality_attained(
    *, zone: Zone | None, medium: str, year: int
) -> tuple[bool | None, list[dict[str, Any]]]:
    """Whether the environmental quality of ``medium`` was attained in ``zone`` in ``year`` (TOT-3;
    ``registry.attainment.attainment_of``: the zone's record of each indicator, else the park's),
    with the records used as a derivation shows them."""
    attained, rows = attainment_of(zone=zone, medium=medium, year=year)
    used = [
        {
            "indicator": r.indicator,
            "year": r.year,
            "attained": r.attained,
            "source": r.source,
            "zone": r.zone.code if r.zone_id else None,
            "id": r.pk,
        }
        for r in rows
    ]
    return attained, used
