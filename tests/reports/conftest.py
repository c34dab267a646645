"""Dashboard fixtures: reserve lots and allocations written through the ledger services."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from totalquota.ledger import services
from totalquota.ledger.models import AccountKind, SourceType
from totalquota.registry.models import Pollutant

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
