"""Origins: which grams an account holds, first in first out, by where they were first banked.

Every transfer carries the origins of its grams (:class:`~totalquota.ledger.models.TransferOrigin`):
the lot they were drawn from (``via``), the lot that first took them in (``root_lot``) and that
lot's source. These helpers compute what a transfer about to be written carries; they read, and
the caller holds the rows' locks (lock order in :mod:`totalquota.ledger.services`).
"""

from __future__ import annotations

from collections import defaultdict

from totalquota.ledger.models import (
    EXTERNAL_KINDS,
    Account,
    AccountKind,
    Balance,
    Phase,
    SourceType,
    Transfer,
    TransferOrigin,
)

OriginKey = tuple[int | None, int, str, str]  # (via lot, root lot, source type, source ref)
Parcels = list[tuple[OriginKey, int]]

SINGLE_SOURCE_LOTS = frozenset({SourceType.REDUCTION_LINE, SourceType.UPPER_GRANT, SourceType.OPENING})


def queue(account: Account, *, reserve_pending: bool) -> Parcels:
    """The parcels an account holds, oldest first, as ``[(origin key, grams)]``.

    For a lot the key's ``via`` is ``None`` (the lot itself is the via when grams leave it). Posted
    inflows minus posted outflows; with ``reserve_pending``, outflows held by open holds are taken
    out too (they are promised to someone).
    """
    is_lot = account.kind == AccountKind.LOT
    totals: dict[OriginKey, int] = defaultdict(int)
    first_seen: dict[OriginKey, int] = {}

    def key(row: TransferOrigin) -> OriginKey:
        return (None if is_lot else row.via_id, row.root_lot_id, row.source_type, row.source_ref)

    inflows = TransferOrigin.objects.filter(
        transfer__credit=account, transfer__phase__in=[Phase.POSTED, Phase.POST_PENDING]
    ).order_by("transfer_id", "id")
    for row in inflows:
        k = key(row)
        totals[k] += row.amount_grams
        first_seen.setdefault(k, row.transfer_id)
    phases = [Phase.POSTED, Phase.POST_PENDING] + ([Phase.PENDING] if reserve_pending else [])
    outflows = TransferOrigin.objects.filter(
        transfer__debit=account, transfer__phase__in=phases
    ).select_related("transfer", "transfer__resolution")
    for row in outflows:
        transfer = row.transfer
        if transfer.phase == Phase.PENDING and hasattr(transfer, "resolution"):
            continue  # a resolved hold no longer reserves anything; its resolution counts instead
        totals[key(row)] -= row.amount_grams
    parcels = [(k, g) for k, g in totals.items() if g]
    if any(g < 0 for _k, g in parcels):
        raise RuntimeError(f"ledger origins of account {account.pk} are inconsistent")
    return sorted(parcels, key=lambda p: first_seen.get(p[0], 0))


def lot_origins(lot: Account, grams: int) -> Parcels:
    """Origins of ``grams`` drawn from ``lot`` (the lot becomes their ``via``).

    A lot that took its quota from outside (an intake, an upper-level grant, the opening reserve)
    holds grams of that one source only, for ever (reversals bring back its own grams), so its
    origin is known without reading its history; lots made of other lots' quota (recovery, zone
    transfer) may mix sources and are read oldest first."""
    if lot.source_type in SINGLE_SOURCE_LOTS:
        return [((lot.pk, lot.pk, lot.source_type, lot.source_ref), grams)]
    parcels = take(queue(lot, reserve_pending=True), grams)
    return [((lot.pk, root, st, sr), g) for (_via, root, st, sr), g in parcels]


def take(parcels: Parcels, amount: int) -> Parcels:
    """The first ``amount`` grams of ``parcels`` (which are consumed in place)."""
    taken: Parcels = []
    remaining = amount
    while remaining:
        if not parcels:
            raise RuntimeError("not enough parcels for the amount")
        k, grams = parcels[0]
        used = min(grams, remaining)
        taken.append((k, used))
        remaining -= used
        if used == grams:
            parcels.pop(0)
        else:
            parcels[0] = (k, grams - used)
    return taken


def out_of(
    account: Account, amount: int, balances: dict[int, Balance], *, banked_as: OriginKey | None = None
) -> Parcels:
    """Origins of ``amount`` grams leaving ``account``. Grams leaving an outside-world account
    enter the platform: they carry ``banked_as`` when given, else no origin."""
    if account.kind in EXTERNAL_KINDS:
        return [] if banked_as is None else [(banked_as, amount)]
    if balances[account.pk].available < amount:
        return []  # the overdraw check of the writer refuses it with a clear message
    if account.kind == AccountKind.LOT:
        return lot_origins(account, amount)
    return take(queue(account, reserve_pending=True), amount)


def carried(transfer: Transfer) -> Parcels:
    """The origins a written transfer carried, in the order they were written."""
    return [
        ((o.via_id, o.root_lot_id, o.source_type, o.source_ref), o.amount_grams)
        for o in transfer.origins.order_by("id")
    ]
