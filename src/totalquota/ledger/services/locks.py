"""The ledger's row locks: zone x pollutant rows (lock order step 2) and account balance rows
(step 3), always sorted, as the lock order of :mod:`totalquota.ledger.services` says."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q

from totalquota.ledger import sql
from totalquota.ledger.models import Balance, Transfer, ZoneBalance

# (zone, pollutant) rows known to exist, per process. A zone row is created once and never deleted,
# so for a known pair the lock is taken straight away (one statement, the common case).
_known_zone_rows: set[tuple[int, int]] = set()


def zone_rows(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], ZoneBalance]:
    """Lock the zone x pollutant rows (creating missing ones first), in sorted order.

    Lock order, step 2. Every operation locks the zone rows of every account it touches before
    any account row, so two operations touching the same account are already serialised here and
    the account rows below can never be taken in conflicting orders. Rows this transaction
    already holds are granted again at once.
    """
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    unknown = [pair for pair in wanted if pair not in _known_zone_rows]
    if unknown:
        # Create missing rows before locking any of them: a parallel first use of the same pair
        # makes the INSERT wait until that transaction ends, and waiting while holding a zone row
        # that sorts later would break the order (a deadlock with that transaction).
        query = Q()
        for zone_id, pollutant_id in unknown:
            query |= Q(zone_id=zone_id, pollutant_id=pollutant_id)
        present = set(ZoneBalance.objects.filter(query).values_list("zone_id", "pollutant_id"))
        created = [pair for pair in unknown if pair not in present]
        for zone_id, pollutant_id in created:
            ZoneBalance.objects.get_or_create(zone_id=zone_id, pollutant_id=pollutant_id)
        # Rows created here exist for others only once this transaction commits: remember them
        # then, so that a rolled-back creation is never taken for an existing row.
        _known_zone_rows.update(present)
        if created:
            transaction.on_commit(lambda: _known_zone_rows.update(created))
    found = sql.lock_zone_rows(wanted)
    missing = [pair for pair in wanted if pair not in found]
    if missing:  # only when rows were removed after this process saw them (a test database emptied)
        _known_zone_rows.clear()
        for zone_id, pollutant_id in missing:
            ZoneBalance.objects.get_or_create(zone_id=zone_id, pollutant_id=pollutant_id)
        found = sql.lock_zone_rows(wanted)
    return {pair: found[pair] for pair in wanted}


def lock_zones(pairs: Iterable[tuple[Any, Any]]) -> None:
    """Lock order, step 2, for a workflow path that makes several ledger operations in one
    transaction: lock every (zone, pollutant) row it will touch, sorted, before the first of them
    (and so before its first audit event). ``pairs`` are (zone, pollutant) instances or ids.
    Call it after locking the workflow object (step 1)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_zones must run inside the transaction that uses the rows")
    zone_rows({(getattr(z, "pk", z), getattr(p, "pk", p)) for z, p in pairs})


def balance_rows(account_ids: Iterable[int]) -> dict[int, Balance]:
    """Lock order, step 3: the accounts' balance rows, sorted by account id, read with their
    accounts (fresh: a closed account is seen closed). The caller holds their zone rows."""
    rows = sql.lock_balances(account_ids)
    return {b.account_id: b for b in rows}


def rows_of(transfers: Iterable[Transfer]) -> tuple[dict[tuple[int, int], ZoneBalance], dict[int, Balance]]:
    """Lock the rows of every account ``transfers`` touched (to resolve or reverse them): their
    zone rows (step 2), then their balance rows (step 3). The transfers carry their accounts."""
    transfers = list(transfers)
    zones = zone_rows(
        {(t.debit.zone_id, t.pollutant_id) for t in transfers}
        | {(t.credit.zone_id, t.pollutant_id) for t in transfers}
    )
    balances = balance_rows({t.debit_id for t in transfers} | {t.credit_id for t in transfers})
    return zones, balances
