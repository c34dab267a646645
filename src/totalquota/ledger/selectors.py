"""Reads on the ledger: balances now and at any past date, lots, provenance and forward trace."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum

from totalquota.ledger.models import (
    Account,
    AccountKind,
    Balance,
    Phase,
    Posting,
    SourceType,
    Transfer,
    TransferOrigin,
    ZoneBalance,
    ZoneDailyChange,
)

POSTED_PHASES = (Phase.POSTED, Phase.POST_PENDING)


@dataclass(frozen=True)
class BalanceView:
    """Posted balance, quota held by open holds going out and coming in, and what is available."""

    posted: int
    held_out: int
    held_in: int

    @property
    def available(self) -> int:
        return self.posted - self.held_out


def _view(row: Any) -> BalanceView:
    if row is None:
        return BalanceView(0, 0, 0)
    return BalanceView(row.credits_posted - row.debits_posted, row.debits_pending, row.credits_pending)


def account_balance(account: Account) -> BalanceView:
    """Current balance of one account, from its balance row (constant time)."""
    return _view(Balance.objects.filter(account=account).first())


def zone_balance(zone: Any, pollutant: Any) -> BalanceView:
    """Current reserve of a zone for a pollutant (its lots), from one row."""
    return _view(ZoneBalance.objects.filter(zone=zone, pollutant=pollutant).first())


def park_balance(pollutant: Any) -> BalanceView:
    """Current reserve of the park for a pollutant: one row per zone."""
    totals = ZoneBalance.objects.filter(pollutant=pollutant).aggregate(
        cp=Sum("credits_posted"),
        dp=Sum("debits_posted"),
        dpend=Sum("debits_pending"),
        cpend=Sum("credits_pending"),
    )
    return BalanceView((totals["cp"] or 0) - (totals["dp"] or 0), totals["dpend"] or 0, totals["cpend"] or 0)


def zone_matrix(zones: Any = None) -> dict[tuple[int, int], BalanceView]:
    """``{(zone id, pollutant id): balance}`` for every zone row (the overview table)."""
    rows = ZoneBalance.objects.all()
    if zones is not None:
        rows = rows.filter(zone__in=zones)
    return {(r.zone_id, r.pollutant_id): _view(r) for r in rows}


@dataclass(frozen=True)
class MatrixCell:
    """One zone x pollutant balance: now (posted, held by open holds, available) or as of a past
    date (posted only: ``held`` and ``available`` are ``None``). A park total has no ``zone``."""

    zone: Any
    pollutant: Any
    posted: int
    held: int | None
    available: int | None
    as_of: dt.date | None = None


@dataclass(frozen=True)
class MatrixRow:
    zone: Any
    cells: list[MatrixCell]


@dataclass(frozen=True)
class BalanceMatrix:
    """Zones x pollutants balances, one row per zone with one cell per pollutant (the overview
    table, the balances API, the home chart)."""

    pollutants: list[Any]
    rows: list[MatrixRow]
    as_of: dt.date | None

    def cells(self) -> list[MatrixCell]:
        return [cell for row in self.rows for cell in row.cells]

    def column(self, pollutant: Any) -> list[MatrixCell]:
        """The cells of one pollutant, zone by zone."""
        i = self.pollutants.index(pollutant)
        return [row.cells[i] for row in self.rows]

    def totals(self) -> list[MatrixCell]:
        """The park's total of each pollutant over the rows' zones."""
        now = self.as_of is None
        return [
            MatrixCell(
                zone=None,
                pollutant=p,
                posted=sum(c.posted for c in cells),
                held=sum(c.held or 0 for c in cells) if now else None,
                available=sum(c.available or 0 for c in cells) if now else None,
                as_of=self.as_of,
            )
            for p in self.pollutants
            for cells in [self.column(p)]
        ]


def balance_matrix(
    zones: Iterable[Any],
    pollutants: Iterable[Any],
    *,
    as_of: dt.date | None = None,
    known_at: dt.datetime | None = None,
) -> BalanceMatrix:
    """The reserve of every zone in ``zones`` for every pollutant in ``pollutants``: now, from the
    zone rows, or at the end of ``as_of`` (effective dates), optionally as the ledger stood at
    ``known_at``. The caller scopes the zones."""
    zones, pollutants = list(zones), list(pollutants)
    rows = []
    if as_of is None:
        current = zone_matrix(zones)
        for zone in zones:
            views = [current.get((zone.pk, p.pk), BalanceView(0, 0, 0)) for p in pollutants]
            cells = [
                MatrixCell(zone, p, v.posted, v.held_out, v.available)
                for p, v in zip(pollutants, views, strict=True)
            ]
            rows.append(MatrixRow(zone, cells))
    else:
        for zone in zones:
            past = zone_balance_as_of(zone, as_of, known_at=known_at)
            rows.append(
                MatrixRow(
                    zone, [MatrixCell(zone, p, past.get(p.pk, 0), None, None, as_of) for p in pollutants]
                )
            )
    return BalanceMatrix(pollutants=pollutants, rows=rows, as_of=as_of)


def account_balance_as_of(account: Account, on: dt.date, *, known_at: dt.datetime | None = None) -> int:
    """Posted balance of an account at the end of ``on`` (effective dates), optionally as the ledger
    stood at ``known_at`` (ignoring postings recorded later, e.g. back-dated corrections)."""
    base = Transfer.objects.filter(phase__in=POSTED_PHASES, effective_date__lte=on)
    if known_at is not None:
        base = base.filter(created_at__lte=known_at)
    credits = base.filter(credit=account).aggregate(s=Sum("amount_grams"))["s"] or 0
    debits = base.filter(debit=account).aggregate(s=Sum("amount_grams"))["s"] or 0
    return credits - debits


def zone_balance_as_of(
    zone: Any, on: dt.date, pollutant: Any = None, *, known_at: dt.datetime | None = None
) -> dict[int, int]:
    """Posted reserve of a zone at the end of ``on``, by pollutant id (one pollutant if given).

    From the daily change rows (a few thousand per zone over ten years); with ``known_at`` from the
    transfers themselves, as they stood at that moment.
    """
    if known_at is not None:
        return _zone_as_of_from_transfers(zone, on, pollutant, known_at)
    rows = ZoneDailyChange.objects.filter(zone=zone, day__lte=on)
    if pollutant is not None:
        rows = rows.filter(pollutant=pollutant)
    result: dict[int, int] = defaultdict(int)
    for pollutant_id, credits, debits in (
        rows.values("pollutant_id")
        .annotate(c=Sum("credits"), d=Sum("debits"))
        .values_list("pollutant_id", "c", "d")
    ):
        result[pollutant_id] = (credits or 0) - (debits or 0)
    return dict(result)


def _zone_as_of_from_transfers(
    zone: Any, on: dt.date, pollutant: Any, known_at: dt.datetime
) -> dict[int, int]:
    base = Transfer.objects.filter(phase__in=POSTED_PHASES, effective_date__lte=on, created_at__lte=known_at)
    if pollutant is not None:
        base = base.filter(pollutant=pollutant)
    result: dict[int, int] = defaultdict(int)
    for side, sign in (("credit_lot_zone", 1), ("debit_lot_zone", -1)):
        for pid, s in (
            base.filter(**{side: zone})
            .values("pollutant_id")
            .annotate(s=Sum("amount_grams"))
            .values_list("pollutant_id", "s")
        ):
            result[pid] += sign * s
    return dict(result)


def zones_balance_as_of(
    on: dt.date, *, known_at: dt.datetime, zones: Iterable[Any] | None = None
) -> dict[tuple[int, int], int]:
    """Posted reserve of every zone (or of ``zones``) at the end of ``on``, as the ledger stood at
    ``known_at``: ``{(zone id, pollutant id): grams}``, from the transfers in two grouped queries
    (what :func:`zone_balance_as_of` with ``known_at`` gives zone by zone)."""
    base = Transfer.objects.filter(phase__in=POSTED_PHASES, effective_date__lte=on, created_at__lte=known_at)
    ids = None if zones is None else [getattr(z, "pk", z) for z in zones]
    result: dict[tuple[int, int], int] = defaultdict(int)
    for side, sign in (("credit_lot_zone", 1), ("debit_lot_zone", -1)):
        rows = base.filter(**{f"{side}__isnull": False})
        if ids is not None:
            rows = rows.filter(**{f"{side}__in": ids})
        for zone_id, pid, s in (
            rows.values(side, "pollutant_id")
            .annotate(s=Sum("amount_grams"))
            .values_list(side, "pollutant_id", "s")
        ):
            result[(zone_id, pid)] += sign * s
    return dict(result)


def park_balance_as_of(on: dt.date, pollutant: Any) -> int:
    rows = ZoneDailyChange.objects.filter(pollutant=pollutant, day__lte=on).aggregate(
        c=Sum("credits"), d=Sum("debits")
    )
    return (rows["c"] or 0) - (rows["d"] or 0)


def lots_available(zone: Any, pollutant: Any) -> list[tuple[Account, BalanceView]]:
    """Open lots of a zone and pollutant in drawing order (oldest first), with their balances."""
    lots = (
        Account.objects.select_related("balance", "pollutant", "zone")
        .filter(zone=zone, pollutant=pollutant, kind=AccountKind.LOT, closed_at__isnull=True)
        .order_by("opened_on", "id")
    )
    return [(lot, _view(lot.balance)) for lot in lots]


def posting_parts(posting: Posting) -> list[tuple[Account, Account, int, str]]:
    """Which account gave how much to which: ``[(debit, credit, grams, phase)]``."""
    return [
        (t.debit, t.credit, t.amount_grams, t.phase)
        for t in Transfer.objects.select_related("debit", "credit").filter(posting=posting).order_by("id")
    ]


def open_hold_grams(posting: Posting) -> int:
    """Grams a hold posting still holds (0 once posted, voided or expired)."""
    return (
        Transfer.objects.filter(posting=posting, phase=Phase.PENDING, resolution__isnull=True).aggregate(
            s=Sum("amount_grams")
        )["s"]
        or 0
    )


def hold_state(posting: Posting) -> str:
    """``open``, ``posted``, ``voided`` or ``expired`` for a hold posting."""
    resolution = posting.resolutions.order_by("id").first()
    if resolution is None:
        return "open"
    return {"hold_post": "posted", "hold_void": "voided", "hold_expire": "expired"}.get(
        resolution.operation, resolution.operation
    )


def transfers_for_object(object_type: str, object_id: Any) -> list[Transfer]:
    return list(
        Transfer.objects.select_related("debit", "credit", "posting")
        .filter(posting__object_type=object_type, posting__object_id=str(object_id))
        .order_by("id")
    )


# --- provenance ----------------------------------------------------------------------------------


@dataclass
class Parcel:
    """Grams of an account by where they were banked: the lot drawn from (``via``), the lot that
    first took them in (``root_lot``) and that lot's source."""

    grams: int
    via: Account | None
    root_lot: Account
    source_type: str
    source_ref: str
    source_label: str


@dataclass
class Provenance:
    account: Account
    balance: int
    parcels: list[Parcel] = field(default_factory=list)

    def by_lot(self) -> dict[Account, int]:
        result: dict[Account, int] = defaultdict(int)
        for p in self.parcels:
            result[p.via or p.root_lot] += p.grams
        return dict(result)

    def by_source(self) -> dict[tuple[str, str], int]:
        result: dict[tuple[str, str], int] = defaultdict(int)
        for p in self.parcels:
            result[(p.source_type, p.source_ref)] += p.grams
        return dict(result)


def _posted_parcels(account: Account) -> dict[tuple[int | None, int, str, str], int]:
    is_lot = account.kind == AccountKind.LOT
    totals: dict[tuple[int | None, int, str, str], int] = defaultdict(int)
    for side, sign in (("transfer__credit", 1), ("transfer__debit", -1)):
        for via, root, st, sr, grams in TransferOrigin.objects.filter(
            **{side: account}, transfer__phase__in=POSTED_PHASES
        ).values_list("via_id", "root_lot_id", "source_type", "source_ref", "amount_grams"):
            totals[(None if is_lot else via, root, st, sr)] += sign * grams
    return {k: g for k, g in totals.items() if g}


def provenance(account: Account) -> Provenance:
    """The lots and original sources behind every gram an account holds (posted balance).

    For an allocation: each parcel names the lot it was drawn from and the source that lot's grams
    came from (e.g. a reduction line), through recovery and zone-transfer lots. The parcels sum
    exactly to the account's posted balance.
    """
    parcels = _posted_parcels(account)
    lots = {
        a.pk: a
        for a in Account.objects.filter(pk__in={k[0] for k in parcels if k[0]} | {k[1] for k in parcels})
    }
    result = Provenance(account=account, balance=account_balance(account).posted)
    for (via, root, st, sr), grams in sorted(parcels.items(), key=lambda kv: (kv[0][1], kv[0][0] or 0)):
        root_lot = lots[root]
        result.parcels.append(
            Parcel(
                grams=grams,
                via=lots.get(via) if via else None,
                root_lot=root_lot,
                source_type=st,
                source_ref=sr,
                source_label=root_lot.source_label,
            )
        )
    return result


@dataclass(frozen=True)
class Use:
    """Where grams of a source went: an allocation (or the upper level, or still in a lot)."""

    account: Account
    grams: int


def forward_trace(source_type: str, source_ref: str) -> list[Use]:
    """Every account that now holds grams of this source (e.g. the allocations a reduction line
    fed), with the grams, allocations first. Sums to what the source put into the reserve, less
    what was reversed."""
    SourceType(source_type)
    rows = TransferOrigin.objects.filter(
        source_type=source_type, source_ref=source_ref, transfer__phase__in=POSTED_PHASES
    )
    totals: dict[int, int] = defaultdict(int)
    for credit, debit, grams in rows.values_list("transfer__credit_id", "transfer__debit_id", "amount_grams"):
        totals[credit] += grams
        totals[debit] -= grams
    accounts = Account.objects.in_bulk([pk for pk, g in totals.items() if g > 0])
    uses = [Use(accounts[pk], g) for pk, g in totals.items() if g > 0 and pk in accounts]
    order = {AccountKind.ALLOCATION: 0, AccountKind.UPPER_LEVEL: 1, AccountKind.LOT: 2}
    return sorted(uses, key=lambda u: (order.get(AccountKind(u.account.kind), 3), u.account.pk))


TRACED_SOURCES = (SourceType.REDUCTION_LINE, SourceType.UPPER_GRANT, SourceType.OPENING)


def lot_uses(account: Account) -> list[Use]:
    """The forward trace an account's page shows: for a lot fed by a reduction, an upper-level
    grant or an opening balance, where that source's grams are now; nothing for other accounts."""
    if account.kind != AccountKind.LOT or account.source_type not in TRACED_SOURCES:
        return []
    return forward_trace(account.source_type, account.source_ref)


def allocations_fed_by(source_type: str, source_ref: str) -> list[Use]:
    """Only the allocations of :func:`forward_trace` (what the reports call "used")."""
    return [u for u in forward_trace(source_type, source_ref) if u.account.kind == AccountKind.ALLOCATION]


def accounts_in_scope(queryset: Any) -> Any:
    return queryset.select_related("zone", "pollutant", "holder_enterprise", "balance")


def holds_expiring(before: dt.datetime) -> Any:
    return (
        Transfer.objects.filter(phase=Phase.PENDING, resolution__isnull=True, timeout_at__lte=before)
        .select_related("debit", "credit", "posting")
        .order_by("timeout_at")
    )
