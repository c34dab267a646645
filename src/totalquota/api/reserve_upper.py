"""Reserve routes of the upper-level reserve (上级储备库, RES-2): requests, their answers (a grant
becomes a lot of the zone, or a refusal) and deductions of reductions also used upward. The same
services as the pages (``reserve.services.upper``)."""

import datetime as dt

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from totalquota.accounts.permissions import access, in_zones, restrict
from totalquota.api.core import ApiRequest, Pages, allowed, filtered
from totalquota.api.fields import QuantityText, RecordId
from totalquota.api.lookups import pollutant_by_code, zone_by_code
from totalquota.api.reserve_adjustments import AdjustmentOut, adjustments
from totalquota.api.schemas import ZonePollutantOut, display
from totalquota.lib.errors import ValidationFailed
from totalquota.lib.units import QuantityError, format_quantity, parse_quantity
from totalquota.reductions.models import ReductionLine
from totalquota.registry.models import Pollutant, Zone
from totalquota.reserve import services
from totalquota.reserve.models import QuotaApplication, UpperDeduction, UpperLevelRequest

router = Router(tags=["储备库 reserve"])


class UpperRequestOut(ZonePollutantOut):
    """上级储备库申请 / a request to the upper-level reserve."""

    id: int
    zone: str
    pollutant: str
    unit: str
    amount_grams: int = Field(description="申请量（克）/ amount asked, grams")
    amount: str = Field(description="申请量，按该污染物单位 / amount in the pollutant's unit")
    reason: str
    application_id: int | None = Field(description="对应的总量指标申请 / the application it serves")
    status: str = Field(description="requested（已申请）| granted（已下达）| refused（未获支持）")
    status_label: str
    requested_by_id: int
    requested_at: dt.datetime
    granted_grams: int | None = Field(description="下达量（克）/ granted, grams")
    reference: str = Field(description="上级下达文件 / the upper level's document")
    decided_at: dt.datetime | None
    posting_id: int | None = Field(description="下达入库的记账 / the ledger posting of the grant")

    resolve_status_label = display("status")

    @staticmethod
    def resolve_amount(obj: UpperLevelRequest) -> str:
        return format_quantity(obj.amount_grams, obj.pollutant.unit)


class UpperRequestIn(Schema):
    zone: str = Field(description="功能区代码 / zone code")
    pollutant: str = Field(description="污染物代码 / pollutant code")
    amount: QuantityText
    reason: str = Field(max_length=2000, description="申请理由 / why the park cannot cover it")
    application_id: RecordId | None = Field(None, description="对应申请（可选）/ the application, optional")


class UpperGrantIn(Schema):
    granted: QuantityText
    reference: str = Field(max_length=200, description="上级下达文件 / the upper level's document")
    effective_date: dt.date | None = Field(
        None, description="入库日期，默认今天 / effective date, today by default"
    )


class UpperRefuseIn(Schema):
    reference: str = Field(max_length=200, description="上级答复文件 / the upper level's answer")


class UpperDeductionIn(Schema):
    line_id: RecordId = Field(description="减排量明细（已入库）/ the reduction line, already in the reserve")
    amount: QuantityText
    reason: str = Field(max_length=480, description="已报送上级并被使用的情况 / how it was used upward")


class UpperDeductionOut(Schema):
    """上级使用扣减 / a deduction from the park reserve of a reduction used upward."""

    id: int
    line_id: int
    amount_grams: int
    reason: str
    decided_by_id: int
    decided_at: dt.datetime
    posting_id: int


def _requests():
    return UpperLevelRequest.objects.select_related("zone", "pollutant")


def _grams(text: str, pollutant: Pollutant, field: str) -> int:
    try:
        return parse_quantity(text, pollutant.unit, allow_zero=False)
    except QuantityError as exc:
        raise ValidationFailed(str(exc), field=field, clause="RES-2") from None


@router.get(
    "/reserve/upper-requests",
    response=list[UpperRequestOut],
    summary="上级储备库申请（按权限范围）/ Upper-level reserve requests in scope",
)
@paginate(Pages, page_size=50)
def list_upper_requests(request: ApiRequest, status: str = "", zone: str = "", pollutant: str = ""):
    qs = restrict(request.auth, _requests(), "reserve.view")
    return filtered(qs, status=status, zone__code=zone, pollutant__code=pollutant).order_by("pk")


@router.post(
    "/reserve/upper-requests",
    response={201: UpperRequestOut},
    summary="申请上级储备库指标（RES-2）/ Ask the upper-level reserve",
    auth=allowed("reserve.upper_level"),
)
def create_upper_request(request: ApiRequest, payload: UpperRequestIn):
    zone = zone_by_code(payload.zone, among=in_zones(request.auth, Zone.objects.filter(is_active=True)))
    pollutant = pollutant_by_code(payload.pollutant)
    application = None
    if payload.application_id is not None:
        application = access(request.auth, QuotaApplication, payload.application_id, "reserve.view")
    row = services.upper_request(
        actor=request.auth,
        zone=zone,
        pollutant=pollutant,
        amount_grams=_grams(payload.amount, pollutant, "amount"),
        reason=payload.reason,
        application=application,
    )
    return Status(201, _requests().get(pk=row.pk))


def _load(request: ApiRequest, request_id: int) -> UpperLevelRequest:
    return access(request.auth, _requests(), request_id, "reserve.upper_grant")


@router.post(
    "/reserve/upper-requests/{int:request_id}/grant",
    response=UpperRequestOut,
    summary="登记上级下达（入园区储备；申请人以外的人员登记）/ Record the upper level's grant (a lot of the zone)",
    auth=allowed("reserve.upper_grant"),
)
def grant_upper_request(request: ApiRequest, request_id: int, payload: UpperGrantIn):
    row = _load(request, request_id)
    services.upper_grant(
        actor=request.auth,
        request=row,
        granted_grams=_grams(payload.granted, row.pollutant, "granted"),
        reference=payload.reference,
        effective_date=payload.effective_date,
    )
    return _requests().get(pk=row.pk)


@router.post(
    "/reserve/upper-requests/{int:request_id}/refuse",
    response=UpperRequestOut,
    summary="登记上级未予支持（申请人以外的人员登记）/ Record that the upper level refused",
    auth=allowed("reserve.upper_grant"),
)
def refuse_upper_request(request: ApiRequest, request_id: int, payload: UpperRefuseIn):
    row = _load(request, request_id)
    services.upper_refuse(actor=request.auth, request=row, reference=payload.reference)
    return _requests().get(pk=row.pk)


@router.post(
    "/reserve/upper-deductions",
    response={202: AdjustmentOut},
    summary="拟定上级使用扣减（另一人确认后记账）/ Propose deducting a reduction used upward",
    auth=allowed("reserve.adjust"),
)
def create_upper_deduction(request: ApiRequest, payload: UpperDeductionIn):
    line = access(
        request.auth, ReductionLine.objects.select_related("pollutant"), payload.line_id, "reductions.view"
    )
    made = services.adjustment_upper_deduction(
        actor=request.auth,
        line=line,
        amount_grams=_grams(payload.amount, line.pollutant, "amount"),
        reason=payload.reason,
    )
    return Status(202, adjustments().get(pk=made.pk))


@router.get(
    "/reserve/upper-deductions",
    response=list[UpperDeductionOut],
    summary="上级使用扣减（按权限范围）/ Deductions for upward use in scope",
)
@paginate(Pages, page_size=50)
def list_upper_deductions(request: ApiRequest, line_id: RecordId | None = None):
    qs = restrict(request.auth, UpperDeduction.objects.all(), "reserve.view")
    return filtered(qs, line_id=line_id).order_by("pk")
