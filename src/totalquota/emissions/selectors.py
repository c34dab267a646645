"""Reads of the emission total library."""

from __future__ import annotations

from totalquota.emissions.models import VerifiedEmission
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
