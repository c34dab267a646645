"""Reads behind the dashboards: reserve balances, income and spending, trends and a unit's own quota,
now or as of a past date in one of two views.

* **as known at the time** (如当时所知): only transfers recorded by ``known_at`` count
  (``created_at <= known_at``, the ledger's own semantics in ``ledger.selectors``), so a figure
  reproduces what the ledger said then, whatever was back-dated or corrected since;
* **with today's knowledge** (按现有资料): every posted transfer with an effective date up to the day,
  back-dated history and accepted corrections included (the zones' daily change rows).

Every function reads a fixed number of queries whatever the number of transfers, units or years;
nothing is cached, so an as-of figure is always the ledger's.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, Sum
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.utils import timezone

from totalquota.documents.models import DocumentKind, DocumentState, IssuedDocument
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger.models import (
    AccountKind,
    Balance,
    Transfer,
    TransferCode,
    ZoneBalance,
    ZoneDailyChange,
)
from totalquota.ledger.selectors import POSTED_PHASES

INCOME_CODES = (TransferCode.INTAKE, TransferCode.RECOVERY, TransferCode.UPPER_GRANT)
SPENDING_CODES = (TransferCode.ALLOCATION,)


@dataclass(frozen=True)
class Basis:
    """Which figures a dashboard shows: now (no ``as_of``), or at the end of ``as_of`` with today's
    knowledge (no ``known_at``) or as the ledger stood at ``known_at`` (from a bulletin or typed)."""

    as_of: dt.date | None = None
    known_at: dt.datetime | None = None
    bulletin: IssuedDocument | None = None

    @property
    def mode(self) -> str:
        if self.as_of is None:
            return "now"
        return "known" if self.known_at is not None else "today"

    @property
    def day(self) -> dt.date:
        """The day the figures are for (today when current)."""
        return self.as_of or timezone.localdate()


def _posted(basis: Basis) -> Any:
    """Posted transfers counted under ``basis`` (effective up to the day, recorded by ``known_at``)."""
    qs = Transfer.objects.filter(phase__in=POSTED_PHASES)
    if basis.as_of is not None:
        qs = qs.filter(effective_date__lte=basis.as_of)
    if basis.known_at is not None:
        qs = qs.filter(created_at__lte=basis.known_at)
    return qs


def lot_balances(zone_ids: Iterable[int], basis: Basis) -> dict[tuple[int, int], int]:
    """Posted reserve ``{(zone id, pollutant id): grams}`` of the zones' lots under ``basis``:
    the zone rows now, the daily change rows with today's knowledge, the transfers themselves as
    known at the time (two grouped queries)."""
    zone_ids = list(zone_ids)
    result: dict[tuple[int, int], int] = defaultdict(int)
    if basis.mode == "now":
        for z, p, c, d in ZoneBalance.objects.filter(zone_id__in=zone_ids).values_list(
            "zone_id", "pollutant_id", "credits_posted", "debits_posted"
        ):
            result[(z, p)] += c - d
    elif basis.mode == "today":
        for z, p, c, d in (
            ZoneDailyChange.objects.filter(zone_id__in=zone_ids, day__lte=basis.as_of)
            .values("zone_id", "pollutant_id")
            .annotate(c=Sum("credits"), d=Sum("debits"))
            .values_list("zone_id", "pollutant_id", "c", "d")
        ):
            result[(z, p)] += (c or 0) - (d or 0)
    else:
        assert basis.as_of is not None and basis.known_at is not None
        return ledger_selectors.zones_balance_as_of(basis.as_of, known_at=basis.known_at, zones=zone_ids)
    return dict(result)


def _quarters_back(day: dt.date, count: int) -> list[tuple[int, int]]:
    year, quarter = day.year, (day.month - 1) // 3 + 1
    out = []
    for _ in range(count):
        out.append((year, quarter))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return list(reversed(out))


@dataclass(frozen=True)
class Flows:
    """Income into the zones' lots (by code) and spending out of them (allocations), per period
    and pollutant: ``grams[(period, pollutant id)][code]``."""

    periods: list[tuple[int, int]] | list[int]
    grams: dict[tuple[Any, int], dict[str, int]]

    def series(self, pollutant_id: int, code: str) -> list[int]:
        return [self.grams.get((period, pollutant_id), {}).get(code, 0) for period in self.periods]


def _flows(
    zone_ids: list[int], basis: Basis, start: dt.date, by_quarter: bool, pollutant_id: int | None
) -> dict:
    """One grouped query: income codes on the lot credit side, spending on the lot debit side."""
    posted = _posted(basis).filter(effective_date__gte=start, effective_date__lte=basis.day)
    if pollutant_id is not None:
        posted = posted.filter(pollutant_id=pollutant_id)
    posted = posted.filter(
        Q(code__in=INCOME_CODES, credit_lot_zone_id__in=zone_ids)
        | Q(code__in=SPENDING_CODES, debit_lot_zone_id__in=zone_ids)
    )
    group: dict[str, Any] = {"y": ExtractYear("effective_date")}
    if by_quarter:
        group["q"] = ExtractQuarter("effective_date")
    rows = posted.annotate(**group).values(*group, "pollutant_id", "code").annotate(s=Sum("amount_grams"))
    grams: dict[tuple[Any, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        period = (row["y"], row["q"]) if by_quarter else row["y"]
        grams[(period, row["pollutant_id"])][row["code"]] += row["s"]
    return grams


def flows_by_quarter(
    zone_ids: Iterable[int], basis: Basis, *, quarters: int = 8, pollutant_id: int | None = None
) -> Flows:
    """Income and spending of the last ``quarters`` quarters up to the basis day (of one pollutant
    if given)."""
    periods = _quarters_back(basis.day, quarters)
    start = dt.date(periods[0][0], (periods[0][1] - 1) * 3 + 1, 1)
    return Flows(periods, _flows(list(zone_ids), basis, start, True, pollutant_id))


def flows_by_year(zone_ids: Iterable[int], basis: Basis, *, years: int = 5) -> Flows:
    """Income and spending of the last ``years`` calendar years up to the basis day."""
    last = basis.day.year
    periods = list(range(last - years + 1, last + 1))
    return Flows(periods, _flows(list(zone_ids), basis, dt.date(periods[0], 1, 1), False, None))


def year_end_balances(zone_ids: Iterable[int], basis: Basis, *, years: int = 5) -> dict[int, dict[int, int]]:
    """The zones' posted reserve at the end of each of the last ``years`` years (the last one at the
    basis day), ``{year: {pollutant id: grams}}``: one grouped query of the changes per year,
    accumulated here."""
    zone_ids = list(zone_ids)
    day = basis.day
    first = day.year - years + 1
    change: dict[tuple[int, int], int] = defaultdict(int)  # (year or first - 1, pollutant) -> net
    if basis.known_at is None:
        rows = (
            ZoneDailyChange.objects.filter(zone_id__in=zone_ids, day__lte=day)
            .annotate(y=ExtractYear("day"))
            .values("y", "pollutant_id")
            .annotate(c=Sum("credits"), d=Sum("debits"))
            .values_list("y", "pollutant_id", "c", "d")
        )
        for y, p, c, d in rows:
            change[(max(y, first - 1), p)] += (c or 0) - (d or 0)
    else:
        posted = _posted(basis)
        for side, sign in (("credit_lot_zone", 1), ("debit_lot_zone", -1)):
            for y, p, s in (
                posted.filter(**{f"{side}__in": zone_ids})
                .annotate(y=ExtractYear("effective_date"))
                .values("y", "pollutant_id")
                .annotate(s=Sum("amount_grams"))
                .values_list("y", "pollutant_id", "s")
            ):
                change[(max(y, first - 1), p)] += sign * s
    pollutant_ids = {p for _y, p in change}
    result: dict[int, dict[int, int]] = {}
    running = {p: change.get((first - 1, p), 0) for p in pollutant_ids}
    for year in range(first, day.year + 1):
        for p in pollutant_ids:
            running[p] += change.get((year, p), 0)
        result[year] = dict(running)
    return result


def unit_quota(enterprise_id: int, basis: Basis) -> dict[int, int]:
    """A unit's quota ``{pollutant id: grams}``: the posted balance of its allocation accounts
    (its construction projects' 总量指标), under ``basis``."""
    result: dict[int, int] = defaultdict(int)
    if basis.mode == "now":
        for p, c, d in (
            Balance.objects.filter(
                account__holder_enterprise_id=enterprise_id, account__kind=AccountKind.ALLOCATION
            )
            .values("account__pollutant_id")
            .annotate(c=Sum("credits_posted"), d=Sum("debits_posted"))
            .values_list("account__pollutant_id", "c", "d")
        ):
            result[p] += (c or 0) - (d or 0)
        return dict(result)
    posted = _posted(basis)
    for side, sign in (("credit", 1), ("debit", -1)):
        for p, s in (
            posted.filter(
                **{f"{side}__holder_enterprise_id": enterprise_id, f"{side}__kind": AccountKind.ALLOCATION}
            )
            .values("pollutant_id")
            .annotate(s=Sum("amount_grams"))
            .values_list("pollutant_id", "s")
        ):
            result[p] += sign * s
    return dict(result)


def issued_bulletins() -> list[IssuedDocument]:
    """Valid issued bulletins that record the ledger state they were computed from
    (``figures["basis"]["known_at"]`` and ``["as_of"]``), newest first: the "as known at the time"
    views a dashboard offers."""
    rows = IssuedDocument.objects.filter(
        kind=DocumentKind.BULLETIN, state=DocumentState.VALID, figures__has_key="basis"
    ).order_by("-issued_at", "-pk")
    return [d for d in rows if bulletin_basis(d) is not None]


def bulletin_basis(document: IssuedDocument) -> Basis | None:
    """The as-of day and the moment of knowledge an issued bulletin was computed from, if it says."""
    basis = (document.figures or {}).get("basis") or {}
    try:
        known_at = dt.datetime.fromisoformat(str(basis["known_at"]))
        as_of = dt.date.fromisoformat(str(basis["as_of"])[:10])
    except (KeyError, TypeError, ValueError):
        return None
    if timezone.is_naive(known_at):
        return None
    return Basis(as_of=as_of, known_at=known_at, bulletin=document)
