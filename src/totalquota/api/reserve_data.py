"""Reserve routes of the data decisions rest on (the API side of ``reserve.views.data``): RES-4
recovery candidates, and the ambient attainment records (RES-2, TOT-3). The same
selectors and services as the pages; the recovery decisions themselves are the workflow routes in
``api.reserve``."""

import datetime as dt

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from totalquota.accounts.permissions import require, restrict
from totalquota.api.core import ApiRequest, Pages, allowed, filtered
from totalquota.api.fields import QueryYear
from totalquota.api.lookups import zone_or_none
from totalquota.api.schemas import path
from totalquota.lib.units import format_quantity
from totalquota.registry.models import AttainmentStatus
from totalquota.reserve import selectors, services
from totalquota.reserve.decisions import Candidate
from totalquota.reserve.models import QuotaApplication

router = Router(tags=["储备库 reserve"])


class CandidateOut(Schema):
    """A RES-4 (2) candidate (收回候选 / recovery candidate): an operating project's line whose
    actual emission is below what it was allocated."""

    line_id: int
    application_id: int
    application_code: str
    enterprise_id: int
    enterprise_name: str
    pollutant: str
    unit: str
    year: int = Field(description="所核年度 / the year counted")
    permitted_grams: int = Field(description="许可（分配）量（克）/ permitted, grams")
    actual_grams: int = Field(description="实际排放量（克）/ actual emission, grams")
    suggested_surplus_grams: int = Field(description="建议收回富余量（克）/ suggested surplus, grams")
    suggested_surplus: str = Field(description="建议收回富余量，按该污染物单位 / in the pollutant's unit")
    source: str = Field(description="实际排放量的来源 / where the actual figure comes from")
    verified_id: int | None = Field(description="所用核实排放量 / the verified emission used, if any")
    report_line_id: int | None = Field(description="所用排放量申报明细 / the report line used, if any")

    resolve_line_id = path("line.pk")
    resolve_application_id = path("line.application_id")
    resolve_application_code = path("line.application.code")
    resolve_enterprise_id = path("line.application.enterprise_id")
    resolve_enterprise_name = path("line.application.enterprise.name")
    resolve_pollutant = path("line.pollutant.code")
    resolve_unit = path("line.pollutant.display_unit")
    resolve_verified_id = path("verified.pk")
    resolve_report_line_id = path("report_line.pk")

    @staticmethod
    def resolve_suggested_surplus(c: Candidate) -> str:
        return format_quantity(c.suggested_surplus_grams, c.line.pollutant.unit)


@router.get(
    "/reserve/recovery-candidates",
    response=list[CandidateOut],
    summary="指标收回候选（RES-4 情形二）/ Recovery candidates (RES-4 (2))",
    auth=allowed("reserve.recover"),
)
def recovery_candidates(request: ApiRequest):
    return selectors.recovery_candidates(restrict(request.auth, QuotaApplication, "reserve.view"))


class AttainmentOut(Schema):
    """环境质量达标状况 / ambient attainment of one indicator in a year, for a zone or the park."""

    id: int
    year: int
    zone: str | None = Field(description="功能区代码；空为全园区 / zone code, null for the whole park")
    indicator: str = Field(description="O3 | PM25 | PM10 | NO2 | SO2 | WATER")
    attained: bool
    source: str
    recorded_by_id: int | None
    recorded_at: dt.datetime

    resolve_zone = path("zone.code")


class AttainmentIn(Schema):
    year: int = Field(description="评价年度（2021 年起）/ assessment year, from 2021")
    zone: str | None = Field(None, description="功能区代码；不填为全园区 / zone code, omit for the park")
    indicator: str = Field(description="O3 | PM25 | PM10 | NO2 | SO2 | WATER")
    attained: bool
    source: str = Field(max_length=300, description="依据，如年度环境质量公报 / the source document")


@router.get(
    "/reserve/attainment",
    response=list[AttainmentOut],
    summary="环境质量达标状况 / Ambient attainment records",
)
@paginate(Pages, page_size=100)
def list_attainment(request: ApiRequest, year: QueryYear | None = None, indicator: str = ""):
    qs = restrict(request.auth, AttainmentStatus.objects.select_related("zone"), "reserve.view")
    return filtered(qs, year=year, indicator=indicator).order_by("pk")


@router.post(
    "/reserve/attainment",
    response={201: AttainmentOut},
    summary="录入环境质量达标状况（决定 RES-2 平衡比例）/ Record an attainment (decides the RES-2 ratio)",
    auth=allowed("reserve.record_data"),
)
def record_attainment(request: ApiRequest, payload: AttainmentIn):
    actor = require(request.auth, "reserve.record_data")
    zone = zone_or_none(payload.zone)
    row = services.attainment_record(
        actor=actor,
        year=payload.year,
        indicator=payload.indicator,
        attained=payload.attained,
        source=payload.source,
        zone=zone,
    )
    return Status(201, AttainmentStatus.objects.select_related("zone").get(pk=row.pk))
