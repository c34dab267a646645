"""API routes of enforcement and credit (SUP-4).

Findings (from a flag of the emission library, an enforcement event or an inspection) with their
stages: the notice, the unit's answer, the decisions and the credit entry. The workflow's actions
are one route each (``POST /enforcement/findings/{id}/<action>``, from
``enforcement.workflow.FINDING_ACTIONS``); ``propose`` takes the decision's figures and has its
own body. Amounts are integer fen. Credit entries are listed for other systems too (a system
client's token), and each is also offered as the outbox event ``enforcement.credit_entry.recorded``.
"""

import datetime as dt

from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import StrictInt

from totalquota.accounts.permissions import access
from totalquota.api.actions import action_routes
from totalquota.api.core import ApiRequest, Pages, allowed, allowed_upload, filtered
from totalquota.api.fields import QueryYear, RecordId
from totalquota.api.lookups import pollutant_by_code
from totalquota.api.schemas import display, path
from totalquota.common.files import download
from totalquota.emissions.models import ConsistencyFlag
from totalquota.enforcement import selectors, services
from totalquota.enforcement.amounts import format_yuan
from totalquota.enforcement.models import (
    FLAG_SOURCES,
    Finding,
    FindingFile,
    PenaltyDecision,
)
from totalquota.enforcement.workflow import FINDING_ACTIONS
from totalquota.lib.errors import ValidationFailed
from totalquota.registry.models import Enterprise

router = Router(tags=["监督执法与信用"])


# --- schemas ---------------------------------------------------------------------------------------
class FileOut(Schema):
    id: int
    kind: str
    kind_label: str
    original_name: str
    size_bytes: int
    sha256: str
    content_type: str
    uploaded_by: str
    uploaded_at: dt.datetime

    resolve_kind_label = display("kind")
    resolve_uploaded_by = path("uploaded_by", str)


class NoticeOut(Schema):
    issued_on: dt.date
    answer_due: dt.date
    text: str
    issued_by: str
    rules: list[dict]

    resolve_issued_by = path("issued_by", str)


class AnswerOut(Schema):
    text: str
    answered_by: str
    answered_at: dt.datetime

    resolve_answered_by = path("answered_by", str)


class DecisionOut(Schema):
    id: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    decision_number: str
    penalty_fen: int | None = Field(description="罚款金额（分，整数）")
    penalty_yuan: str = Field(description="罚款金额（元，两位小数）")
    legal_basis: str
    severity: str
    reason: str
    prepared_by: str
    prepared_at: dt.datetime
    confirmed_by: str | None
    confirmed_at: dt.datetime | None
    decided_on: dt.date | None
    returned_by: str | None
    returned_at: dt.datetime | None
    return_reason: str

    resolve_kind_label = display("kind")
    resolve_state_label = display("state")
    resolve_prepared_by = path("prepared_by", str)
    resolve_confirmed_by = path("confirmed_by", str)
    resolve_returned_by = path("returned_by", str)

    @staticmethod
    def resolve_penalty_yuan(d: PenaltyDecision) -> str:
        return format_yuan(d.penalty_fen)


class CreditEntryOut(Schema):
    id: int
    enterprise_id: int
    unit_name: str
    uscc: str
    zone: str
    finding_id: int
    finding_code: str
    kind: str
    kind_label: str
    severity: str
    severity_label: str
    recorded_on: dt.date
    reason: str
    decision_number: str
    penalty_fen: int | None

    resolve_unit_name = path("enterprise.name")
    resolve_uscc = path("enterprise.uscc")
    resolve_zone = path("zone.code")
    resolve_finding_code = path("finding.code")
    resolve_kind_label = display("kind")
    resolve_severity_label = display("severity")
    resolve_decision_number = path("decision.decision_number")
    resolve_penalty_fen = path("decision.penalty_fen")


class TransitionOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor: str
    role: str
    reason: str
    at: dt.datetime

    resolve_actor = path("actor", str)


class FindingSummaryOut(Schema):
    id: int
    code: str
    enterprise_id: int
    unit_name: str
    zone: str
    year: int
    pollutant: str | None
    source: str
    source_label: str
    flag_id: int | None
    event_reference: str
    inspection_date: dt.date | None
    inspectors: str
    facts: str
    status: str
    status_label: str
    created_by: str
    created_at: dt.datetime

    resolve_unit_name = path("enterprise.name")
    resolve_zone = path("zone.code")
    resolve_pollutant = path("pollutant.code")
    resolve_source_label = display("source")
    resolve_status_label = display("status")
    resolve_created_by = path("created_by", str)


def _stages(finding: Finding) -> selectors.Stages:
    """Every stage of the finding, read once per answer."""
    found = getattr(finding, "_stages", None)
    if found is None:
        found = finding._stages = selectors.stages(finding)  # type: ignore[attr-defined]
    return found


class FindingOut(FindingSummaryOut):
    notice: NoticeOut | None
    answer: AnswerOut | None
    decisions: list[DecisionOut]
    credit_entry: CreditEntryOut | None
    files: list[FileOut]
    transitions: list[TransitionOut]

    @staticmethod
    def resolve_notice(f: Finding) -> object:
        return _stages(f).notice

    @staticmethod
    def resolve_answer(f: Finding) -> object:
        return _stages(f).answer

    @staticmethod
    def resolve_decisions(f: Finding) -> object:
        return _stages(f).decisions

    @staticmethod
    def resolve_credit_entry(f: Finding) -> object:
        return _stages(f).credit_entry

    @staticmethod
    def resolve_files(f: Finding) -> object:
        s = _stages(f)
        return s.evidence + s.answer_files

    @staticmethod
    def resolve_transitions(f: Finding) -> object:
        return _stages(f).transitions


def _out(finding: Finding) -> Finding:
    """The finding read again after a change, for its detail with every stage."""
    return Finding.objects.select_related(*selectors.FINDING_RELATED).get(pk=finding.pk)


def load_finding(request: ApiRequest, finding_id: int, permission: str) -> Finding:
    return access(request.auth, Finding.objects.select_related("enterprise", "zone"), finding_id, permission)


# --- findings --------------------------------------------------------------------------------------
@router.get(
    "/enforcement/findings",
    response=list[FindingSummaryOut],
    summary="发现问题（按权限范围）",
    auth=allowed("enforcement.view"),
)
@paginate(Pages, page_size=100)
def list_findings(
    request: ApiRequest,
    status: str = "",
    source: str = "",
    zone: str = "",
    year: QueryYear | None = None,
    enterprise_id: RecordId | None = None,
):
    return filtered(
        selectors.findings(request.auth),
        status=status,
        source=source,
        zone__code=zone.upper(),
        year=year,
        enterprise_id=enterprise_id,
    ).order_by("pk")


@router.get("/enforcement/findings/{int:finding_id}", response=FindingOut, summary="发现问题及其各阶段")
def get_finding(request: ApiRequest, finding_id: int):
    return _out(load_finding(request, finding_id, "enforcement.view"))


class FindingIn(Schema):
    source: str = Field(description="over_emission | consistency（须 flag_id）| event | inspection")
    facts: str = Field(max_length=5000, description="违法事实")
    flag_id: int | None = Field(None, ge=1, le=2**62, description="一致性核查提示（来源为提示时）")
    enterprise_id: int | None = Field(None, ge=1, le=2**62, description="排污单位（来源为执法事件或检查时）")
    year: int | None = Field(None, ge=2000, le=2100)
    pollutant: str = Field("", max_length=16, description="污染物代码（可选）")
    event_reference: str = Field("", max_length=64, description="执法系统的事件编号")
    inspection_date: dt.date | None = None
    inspectors: str = Field("", max_length=200)


@router.post(
    "/enforcement/findings",
    response={201: FindingOut},
    summary="登记发现问题（来自超量排放或一致性提示、执法事件、现场检查，SUP-4）",
    auth=allowed("enforcement.record"),
)
def create_finding(request: ApiRequest, payload: FindingIn):
    flag = enterprise = pollutant = None
    if payload.source in FLAG_SOURCES:
        if payload.flag_id is None:
            raise ValidationFailed("请选择一致性核查提示", field="flag_id", clause="SUP-4")
        flag = access(
            request.auth,
            ConsistencyFlag.objects.select_related("enterprise", "pollutant"),
            payload.flag_id,
            "emissions.view",
        )
    elif payload.enterprise_id is not None:
        enterprise = access(request.auth, Enterprise, payload.enterprise_id, "registry.view")
    if payload.pollutant.strip():
        pollutant = pollutant_by_code(payload.pollutant)
    finding = services.finding_create(
        actor=request.auth,
        source=payload.source,
        facts=payload.facts,
        flag=flag,
        enterprise=enterprise,
        year=payload.year,
        pollutant=pollutant,
        event_reference=payload.event_reference,
        inspection_date=payload.inspection_date,
        inspectors=payload.inspectors,
    )
    return Status(201, _out(finding))


@router.post(
    "/enforcement/findings/{int:finding_id}/files",
    response={201: FileOut},
    summary="上传证据材料（执法人员）或陈述申辩材料（本单位，期限内）",
    auth=allowed_upload("enforcement.add_file"),
)
def upload_file(request: ApiRequest, finding_id: int, file: File[UploadedFile]):
    finding = load_finding(request, finding_id, "enforcement.add_file")
    item = services.finding_file_add(actor=request.auth, finding=finding, upload=file)
    return Status(201, FindingFile.objects.select_related("uploaded_by").get(pk=item.pk))


@router.get(
    "/enforcement/findings/{int:finding_id}/files/{int:file_id}",
    summary="下载证据或陈述申辩材料",
    response={200: None},
)
def download_file(request: ApiRequest, finding_id: int, file_id: int):
    finding = load_finding(request, finding_id, "enforcement.view")
    item = access(request.auth, FindingFile.objects.filter(finding=finding), file_id, "enforcement.view")
    return download(item.file, content_type=item.content_type, filename=item.original_name)


class ProposeIn(Schema):
    decision_number: str = Field(max_length=64, description="处罚决定书文号")
    penalty_fen: StrictInt = Field(description="罚款金额（分，整数，不得为负）")
    legal_basis: str = Field(max_length=2000, description="法律依据")
    severity: str = Field("general", description="general（一般失信）| serious（严重失信）")
    note: str = Field("", max_length=2000)


@router.post(
    "/enforcement/findings/{int:finding_id}/propose",
    response=FindingOut,
    summary="拟定处罚决定（陈述申辩期满或单位已陈述申辩；金额为整数分，SUP-4）",
    auth=allowed("enforcement.record"),
)
def propose_finding(request: ApiRequest, finding_id: int, payload: ProposeIn):
    finding = load_finding(request, finding_id, "enforcement.record")
    services.finding_propose(
        actor=request.auth,
        finding=finding,
        decision_number=payload.decision_number,
        penalty_fen=payload.penalty_fen,
        legal_basis=payload.legal_basis,
        severity=payload.severity,
        note=payload.note,
    )
    return _out(finding)


# POST /enforcement/findings/{id}/notify | answer | dismiss | confirm | return
# (enforcement.workflow.FINDING_ACTIONS; propose above takes the decision's figures).
action_routes(
    router,
    FINDING_ACTIONS,
    route="/enforcement/findings",
    load=load_finding,
    response=FindingOut,
    out=_out,
    only=("notify", "answer", "dismiss", "confirm", "return"),
    name="{action}_finding",
)


# --- credit entries --------------------------------------------------------------------------------
@router.get(
    "/enforcement/credit-entries",
    response=list[CreditEntryOut],
    summary="信用记录（按权限范围；每条记录另以发件箱事件 enforcement.credit_entry.recorded 推送）",
    auth=allowed("enforcement.view"),
)
@paginate(Pages, page_size=100)
def list_credit_entries(
    request: ApiRequest,
    enterprise_id: RecordId | None = None,
    zone: str = "",
    year: int | None = Query(None, ge=1990, le=2100, description="记录日期所在年份"),
    kind: str = "",
    severity: str = "",
):
    return filtered(
        selectors.credit_entries(request.auth),
        enterprise_id=enterprise_id,
        zone__code=zone.upper(),
        recorded_on__year=year,
        kind=kind,
        severity=severity,
    ).order_by("pk")
