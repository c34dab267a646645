"""Putting quota into a zone's reserve for a test: one opening lot, as the platform's start-up does."""

from __future__ import annotations

import datetime as dt
from typing import Any

from totalquota.accounts.permissions import principal_of
from totalquota.ledger import services as ledger
from totalquota.ledger.models import Account


def open_stock(
    who: Any,
    zone: Any,
    pollutant: Any,
    grams: int,
    *,
    key: str,
    on: dt.date = dt.date(2024, 1, 1),
    label: str = "期初储备",
) -> Account:
    """Open a lot of ``grams`` in ``zone`` (an opening balance under RES-1) and return it; ``key``
    names it (its source reference and idempotency key), so the same key opens it only once.
    ``who`` opens it: a user or their principal."""
    posting = ledger.lot_open(
        actor=principal_of(who),
        zone=zone,
        pollutant=pollutant,
        amount_grams=grams,
        source_type="opening",
        source_ref=f"opening:{key}",
        source_label=label,
        effective_date=on,
        reason="期初",
        clause_id="RES-1",
        code="opening",
        idempotency_key=f"opening-{key}",
    )
    return posting.transfers.get().credit
