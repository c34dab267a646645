"""Demo ledger: the park's opening reserve (期初储备) at the start of the 14th Five-Year Plan."""

from __future__ import annotations

import datetime as dt

from totalquota.demo.context import DemoContext
from totalquota.ledger.services import lot_open
from totalquota.registry.models import Pollutant

OPENING_DAY = dt.date(2021, 1, 1)
DOCUMENT = "园区“十三五”末储备指标核定表（园环〔2021〕3号）"
# Typical opening reserve per zone, in grams per year: (low, high) for the random draw.
RANGES = {
    "PM": (2_000_000, 8_000_000),
    "SO2": (1_000_000, 5_000_000),
    "NOX": (5_000_000, 20_000_000),
    "VOCS": (3_000_000, 15_000_000),
    "COD": (10_000_000, 40_000_000),
    "NH3N": (800_000, 4_000_000),
    "TN": (2_000_000, 8_000_000),
    "TP": (100_000, 800_000),
    "PB": (2_000, 20_000),
}


def seed(ctx: DemoContext) -> None:
    rng = ctx.rng
    pollutants = {p.code: p for p in Pollutant.objects.filter(code__in=RANGES)}
    lots = []
    for zone in ctx["zones"].values():
        for code, (low, high) in RANGES.items():
            grams = rng.randrange(low, high, 1_000)
            posting = lot_open(
                actor=ctx.actor.principal,
                zone=zone,
                pollutant=pollutants[code],
                amount_grams=grams,
                source_type="opening",
                source_ref=f"opening:2021:{zone.code}:{code}",
                source_label=DOCUMENT,
                effective_date=OPENING_DAY,
                reason="平台启用时结转的期初储备指标",
                clause_id="RES-1",
                code="opening",
                idempotency_key=f"demo-opening-{zone.code}-{code}",
            )
            lots.append(posting.transfers.get().credit)
    ctx["opening_lots"] = lots
