"""Reads of the environmental quality assessment (环境质量达标状况): one record per zone (or the
whole park), indicator and year, read by the RES-2 balance ratio and by the emission total
library's TOT-3 determination. A zone without its own record is read through the park's; nothing
is copied to the zones.
"""

from __future__ import annotations

from django.db.models import F, Q

from totalquota.registry.models import AttainmentStatus, Zone, indicators_of


def _zone_or_park(zone: Zone | None) -> Q:
    """The records that may assess ``zone``: its own and the park's (the park's only for ``None``)."""
    return Q(zone__isnull=True) if zone is None else Q(zone__isnull=True) | Q(zone=zone)


def latest_attainment(*, zone: Zone | None, indicator: str, before_year: int) -> AttainmentStatus | None:
    """The latest assessment of ``indicator`` before ``before_year`` for ``zone``: of the latest
    year that has one, the zone's own record, else the park's (``zone=None``: the park's only).

    A zone's older record does not hide the park's newer one: the year comes first."""
    rows = AttainmentStatus.objects.select_related("zone").filter(indicator=indicator, year__lt=before_year)
    return rows.filter(_zone_or_park(zone)).order_by("-year", F("zone").asc(nulls_last=True)).first()


def attainment_of(*, zone: Zone | None, medium: str, year: int) -> tuple[bool | None, list[AttainmentStatus]]:
    """Whether the assessment of ``year`` for ``medium`` (``registry.Medium``: air, water, or both
    for a pollutant going to either) was attained in ``zone`` (``None``: the whole park), and the
    records it rests on.

    Each indicator of the medium is read from the zone's record of that year, else the park's; the
    medium is not attained when any recorded indicator was not, attained when all recorded ones
    were, and ``None`` (no assessment) when there is no record at all."""
    wanted = indicators_of(medium)
    rows = AttainmentStatus.objects.select_related("zone").filter(year=year, indicator__in=wanted)
    park: dict[str, AttainmentStatus] = {}
    own: dict[str, AttainmentStatus] = {}
    for row in rows.filter(_zone_or_park(zone)):
        (park if row.zone_id is None else own)[row.indicator] = row
    used = [own.get(i) or park[i] for i in wanted if i in own or i in park]
    if not used:
        return None, []
    return all(row.attained for row in used), used
