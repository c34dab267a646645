"""Ledger routes: reserve balances (now or as of a date), accounts with provenance, transfers,
postings; a bureau zone transfer and a correcting reversal (administrators, as on the pages); the
reconcile runs (the bureau reads them, an administrator runs one)."""

import datetime as dt
from typing import Annotated, Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from totalquota.accounts.permissions import access, in_zones, require, restrict
from totalquota.api.core import ApiRequest, Pages, allowed, filtered
from totalquota.api.fields import AsOfDay, QuantityText, RecordId, SinceDay, UntilDay
from totalquota.api.lookups import zone_by_code
from totalquota.api.reserve_adjustments import AdjustmentOut, adjustments
from totalquota.api.schemas import ZonePollutantOut, path
from totalquota.ledger import selectors
from totalquota.ledger import services as ledger_services
from totalquota.ledger.models import Account, Posting, ReconcileRun, ReconcileTrigger, Transfer
from totalquota.lib import dates
from totalquota.lib.errors import Forbidden, ValidationFailed
from totalquota.lib.units import format_quantity, parse_quantity
from totalquota.registry.models import Pollutant, Zone
from totalquota.reserve import services as reserve_services
from totalquota.reserve.models import ApplicationLine

router = Router(tags=["指标台账 ledger"])


class ZoneBalanceOut(ZonePollutantOut):
    zone: str
    zone_name: str
    pollutant: str
    unit: str
    posted_grams: int
    held_grams: int | None
    available_grams: int | None
    posted: str
    as_of: dt.date | None

    resolve_zone_name = path("zone.name")
    resolve_posted_grams = path("posted")
    resolve_held_grams = path("held")
    resolve_available_grams = path("available")

    @staticmethod
    def resolve_posted(obj: selectors.MatrixCell) -> str:
        return format_quantity(obj.posted, obj.pollutant.unit)


def _line_of(account: str, field: str) -> Subquery:
    """The application line (``field`` of it) whose allocation account is ``account``."""
    lines = ApplicationLine.objects.filter(allocation_id=OuterRef(account)).order_by("pk")
    return Subquery(lines.values(field)[:1])


def with_allocation(qs: QuerySet, *accounts: str) -> QuerySet:
    """``qs`` annotated with the application and line an allocation account belongs to (RES-2):
    for accounts, their own; for transfers, the allocation account on either side (``credit_id``
    first: an allocation receives its grams)."""

    def pick(field: str) -> Coalesce | Subquery:
        found = [_line_of(account, field) for account in accounts]
        return Coalesce(*found) if len(found) > 1 else found[0]

    return qs.annotate(
        application_line_id=pick("pk"),
        application_id=pick("application_id"),
        application_code=pick("application__code"),
    )


class AllocationRefs(Schema):
    """What an allocation account (指标账户) belongs to: the application and its line; empty for
    lots and other accounts."""

    application_id: int | None = Field(None, description="所属总量指标申请的 id（仅指标账户）")
    application_code: str | None = Field(None, description="所属申请编号（如 ZL2026-0042）")
    application_line_id: int | None = Field(None, description="所属申请行（污染物）的 id")


class AccountOut(ZonePollutantOut, AllocationRefs):
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

    resolve_posted_grams = path("balance.posted")
    resolve_held_grams = path("balance.debits_pending")
    resolve_available_grams = path("balance.available")

    @staticmethod
    def resolve_closed(obj: Account) -> bool:
        return obj.closed_at is not None


class ParcelOut(Schema):
    grams: int
    via_lot: str | None
    root_lot: str
    source_type: str
    source_ref: str
    source_label: str

    resolve_root_lot = path("root_lot.code")

    @staticmethod
    def resolve_via_lot(obj: selectors.Parcel) -> str | None:
        return obj.via.code if obj.via else None


class AccountDetailOut(AccountOut):
    provenance: list[ParcelOut]

    @staticmethod
    def resolve_provenance(obj: Account) -> list[selectors.Parcel]:
        return selectors.provenance(obj).parcels


class TransferOut(AllocationRefs):
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

    resolve_debit = path("debit.code")
    resolve_credit = path("credit.code")
    resolve_pollutant = path("pollutant.code")
    resolve_reason = path("posting.reason")
    resolve_clause_id = path("posting.clause_id")
    resolve_object_type = path("posting.object_type")
    resolve_object_id = path("posting.object_id")


@router.get(
    "/ledger/balances", response=list[ZoneBalanceOut], summary="功能区 × 污染物储备余额（可按历史日期）"
)
def balances(
    request: ApiRequest,
    as_of: AsOfDay | None = None,
    zone: str = "",
    pollutant: str = "",
    as_known_at: Annotated[
        dt.datetime | None,
        Field(
            description=(
                "账本在该时刻的记载（不计此后补记的更正等）；不填 as_of 时为今天的余额。"
                "无时区时按北京时间 / the ledger as it stood at this moment (later back-dated "
                "postings left out); with as_of omitted, today's balance"
            )
        ),
    ] = None,
):
    principal = require(request.auth, "ledger.view")
    if principal.enterprise_id is not None:
        raise Forbidden(gettext("排污单位只能查看本单位的指标账户"))
    if as_known_at is not None:
        if timezone.is_naive(as_known_at):
            as_known_at = timezone.make_aware(as_known_at)
        dates.QUERY_DAY.check(timezone.localdate(as_known_at), label="记载时刻", field="as_known_at")
        as_of = as_of or timezone.localdate()
    zones = filtered(in_zones(principal, Zone.objects.filter(is_active=True)), code=zone)
    pollutants = filtered(Pollutant.objects.all(), code=pollutant)
    return selectors.balance_matrix(zones, pollutants, as_of=as_of, known_at=as_known_at).cells()


@router.get("/ledger/accounts", response=list[AccountOut], summary="储备批次与指标账户")
@paginate(Pages, page_size=50)
def accounts(request: ApiRequest, kind: str = "", zone: str = "", pollutant: str = "", source_ref: str = ""):
    qs = restrict(request.auth, selectors.accounts_in_scope(Account.objects.all()), "ledger.view")
    qs = with_allocation(qs, "pk")
    return filtered(
        qs, kind=kind, zone__code=zone, pollutant__code=pollutant, source_ref=source_ref
    ).order_by("pk")


@router.get("/ledger/accounts/{int:account_id}", response=AccountDetailOut, summary="账户详情及来源追溯")
def account(request: ApiRequest, account_id: int):
    return access(
        request.auth,
        with_allocation(selectors.accounts_in_scope(Account.objects.all()), "pk"),
        account_id,
        "ledger.view",
    )


class UseOut(Schema):
    """Where grams of a lot's source are now (去向 / forward trace): an allocation, the upper level,
    or still a lot."""

    account_id: int
    code: str
    kind: str = Field(description="allocation（分配）| upper_level（上级）| lot（储备批次）")
    zone: str
    holder_enterprise_id: int | None
    grams: int = Field(description="该来源在此账户中的克数 / grams of this source held there")

    resolve_account_id = path("account.pk")
    resolve_code = path("account.code")
    resolve_kind = path("account.kind")
    resolve_zone = path("account.zone.code")
    resolve_holder_enterprise_id = path("account.holder_enterprise_id")


@router.get(
    "/ledger/accounts/{int:account_id}/uses",
    response=list[UseOut],
    summary="储备批次来源的去向（减排量、上级下达、期初流向了哪些分配）/ Forward trace of a lot's source",
)
def account_uses(request: ApiRequest, account_id: int):
    found = access(
        request.auth, selectors.accounts_in_scope(Account.objects.all()), account_id, "ledger.view"
    )
    return selectors.lot_uses(found)


@router.get("/ledger/transfers", response=list[TransferOut], summary="划转流水")
@paginate(Pages, page_size=100)
def transfers(
    request: ApiRequest,
    object_type: str = "",
    object_id: str = "",
    since: SinceDay | None = None,
    until: UntilDay | None = None,
):
    qs = restrict(
        request.auth,
        Transfer.objects.select_related("debit", "credit", "pollutant", "posting"),
        "ledger.view",
    )
    qs = filtered(
        qs,
        posting__object_type=object_type,
        posting__object_id=object_id,
        effective_date__gte=since,
        effective_date__lte=until,
    )
    return with_allocation(qs.distinct(), "credit_id", "debit_id").order_by("pk")


# --- 调剂与更正: a bureau zone transfer and a correcting reversal (administrators) ------------------


class PostingOut(Schema):
    """A posting (记账批次) with its transfers."""

    id: int
    operation: str
    code: str
    effective_date: dt.date
    reason: str
    clause_id: str
    actor: str | None
    object_type: str
    object_id: str
    reverses_id: int | None = Field(description="所更正的批次 / the posting this one reverses")
    created_at: dt.datetime
    transfers: list[TransferOut]

    resolve_actor = path("actor", str)

    @staticmethod
    def resolve_transfers(obj: Posting) -> QuerySet[Transfer]:
        qs = Transfer.objects.select_related("debit", "credit", "pollutant", "posting").filter(posting=obj)
        return with_allocation(qs, "credit_id", "debit_id").order_by("pk")


class ZoneTransferIn(Schema):
    from_lot_id: RecordId = Field(description="调出的储备批次（账户 id，见 /ledger/accounts?kind=lot）")
    to_zone: str = Field(max_length=32, description="调入功能区代码 / the zone receiving the quota")
    amount: QuantityText
    effective_date: dt.date = Field(description="生效日期 / effective date")
    reason: str = Field(max_length=500, description="调剂事由（RES-2）/ the reason")


class ReverseIn(Schema):
    reason: str = Field(max_length=500, description="更正事由 / the reason for the correction")


def _posting(pk: int) -> Posting:
    return Posting.objects.select_related("actor").get(pk=pk)


@router.get("/ledger/postings/{int:posting_id}", response=PostingOut, summary="记账批次及其划转")
def posting(request: ApiRequest, posting_id: int):
    return access(request.auth, Posting.objects.select_related("actor").distinct(), posting_id, "ledger.view")


@router.post(
    "/ledger/zone-transfers",
    response={202: AdjustmentOut},
    summary="拟定功能区间调剂（RES-2；另一人确认后记账）/ Propose a bureau zone transfer",
    auth=allowed("reserve.adjust"),
)
def zone_transfer(request: ApiRequest, payload: ZoneTransferIn):
    """Four eyes: the answer (202) is the proposed adjustment; nothing is posted until another
    person confirms it (``POST /reserve/adjustments/{id}/confirm``), which makes the one posting."""
    actor = require(request.auth, "reserve.adjust")
    lot = Account.objects.select_related("pollutant").filter(pk=payload.from_lot_id).first()
    if lot is None:
        raise ValidationFailed(gettext("调出批次不存在"), field="from_lot_id")
    to_zone = zone_by_code(payload.to_zone, field="to_zone", among=Zone.objects.filter(is_active=True))
    grams = parse_quantity(payload.amount, lot.pollutant.unit, allow_zero=False, field="amount")
    made = reserve_services.adjustment_zone_transfer(
        actor=actor,
        from_lot=lot,
        to_zone=to_zone,
        amount_grams=grams,
        effective_date=payload.effective_date,
        reason=payload.reason,
    )
    return Status(202, adjustments().get(pk=made.pk))


@router.post(
    "/ledger/postings/{int:posting_id}/reverse",
    response={202: AdjustmentOut},
    summary="拟定更正：冲销一个记账批次（另一人确认后记账）/ Propose reversing a posting",
    auth=allowed("reserve.adjust"),
)
def reverse_posting(request: ApiRequest, posting_id: int, payload: ReverseIn):
    """Four eyes, as a zone transfer: 202 with the proposed correction."""
    actor = require(request.auth, "reserve.adjust")
    original = access(actor, Posting.objects.distinct(), posting_id, "ledger.view")
    made = reserve_services.adjustment_correction(actor=actor, posting=original, reason=payload.reason)
    return Status(202, adjustments().get(pk=made.pk))


# --- 台账对账: reconcile runs ----------------------------------------------------------------------


class ReconcileRunOut(Schema):
    """A reconcile run (台账对账): what was checked and each discrepancy found."""

    id: int
    status: str = Field(description="running（运行中）| ok（通过）| failed（未通过）")
    ok: bool | None = Field(description="对账是否通过；运行中为 null / whether everything agreed")
    trigger: str = Field(description="person（人员发起）| scheduled（每日定时）| command（运维命令）")
    triggered_by: str | None = Field(description="发起人（定时或命令发起时为 null）/ who started it")
    started_at: dt.datetime
    finished_at: dt.datetime | None
    accounts_checked: int
    transfers_checked: int
    audit_events_checked: int
    debits_posted_grams: int
    credits_posted_grams: int
    problem_count: int = Field(description="不符处数（全部）/ discrepancies found in all")
    problems: list[str] = Field(description="不符明细（前 50 处）/ the discrepancies (the first 50)")
    error: str = Field(description="未能完成时的运行错误 / what stopped a run that could not finish")

    resolve_triggered_by = path("triggered_by", str)
    resolve_debits_posted_grams = path("debits_posted")
    resolve_credits_posted_grams = path("credits_posted")

    @staticmethod
    def resolve_status(obj: ReconcileRun) -> str:
        return "running" if obj.ok is None else ("ok" if obj.ok else "failed")


class ReconcilePages(Pages):
    """The runs' pages, with the latest run of all (whatever the filters) beside them."""

    class Output(Pages.Output):  # type: ignore[name-defined]
        latest: ReconcileRunOut | None = Field(
            description="最近一次对账（不受筛选影响）/ the latest run, whatever the filters"
        )

    def paginate_queryset(self, queryset: QuerySet, pagination: Any, request: Any, **params: Any) -> Any:
        page = super().paginate_queryset(queryset, pagination, request=request, **params)
        page["latest"] = _runs(request).first()
        return page


def _runs(request: Any) -> QuerySet[ReconcileRun]:
    return restrict(
        request.auth, ReconcileRun.objects.select_related("triggered_by"), "ledger.reconcile_view"
    ).order_by("-started_at", "-id")


@router.get(
    "/ledger/reconcile",
    response=list[ReconcileRunOut],
    summary="台账对账记录：最近一次与全部（可按结果、发起方式、日期筛选）/ Reconcile runs",
    auth=allowed("ledger.reconcile_view"),
)
@paginate(ReconcilePages, page_size=50)
def reconcile_runs(
    request: ApiRequest,
    ok: bool | None = None,
    trigger: ReconcileTrigger | None = None,
    since: SinceDay | None = None,
    until: UntilDay | None = None,
):
    return filtered(
        _runs(request), ok=ok, trigger=trigger, started_at__date__gte=since, started_at__date__lte=until
    )


@router.get(
    "/ledger/reconcile/{int:run_id}",
    response=ReconcileRunOut,
    summary="一次台账对账及其不符明细 / A reconcile run",
    auth=allowed("ledger.reconcile_view"),
)
def reconcile_run(request: ApiRequest, run_id: int):
    return access(request.auth, _runs(request), run_id, "ledger.reconcile_view")


@router.post(
    "/ledger/reconcile",
    response={201: ReconcileRunOut},
    summary="立即对账：按流水重算余额、汇总、日变动与来源，核对借贷平衡与审计链 / Reconcile now",
    auth=allowed("ledger.reconcile"),
)
def reconcile_now(request: ApiRequest):
    """Runs the check now and answers with the stored run (``ok`` false and the discrepancies when
    it found any; the administrators are then told). With an ``Idempotency-Key`` a retry gets the
    same run back rather than starting another."""
    actor = require(request.auth, "ledger.reconcile")
    run = ledger_services.run_reconcile(by=actor)
    return Status(201, ReconcileRun.objects.select_related("triggered_by").get(pk=run.pk))
