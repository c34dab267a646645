"""Ledger fixtures: pollutants from the reference data and helpers that open lots and allocations."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from totalquota.ledger import services
from totalquota.ledger.models import AccountKind, SourceType
from totalquota.registry.models import Pollutant

_keys = itertools.count(1)


def key(prefix: str = "k") -> str:
    return f"{prefix}-{next(_keys)}"


@pytest.fixture
def vocs(db):
    return Pollutant.objects.get(code="VOCS")


@pytest.fixture
def cod(db):
    return Pollutant.objects.get(code="COD")


@pytest.fixture
def make_lot(world):
    def make(zone, pollutant, grams, *, on=dt.date(2025, 1, 10), ref=None, source=SourceType.REDUCTION_LINE):
        ref = ref or f"reductions.reductionline:{next(_keys)}"
        posting = services.lot_open(
            actor=world.admin.principal,
            zone=zone,
            pollutant=pollutant,
            amount_grams=grams,
            source_type=source,
            source_ref=ref,
            source_label=f"减排项目 {ref}",
            effective_date=on,
            reason="季度入库",
            clause_id="RES-1",
            idempotency_key=key("intake"),
        )
        return posting.transfers.get().credit

    return make


@pytest.fixture
def make_allocation(world):
    def make(enterprise, pollutant, *, on=dt.date(2025, 6, 1)):
        return services.account_open(
            actor=world.admin.principal,
            zone=enterprise.zone,
            pollutant=pollutant,
            kind=AccountKind.ALLOCATION,
            holder_enterprise=enterprise,
            opened_on=on,
            label="建设项目",
        )

    return make
