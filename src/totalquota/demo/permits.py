"""Demo permit limits (排污许可量): every demo unit holding a permit gets a five-year limit for
each pollutant its industry discharges, renewed when it lapsed; a unit with approved quota
applications gets the whole-plant figures written on its latest approval from the day it was
approved, and the figure before it (the plant without the new discharge) until then.

Figures are drawn from a generator seeded by each unit's credit code, not from the demo's shared
one, so that this step changes nothing that later steps draw."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from totalquota.demo.context import DemoContext
from totalquota.registry.models import Enterprise, Pollutant
from totalquota.registry.services import SEWER_MEDIA, permit_limit_record
from totalquota.reserve.models import ApplicationLine, ApplicationStatus

T = 1_000_000
KG = 1_000
# Industry code prefix -> (pollutant, lowest and highest t/a; kg/a for heavy metals).
DISCHARGES: dict[str, list[tuple[str, str, str]]] = {
    "C397": [
        ("VOCS", "2", "30"),
        ("NOX", "0.5", "5"),
        ("COD", "5", "40"),
        ("NH3N", "0.5", "4"),
        ("TN", "1", "8"),
    ],
    "C398": [
        ("VOCS", "3", "25"),
        ("COD", "5", "60"),
        ("NH3N", "0.5", "5"),
        ("TP", "0.05", "0.6"),
        ("PB", "1", "15"),
    ],
    "C272": [("VOCS", "2", "20"), ("COD", "10", "80"), ("NH3N", "1", "6"), ("TN", "2", "12")],
    "C336": [("COD", "3", "20"), ("NH3N", "0.3", "2"), ("TP", "0.05", "0.4"), ("CR", "2", "30")],
    "C348": [("VOCS", "1", "8"), ("PM", "0.5", "4"), ("COD", "1", "6")],
    "C367": [("VOCS", "3", "20"), ("PM", "1", "6"), ("COD", "2", "10")],
    "C331": [("VOCS", "2", "12"), ("PM", "1", "8")],
    "C266": [("VOCS", "3", "25"), ("PM", "0.5", "3"), ("COD", "5", "30"), ("NH3N", "0.5", "3")],
    "C264": [("VOCS", "5", "40"), ("PM", "0.5", "3"), ("COD", "2", "12")],
    "C231": [("VOCS", "2", "15")],
    "C146": [
        ("COD", "10", "60"),
        ("NH3N", "1", "5"),
        ("TN", "2", "10"),
        ("TP", "0.1", "1"),
        ("PM", "0.2", "2"),
    ],
    "D441": [("SO2", "20", "150"), ("NOX", "40", "300"), ("PM", "5", "40")],
    "D462": [("COD", "200", "1500"), ("NH3N", "10", "80"), ("TN", "50", "400"), ("TP", "2", "15")],
    "H621": [("COD", "1", "5"), ("NH3N", "0.1", "0.5")],
}
PERMIT_YEARS = 5


def _grams(rng: random.Random, pollutant: Pollutant, low: str, high: str) -> int:
    """A figure between ``low`` and ``high`` (decimal text) in the pollutant's unit, to three decimals."""
    per = KG if pollutant.is_heavy_metal else T
    return rng.randint(int(Decimal(low) * 1000), int(Decimal(high) * 1000)) * per // 1000


def _five_years(start: dt.date) -> dt.date:
    return start.replace(year=start.year + PERMIT_YEARS) - dt.timedelta(days=1)


def _approved_plant_figures(unit: Enterprise) -> dict[str, tuple[ApplicationLine, dt.date]]:
    """The whole-plant figures of the unit's latest approval of each pollutant, with its day."""
    lines = (
        ApplicationLine.objects.filter(
            application__enterprise=unit, application__status=ApplicationStatus.APPROVED
        )
        .select_related("application", "pollutant")
        .order_by("application__decided_at")
    )
    figures: dict[str, tuple[ApplicationLine, dt.date]] = {}
    for line in lines:
        decided = line.application.decided_at
        figures[line.pollutant.code] = (line, decided.date() if decided else dt.date.today())
    return figures


def seed(ctx: DemoContext) -> None:
    admin = ctx["users"]["admin"].principal
    today = ctx.today
    pollutants = {p.code: p for p in Pollutant.objects.all()}
    count = 0
    for unit in Enterprise.objects.exclude(permit_number="").order_by("pk"):
        rng = random.Random(unit.uscc)
        discharges = DISCHARGES.get(unit.industry_code[:4], [])
        approved = _approved_plant_figures(unit)
        codes = list(dict.fromkeys([code for code, _low, _high in discharges] + list(approved)))
        ranges = {code: (low, high) for code, low, high in discharges}
        start = dt.date(rng.choice([2020, 2021, 2022, 2023]), rng.randint(1, 12), 1)
        for code in codes:
            pollutant = pollutants[code]
            low, high = ranges.get(code, ("0.5", "5"))
            grams = _grams(rng, pollutant, low, high)
            sewer = grams * rng.randint(3, 8) if pollutant.medium in SEWER_MEDIA else None
            periods: list[tuple[dt.date, dt.date | None, int, int | None]] = []
            if code in approved:
                line, on = approved[code]
                before = max(line.plant_env_grams - line.new_discharge_grams, 0)
                after_sewer = (line.plant_sewer_grams or sewer) if sewer is not None else None
                first = min(start, on - dt.timedelta(days=1))
                periods.append((first, on - dt.timedelta(days=1), before, sewer))
                periods.append((on, _five_years(on), line.plant_env_grams, after_sewer))
            else:
                end = _five_years(start)
                periods.append((start, end, grams, sewer))
                if end < today:  # renewed on the same figures
                    periods.append(
                        (end + dt.timedelta(days=1), _five_years(end + dt.timedelta(days=1)), grams, sewer)
                    )
            for valid_from, valid_to, permitted, sewer_grams in periods:
                permit_limit_record(
                    actor=admin,
                    enterprise=unit,
                    pollutant=pollutant,
                    permitted_grams=permitted,
                    sewer_grams=sewer_grams,
                    valid_from=valid_from,
                    valid_to=valid_to,
                    source=f"排污许可证 {unit.permit_number}（{valid_from.year} 年核发）",
                )
                count += 1
    ctx.notes.append(f"排污许可量：已为持证单位录入 {count} 条许可量（含批准申请对应的全厂许可量）。")
