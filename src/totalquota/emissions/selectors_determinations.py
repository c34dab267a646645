"""Reads of this year's allowed emissions (TOT-3) and of a unit's record per year.

The unit's record sets side by side, per emission year: its report (status, accepted figures), the
determination that applies to the next year, its flags, and its quota. Quota comes from two floors
this app may not import: the whole-plant permitted figures of the reserve's approved applications
(the reserve sits above this app and registers :func:`register_plant_quota` from its ``ready()``)
and the allocation accounts the unit holds in the ledger (below this app, read directly).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from totalquota.emissions.models import (
    ConsistencyFlag,
    Determination,
    DeterminationLine,
    DeterminationStatus,
    EmissionReport,
    FlagStatus,
)
from totalquota.emissions.rules import TOTAL_CONTROL
from totalquota.ledger import selectors as ledger
from totalquota.ledger.models import Account, AccountKind
from totalquota.lib.errors import RuleViolation
from totalquota.registry.models import Enterprise, Pollutant, Zone
from totalquota.registry.rules import rule_value

# --- quota from the reserve (registered by the app above) --------------------------------------
PlantQuota = Callable[[Enterprise, int], dict[int, int]]
PLANT_QUOTA_PROVIDERS: list[PlantQuota] = []


def register_plant_quota(func: PlantQuota) -> PlantQuota:
    """The reserve registers ``func(enterprise, year) -> {pollutant id: grams}``: the whole-plant
    permitted 外排环境量 of the unit's applications approved by the end of ``year``."""
    PLANT_QUOTA_PROVIDERS.append(func)
    return func


def plant_quota_of(enterprise: Enterprise, year: int) -> dict[int, int]:
    found: dict[int, int] = {}
    for provider in PLANT_QUOTA_PROVIDERS:
        found.update(provider(enterprise, year))
    return found


def held_quota_of(enterprise: Enterprise, year: int) -> dict[int, int]:
    """The quota the unit held at the end of ``year`` in its allocation accounts (建设项目指标), by
    pollutant id, as the ledger's transfers give it."""
    end = dt.date(year, 12, 31)
    held: dict[int, int] = defaultdict(int)
    for account in Account.objects.filter(holder_enterprise=enterprise, kind=AccountKind.ALLOCATION):
        held[account.pollutant_id] += ledger.account_balance_as_of(account, end)
    return {k: v for k, v in held.items() if v}


# --- the determinations of a zone and year -------------------------------------------------------
def run_determinations(zone: Zone, year: int) -> QuerySet[Determination]:
    return (
        Determination.objects.filter(zone=zone, year=year)
        .select_related("enterprise", "computed_by", "issued_by", "document")
        .prefetch_related("lines__pollutant")
        .order_by("enterprise__name", "pk")
    )


@dataclass
class ZoneTotal:
    """A pollutant's determined total in a zone against its total-control amount."""

    pollutant: Pollutant
    total_grams: int
    cap_grams: int | None
    cap_known: bool = True
    units: int = 0

    @property
    def over(self) -> bool:
        return self.cap_grams is not None and self.total_grams > self.cap_grams


def zone_totals(zone: Zone, year: int) -> list[ZoneTotal]:
    """Per pollutant: the allowed emissions of the zone's determinations of ``year`` together, and
    the total-control amount in force on 1 January of ``year`` (``cap_known`` false when the
    parameter is missing)."""
    rows = (
        DeterminationLine.objects.filter(determination__zone=zone, determination__year=year)
        .values("pollutant")
        .annotate(total=Sum("allowed_grams"), units=Count("determination"))
    )
    pollutants = Pollutant.objects.in_bulk([r["pollutant"] for r in rows])
    on = dt.date(year, 1, 1)
    out = []
    for r in rows:
        pollutant = pollutants[r["pollutant"]]
        try:
            cap = rule_value(TOTAL_CONTROL.key, on, pollutant=pollutant, zone=zone).value
            known = True
        except RuleViolation:
            cap, known = None, False
        out.append(ZoneTotal(pollutant, int(r["total"] or 0), cap, known, r["units"]))
    return sorted(out, key=lambda t: (t.pollutant.sort_order, t.pollutant.code))


def runs(determinations: QuerySet[Determination]) -> list[dict[str, Any]]:
    """The zone-year runs among ``determinations`` (already scoped), newest first, with counts."""
    rows = (
        determinations.values("zone", "zone__name", "year")
        .annotate(
            units=Count("pk"),
            issued=Count("pk", filter=Q(status=DeterminationStatus.ISSUED)),
            pending=Count(
                "lines", filter=Q(lines__override_by__isnull=False, lines__override_confirmed_by=None)
            ),
        )
        .order_by("-year", "zone__sort_order")
    )
    return [dict(r) for r in rows]


# --- the unit's record per year -------------------------------------------------------------------
@dataclass
class PollutantRow:
    pollutant: Pollutant
    reported: Any = None  # the accepted report line
    determined: Any = None  # the determination line of the next year
    plant_quota_grams: int | None = None
    held_grams: int | None = None


@dataclass
class YearRecord:
    """One emission year of a unit: the report, the determination of the year after, flags, quota."""

    year: int
    report: EmissionReport | None
    determination: Determination | None
    open_flags: int = 0
    resolved_flags: int = 0
    rows: list[PollutantRow] = field(default_factory=list)


def _row_of(rows: dict[int, PollutantRow], pollutant: Pollutant) -> PollutantRow:
    return rows.setdefault(pollutant.pk, PollutantRow(pollutant))


def unit_record(
    enterprise: Enterprise, *, reports: QuerySet, determinations: QuerySet, flags: QuerySet
) -> list[YearRecord]:
    """Per emission year (newest first), what the unit reported, what was determined for the year
    after, its flags and its quota. The querysets are already scoped to the person asking."""
    reports_by_year = {
        r.year: r
        for r in reports.filter(enterprise=enterprise).select_related("accepted_version", "current_version")
    }
    dets_by_year = {
        d.year - 1: d
        for d in determinations.filter(enterprise=enterprise)
        .select_related("document")
        .prefetch_related("lines__pollutant")
    }
    flag_counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in flags.filter(enterprise=enterprise).values("year", "status").annotate(n=Count("pk")):
        flag_counts[row["year"]][row["status"]] = row["n"]
    years = sorted(set(reports_by_year) | set(dets_by_year) | set(flag_counts), reverse=True)
    records = []
    for year in years:
        report = reports_by_year.get(year)
        determination = dets_by_year.get(year)
        rows: dict[int, PollutantRow] = {}
        if report is not None and report.accepted_version_id is not None:
            for line in report.accepted_version.lines.select_related("pollutant"):  # type: ignore[union-attr]
                _row_of(rows, line.pollutant).reported = line
        if determination is not None:
            for dline in determination.lines.all():
                _row_of(rows, dline.pollutant).determined = dline
        plant = plant_quota_of(enterprise, year)
        held = held_quota_of(enterprise, year)
        for pollutant in Pollutant.objects.filter(pk__in=set(plant) | set(held)):
            row = _row_of(rows, pollutant)
            row.plant_quota_grams = plant.get(pollutant.pk)
            row.held_grams = held.get(pollutant.pk)
        counts = flag_counts.get(year, {})
        records.append(
            YearRecord(
                year=year,
                report=report,
                determination=determination,
                open_flags=counts.get(FlagStatus.OPEN, 0),
                resolved_flags=counts.get(FlagStatus.RESOLVED, 0),
                rows=sorted(rows.values(), key=lambda r: (r.pollutant.sort_order, r.pollutant.code)),
            )
        )
    return records


def flags_of(enterprise: Enterprise, year: int) -> QuerySet[ConsistencyFlag]:
    return ConsistencyFlag.objects.filter(enterprise=enterprise, year=year)
