"""Reduction library routes (减排库, RED-1 … RED-5): projects, lines, evidence, review, usage,
rounds, factors, the library and the bulletin. Amounts are integer grams per year (``*_grams``)
with the same figure written in the pollutant's unit beside them."""

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from totalquota.accounts.permissions import access, restrict
from totalquota.api.actions import action_routes
from totalquota.api.core import ApiRequest, Pages, allowed, allowed_upload, filtered
from totalquota.api.fields import QueryYear
from totalquota.api.reductions_schemas import (
    BulletinOut,
    EvidenceOut,
    FactorIn,
    FactorOut,
    ImportOut,
    LibraryLineOut,
    LineIn,
    LineOut,
    MethodOut,
    OpinionIn,
    OpinionOut,
    ProjectDetailOut,
    ProjectIn,
    ProjectOut,
    ProjectPatch,
    ReasonIn,
    RetireIn,
    RoundDefaultsOut,
    RoundIn,
    RoundNextIn,
    RoundOut,
    SuggestionIn,
    UsageIn,
    UsageMarkOut,
)
from totalquota.common.files import download
from totalquota.common.xlsx import read_table
from totalquota.lib.errors import ValidationFailed
from totalquota.reductions import accounting, selectors, services
from totalquota.reductions.bulletin import build_bulletin
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


def _detail(project: ReductionProject) -> ReductionProject:
    """The project read again with what its detail shows (after a write, its new state)."""
    return _projects().get(pk=project.pk)


def _projects():
    return ReductionProject.objects.select_related("zone", "enterprise", "round").prefetch_related(
        Prefetch("lines", queryset=ReductionLine.objects.select_related("pollutant"))
    )


def _project(request: ApiRequest, project_id: int, action: str = "reductions.view") -> ReductionProject:
    return access(request.auth, _projects(), project_id, action)


def _pollutant(code: str) -> Pollutant:
    found = Pollutant.objects.filter(code=code.upper()).first()
    if found is None:
        raise ValidationFailed(gettext("污染物代码“{code}”不存在").format(code=code), field="pollutant")
    return found


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
    year: QueryYear | None = None,
):
    qs = restrict(request.auth, _projects(), "reductions.view")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(builder__icontains=q))
    if zone:
        qs = qs.filter(Q(zone__code=zone) | Q(zone__name=zone))
    qs = filtered(qs, status=status, project_type=project_type, year=year)
    if pollutant:
        qs = qs.filter(
            Exists(ReductionLine.objects.filter(project=OuterRef("pk"), pollutant__code=pollutant.upper()))
        )
    return qs.order_by("pk")


@router.get(
    "/reductions/projects/{int:project_id}",
    response=ProjectDetailOut,
    summary="减排项目详情（含核算过程、佐证材料、流转记录）",
)
def get_project(request: ApiRequest, project_id: int):
    return _detail(_project(request, project_id))


@router.get("/reductions/library", response=list[LibraryLineOut], summary="减排库：已入库减排量及使用情况")
@paginate(Pages, page_size=100)
def list_library(request: ApiRequest, zone: str = "", pollutant: str = "", year: QueryYear | None = None):
    qs = selectors.library_lines(request.auth)
    if zone:
        qs = qs.filter(Q(project__zone__code=zone) | Q(project__zone__name=zone))
    return filtered(qs, pollutant__code=pollutant.upper(), project__year=year).order_by("pk")


@router.get(
    "/reductions/bulletin",
    response=BulletinOut,
    summary="减排项目通报数据（RED-5）：按功能区、期间",
    auth=allowed("reductions.view_bulletin"),
)
def get_bulletin(request: ApiRequest, start: dt.date, end: dt.date, zone: str = ""):
    if end < start:
        raise ValidationFailed(gettext("截止日期不能早于起始日期"), field="end")
    chosen = None
    if zone:
        chosen = Zone.objects.filter(Q(code=zone) | Q(name=zone)).first()
        if chosen is None:
            raise ValidationFailed(gettext("功能区“{zone}”不存在").format(zone=zone), field="zone")
    data = build_bulletin(principal=request.auth, start=start, end=end, zone=chosen)
    if chosen is not None and not data.zones:
        raise Http404
    return data


@router.get("/reductions/methods", response=list[MethodOut], summary="核算方法及其参数（RED-2）")
def list_methods(request: ApiRequest):
    return list(accounting.METHODS.values())


@router.get("/reductions/factors", response=list[FactorOut], summary="核算系数（含来源）")
def list_factors(request: ApiRequest, pollutant: str = "", in_force: bool | None = None):
    qs = restrict(request.auth, AccountingFactor.objects.select_related("pollutant"), "reductions.view")
    return filtered(qs, pollutant__code=pollutant.upper(), effective_to__isnull=in_force)


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
    return Status(201, factor)


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
    return services.factor_retire(actor=request.auth, factor=factor, effective_to=payload.effective_to)


@router.get("/reductions/rounds", response=list[RoundOut], summary="申报轮次（RED-3）")
def list_rounds(request: ApiRequest):
    return restrict(request.auth, DeclarationRound.objects.all(), "reductions.view")


@router.get("/reductions/evidence/{int:evidence_id}/file", summary="下载佐证材料", response={200: None})
def download_evidence(request: ApiRequest, evidence_id: int):
    evidence = access(request.auth, Evidence.objects.all(), evidence_id, "reductions.view")
    return download(evidence.file, content_type=evidence.content_type, filename=evidence.original_name)


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
    return line


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
    return Status(201, evidence)


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
    load=_project,
    response=ProjectDetailOut,
    out=_detail,
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
    return Status(201, o)


# --- usage, rounds, import ---------------------------------------------------------------------
@router.post(
    "/reductions/lines/{int:line_id}/usages",
    response={201: UsageMarkOut},
    summary="标记已入库减排量的使用情况（RES-1）",
    auth=allowed("reductions.mark_usage"),
)
def create_usage(request: ApiRequest, line_id: int, payload: UsageIn):
    line = access(request.auth, ReductionLine.objects.all(), line_id, "reductions.mark_usage")
    usage = services.usage_mark(actor=request.auth, line=line, **payload.dict())
    return Status(201, usage)


@router.post(
    "/reductions/usages/{int:usage_id}/cancel",
    response=UsageMarkOut,
    summary="撤销使用标记（须说明理由）",
    auth=allowed("reductions.mark_usage"),
)
def cancel_usage(request: ApiRequest, usage_id: int, payload: ReasonIn):
    usage = access(request.auth, LineUsage.objects.all(), usage_id, "reductions.mark_usage")
    return services.usage_cancel(actor=request.auth, usage=usage, reason=payload.reason)


@router.post(
    "/reductions/rounds",
    response={201: RoundOut},
    summary="新建申报轮次（RED-3）",
    auth=allowed("reductions.manage_rounds"),
)
def create_round(request: ApiRequest, payload: RoundIn):
    return Status(201, services.round_create(actor=request.auth, **payload.dict()))


@router.get(
    "/reductions/rounds/next",
    response=RoundDefaultsOut,
    summary="下一申报轮次的默认日期（RED-3，可修改后开放）",
    auth=allowed("reductions.manage_rounds"),
)
def next_round_defaults(request: ApiRequest):
    return selectors.next_round_defaults(timezone.localdate())


@router.post(
    "/reductions/rounds/next",
    response={201: RoundOut},
    summary="开放下一申报轮次：未给出的字段取默认值（RED-3；该季度已有轮次则 409）",
    auth=allowed("reductions.manage_rounds"),
)
def open_next_round(request: ApiRequest, payload: RoundNextIn):
    return Status(201, services.round_open_next(actor=request.auth, **payload.dict(exclude_unset=True)))


@router.post(
    "/reductions/import",
    response=ImportOut,
    summary="按模板批量申报（整表校验，任一行有误则全部不导入）",
    auth=allowed_upload("reductions.import"),
)
def import_projects(request: ApiRequest, file: File[UploadedFile]):
    rows = read_table(file, headers=[h for h, _k in IMPORT_COLUMNS])
    result = services.project_import(actor=request.auth, rows=rows)
    return result
