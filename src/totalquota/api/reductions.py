"""Reduction library routes (减排库, RED-1 … RED-5): projects, lines, evidence, review, usage,
rounds, factors, the library and the bulletin. Amounts are integer grams per year (``*_grams``)
with the same figure written in the pollutant's unit beside them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import FileResponse, Http404
from django.utils import timezone
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import StrictInt

from totalquota.accounts.permissions import access, restrict
from totalquota.api.actions import action_routes
from totalquota.api.core import ApiRequest, Pages, allowed, allowed_upload
from totalquota.api.fields import (
    NUMBER_DESCRIPTION,
    QUANTITY_DESCRIPTION,
    InputText,
    QuantityText,
    day,
    optional_day,
)
from totalquota.common.xlsx import read_table
from totalquota.lib import dates
from totalquota.lib.errors import ValidationFailed
from totalquota.lib.units import format_quantity
from totalquota.reductions import accounting, selectors, services
from totalquota.reductions.bulletin import PollutantRow, build_bulletin
from totalquota.reductions.imports import IMPORT_COLUMNS
from totalquota.reductions.models import (
    AccountingFactor,
    DeclarationRound,
    Evidence,
    LineUsage,
    ReductionLine,
    ReductionProject,
)
from totalquota.reductions.workflow import PROJECT_ACTIONS
from totalquota.registry.models import Pollutant, Zone

router = Router(tags=["减排库 reductions"])


# --- schemas -----------------------------------------------------------------------------------
class AmountOut(Schema):
    pollutant: str
    pollutant_name: str
    unit: str
    reduction_grams: int
    reduction: str


class UsageOut(Schema):
    binding_task_grams: int
    offset_grams: int
    sold_grams: int
    upper_reserve_grams: int
    excluded_grams: int
    unused_grams: int


class LineOut(Schema):
    id: int
    pollutant: str
    pollutant_name: str
    unit: str
    method: str
    method_label: str
    inputs: dict[str, Any]
    baseline_grams: int
    post_grams: int
    reduction_grams: int
    baseline: str
    post: str
    reduction: str
    computation: str
    usage: UsageOut


class EvidenceOut(Schema):
    id: int
    kind: str
    kind_label: str
    original_name: str
    size_bytes: int
    sha256: str
    content_type: str
    note: str
    uploaded_by: str
    uploaded_at: dt.datetime
    download_url: str


class TransitionOut(Schema):
    from_status: str
    to_status: str
    action: str
    actor: str
    role: str
    reason: str
    at: dt.datetime


class OpinionOut(Schema):
    conclusion: str
    conclusion_label: str
    text: str
    author: str
    organisation: str
    at: dt.datetime


class RequirementOut(Schema):
    kind: str
    label: str
    reason: str
    satisfied: bool


class ProjectOut(Schema):
    id: int
    code: str | None
    name: str
    zone: str
    zone_name: str
    enterprise_id: int | None
    enterprise_name: str | None
    project_type: str
    subtype: str
    status: str
    status_label: str
    origin: str
    year: int | None
    address: str
    builder: str
    contact_name: str
    contact_phone: str
    start_date: dt.date | None
    completion_date: dt.date | None
    acceptance_date: dt.date | None
    investment_yuan: int | None
    operating_status: str
    eia_approval_number: str
    permit_change: str
    description: str
    suggestion_note: str
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    updated_at: dt.datetime
    reductions: list[AmountOut]


class ProjectDetailOut(ProjectOut):
    due_date: dt.date | None
    missing_information: list[str]
    evidence_requirements: list[RequirementOut]
    lines: list[LineOut]
    evidence: list[EvidenceOut]
    transitions: list[TransitionOut]
    opinions: list[OpinionOut]


class ProjectIn(Schema):
    name: str
    project_type: str
    subtype: str
    zone: str | None = None
    enterprise: str | None = None
    address: str = ""
    builder: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    start_date: dt.date | None = optional_day(dates.PROJECT_START, "开工时间")
    completion_date: dt.date | None = optional_day(dates.PROJECT_COMPLETION, "竣工时间")
    acceptance_date: dt.date | None = optional_day(dates.PROJECT_ACCEPTANCE, "验收时间")
    investment: str | StrictInt | None = Field(
        None, description='资金投入（万元，最多 4 位小数），如 "85.5"；不接受布尔值和小数形式的 JSON 数字'
    )
    operating_status: str = ""
    eia_approval_number: str = ""
    permit_change: str = ""
    description: str = ""


class ProjectPatch(Schema):
    name: str | None = None
    project_type: str | None = None
    subtype: str | None = None
    zone: str | None = None
    enterprise: str | None = None
    address: str | None = None
    builder: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    start_date: dt.date | None = optional_day(dates.PROJECT_START, "开工时间")
    completion_date: dt.date | None = optional_day(dates.PROJECT_COMPLETION, "竣工时间")
    acceptance_date: dt.date | None = optional_day(dates.PROJECT_ACCEPTANCE, "验收时间")
    investment: str | StrictInt | None = Field(
        None, description='资金投入（万元，最多 4 位小数），如 "85.5"；不接受布尔值和小数形式的 JSON 数字'
    )
    operating_status: str | None = None
    eia_approval_number: str | None = None
    permit_change: str | None = None
    description: str | None = None


class SuggestionIn(Schema):
    name: str
    project_type: str
    subtype: str
    zone: str
    suggestion_note: str
    enterprise: str | None = None
    address: str = ""
    builder: str = ""
    description: str = ""


class LineIn(Schema):
    method: str
    inputs: dict[str, InputText] = Field({}, description=NUMBER_DESCRIPTION)
    factors: dict[str, int] = {}


class ReasonIn(Schema):
    reason: str = ""


class OpinionIn(Schema):
    conclusion: str
    text: str


class UsageIn(Schema):
    kind: str
    reference: str
    used_on: dt.date = day(dates.USAGE_DAY, "使用日期，不晚于今天")
    amount: QuantityText | None = Field(None, description="留空表示尚未标记的全部；" + QUANTITY_DESCRIPTION)
    note: str = ""


class UsageMarkOut(Schema):
    id: int
    line_id: int
    kind: str
    amount_grams: int
    reference: str
    used_on: dt.date
    cancelled_at: dt.datetime | None


class RoundOut(Schema):
    id: int
    year: int
    quarter: int
    title: str
    opens_on: dt.date
    deadline: dt.date
    covers_from: dt.date
    covers_to: dt.date
    note: str


class RoundIn(Schema):
    year: int
    quarter: int
    opens_on: dt.date = day(dates.ROUND_DAY, "开始日期")
    deadline: dt.date = day(dates.ROUND_DAY, "申报截止日期")
    covers_from: dt.date = day(dates.ROUND_DAY, "覆盖竣工日期自")
    covers_to: dt.date = day(dates.ROUND_DAY, "覆盖竣工日期至")
    title: str = ""
    note: str = ""


class FactorOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    pollutant: str | None
    value: str
    unit: str
    source: str
    source_detail: str
    effective_from: dt.date
    effective_to: dt.date | None


class FactorIn(Schema):
    code: str
    name: str
    kind: str = "emission"
    pollutant: str | None = None
    value: str
    unit: str
    source: str
    source_detail: str = ""
    effective_from: dt.date = day(dates.FACTOR_DAY, "生效日期")


class RetireIn(Schema):
    effective_to: dt.date = day(dates.FACTOR_DAY, "停用日期")


class ParamOut(Schema):
    name: str
    label: str
    kind: str
    unit: str
    required: bool
    choices: list[list[str]]


class MethodOut(Schema):
    code: str
    label: str
    formula: str
    description: str
    pollutants: list[str] | None
    params: list[ParamOut]


class LibraryLineOut(Schema):
    line_id: int
    project_id: int
    project_code: str | None
    project_name: str
    zone: str
    enterprise_name: str | None
    project_type: str
    pollutant: str
    unit: str
    method: str
    reduction_grams: int
    excluded_grams: int
    unused_grams: int
    upper_reserve_grams: int
    decided_at: dt.datetime | None


class BulletinRowOut(Schema):
    pollutant: str
    pollutant_name: str
    unit: str
    projects: int
    period_grams: int
    verified_grams: int
    binding_task_grams: int
    offset_grams: int
    sold_grams: int
    reserve_grams: int
    used_grams: int
    unused_grams: int
    upper_reserve_grams: int


class BulletinProjectOut(Schema):
    code: str
    name: str
    enterprise: str
    type_label: str
    decided_on: dt.date
    reductions: str


class BulletinZoneOut(Schema):
    zone: str
    zone_name: str
    rows: list[BulletinRowOut]
    projects: list[BulletinProjectOut]


class BulletinOut(Schema):
    title: str
    issuer: str
    start: dt.date
    end: dt.date
    zones: list[BulletinZoneOut]
    totals: list[BulletinRowOut]


class ImportOut(Schema):
    projects: int
    lines: int
    codes: list[str]


# --- shaping -----------------------------------------------------------------------------------
def _amount(grams: int, pollutant: Pollutant) -> str:
    return format_quantity(grams, pollutant.unit, suffix=True)


def _summary(project: ReductionProject) -> dict[str, Any]:
    return {
        "id": project.pk,
        "code": project.code,
        "name": project.name,
        "zone": project.zone.code,
        "zone_name": project.zone.name,
        "enterprise_id": project.enterprise_id,
        "enterprise_name": project.enterprise.name if project.enterprise else None,
        "project_type": project.project_type,
        "subtype": project.subtype,
        "status": project.status,
        "status_label": str(project.get_status_display()),
        "origin": project.origin,
        "year": project.year,
        "address": project.address,
        "builder": project.builder,
        "contact_name": project.contact_name,
        "contact_phone": project.contact_phone,
        "start_date": project.start_date,
        "completion_date": project.completion_date,
        "acceptance_date": project.acceptance_date,
        "investment_yuan": project.investment_yuan,
        "operating_status": project.operating_status,
        "eia_approval_number": project.eia_approval_number,
        "permit_change": project.permit_change,
        "description": project.description,
        "suggestion_note": project.suggestion_note,
        "submitted_at": project.submitted_at,
        "decided_at": project.decided_at,
        "updated_at": project.updated_at,
        "reductions": [
            {
                "pollutant": line.pollutant.code,
                "pollutant_name": line.pollutant.name,
                "unit": line.pollutant.display_unit,
                "reduction_grams": line.reduction_grams,
                "reduction": _amount(line.reduction_grams, line.pollutant),
            }
            for line in project.lines.all()
        ],
    }


def _line(line: ReductionLine) -> dict[str, Any]:
    usage = selectors.line_usage(line)
    p = line.pollutant
    return {
        "id": line.pk,
        "pollutant": p.code,
        "pollutant_name": p.name,
        "unit": p.display_unit,
        "method": line.method,
        "method_label": selectors.method_label(line.method),
        "inputs": line.inputs,
        "baseline_grams": line.baseline_grams,
        "post_grams": line.post_grams,
        "reduction_grams": line.reduction_grams,
        "baseline": _amount(line.baseline_grams, p),
        "post": _amount(line.post_grams, p),
        "reduction": _amount(line.reduction_grams, p),
        "computation": line.computation,
        "usage": {
            "binding_task_grams": usage.by_kind.get("binding_task", 0),
            "offset_grams": usage.by_kind.get("offset", 0),
            "sold_grams": usage.by_kind.get("sold", 0),
            "upper_reserve_grams": usage.upper_reserve_grams,
            "excluded_grams": usage.excluded_grams,
            "unused_grams": usage.unused_grams,
        },
    }


def _evidence(e: Evidence) -> dict[str, Any]:
    return {
        "id": e.pk,
        "kind": e.kind,
        "kind_label": str(e.get_kind_display()),
        "original_name": e.original_name,
        "size_bytes": e.size_bytes,
        "sha256": e.sha256,
        "content_type": e.content_type,
        "note": e.note,
        "uploaded_by": str(e.uploaded_by),
        "uploaded_at": e.uploaded_at,
        "download_url": f"/api/v1/reductions/evidence/{e.pk}/file",
    }


def _detail(project: ReductionProject) -> dict[str, Any]:
    project = _projects().get(pk=project.pk)
    today = timezone.localdate()
    requirements, _rules = selectors.evidence_requirements(project, on=today)
    data = _summary(project)
    data.update(
        {
            "due_date": selectors.due_date(project),
            "missing_information": selectors.missing_information(project, today=today),
            "evidence_requirements": [r.__dict__ for r in requirements],
            "lines": [_line(line) for line in project.lines.all()],
            "evidence": [_evidence(e) for e in project.evidence.select_related("uploaded_by")],
            "transitions": [
                {
                    "from_status": t.from_status,
                    "to_status": t.to_status,
                    "action": t.action,
                    "actor": str(t.actor),
                    "role": t.role,
                    "reason": t.reason,
                    "at": t.at,
                }
                for t in project.transitions.select_related("actor")
            ],
            "opinions": [_opinion(o) for o in project.opinions.select_related("author")],
        }
    )
    return data


def _projects():
    return ReductionProject.objects.select_related("zone", "enterprise").prefetch_related(
        Prefetch("lines", queryset=ReductionLine.objects.select_related("pollutant"))
    )


def _project(request: ApiRequest, project_id: int, action: str = "reductions.view") -> ReductionProject:
    return access(request.auth, _projects(), project_id, action)


def _pollutant(code: str) -> Pollutant:
    found = Pollutant.objects.filter(code=code.upper()).first()
    if found is None:
        raise ValidationFailed(f"污染物代码“{code}”不存在", field="pollutant")
    return found


def _row(row: PollutantRow) -> dict[str, Any]:
    return {
        "pollutant": row.pollutant.code,
        "pollutant_name": row.pollutant.name,
        "unit": row.pollutant.display_unit,
        "projects": row.projects,
        "period_grams": row.period_grams,
        "verified_grams": row.verified_grams,
        "binding_task_grams": row.used.get("binding_task", 0),
        "offset_grams": row.used.get("offset", 0),
        "sold_grams": row.used.get("sold", 0),
        "reserve_grams": row.reserve_grams,
        "used_grams": row.used_grams,
        "unused_grams": row.unused_grams,
        "upper_reserve_grams": row.upper_grams,
    }


def _fields(payload: Schema, *, exclude_unset: bool = False) -> dict[str, Any]:
    data = payload.dict(exclude_unset=exclude_unset)
    if "investment" in data and isinstance(data["investment"], int):
        data["investment"] = str(data["investment"])
    return data


# --- reading -----------------------------------------------------------------------------------
@router.get("/reductions/projects", response=list[ProjectOut], summary="减排项目列表（按权限范围）")
@paginate(Pages, page_size=50)
def list_projects(
    request: ApiRequest,
    q: str = "",
    zone: str = "",
    status: str = "",
    project_type: str = "",
    pollutant: str = "",
    year: int | None = None,
):
    qs = restrict(request.auth, _projects(), "reductions.view")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(builder__icontains=q))
    if zone:
        qs = qs.filter(Q(zone__code=zone) | Q(zone__name=zone))
    if status:
        qs = qs.filter(status=status)
    if project_type:
        qs = qs.filter(project_type=project_type)
    if pollutant:
        qs = qs.filter(
            Exists(ReductionLine.objects.filter(project=OuterRef("pk"), pollutant__code=pollutant.upper()))
        )
    if year is not None:
        qs = qs.filter(year=year)
    return [_summary(p) for p in qs.order_by("pk")]


@router.get(
    "/reductions/projects/{int:project_id}",
    response=ProjectDetailOut,
    summary="减排项目详情（含核算过程、佐证材料、流转记录）",
)
def get_project(request: ApiRequest, project_id: int):
    return _detail(_project(request, project_id))


@router.get("/reductions/library", response=list[LibraryLineOut], summary="减排库：已入库减排量及使用情况")
@paginate(Pages, page_size=100)
def list_library(request: ApiRequest, zone: str = "", pollutant: str = "", year: int | None = None):
    qs = selectors.library_lines(request.auth)
    if zone:
        qs = qs.filter(Q(project__zone__code=zone) | Q(project__zone__name=zone))
    if pollutant:
        qs = qs.filter(pollutant__code=pollutant.upper())
    if year is not None:
        qs = qs.filter(project__year=year)
    return [
        {
            "line_id": line.pk,
            "project_id": line.project_id,
            "project_code": line.project.code,
            "project_name": line.project.name,
            "zone": line.project.zone.code,
            "enterprise_name": line.project.enterprise.name if line.project.enterprise else None,
            "project_type": line.project.project_type,
            "pollutant": line.pollutant.code,
            "unit": line.pollutant.display_unit,
            "method": line.method,
            "reduction_grams": line.reduction_grams,
            "excluded_grams": line.excluded_grams,  # type: ignore[attr-defined]
            "unused_grams": line.reduction_grams - line.excluded_grams,  # type: ignore[attr-defined]
            "upper_reserve_grams": line.upper_grams,  # type: ignore[attr-defined]
            "decided_at": line.project.decided_at,
        }
        for line in qs.order_by("pk")
    ]


@router.get(
    "/reductions/bulletin",
    response=BulletinOut,
    summary="减排项目通报数据（RED-5）：按功能区、期间",
    auth=allowed("reductions.view_bulletin"),
)
def get_bulletin(request: ApiRequest, start: dt.date, end: dt.date, zone: str = ""):
    if end < start:
        raise ValidationFailed("截止日期不能早于起始日期", field="end")
    chosen = None
    if zone:
        chosen = Zone.objects.filter(Q(code=zone) | Q(name=zone)).first()
        if chosen is None:
            raise ValidationFailed(f"功能区“{zone}”不存在", field="zone")
    data = build_bulletin(principal=request.auth, start=start, end=end, zone=chosen)
    if chosen is not None and not data.zones:
        raise Http404
    return {
        "title": data.title,
        "issuer": data.issuer,
        "start": data.start,
        "end": data.end,
        "zones": [
            {
                "zone": s.zone.code,
                "zone_name": s.zone.name,
                "rows": [_row(r) for r in s.rows],
                "projects": [
                    {
                        "code": p.code,
                        "name": p.name,
                        "enterprise": p.enterprise,
                        "type_label": p.type_label,
                        "decided_on": p.decided_on,
                        "reductions": p.reductions_text,
                    }
                    for p in s.projects
                ],
            }
            for s in data.zones
        ],
        "totals": [_row(r) for r in data.totals],
    }


@router.get("/reductions/methods", response=list[MethodOut], summary="核算方法及其参数（RED-2）")
def list_methods(request: ApiRequest):
    return [
        {
            "code": m.code,
            "label": m.label,
            "formula": m.formula,
            "description": m.description,
            "pollutants": sorted(m.pollutants) if m.pollutants is not None else None,
            "params": [
                {
                    "name": p.name,
                    "label": p.label,
                    "kind": p.kind,
                    "unit": p.unit,
                    "required": p.required,
                    "choices": [list(c) for c in p.choices],
                }
                for p in m.params
            ],
        }
        for m in accounting.METHODS.values()
    ]


@router.get("/reductions/factors", response=list[FactorOut], summary="核算系数（含来源）")
def list_factors(request: ApiRequest, pollutant: str = "", in_force: bool | None = None):
    qs = restrict(request.auth, AccountingFactor.objects.select_related("pollutant"), "reductions.view")
    if pollutant:
        qs = qs.filter(pollutant__code=pollutant.upper())
    if in_force is not None:
        qs = qs.filter(effective_to__isnull=in_force)
    return [_factor(f) for f in qs]


def _factor(f: AccountingFactor) -> dict[str, Any]:
    return {
        "id": f.pk,
        "code": f.code,
        "name": f.name,
        "kind": f.kind,
        "pollutant": f.pollutant.code if f.pollutant else None,
        "value": f.value,
        "unit": f.unit,
        "source": f.source,
        "source_detail": f.source_detail,
        "effective_from": f.effective_from,
        "effective_to": f.effective_to,
    }


@router.post(
    "/reductions/factors",
    response={201: FactorOut},
    summary="新增核算系数（须注明来源，RED-2）",
    auth=allowed("reductions.manage_factors"),
)
def create_factor(request: ApiRequest, payload: FactorIn):
    data = payload.dict()
    code = data.pop("pollutant")
    factor = services.factor_create(actor=request.auth, pollutant=_pollutant(code) if code else None, **data)
    return Status(201, _factor(factor))


@router.post(
    "/reductions/factors/{int:factor_id}/retire",
    response=FactorOut,
    summary="停用核算系数：自该日起不可再选，已核算结果不变（RED-2）",
    auth=allowed("reductions.manage_factors"),
)
def retire_factor(request: ApiRequest, factor_id: int, payload: RetireIn):
    factor = access(
        request.auth, AccountingFactor.objects.select_related("pollutant"), factor_id, "reductions.view"
    )
    return _factor(
        services.factor_retire(actor=request.auth, factor=factor, effective_to=payload.effective_to)
    )


@router.get("/reductions/rounds", response=list[RoundOut], summary="申报轮次（RED-3）")
def list_rounds(request: ApiRequest):
    return restrict(request.auth, DeclarationRound.objects.all(), "reductions.view")


@router.get("/reductions/evidence/{int:evidence_id}/file", summary="下载佐证材料", response={200: None})
def download_evidence(request: ApiRequest, evidence_id: int):
    evidence = access(request.auth, Evidence.objects.all(), evidence_id, "reductions.view")
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, content_type=evidence.content_type, as_attachment=True, filename=evidence.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- declaring ---------------------------------------------------------------------------------
@router.post(
    "/reductions/projects",
    response={201: ProjectDetailOut},
    summary="填报减排项目（草稿）",
    auth=allowed("reductions.prepare"),
)
def create_project(request: ApiRequest, payload: ProjectIn):
    data = _fields(payload)
    if data.get("zone") is None:
        data.pop("zone")
    project = services.project_create(actor=request.auth, **data)
    return Status(201, _detail(project))


@router.patch(
    "/reductions/projects/{int:project_id}",
    response=ProjectDetailOut,
    summary="修改减排项目信息",
    auth=allowed("reductions.prepare"),
)
def update_project(request: ApiRequest, project_id: int, payload: ProjectPatch):
    project = _project(request, project_id, "reductions.prepare")
    services.project_update(actor=request.auth, project=project, **_fields(payload, exclude_unset=True))
    return _detail(project)


@router.post(
    "/reductions/suggestions",
    response={201: ProjectDetailOut},
    summary="提出减排项目增补建议（RED-3）",
    auth=allowed("reductions.suggest"),
)
def create_suggestion(request: ApiRequest, payload: SuggestionIn):
    project = services.project_suggest(actor=request.auth, **_fields(payload))
    return Status(201, _detail(project))


@router.put(
    "/reductions/projects/{int:project_id}/lines/{pollutant}",
    response=LineOut,
    summary="核算并保存某污染物的减排量（RED-2）",
    auth=allowed("reductions.prepare"),
)
def put_line(request: ApiRequest, project_id: int, pollutant: str, payload: LineIn):
    project = _project(request, project_id, "reductions.prepare")
    line = services.line_set(
        actor=request.auth,
        project=project,
        pollutant=_pollutant(pollutant),
        method=payload.method,
        inputs={k: str(v) for k, v in payload.inputs.items()},
        factors=payload.factors,
    )
    return _line(line)


@router.delete(
    "/reductions/projects/{int:project_id}/lines/{pollutant}",
    response={204: None},
    summary="删除某污染物的减排量",
    auth=allowed("reductions.prepare"),
)
def delete_line(request: ApiRequest, project_id: int, pollutant: str):
    project = _project(request, project_id, "reductions.prepare")
    line = ReductionLine.objects.filter(project=project, pollutant=_pollutant(pollutant)).first()
    if line is None:
        raise Http404
    services.line_delete(actor=request.auth, line=line)
    return Status(204, None)


@router.post(
    "/reductions/projects/{int:project_id}/evidence",
    response={201: EvidenceOut},
    summary="上传佐证材料（按内容校验类型，限制大小，记录 SHA-256）",
    auth=allowed_upload("reductions.prepare"),
)
def upload_evidence(
    request: ApiRequest, project_id: int, kind: Form[str], file: File[UploadedFile], note: Form[str] = ""
):
    project = _project(request, project_id, "reductions.prepare")
    evidence = services.evidence_add(actor=request.auth, project=project, kind=kind, upload=file, note=note)
    return Status(201, _evidence(evidence))


@router.delete(
    "/reductions/evidence/{int:evidence_id}",
    response={204: None},
    summary="删除佐证材料（编制中）",
    auth=allowed("reductions.prepare"),
)
def delete_evidence(request: ApiRequest, evidence_id: int):
    evidence = access(
        request.auth, Evidence.objects.select_related("project"), evidence_id, "reductions.prepare"
    )
    services.evidence_delete(actor=request.auth, evidence=evidence)
    return Status(204, None)


# --- workflow ----------------------------------------------------------------------------------
# Every status change of a project is a row of its action table (reductions.workflow): one route
# each, ``POST /reductions/projects/{id}/<action>``, with the text the action takes (``note`` for
# hand-over and submission, ``reason`` for the others) and the project's detail as the answer.
action_routes(
    router,
    PROJECT_ACTIONS,
    route="/reductions/projects",
    param="project_id",
    load=_project,
    response=ProjectDetailOut,
    out=_detail,
    prefix="project",
)


@router.post(
    "/reductions/projects/{int:project_id}/opinions",
    response={201: OpinionOut},
    summary="第三方技术意见（预审或填报指导）",
    auth=allowed("reductions.opinion"),
)
def create_opinion(request: ApiRequest, project_id: int, payload: OpinionIn):
    project = _project(request, project_id, "reductions.opinion")
    o = services.opinion_add(
        actor=request.auth, project=project, conclusion=payload.conclusion, text=payload.text
    )
    return Status(201, _opinion(o))


def _opinion(o: Any) -> dict[str, Any]:
    return {
        "conclusion": o.conclusion,
        "conclusion_label": str(o.get_conclusion_display()),
        "text": o.text,
        "author": str(o.author),
        "organisation": o.organisation,
        "at": o.at,
    }


# --- usage, rounds, import ---------------------------------------------------------------------
def _mark(usage: LineUsage) -> dict[str, Any]:
    return {
        "id": usage.pk,
        "line_id": usage.line_id,
        "kind": usage.kind,
        "amount_grams": usage.amount_grams,
        "reference": usage.reference,
        "used_on": usage.used_on,
        "cancelled_at": usage.cancelled_at,
    }


@router.post(
    "/reductions/lines/{int:line_id}/usages",
    response={201: UsageMarkOut},
    summary="标记已入库减排量的使用情况（RES-1）",
    auth=allowed("reductions.mark_usage"),
)
def create_usage(request: ApiRequest, line_id: int, payload: UsageIn):
    line = access(request.auth, ReductionLine.objects.all(), line_id, "reductions.mark_usage")
    usage = services.usage_mark(actor=request.auth, line=line, **payload.dict())
    return Status(201, _mark(usage))


@router.post(
    "/reductions/usages/{int:usage_id}/cancel",
    response=UsageMarkOut,
    summary="撤销使用标记（须说明理由）",
    auth=allowed("reductions.mark_usage"),
)
def cancel_usage(request: ApiRequest, usage_id: int, payload: ReasonIn):
    usage = access(request.auth, LineUsage.objects.all(), usage_id, "reductions.mark_usage")
    return _mark(services.usage_cancel(actor=request.auth, usage=usage, reason=payload.reason))


@router.post(
    "/reductions/rounds",
    response={201: RoundOut},
    summary="新建申报轮次（RED-3）",
    auth=allowed("reductions.manage_rounds"),
)
def create_round(request: ApiRequest, payload: RoundIn):
    return Status(201, services.round_create(actor=request.auth, **payload.dict()))


@router.post(
    "/reductions/import",
    response=ImportOut,
    summary="按模板批量申报（整表校验，任一行有误则全部不导入）",
    auth=allowed_upload("reductions.import"),
)
def import_projects(request: ApiRequest, file: File[UploadedFile]):
    rows = read_table(file, headers=[h for h, _k in IMPORT_COLUMNS])
    result = services.project_import(actor=request.auth, rows=rows)
    return {"projects": result.projects, "lines": result.lines, "codes": result.codes}
