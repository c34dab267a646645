"""Reads of the emission total library."""

from __future__ import annotations

from typing import Any

from django.db.models import F

from totalquota.emissions.models import (
    DeterminationLine,
    ReportLine,
    ReportVersion,
    VerifiedEmission,
)
from totalquota.registry.models import Enterprise, Pollutant


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
    state them for ``year`` (``registry.PermitLimit``, joined when the permit data land)."""
    return {}


def allowed_of(enterprise: Enterprise, year: int) -> dict[int, int]:
    """The unit's allowed emissions of ``year`` by pollutant id: what the determination of that
    year (issued the year before from the accepted reports) states."""
    return dict(
        DeterminationLine.objects.filter(
            determination__enterprise=enterprise, determination__year=year
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


def accepted_lines(*, year: int, enterprise: Enterprise | None = None) -> Any:
    """The lines of the accepted versions of the reports of ``year`` (the only figures anything is
    computed from)."""
    qs = ReportLine.objects.filter(
        version__report__year=year, version__report__accepted_version=F("version_id")
    )
    if enterprise is not None:
        qs = qs.filter(version__report__enterprise=enterprise)
    return qs.select_related("pollutant", "version__report")


AIR_INDICATORS = ("O3", "PM25", "PM10", "NO2", "SO2")
WATER_INDICATORS = ("WATER",)


def quality_attained(*, zone: Any, medium: str, year: int) -> tuple[bool | None, list[dict[str, Any]]]:
    """Whether the environmental quality of ``medium`` (``air`` or ``water``) was attained in
    ``year`` (TOT-3): not attained when any recorded indicator of the medium was not; ``None``
    when nothing is recorded. Returns the records used, for the derivation.

    Reads the park-wide assessments (``AttainmentStatus``) until they grow a zone."""
    from django.apps import apps

    model = apps.get_model("reserve", "AttainmentStatus")
    indicators = WATER_INDICATORS if medium == "water" else AIR_INDICATORS
    rows = list(model.objects.filter(year=year, indicator__in=indicators).order_by("indicator"))
    used = [
        {"indicator": r.indicator, "year": r.year, "attained": r.attained, "source": r.source, "zone": None}
        for r in rows
    ]
    if not rows:
        return None, used
    return all(r.attained for r in rows), used
