"""Ledger routes: reserve balances (now or as of a date), accounts with provenance, transfers."""

import datetime as dt

from ninja import Router, Schema
from ninja.pagination import paginate

from totalquota.accounts.permissions import access, require, restrict
from totalquota.api.core import ApiRequest, Pages
from totalquota.ledger import selectors
from totalquota.ledger.models import Account, Transfer
from totalquota.lib import dates
from totalquota.lib.errors import Forbidden
from totalquota.lib.units import format_quantity
from totalquota.registry.models import Pollutant, Zone

router = Router(tags=["指标台账 ledger"])


class ZoneBalanceOut(Schema):
    zone: str
    zone_name: str
    pollutant: str
    unit: str
    posted_grams: int
    held_grams: int | None
    available_grams: int | None
    posted: str
    as_of: dt.date | None


class AccountOut(Schema):
    id: int
    code: str
    kind: str
    zone: str
    pollutant: str
    unit: str
    holder_enterprise_id: int | None
    source_type: str
    source_ref: str
    source_label: str
    opened_on: dt.date
    closed: bool
    posted_grams: int
    held_grams: int
    available_grams: int

    @staticmethod
    def resolve_zone(obj: Account) -> str:
        return obj.zone.code

    @staticmethod
    def resolve_pollutant(obj: Account) -> str:
        return obj.pollutant.code

    @staticmethod
    def resolve_unit(obj: Account) -> str:
        return obj.pollutant.display_unit

    @staticmethod
    def resolve_closed(obj: Account) -> bool:
        return obj.closed_at is not None

    @staticmethod
    def resolve_posted_grams(obj: Account) -> int:
        return obj.balance.posted

    @staticmethod
    def resolve_held_grams(obj: Account) -> int:
        return obj.balance.debits_pending

    @staticmethod
    def resolve_available_grams(obj: Account) -> int:
        return obj.balance.available


class ParcelOut(Schema):
    grams: int
    via_lot: str | None
    root_lot: str
    source_type: str
    source_ref: str
    source_label: str


class AccountDetailOut(AccountOut):
    provenance: list[ParcelOut]


class TransferOut(Schema):
    id: int
    posting_id: int
    code: str
    phase: str
    debit: str
    credit: str
    pollutant: str
    amount_grams: int
    effective_date: dt.date
    reason: str
    clause_id: str
    object_type: str
    object_id: str

    @staticmethod
    def resolve_debit(obj: Transfer) -> str:
        return obj.debit.code

    @staticmethod
    def resolve_credit(obj: Transfer) -> str:
        return obj.credit.code

    @staticmethod
    def resolve_pollutant(obj: Transfer) -> str:
        return obj.pollutant.code

    @staticmethod
    def resolve_reason(obj: Transfer) -> str:
        return obj.posting.reason

    @staticmethod
    def resolve_clause_id(obj: Transfer) -> str:
        return obj.posting.clause_id

    @staticmethod
    def resolve_object_type(obj: Transfer) -> str:
        return obj.posting.object_type

    @staticmethod
    def resolve_object_id(obj: Transfer) -> str:
        return obj.posting.object_id


@router.get(
    "/ledger/balances", response=list[ZoneBalanceOut], summary="功能区 × 污染物储备余额（可按历史日期）"
)
def balances(request: ApiRequest, as_of: dt.date | None = None, zone: str = "", pollutant: str = ""):
    principal = require(request.auth, "ledger.view")
    if principal.enterprise_id is not None:
        raise Forbidden("排污单位只能查看本单位的指标账户")
    dates.QUERY_DAY.check(as_of, label="查询日期", field="as_of")
    zones = restrict(principal, Zone.objects.filter(is_active=True), "ledger.view")
    if principal.zone_ids is not None:
        zones = zones.filter(pk__in=principal.zone_ids)
    if zone:
        zones = zones.filter(code=zone)
    pollutants = Pollutant.objects.all()
    if pollutant:
        pollutants = pollutants.filter(code=pollutant)
    matrix = selectors.zone_matrix(list(zones))
    result = []
    for z in zones:
        past = selectors.zone_balance_as_of(z, as_of) if as_of else None
        for p in pollutants:
            if past is not None:
                posted, held, available = past.get(p.pk, 0), None, None
            else:
                view = matrix.get((z.pk, p.pk), selectors.BalanceView(0, 0, 0))
                posted, held, available = view.posted, view.held_out, view.available
            result.append(
                {
                    "zone": z.code,
                    "zone_name": z.name,
                    "pollutant": p.code,
                    "unit": p.display_unit,
                    "posted_grams": posted,
                    "held_grams": held,
                    "available_grams": available,
                    "posted": format_quantity(posted, p.unit),
                    "as_of": as_of,
                }
            )
    return result


@router.get("/ledger/accounts", response=list[AccountOut], summary="储备批次与指标账户")
@paginate(Pages, page_size=50)
def accounts(request: ApiRequest, kind: str = "", zone: str = "", pollutant: str = "", source_ref: str = ""):
    qs = restrict(request.auth, selectors.accounts_in_scope(Account.objects.all()), "ledger.view")
    if kind:
        qs = qs.filter(kind=kind)
    if zone:
        qs = qs.filter(zone__code=zone)
    if pollutant:
        qs = qs.filter(pollutant__code=pollutant)
    if source_ref:
        qs = qs.filter(source_ref=source_ref)
    return qs.order_by("pk")


@router.get("/ledger/accounts/{int:account_id}", response=AccountDetailOut, summary="账户详情及来源追溯")
def account(request: ApiRequest, account_id: int):
    obj = access(request.auth, selectors.accounts_in_scope(Account.objects.all()), account_id, "ledger.view")
    trace = selectors.provenance(obj)
    obj.provenance = [  # type: ignore[attr-defined]
        {
            "grams": p.grams,
            "via_lot": p.via.code if p.via else None,
            "root_lot": p.root_lot.code,
            "source_type": p.source_type,
            "source_ref": p.source_ref,
            "source_label": p.source_label,
        }
        for p in trace.parcels
    ]
    return obj


@router.get("/ledger/transfers", response=list[TransferOut], summary="划转流水")
@paginate(Pages, page_size=100)
def transfers(
    request: ApiRequest,
    object_type: str = "",
    object_id: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
):
    dates.QUERY_DAY.check(since, label="起始日期", field="since")
    dates.QUERY_DAY.check(until, label="截止日期", field="until")
    qs = restrict(
        request.auth,
        Transfer.objects.select_related("debit", "credit", "pollutant", "posting"),
        "ledger.view",
    )
    if object_type:
        qs = qs.filter(posting__object_type=object_type)
    if object_id:
        qs = qs.filter(posting__object_id=object_id)
    if since:
        qs = qs.filter(effective_date__gte=since)
    if until:
        qs = qs.filter(effective_date__lte=until)
    return qs.distinct().order_by("pk")
