"""Fixtures of the supervision tests.

Bulletins: a small ledger history (zone A's VOCs reserve opened at the start of 2025, part of it
allocated to the company in March 2025, all recorded on 1 June 2026 at 10:00). Dashboards: reserve
lots and allocations written through the ledger services.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from tests.ledger_helpers import open_stock
from tests.reductions.conftest import at, clock, pollutant  # noqa: F401  (fixtures)
from totalquota.ledger import services
from totalquota.ledger import services as ledger
from totalquota.ledger.models import AccountKind, SourceType
from totalquota.registry.models import Pollutant

T = 1_000_000  # grams in a tonne


@pytest.fixture
def history(world, clock):  # noqa: F811
    clock(at("2026-06-01"))
    vocs = pollutant("VOCS")
    lot = open_stock(world.admin, world.zone_a, vocs, 10 * T, key="a-vocs", on=dt.date(2025, 1, 1))
    open_stock(world.admin, world.zone_b, vocs, 4 * T, key="b-vocs", on=dt.date(2025, 1, 1))
    allocation = ledger.account_open(
        actor=world.admin.principal,
        zone=world.zone_a,
        pollutant=vocs,
        kind=AccountKind.ALLOCATION,
        holder_enterprise=world.company,
        opened_on=dt.date(2025, 3, 1),
        label="扩建项目",
    )
    ledger.draw(
        actor=world.reviewer.principal,
        zone=world.zone_a,
        pollutant=vocs,
        amount_grams=3 * T,
        to_account=allocation,
        effective_date=dt.date(2025, 3, 1),
        reason="扩建项目分配",
        clause_id="RES-2",
        idempotency_key="alloc-1",
    )
    clock(at("2026-06-01", 12))
    return {"vocs": vocs, "lot": lot, "allocation": allocation}


def allocate_back_dated(world, history, grams: int, key: str, on: dt.date = dt.date(2025, 6, 1)):
    """A further allocation, effective in 2025 but recorded now (after the bulletin)."""
    return ledger.draw(
        actor=world.reviewer.principal,
        zone=world.zone_a,
        pollutant=history["vocs"],
        amount_grams=grams,
        to_account=history["allocation"],
        effective_date=on,
        reason="补录分配",
        clause_id="RES-2",
        idempotency_key=key,
    )


_keys = itertools.count(1)


@pytest.fixture
def vocs(db):
    return Pollutant.objects.get(code="VOCS")


@pytest.fixture
def cod(db):
    return Pollutant.objects.get(code="COD")


@pytest.fixture
def intake(world):
    """``intake(zone, pollutant, grams, on=…)``: a quarterly intake opening a lot in the zone."""

    def make(zone, pollutant, grams, *, on=dt.date(2025, 1, 10), source=SourceType.REDUCTION_LINE):
        n = next(_keys)
        posting = services.lot_open(
            actor=world.admin.principal,
            zone=zone,
            pollutant=pollutant,
            amount_grams=grams,
            source_type=source,
            source_ref=f"reductions.reductionline:{n}",
            source_label=f"减排项目 {n}",
            effective_date=on,
            reason="季度入库",
            clause_id="RES-1",
            code="upper_grant" if source == SourceType.UPPER_GRANT else "intake",
            idempotency_key=f"dash-intake-{n}",
        )
        return posting.transfers.get().credit

    return make


@pytest.fixture
def allocate(world):
    """``allocate(enterprise, pollutant, grams, on=…)``: a construction project's quota drawn from
    its zone's reserve into a new allocation account of the unit."""

    def make(enterprise, pollutant, grams, *, on=dt.date(2025, 6, 1)):
        account = services.account_open(
            actor=world.admin.principal,
            zone=enterprise.zone,
            pollutant=pollutant,
            kind=AccountKind.ALLOCATION,
            holder_enterprise=enterprise,
            opened_on=on,
            label="建设项目",
        )
        services.draw(
            actor=world.admin.principal,
            zone=enterprise.zone,
            pollutant=pollutant,
            amount_grams=grams,
            to_account=account,
            effective_date=on,
            reason="分配",
            clause_id="RES-2",
            idempotency_key=f"dash-draw-{next(_keys)}",
        )
        return account

    return make
