"""A small ledger history for the bulletins: zone A's VOCs reserve opened at the start of 2025,
part of it allocated to the company in March 2025, all recorded on 1 June 2026 at 10:00."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.ledger_helpers import open_stock
from tests.reductions.conftest import at, clock, pollutant  # noqa: F401  (fixtures)
from totalquota.ledger import services as ledger
from totalquota.ledger.models import AccountKind

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
