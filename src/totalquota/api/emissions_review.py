"""Emission total library routes: technical review and consistency (TOT-3).

Technical opinions on a report, batch acceptance (each report through the kernel, a result per
id), consistency flags and their resolution, over-emission candidates, imports of other sources
and their figures, and the RES-4 (2) fallback of a verified emission entered with evidence.
"""

import datetime as dt

from django.db.models import QuerySet
from django.urls import reverse
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from totalquota.accounts.permissions import access, restrict
from totalquota.api.core import ApiRequest, Pages, allowed, allowed_upload, filtered
from totalquota.api.fields import QueryYear, RecordId
from totalquota.api.lookups import pollutant_by_code
from totalquota.api.schemas import display, path
from totalquota.emissions import selectors_review
from totalquota.emissions.consistency import flag_message, side_by_side
from totalquota.emissions.models import (
    ConsistencyFlag,
    EmissionReport,
    SourceFigure,
    SourceImport,
    TechnicalOpinion,
    VerifiedEmission,
)
from totalquota.emissions.services import review as services
from totalquota.emissions.services import verified_emission_record
from totalquota.lib.errors import ValidationFailed
from totalquota.lib.units import QuantityError, parse_quantity
from totalquota.registry.models import Enterprise

router = Router(tags=["总量库"])


class OpinionIn(Schema):
    conclusion: str = Field(description="accept（建议通过）| return（建议退回修改）")
    text: str
    organisation: str = ""


class OpinionOut(Schema):
    id: int
    report_id: int
    version: int
    author: str
    organisation: str
    conclusion: str
    text: str
    at: dt.datetime

    resolve_version = path("version.number")
    resolve_author = path("author", str)


def _report(request: ApiRequest, report_id: int, permission: str) -> EmissionReport:
    return access(request.auth, EmissionReport.objects.select_related("enterprise"), report_id, permission)


@router.get(
    "/emission-reports/{int:report_id}/opinions",
    response=list[OpinionOut],
    summary="申报各版本的技术审核意见（TOT-3）",
)
def list_opinions(request: ApiRequest, report_id: int):
    report = _report(request, report_id, "emissions.view")
    return (
        TechnicalOpinion.objects.filter(report=report)
        .select_related("version", "author")
        .order_by("at", "pk")
    )


@router.post(
    "/emission-reports/{int:report_id}/opinions",
    response={201: OpinionOut},
    summary="对当前提交版本出具技术审核意见（第三方限服务功能区；出具人不能审核通过，TOT-3）",
    auth=allowed("emissions.opinion"),
)
def add_opinion(request: ApiRequest, report_id: int, payload: OpinionIn):
    report = _report(request, report_id, "emissions.opinion")
    opinion = services.opinion_add(actor=request.auth, report=report, **payload.dict())
    return Status(201, TechnicalOpinion.objects.select_related("version", "author").get(pk=opinion.pk))


class ComparisonCellOut(Schema):
    source: str
    figure_grams: int | None
    difference_grams: int | None
    tolerance_grams: int | None
    no_data: bool
    flagged: bool


class ComparisonRowOut(Schema):
    pollutant: str
    unit: str
    actual_grams: int | None
    sewer_grams: int | None
    permitted_grams: int | None
    allowed_grams: int | None
    over_permitted: bool
    over_allowed: bool
    sources: list[ComparisonCellOut]


@router.get(
    "/emission-reports/{int:report_id}/comparison",
    response=list[ComparisonRowOut],
    summary="多源比对：当前提交版本的申报数与执行报告、各导入来源并列（无数据不提示，TOT-3）",
)
def comparison(request: ApiRequest, report_id: int):
    report = _report(request, report_id, "emissions.view")
    version = report.current_version
    if version is None or not version.frozen:
        version = report.versions.exclude(submitted_at=None).order_by("-number").first()
    if version is None:
        return []
    return [
        {
            "pollutant": row.pollutant.code,
            "unit": row.pollutant.display_unit,
            "actual_grams": row.line.actual_grams,
            "sewer_grams": row.line.sewer_grams,
            "permitted_grams": row.line.permitted_grams,
            "allowed_grams": row.line.allowed_grams,
            "over_permitted": row.over_permitted,
            "over_allowed": row.over_allowed,
            "sources": [
                {
                    "source": c.kind,
                    "figure_grams": c.other_grams,
                    "difference_grams": c.difference_grams,
                    "tolerance_grams": c.tolerance_grams,
                    "no_data": c.no_data,
                    "flagged": c.flagged,
                }
                for c in row.cells
            ],
        }
        for row in side_by_side(version)
    ]


class BatchIn(Schema):
    ids: list[RecordId] = Field(description="要审核通过的申报编号（最多 2000 个）")
    reason: str = ""


class BatchResultOut(Schema):
    id: int
    accepted: bool
    message: str
    status: str | None = None


@router.post(
    "/emission-reports/batch-accept",
    response=list[BatchResultOut],
    summary="批量审核通过：逐份经工作流审核，各自一个事务；被拒绝的逐条说明原因（四眼原则，TOT-3）",
    auth=allowed("emissions.review"),
)
def batch_accept(request: ApiRequest, payload: BatchIn):
    results = services.reports_accept(actor=request.auth, ids=payload.ids, reason=payload.reason)
    return [
        {
            "id": r.id,
            "accepted": r.accepted,
            "message": r.message,
            "status": (r.report.status if r.accepted and r.report is not None else None),
        }
        for r in results
    ]


# --- flags ---------------------------------------------------------------------------------------------
class FlagOut(Schema):
    id: int
    report_id: int
    version: int
    enterprise_id: int
    zone: str
    year: int
    pollutant: str
    kind: str
    source_kind: str
    reported_grams: int
    other_grams: int
    difference_grams: int
    tolerance_grams: int
    rules: list[dict]
    message: str
    status: str
    resolution: str
    resolved_at: dt.datetime | None

    resolve_version = path("version.number")
    resolve_zone = path("zone.code")
    resolve_pollutant = path("pollutant.code")

    @staticmethod
    def resolve_message(flag: ConsistencyFlag) -> str:
        return flag_message(flag)


FLAG_RELATED = ("version", "zone", "pollutant")


@router.get("/emissions/flags", response=list[FlagOut], summary="一致性核查提示（按权限范围）")
@paginate(Pages, page_size=100)
def list_flags(
    request: ApiRequest, kind: str = "", status: str = "", year: QueryYear | None = None, pollutant: str = ""
):
    qs = restrict(request.auth, ConsistencyFlag.objects.select_related(*FLAG_RELATED), "emissions.view")
    return filtered(qs, kind=kind, status=status, year=year, pollutant__code=pollutant.upper()).order_by("pk")


@router.get("/emissions/flags/{int:flag_id}", response=FlagOut, summary="一致性核查提示")
def get_flag(request: ApiRequest, flag_id: int):
    return access(
        request.auth, ConsistencyFlag.objects.select_related(*FLAG_RELATED), flag_id, "emissions.view"
    )


class ResolveIn(Schema):
    reason: str


@router.post(
    "/emissions/flags/{int:flag_id}/resolve",
    response=FlagOut,
    summary="处理一致性核查提示（须说明处理意见，TOT-3）",
    auth=allowed("emissions.resolve_flag"),
)
def resolve_flag(request: ApiRequest, flag_id: int, payload: ResolveIn):
    flag = access(request.auth, ConsistencyFlag, flag_id, "emissions.resolve_flag")
    services.flag_resolve(actor=request.auth, flag=flag, reason=payload.reason)
    return ConsistencyFlag.objects.select_related(*FLAG_RELATED).get(pk=flag_id)


@router.get(
    "/emissions/candidates",
    response=list[FlagOut],
    summary="超量排放监督候选：超许可、超核定排放量的提示（SUP-4）",
)
@paginate(Pages, page_size=100)
def list_candidates(request: ApiRequest, year: QueryYear | None = None):
    return filtered(selectors_review.over_emission_flags(request.auth), year=year).order_by("pk")


# --- other sources -----------------------------------------------------------------------------------
class SourceImportOut(Schema):
    id: int
    kind: str
    kind_label: str
    year: int
    source: str
    source_date: dt.date
    enterprise_id: int | None
    file_name: str
    sha256: str
    row_count: int
    imported_at: dt.datetime

    resolve_kind_label = display("kind")


class SourceImportJobOut(Schema):
    job_id: int = Field(description="后台任务编号")
    status: str = Field(description="任务状态：queued 排队中（随后 running、done 或 failed）")
    url: str = Field(
        description="查询任务进度与结果的接口：GET /api/v1/jobs/{id}；完成后结果含导入批次编号 batch_id"
    )
    page: str = Field(description="任务页面（进度条、错误清单）")


@router.get(
    "/emissions/source-imports",
    response=list[SourceImportOut],
    summary="外部数据导入批次",
    auth=allowed("emissions.view_sources"),
)
@paginate(Pages, page_size=100)
def list_source_imports(request: ApiRequest, kind: str = "", year: QueryYear | None = None):
    batches = restrict(request.auth, SourceImport.objects.all(), "emissions.view_sources")
    return filtered(batches, kind=kind, year=year).order_by("-pk")


@router.get(
    "/emissions/source-imports/{int:batch_id}",
    response=SourceImportOut,
    summary="外部数据导入批次",
    auth=allowed("emissions.view_sources"),
)
def get_source_import(request: ApiRequest, batch_id: int):
    return access(request.auth, SourceImport, batch_id, "emissions.view_sources")


@router.post(
    "/emissions/source-imports",
    response={202: SourceImportJobOut},
    summary="导入环境统计、环境信息披露或在线监测年度总量（XLSX/CSV）：在后台任务中导入，返回 202 与任务地址；任一行有误整批不导入；导入后重新核查该年度申报",
    auth=allowed_upload("emissions.import_sources"),
)
def import_sources(
    request: ApiRequest,
    kind: Form[str],
    year: Form[int],
    source: Form[str],
    source_date: Form[dt.date],
    file: File[UploadedFile],
):
    job = services.source_import_start(
        actor=request.auth,
        kind=kind,
        year=year,
        source=source,
        source_date=source_date,
        upload=file,
    )
    return Status(
        202,
        {
            "job_id": job.pk,
            "status": job.status,
            "url": reverse("api:job", args=[job.pk]),
            "page": reverse("jobs:detail", args=[job.pk]),
        },
    )


class FigureOut(Schema):
    id: int
    batch_id: int
    kind: str
    year: int
    enterprise_id: int
    uscc: str
    pollutant: str
    grams: int
    sewer_grams: int | None

    resolve_uscc = path("enterprise.uscc")
    resolve_pollutant = path("pollutant.code")


@router.get("/emissions/source-figures", response=list[FigureOut], summary="外部来源数据（按权限范围）")
@paginate(Pages, page_size=200)
def list_figures(
    request: ApiRequest, kind: str = "", year: QueryYear | None = None, batch_id: RecordId | None = None
) -> QuerySet[SourceFigure]:
    qs = restrict(
        request.auth, SourceFigure.objects.select_related("enterprise", "pollutant"), "emissions.view"
    )
    return filtered(qs, kind=kind, year=year, batch_id=batch_id).order_by("pk")


# --- RES-4 (2) fallback: a verified emission with evidence ------------------------------------------------
class VerifiedOut(Schema):
    id: int
    enterprise_id: int
    pollutant: str
    year: int
    actual_grams: int
    source: str
    evidence_name: str
    evidence_sha256: str
    evidence_size_bytes: int | None

    resolve_pollutant = path("pollutant.code")


@router.get(
    "/emissions/verified-emissions",
    response=list[VerifiedOut],
    summary="核实排放量（按权限范围）/ Verified emissions in scope",
)
@paginate(Pages, page_size=100)
def list_verified(
    request: ApiRequest, year: QueryYear | None = None, enterprise_id: RecordId | None = None
) -> QuerySet[VerifiedEmission]:
    qs = restrict(request.auth, VerifiedEmission.objects.select_related("pollutant"), "reserve.view")
    return filtered(qs, year=year, enterprise_id=enterprise_id).order_by("pk")


@router.post(
    "/emissions/verified-emissions",
    response={201: VerifiedOut},
    summary="录入核实排放量（RES-4 情形二的后备：没有审核通过的申报时，由审核人员附佐证材料录入）",
    auth=allowed_upload("emissions.record_verified"),
)
def record_verified(
    request: ApiRequest,
    enterprise_id: Form[int],
    pollutant: Form[str],
    year: Form[int],
    actual: Form[str],
    source: Form[str],
    evidence: File[UploadedFile],
):
    unit = access(request.auth, Enterprise, enterprise_id, "registry.view")
    found = pollutant_by_code(pollutant)
    try:
        grams = parse_quantity(actual, found.unit, field="actual")
    except QuantityError as exc:
        raise ValidationFailed(exc.message, field="actual", clause="RES-4") from None
    row = verified_emission_record(
        actor=request.auth,
        enterprise=unit,
        pollutant=found,
        year=year,
        actual_grams=grams,
        source=source,
        evidence=evidence,
    )
    return Status(201, row)
