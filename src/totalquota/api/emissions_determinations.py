"""Emission total library routes: this year's allowed emissions (TOT-3) and the unit's record.

Quantities travel as decimal strings in the pollutant's unit, with the exact grams beside them;
the derivation comes both as data and in words (in the request's language).
"""

import datetime as dt
from typing import Any

from django.http import Http404, HttpResponse
from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from totalquota.accounts.permissions import access, restrict, zone_visible
from totalquota.api.core import ApiRequest, Pages, allowed, filtered
from totalquota.api.fields import QuantityText, QueryYear, RecordId
from totalquota.documents import selectors as documents
from totalquota.documents.models import DocumentKind
from totalquota.documents.responses import send_file
from totalquota.emissions import selectors_determinations as reads
from totalquota.emissions.determination_text import explain
from totalquota.emissions.models import ConsistencyFlag, Determination, DeterminationLine, EmissionReport
from totalquota.emissions.services import determinations as services
from totalquota.lib.errors import Conflict
from totalquota.lib.units import format_quantity, parse_quantity
from totalquota.registry.models import Enterprise, Zone

router = Router(tags=["总量库"])
VIEW = "emissions.view"
DETERMINE = "emissions.determine"


def _q(grams: int | None, line: Any) -> str | None:
    return None if grams is None else format_quantity(grams, line.pollutant.unit)


class DeterminationLineOut(Schema):
    id: int
    pollutant: str
    unit: str
    base: str
    computed: str
    allowed: str
    base_grams: int
    computed_grams: int
    allowed_grams: int
    override: str | None = Field(None, description="调整后的核定排放量（待确认或已确认）")
    override_reason: str
    override_by: str | None
    override_confirmed_by: str | None
    override_pending: bool
    derivation: list[dict[str, Any]] = Field(
        description="测算过程（数据）：每步的输入、来源、规则参数和条款、结果"
    )
    explanation: list[str] = Field(description="测算过程（文字，按请求语言）")
    rules: list[dict[str, Any]]

    @staticmethod
    def resolve_pollutant(line: DeterminationLine) -> str:
        return line.pollutant.code

    @staticmethod
    def resolve_unit(line: DeterminationLine) -> str:
        return line.pollutant.display_unit

    @staticmethod
    def resolve_base(line: DeterminationLine) -> str:
        return format_quantity(line.base_grams, line.pollutant.unit)

    @staticmethod
    def resolve_computed(line: DeterminationLine) -> str:
        return format_quantity(line.computed_grams, line.pollutant.unit)

    @staticmethod
    def resolve_allowed(line: DeterminationLine) -> str:
        return format_quantity(line.allowed_grams, line.pollutant.unit)

    @staticmethod
    def resolve_override(line: DeterminationLine) -> str | None:
        return _q(line.override_grams, line)

    @staticmethod
    def resolve_override_by(line: DeterminationLine) -> str | None:
        return str(line.override_by) if line.override_by_id else None

    @staticmethod
    def resolve_override_confirmed_by(line: DeterminationLine) -> str | None:
        return str(line.override_confirmed_by) if line.override_confirmed_by_id else None

    @staticmethod
    def resolve_explanation(line: DeterminationLine) -> list[str]:
        return explain(line.derivation or [], line.pollutant.unit)


class DeterminationOut(Schema):
    id: int
    year: int
    enterprise_id: int
    enterprise: str
    zone: str
    status: str
    computed_by: str
    computed_at: dt.datetime
    issued_by: str | None
    issued_at: dt.datetime | None
    document_code: str | None
    document_version: int | None
    lines: list[DeterminationLineOut]
    undetermined: list[dict[str, Any]]

    @staticmethod
    def resolve_enterprise(d: Determination) -> str:
        return d.enterprise.name

    @staticmethod
    def resolve_zone(d: Determination) -> str:
        return d.zone.code

    @staticmethod
    def resolve_computed_by(d: Determination) -> str:
        return str(d.computed_by)

    @staticmethod
    def resolve_issued_by(d: Determination) -> str | None:
        return str(d.issued_by) if d.issued_by_id else None

    @staticmethod
    def resolve_document_code(d: Determination) -> str | None:
        return d.document.code if d.document_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_document_version(d: Determination) -> int | None:
        return d.document.version if d.document_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_lines(d: Determination) -> list[DeterminationLine]:
        return list(
            d.lines.select_related("pollutant", "override_by", "override_confirmed_by").order_by(
                "pollutant__sort_order"
            )
        )


def _qs() -> Any:
    return Determination.objects.select_related("enterprise", "zone", "computed_by", "issued_by", "document")


def _out(d: Determination) -> Determination:
    return _qs().get(pk=d.pk)


@router.get(
    "/emissions/determinations", response=list[DeterminationOut], summary="年度核定排放量（按权限范围）"
)
@paginate(Pages, page_size=50)
def list_determinations(
    request: ApiRequest,
    year: QueryYear | None = None,
    zone: str = "",
    status: str = "",
    enterprise_id: RecordId | None = None,
):
    qs = restrict(request.auth, _qs(), VIEW)
    return filtered(qs, year=year, zone__code=zone, status=status, enterprise_id=enterprise_id).order_by(
        "-year", "zone__sort_order", "enterprise__name", "pk"
    )


@router.get(
    "/emissions/determinations/{int:determination_id}",
    response=DeterminationOut,
    summary="核定详情（含测算过程）",
)
def get_determination(request: ApiRequest, determination_id: int):
    return access(request.auth, _qs(), determination_id, VIEW)


class RunIn(Schema):
    zone: str = Field(description="功能区代码")
    year: int = Field(description="核定年度（排放年度的次年）")


def _zone(request: ApiRequest, code: str) -> Zone:
    zone = Zone.objects.filter(code=code).first()
    if zone is None or not zone_visible(request.auth, zone.pk):
        raise Http404
    return zone


@router.post(
    "/emissions/determinations/compute",
    response={200: list[DeterminationOut]},
    summary="测算功能区年度核定排放量（TOT-3；无审核通过的申报时 422）",
    auth=allowed(DETERMINE),
)
def compute(request: ApiRequest, payload: RunIn):
    results = services.determination_compute(
        actor=request.auth, zone=_zone(request, payload.zone), year=payload.year
    )
    return [_out(d) for d in results]


@router.post(
    "/emissions/determinations/issue",
    response={200: list[DeterminationOut]},
    summary="下达功能区已测算且无待确认调整的核定（测算人不能下达，四眼原则）",
    auth=allowed(DETERMINE),
)
def issue(request: ApiRequest, payload: RunIn):
    results = services.determination_issue(
        actor=request.auth, zone=_zone(request, payload.zone), year=payload.year
    )
    return [_out(d) for d in results]


class OverrideIn(Schema):
    quantity: QuantityText
    reason: str


class ReasonIn(Schema):
    reason: str = ""


def _line(request: ApiRequest, line_id: int) -> DeterminationLine:
    return access(request.auth, DeterminationLine.objects.select_related("pollutant"), line_id, DETERMINE)


@router.post(
    "/emissions/determination-lines/{int:line_id}/override",
    response={200: DeterminationOut},
    summary="提出调整核定排放量（须说明理由，另一名审核人员确认）",
    auth=allowed(DETERMINE),
)
def propose_override(request: ApiRequest, line_id: int, payload: OverrideIn):
    line = _line(request, line_id)
    grams = parse_quantity(payload.quantity, line.pollutant.unit, field="quantity")
    services.determination_override_propose(actor=request.auth, line=line, grams=grams, reason=payload.reason)
    return _out(line.determination)


@router.post(
    "/emissions/determination-lines/{int:line_id}/confirm",
    response={200: DeterminationOut},
    summary="确认调整（提出人不能确认；已下达的核定出具新版本文件）",
    auth=allowed(DETERMINE),
)
def confirm_override(request: ApiRequest, line_id: int):
    line = _line(request, line_id)
    services.determination_override_confirm(actor=request.auth, line=line)
    return _out(line.determination)


@router.post(
    "/emissions/determination-lines/{int:line_id}/reject",
    response={200: DeterminationOut},
    summary="驳回调整（须说明理由；提出人不能驳回）",
    auth=allowed(DETERMINE),
)
def reject_override(request: ApiRequest, line_id: int, payload: ReasonIn):
    line = _line(request, line_id)
    services.determination_override_reject(actor=request.auth, line=line, reason=payload.reason)
    return _out(line.determination)


@router.get(
    "/emissions/determinations/{int:determination_id}/document.pdf",
    summary="核定文件 PDF（有效版本）",
    response={200: None},
)
def document_pdf(request: ApiRequest, determination_id: int) -> HttpResponse:
    determination = access(request.auth, _qs(), determination_id, VIEW)
    document = documents.valid_document(determination, DocumentKind.DETERMINATION)
    if document is None:
        raise Conflict(gettext("该核定尚未下达"), clause="TOT-3")
    return send_file(document, "pdf", f"许可排放量核定结果-{document.code}-第{document.version}版", request)  # type: ignore[return-value]


class UnitPollutantOut(Schema):
    pollutant: str
    unit: str
    permitted: str | None
    actual: str | None
    sewer: str | None
    last_allowed: str | None
    determined_allowed: str | None
    plant_quota: str | None
    held_quota: str | None


class UnitYearOut(Schema):
    year: int
    report_id: int | None
    report_status: str | None
    determination_id: int | None
    determination_status: str | None
    open_flags: int
    resolved_flags: int
    pollutants: list[UnitPollutantOut]


def _year_out(r: reads.YearRecord) -> dict[str, Any]:
    def q(grams: int | None, p: Any) -> str | None:
        return None if grams is None else format_quantity(grams, p.unit)

    rows = []
    for row in r.rows:
        p, rep, det = row.pollutant, row.reported, row.determined
        rows.append(
            {
                "pollutant": p.code,
                "unit": p.display_unit,
                "permitted": q(rep.permitted_grams, p) if rep else None,
                "actual": q(rep.actual_grams, p) if rep else None,
                "sewer": q(rep.sewer_grams, p) if rep else None,
                "last_allowed": q(rep.allowed_grams, p) if rep else None,
                "determined_allowed": q(det.allowed_grams, p) if det else None,
                "plant_quota": q(row.plant_quota_grams, p),
                "held_quota": q(row.held_grams, p),
            }
        )
    return {
        "year": r.year,
        "report_id": r.report.pk if r.report else None,
        "report_status": r.report.status if r.report else None,
        "determination_id": r.determination.pk if r.determination else None,
        "determination_status": r.determination.status if r.determination else None,
        "open_flags": r.open_flags,
        "resolved_flags": r.resolved_flags,
        "pollutants": rows,
    }


@router.get(
    "/emissions/units/{int:enterprise_id}/record",
    response=list[UnitYearOut],
    summary="排污单位逐年记录：申报、核定、核查提示、总量指标",
)
def unit_record(request: ApiRequest, enterprise_id: int):
    enterprise = access(request.auth, Enterprise, enterprise_id, VIEW)
    records = reads.unit_record(
        enterprise,
        reports=restrict(request.auth, EmissionReport, VIEW),
        determinations=restrict(request.auth, Determination, VIEW),
        flags=restrict(request.auth, ConsistencyFlag, VIEW),
    )
    return Status(200, [_year_out(r) for r in records])
