"""The provenance picture (RES-1 … RES-4 traced): where the quota used in a period came from.

For one pollutant and period, the picture follows every gram that left a zone's reserve for a
use: a construction project's allocation (建设项目指标) or the upper level's deduction (上级使用扣减),
by posted transfers effective in the period that no correction has reversed. Each such transfer
carries the origins of its grams (:class:`~totalquota.ledger.models.TransferOrigin`), so its grams
are split, exactly, by source:

* reduction projects by their type (减排工程类型, RED-1), for grams first banked from a reduction line;
* recovery (指标收回) for grams drawn from a recovery lot (RES-4), whatever their first source;
* upper-level grants (上级储备库下达) and the opening reserve (期初储备).

Bands run from a source to the zone whose reserve the grams were drawn from, and from that zone
to the use; every zone's bands in equal its bands out, and the sources sum to the uses. Zone
transfers (功能区间调剂) are moves inside the park's reserve: grams drawn from a transferred lot
count in the zone that drew them, under their first source.

Reads only; the caller passes the principal, and every row is limited to the zones it sees
(``accounts.permissions.in_zones``, on the zone of the lot the grams left).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal, in_zones
from totalquota.ledger.models import Account, AccountKind, Phase, SourceType, Transfer, TransferOrigin
from totalquota.reductions.models import ProjectType, ReductionLine
from totalquota.registry.models import Zone
from totalquota.reserve.models import ApplicationLine

POSTED_PHASES = (Phase.POSTED, Phase.POST_PENDING)
USE_KINDS = (AccountKind.ALLOCATION, AccountKind.UPPER_LEVEL)
LINE_PREFIX = "reductions.reductionline:"
UPPER = "upper"


def source_key(via_source_type: str | None, source_type: str, project_type: str | None) -> str:
    """The source node a parcel of grams belongs to (see the module's docstring)."""
    if via_source_type == SourceType.RECOVERY:
        return "recovery"
    if source_type == SourceType.REDUCTION_LINE:
        return f"reduction:{project_type or ProjectType.OTHER}"
    return str(source_type)


def source_label(key: str) -> str:
    if key.startswith("reduction:"):
        return gettext("减排项目·{type}").format(type=ProjectType(key.split(":", 1)[1]).label)
    return {
        "recovery": gettext("指标收回"),
        SourceType.UPPER_GRANT.value: gettext("上级储备库下达"),
        SourceType.OPENING.value: gettext("期初储备"),
        SourceType.ZONE_TRANSFER.value: gettext("功能区间调剂"),
    }.get(key, key)


@dataclass(frozen=True)
class Node:
    """One node of the picture: ``key`` (``src:…``, ``zone:<id>``, ``use:<account id>`` or
    ``use:upper``), the text shown and its column (0 sources, 1 zones, 2 uses)."""

    key: str
    label: str
    column: int
    url: str = ""


@dataclass(frozen=True)
class Band:
    source: Node
    target: Node
    grams: int


@dataclass
class Picture:
    pollutant: Any
    start: dt.date
    end: dt.date
    nodes: list[Node] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)

    @property
    def total_grams(self) -> int:
        """Every gram used in the period (the sum of the bands into the uses)."""
        return sum(b.grams for b in self.bands if b.target.column == 2)


def uses(principal: Principal, pollutant: Any, start: dt.date, end: dt.date) -> QuerySet[Transfer]:
    """The transfers of the picture: posted, effective in the period, out of a lot of a zone the
    principal sees into an allocation or the upper level, not reversed by a correction."""
    rows = Transfer.objects.filter(
        pollutant=pollutant,
        phase__in=POSTED_PHASES,
        effective_date__gte=start,
        effective_date__lte=end,
        debit_lot_zone__isnull=False,
        credit__kind__in=USE_KINDS,
        reversed_by__isnull=True,
    )
    return in_zones(principal, rows, "debit_lot_zone_id")


def _line_types(refs: set[str]) -> dict[str, str]:
    ids = [int(r.removeprefix(LINE_PREFIX)) for r in refs if r.startswith(LINE_PREFIX)]
    return {
        f"{LINE_PREFIX}{pk}": project_type
        for pk, project_type in ReductionLine.objects.filter(pk__in=ids).values_list(
            "pk", "project__project_type"
        )
    }


@dataclass(frozen=True)
class Parcel:
    """Grams of one use transfer from one origin: the zone they left, their source node, and the
    origin's first source (``source_ref``) and lot drawn from (``via_id``)."""

    transfer_id: int
    zone_id: int
    target: str
    source: str
    source_ref: str
    via_id: int | None
    root_id: int
    grams: int


def parcels(transfers: QuerySet[Transfer]) -> list[Parcel]:
    """The origins of ``transfers``, each with its source node; they sum to the transfers."""
    rows = list(
        TransferOrigin.objects.filter(transfer__in=transfers)
        .order_by("transfer_id", "id")
        .values_list(
            "transfer_id",
            "transfer__debit_lot_zone_id",
            "transfer__credit_id",
            "transfer__credit__kind",
            "via_id",
            "root_lot_id",
            "via__source_type",
            "source_type",
            "source_ref",
            "amount_grams",
        )
    )
    types = _line_types({r[8] for r in rows if r[7] == SourceType.REDUCTION_LINE})
    return [
        Parcel(
            transfer_id=tid,
            zone_id=zone_id,
            target=UPPER if kind == AccountKind.UPPER_LEVEL else str(credit_id),
            source=source_key(via_type, st, types.get(sr)),
            source_ref=sr,
            via_id=via_id,
            root_id=root_id,
            grams=grams,
        )
        for tid, zone_id, credit_id, kind, via_id, root_id, via_type, st, sr, grams in rows
    ]


def _use_nodes(account_ids: set[int]) -> dict[str, Node]:
    """A node per allocation (named by its application: code and project) and the upper level."""
    nodes = {UPPER: Node(f"use:{UPPER}", gettext("上级储备库使用扣减"), 2)}
    apps = {
        line.allocation_id: line.application
        for line in ApplicationLine.objects.filter(allocation_id__in=account_ids).select_related(
            "application"
        )
    }
    for account in Account.objects.filter(pk__in=account_ids).select_related("holder_enterprise"):
        app = apps.get(account.pk)
        if app is not None:
            label, url = f"{app.code} {app.project_name}", app.get_absolute_url()
        else:
            label, url = f"{account.holder_enterprise or ''} {account.label or account.code}".strip(), ""
        nodes[str(account.pk)] = Node(f"use:{account.pk}", label, 2, url or account.get_absolute_url())
    return nodes


def provenance_picture(principal: Principal, *, pollutant: Any, start: dt.date, end: dt.date) -> Picture:
    """The picture of ``pollutant`` over ``start`` … ``end`` for ``principal`` (see the module)."""
    picture = Picture(pollutant, start, end)
    found = parcels(uses(principal, pollutant, start, end))
    left: dict[tuple[str, int], int] = defaultdict(int)
    right: dict[tuple[int, str], int] = defaultdict(int)
    for p in found:
        left[(p.source, p.zone_id)] += p.grams
        right[(p.zone_id, p.target)] += p.grams
    zones = {z.pk: z for z in Zone.objects.filter(pk__in={p.zone_id for p in found})}
    sources = {key: Node(f"src:{key}", source_label(key), 0) for key in {k for k, _z in left}}
    zone_nodes = {pk: Node(f"zone:{pk}", z.name, 1) for pk, z in zones.items()}
    targets = _use_nodes({int(t) for _z, t in right if t != UPPER})
    order = sorted(zones.values(), key=lambda z: (z.sort_order, z.code))
    picture.nodes = [
        *sorted(sources.values(), key=lambda n: n.key),
        *(zone_nodes[z.pk] for z in order),
        *sorted((targets[t] for t in {t for _z, t in right}), key=lambda n: n.label),
    ]
    picture.bands = [
        *(Band(sources[s], zone_nodes[z], g) for (s, z), g in sorted(left.items(), key=lambda kv: -kv[1])),
        *(Band(zone_nodes[z], targets[t], g) for (z, t), g in sorted(right.items(), key=lambda kv: -kv[1])),
    ]
    return picture


# --- one band ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BandTransfer:
    """A ledger transfer behind a band and the grams of it the band carries."""

    transfer: Transfer
    grams: int


@dataclass(frozen=True)
class BandRecord:
    """A business record behind a band (a reduction project's line, a recovery or upper-level lot,
    a quota application) and its grams in the band."""

    label: str
    url: str
    grams: int
    detail: str = ""


@dataclass
class BandDetail:
    source: Node
    target: Node
    transfers: list[BandTransfer]
    records: list[BandRecord]

    @property
    def grams(self) -> int:
        return sum(t.grams for t in self.transfers)


def band_detail(
    principal: Principal, *, pollutant: Any, start: dt.date, end: dt.date, source: str, target: str
) -> BandDetail | None:
    """The records and transfers behind the band ``source`` → ``target`` (node keys), or ``None``
    when the picture has no such band for ``principal``."""
    picture = provenance_picture(principal, pollutant=pollutant, start=start, end=end)
    band = next((b for b in picture.bands if b.source.key == source and b.target.key == target), None)
    if band is None:
        return None
    found = parcels(uses(principal, pollutant, start, end))
    if band.source.column == 0:
        zone_id, src = int(target.removeprefix("zone:")), source.removeprefix("src:")
        chosen = [p for p in found if p.zone_id == zone_id and p.source == src]
        records = _source_records(chosen)
    else:
        zone_id, use = int(source.removeprefix("zone:")), target.removeprefix("use:")
        chosen = [p for p in found if p.zone_id == zone_id and p.target == use]
        records = _use_records(chosen, band.target)
    grams: dict[int, int] = defaultdict(int)
    for p in chosen:
        grams[p.transfer_id] += p.grams
    transfers = Transfer.objects.select_related("posting", "debit", "credit").in_bulk(list(grams))
    rows = [
        BandTransfer(transfers[pk], g)
        for pk, g in sorted(grams.items(), key=lambda kv: (transfers[kv[0]].effective_date, kv[0]))
    ]
    return BandDetail(band.source, band.target, rows, records)


def _source_records(chosen: list[Parcel]) -> list[BandRecord]:
    """What the band's grams came from: the reduction lines (named by their projects), else the
    lots (a recovery's lot, an upper-level grant's, the opening reserve's)."""
    by_line: dict[str, int] = defaultdict(int)
    by_lot: dict[int, int] = defaultdict(int)
    line_ids = {
        f"{LINE_PREFIX}{pk}": pk
        for pk in ReductionLine.objects.filter(
            pk__in=[
                int(p.source_ref.removeprefix(LINE_PREFIX))
                for p in chosen
                if p.source_ref.startswith(LINE_PREFIX)
            ]
        ).values_list("pk", flat=True)
    }
    for p in chosen:
        if p.source == "recovery":
            by_lot[p.via_id or p.root_id] += p.grams
        elif p.source_ref in line_ids:
            by_line[p.source_ref] += p.grams
        else:  # an upper-level grant, the opening reserve (or a line no longer on record): its lot
            by_lot[p.root_id] += p.grams
    lines = ReductionLine.objects.filter(pk__in=[line_ids[ref] for ref in by_line]).select_related("project")
    line_of = {f"{LINE_PREFIX}{line.pk}": line for line in lines}
    records = [
        BandRecord(
            str(line_of[ref].project.name),
            line_of[ref].get_absolute_url(),
            grams,
            line_of[ref].project.code or "",
        )
        for ref, grams in by_line.items()
    ]
    lots = Account.objects.in_bulk(list(by_lot))
    records += [
        BandRecord(lots[pk].source_label or lots[pk].code, lots[pk].get_absolute_url(), grams, lots[pk].code)
        for pk, grams in by_lot.items()
    ]
    return sorted(records, key=lambda r: (-r.grams, r.label))


def _use_records(chosen: list[Parcel], target: Node) -> list[BandRecord]:
    return [BandRecord(target.label, target.url, sum(p.grams for p in chosen))]
