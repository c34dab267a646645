"""Registry routes of permit limits (排污许可量: administrators and the unit's zone officer) and the
working-day calendar (administrators). Each calls the service its page calls, with the same
scoping; quantities are read in the pollutant's unit unless the text names one."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils.translation import gettext
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from totalquota.accounts.permissions import access, require, restrict, zone_allowed
from totalquota.api.core import ApiRequest, Pages, allowed, allowed_upload, filtered
from totalquota.api.fields import QuantityText, QueryYear, RecordId
from totalquota.api.lookups import pollutant_by_code
from totalquota.api.schemas import path
from totalquota.common.xlsx import read_table
from totalquota.lib import dates
from totalquota.lib.errors import Forbidden, ValidationFailed
from totalquota.lib.units import format_quantity, parse_quantity
from totalquota.registry import services
from totalquota.registry.models import CalendarDay, Enterprise, PermitLimit

router = Router(tags=["基础信息 registry"])


# --- 排污许可量 permit limits -----------------------------------------------------------------------


class PermitLimitOut(Schema):
    """A unit's permitted yearly quantity of one pollutant for a period."""

    id: int
    enterprise_id: int
    enterprise_name: str
    uscc: str
    zone: str
    permit_number: str
    pollutant: str
    permitted_grams: int
    permitted: str = Field(description="外排环境量，按该污染物单位 / permitted, in the pollutant's unit")
    sewer_grams: int | None
    sewer: str | None = Field(description="接管量（仅水污染物）/ sent to a sewage plant")
    valid_from: dt.date
    valid_to: dt.date | None
    source: str
    recorded_by: str
    recorded_at: dt.datetime

    resolve_enterprise_name = path("enterprise.name")
    resolve_uscc = path("enterprise.uscc")
    resolve_zone = path("enterprise.zone.code")
    resolve_pollutant = path("pollutant.code")
    resolve_recorded_by = path("recorded_by", str)

    @staticmethod
    def resolve_permitted(obj: PermitLimit) -> str:
        return format_quantity(obj.permitted_grams, obj.pollutant.unit, suffix=True)

    @staticmethod
    def resolve_sewer(obj: PermitLimit) -> str | None:
        if obj.sewer_grams is None:
            return None
        return format_quantity(obj.sewer_grams, obj.pollutant.unit, suffix=True)


class PermitLimitIn(Schema):
    pollutant: str = Field(max_length=20, description="污染物代码 / pollutant code")
    permitted: QuantityText
    sewer: QuantityText | None = Field(None, description="接管量，仅水污染物；可不填 / water only")
    valid_from: dt.date = Field(description="有效期自 / valid from")
    valid_to: dt.date | None = Field(None, description="有效期至；长期有效可不填 / valid to")
    source: str = Field(max_length=300, description="依据，如排污许可证编号及核发时间 / the basis")


class PermitImportOut(Schema):
    recorded: int


def _permit_limits() -> QuerySet[PermitLimit]:
    return PermitLimit.objects.select_related("enterprise__zone", "pollutant", "recorded_by")


@router.get(
    "/permit-limits",
    response=list[PermitLimitOut],
    summary="排污许可量（按权限范围）/ Permit limits",
    auth=allowed("registry.view"),
)
@paginate(Pages, page_size=100)
def list_permit_limits(
    request: ApiRequest,
    q: str = "",
    enterprise_id: RecordId | None = None,
    pollutant: str = "",
    zone: str = "",
):
    qs = restrict(request.auth, _permit_limits(), "registry.view")
    if q:
        qs = qs.filter(
            Q(enterprise__name__icontains=q)
            | Q(enterprise__uscc__icontains=q)
            | Q(permit_number__icontains=q)
            | Q(source__icontains=q)
        )
    qs = filtered(
        qs,
        enterprise_id=enterprise_id,
        pollutant__code=pollutant.strip().upper(),
        enterprise__zone__code=zone,
    )
    return qs.order_by("enterprise_id", "pollutant__sort_order", "-valid_from", "pk")


@router.post(
    "/enterprises/{int:enterprise_id}/permit-limits",
    response={201: PermitLimitOut},
    summary="录入排污许可量（同一污染物有效期不重叠）/ Record a permit limit",
    auth=allowed("registry.record_permit"),
)
def record_permit_limit(request: ApiRequest, enterprise_id: int, payload: PermitLimitIn):
    actor = require(request.auth, "registry.record_permit")
    enterprise = access(
        actor, Enterprise.objects.select_related("zone"), enterprise_id, "registry.record_permit"
    )
    if not zone_allowed(actor, enterprise.zone_id):
        raise Forbidden(gettext("您无权录入该单位的许可量"))
    pollutant = pollutant_by_code(payload.pollutant)
    permitted = parse_quantity(payload.permitted, pollutant.unit, field="permitted")
    sewer = parse_quantity(payload.sewer, pollutant.unit, field="sewer") if payload.sewer else None
    row = services.permit_limit_record(
        actor=actor,
        enterprise=enterprise,
        pollutant=pollutant,
        permitted_grams=permitted,
        sewer_grams=sewer,
        valid_from=payload.valid_from,
        valid_to=payload.valid_to,
        source=payload.source,
    )
    return Status(201, _permit_limits().get(pk=row.pk))


@router.post(
    "/permit-limits/import",
    response=PermitImportOut,
    summary="按模板批量导入排污许可量（整表校验，任一行有误则全部不导入）/ Import permit limits",
    auth=allowed_upload("registry.record_permit"),
)
def import_permit_limits(request: ApiRequest, file: File[UploadedFile]):
    rows = read_table(file, headers=[h for h, _f in services.PERMIT_IMPORT_COLUMNS])
    return {"recorded": services.permit_limit_import(actor=request.auth, rows=rows)}


# --- 工作日历 the working-day calendar --------------------------------------------------------------


class CalendarDayOut(Schema):
    id: int
    date: dt.date
    is_working_day: bool = Field(description="true：周末调休上班；false：周一至周五放假")
    name: str


class CalendarDayIn(Schema):
    date: dt.date
    is_working_day: bool = Field(description="true：周末调休上班；false：周一至周五放假")
    name: str = Field(max_length=50, description="名称，如国庆节 / name")


@router.get(
    "/calendar",
    response=list[CalendarDayOut],
    summary="工作日历的例外日期 / Exceptions of the working-day calendar",
    auth=allowed("registry.manage_calendar"),
)
@paginate(Pages, page_size=100)
def list_calendar(request: ApiRequest, year: QueryYear | None = None):
    qs = restrict(request.auth, CalendarDay.objects.all(), "registry.manage_calendar")
    if year is not None and not dates.EARLIEST.year <= year <= dates.LATEST.year:
        raise ValidationFailed(str(dates.PLATFORM.reason), field="year")
    return filtered(qs, date__year=year).order_by("date")


@router.post(
    "/calendar",
    response={201: CalendarDayOut},
    summary="添加工作日历例外（节假日或调休上班日）/ Add a calendar exception",
    auth=allowed("registry.manage_calendar"),
)
def add_calendar_day(request: ApiRequest, payload: CalendarDayIn):
    return Status(201, services.calendar_day_set(actor=request.auth, **payload.dict()))


@router.delete(
    "/calendar/{int:day_id}",
    response={204: None},
    summary="删除工作日历例外 / Remove a calendar exception",
    auth=allowed("registry.manage_calendar"),
)
def delete_calendar_day(request: ApiRequest, day_id: int):
    day = access(request.auth, CalendarDay, day_id, "registry.manage_calendar")
    services.calendar_day_delete(actor=request.auth, day=day)
    return Status(204, None)
