"""Emission total library routes: self-reports (TOT-2).

A listed unit (its staff signed in, or its system's token) creates its report of a year, puts the
whole list of its lines (quantities as text in each pollutant's unit, like the reserve's lines),
attaches files and submits; the bureau returns, accepts or reopens it (``REPORT_ACTIONS``). Every
answer gives quantities both as integer grams and as text with the unit; ``accepted`` holds the
figures of the accepted version, the only ones anything is computed from.
"""

import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from totalquota.accounts.permissions import access, restrict
from totalquota.api.actions import action_routes
from totalquota.api.core import ApiRequest, Pages, allowed, allowed_upload, filtered
from totalquota.api.fields import QuantityText, QueryYear, RecordId
from totalquota.api.schemas import UploadedFileOut, display, path
from totalquota.common.files import download, upload_limit_mb
from totalquota.emissions import execution, selectors, versions
from totalquota.emissions.models import EmissionReport, ReportAttachment, ReportLine, ReportVersion
from totalquota.emissions.services import reports as services
from totalquota.emissions.workflow import REPORT_ACTIONS
from totalquota.lib.errors import DomainError, Forbidden, ValidationFailed
from totalquota.lib.units import QuantityError, format_quantity, parse_quantity
from totalquota.registry.models import Enterprise, Pollutant

router = Router(tags=["总量库"])

REPORTS = EmissionReport.objects.select_related("enterprise", "zone", "current_version", "accepted_version")
QUANTITIES = ("permitted", "actual", "sewer", "allowed")


# --- schemas ---------------------------------------------------------------------------------------
def _text(name: str) -> Any:
    """The resolver of a figure as text in the pollutant's unit (``None`` when not given)."""

    def resolve(line: ReportLine) -> str | None:
        grams = getattr(line, f"{name}_grams")
        return None if grams is None else format_quantity(grams, line.pollutant.unit)

    return staticmethod(resolve)


class LineOut(Schema):
    pollutant: str
    pollutant_name: str
    unit: str
    permitted_grams: int | None
    permitted: str | None = Field(description="许可排放量，按该污染物单位")
    permitted_prefill_grams: int | None = Field(description="平台按排污许可证数据预填的许可排放量")
    actual_grams: int | None
    actual: str | None = Field(description="实际排放量（外排环境量），按该污染物单位")
    sewer_grams: int | None
    sewer: str | None = Field(description="实际排放量（接管量，仅水污染物）")
    allowed_grams: int | None
    allowed: str | None
    allowed_prefill_grams: int | None = Field(description="平台按上年度核定结果预填的核定排放量")
    method: str
    method_label: str
    data_source: str
    difference_note: str

    resolve_pollutant = path("pollutant.code")
    resolve_pollutant_name = path("pollutant.name")
    resolve_unit = path("pollutant.display_unit")
    resolve_permitted = _text("permitted")
    resolve_actual = _text("actual")
    resolve_sewer = _text("sewer")
    resolve_allowed = _text("allowed")
    resolve_method_label = display("method")


class VersionSummaryOut(Schema):
    number: int
    origin: str
    change_note: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    submitted_by: str | None
    frozen: bool

    resolve_submitted_by = path("submitted_by", str)


class VersionOut(VersionSummaryOut):
    report_id: int
    accepted: bool
    lines: list[LineOut]

    @staticmethod
    def resolve_accepted(v: ReportVersion) -> bool:
        return v.report.accepted_version_id == v.pk

    @staticmethod
    def resolve_lines(v: ReportVersion) -> QuerySet[ReportLine]:
        return v.lines.select_related("pollutant")


class TransitionOut(Schema):
    version: int
    action: str
    from_status: str
    to_status: str
    actor: str
    role: str
    reason: str
    at: dt.datetime


class ReportSummaryOut(Schema):
    id: int
    year: int
    enterprise_id: int
    enterprise_name: str
    uscc: str
    zone: str
    status: str
    status_label: str
    current_version: int | None
    accepted_version: int | None
    submitted_at: dt.datetime | None
    accepted_at: dt.datetime | None

    resolve_enterprise_name = path("enterprise.name")
    resolve_uscc = path("enterprise.uscc")
    resolve_zone = path("zone.code")
    resolve_status_label = display("status")
    resolve_current_version = path("current_version.number")
    resolve_accepted_version = path("accepted_version.number")


class ReportOut(ReportSummaryOut):
    lines: list[LineOut] = Field(description="当前版本（正在填写或最近提交的版本）的明细")
    accepted: list[LineOut] = Field(
        description="审核通过版本的明细：核定、一致性核查、收回候选等一律据此计算；尚未通过时为空"
    )
    versions: list[VersionSummaryOut]
    transitions: list[TransitionOut]

    @staticmethod
    def resolve_lines(r: EmissionReport) -> Any:
        if r.current_version_id is None:
            return []
        return ReportLine.objects.filter(version_id=r.current_version_id).select_related("pollutant")

    @staticmethod
    def resolve_accepted(r: EmissionReport) -> Any:
        return selectors.accepted_lines(year=r.year, enterprise=r.enterprise).order_by(
            "pollutant__sort_order"
        )

    @staticmethod
    def resolve_versions(r: EmissionReport) -> Any:
        return r.versions.select_related("submitted_by").order_by("number")

    @staticmethod
    def resolve_transitions(r: EmissionReport) -> list[dict[str, Any]]:
        return [
            {
                "version": row.version.number,
                "action": t.action,
                "from_status": t.from_status,
                "to_status": t.to_status,
                "actor": str(t.actor),
                "role": t.role,
                "reason": t.reason,
                "at": t.at,
            }
            for row in versions.version_history(r)
            for t in row.transitions
        ]


class FieldChangeOut(Schema):
    field: str
    label: str
    old: int | str | None = Field(description="原值：数量为克（整数），其余为文字")
    new: int | str | None
    old_text: str
    new_text: str

    @staticmethod
    def resolve_label(change: versions.FieldChange) -> str:
        return str(change.label)


class LineChangeOut(Schema):
    pollutant: str
    unit: str
    kind: str = Field(description="added | removed | changed")
    changes: list[FieldChangeOut]

    resolve_pollutant = path("pollutant.code")
    resolve_unit = path("pollutant.display_unit")


class DiffOut(Schema):
    version: int
    previous: int | None
    change_note: str
    lines: list[LineChangeOut]

    resolve_version = path("version.number")
    resolve_previous = path("previous.number")


class AttachmentOut(UploadedFileOut):
    """A file attached to a version of a report (申报附件, TOT-2)."""

    version: int
    download_url: str

    resolve_version = path("version.number")

    @staticmethod
    def resolve_download_url(a: ReportAttachment) -> str:
        return f"/api/v1/emission-reports/{a.version.report_id}/attachments/{a.pk}/file"


class ReportIn(Schema):
    year: int = Field(description="排放年度（已结束的年度；该单位须在该年度重点排污单位名录中）")
    enterprise_id: int | None = Field(None, description="排污单位；单位人员或单位令牌可不填，默认本单位")


class LineIn(Schema):
    """One pollutant; each figure a decimal string in the pollutant's unit (t/a; kg/a for heavy
    metals), left out or ``null`` when not given."""

    pollutant: str = Field(description="污染物代码，如 COD、VOCS")
    permitted: QuantityText | None = None
    actual: QuantityText | None = None
    sewer: QuantityText | None = Field(None, description="接管量，仅水污染物")
    allowed: QuantityText | None = None
    method: str = Field("", description="online | supervisory | self | balance | factor")
    data_source: str = Field("", max_length=300)
    difference_note: str = Field("", max_length=500)


class LinesIn(Schema):
    lines: list[LineIn] = Field(max_length=50, description="当前版本的全部明细（整体替换）")
    change_note: str | None = Field(None, max_length=4000, description="修改说明（第 2 版起提交前必填）")


def read_lines(items: list[LineIn]) -> list[services.LineInput]:
    """The lines as the service takes them (grams); every refusal of every item collected and
    raised together (422 naming each field) before anything is written."""
    pollutants = {p.code: p for p in Pollutant.objects.all()}
    lines: list[services.LineInput] = []
    errors: list[dict[str, str]] = []
    for index, item in enumerate(items):
        pollutant = pollutants.get(item.pollutant.strip().upper())
        if pollutant is None:
            errors.append(
                {
                    "field": f"lines.{index}.pollutant",
                    "message": gettext("未知的污染物代码：{code}").format(code=item.pollutant),
                }
            )
            continue
        grams: dict[str, int | None] = {}
        for name in QUANTITIES:
            text = getattr(item, name)
            if text is None or not text.strip():
                grams[name] = None
                continue
            try:
                grams[name] = parse_quantity(text, pollutant.unit)
            except QuantityError as exc:
                grams[name] = None
                errors.append(
                    {"field": f"lines.{index}.{name}", "message": f"{pollutant.name}：{exc.message}"}
                )
        lines.append(
            services.LineInput(
                pollutant=pollutant,
                actual_grams=grams["actual"],
                permitted_grams=grams["permitted"],
                sewer_grams=grams["sewer"],
                allowed_grams=grams["allowed"],
                method=item.method.strip(),
                data_source=item.data_source,
                difference_note=item.difference_note,
            )
        )
    if errors:
        raise ValidationFailed(
            errors[0]["message"]
            if len(errors) == 1
            else gettext("{n} 项有误：{first}等").format(n=len(errors), first=errors[0]["message"]),
            field=errors[0]["field"],
            clause="TOT-2",
            errors=errors,
        )
    return lines


# --- routes ------------------------------------------------------------------------------------
def load_report(request: ApiRequest, report_id: int, permission: str) -> EmissionReport:
    return access(request.auth, REPORTS, report_id, permission)


def _out(report: EmissionReport) -> EmissionReport:
    return REPORTS.get(pk=report.pk)


@router.get("/emission-reports", response=list[ReportSummaryOut], summary="排放量申报（按权限范围）")
@paginate(Pages, page_size=50)
def list_reports(
    request: ApiRequest,
    year: QueryYear | None = None,
    zone: str = "",
    status: str = "",
    enterprise_id: RecordId | None = None,
    corrected: bool | None = None,
    q: str = "",
):
    qs = filtered(
        restrict(request.auth, REPORTS, "emissions.view"),
        year=year,
        zone__code=zone.strip().upper(),
        status=status,
        enterprise_id=enterprise_id,
    )
    if corrected is not None:
        qs = (
            qs.filter(current_version__number__gt=1)
            if corrected
            else qs.exclude(current_version__number__gt=1)
        )
    for term in q.split()[:8]:
        qs = qs.filter(Q(enterprise__name__icontains=term) | Q(enterprise__uscc__icontains=term))
    return qs.order_by("-year", "pk")


@router.get("/emission-reports/{int:report_id}", response=ReportOut, summary="排放量申报详情")
def get_report(request: ApiRequest, report_id: int):
    return load_report(request, report_id, "emissions.view")


@router.post(
    "/emission-reports",
    response={201: ReportOut},
    summary="创建排放量申报（名录内单位，每年一份；按许可数据和上年核定预填，TOT-2）",
    auth=allowed("emissions.report"),
)
def create_report(request: ApiRequest, payload: ReportIn):
    enterprise_id = payload.enterprise_id or request.auth.enterprise_id
    if enterprise_id is None:
        raise ValidationFailed(gettext("请填写排污单位"), field="enterprise_id", clause="TOT-2")
    enterprise = access(request.auth, Enterprise, enterprise_id, "registry.view")
    report = services.report_create(actor=request.auth, enterprise=enterprise, year=payload.year)
    return Status(201, _out(report))


@router.put(
    "/emission-reports/{int:report_id}/lines",
    response=ReportOut,
    summary="填写当前版本的全部明细（整体替换；全部校验通过才保存，TOT-2）",
    auth=allowed("emissions.report"),
)
def put_lines(request: ApiRequest, report_id: int, payload: LinesIn):
    report = load_report(request, report_id, "emissions.report")
    services.report_lines_save(
        actor=request.auth, report=report, lines=read_lines(payload.lines), change_note=payload.change_note
    )
    return _out(report)


def _version(request: ApiRequest, report_id: int, number: int) -> ReportVersion:
    report = load_report(request, report_id, "emissions.view")
    version = (
        ReportVersion.objects.filter(report=report, number=number)
        .select_related("report", "submitted_by")
        .first()
    )
    if version is None:
        raise Http404(gettext("该申报没有这个版本"))
    return version


@router.get(
    "/emission-reports/{int:report_id}/versions/{int:number}", response=VersionOut, summary="申报的某一版本"
)
def get_version(request: ApiRequest, report_id: int, number: int):
    return _version(request, report_id, number)


@router.get(
    "/emission-reports/{int:report_id}/versions/{int:number}/diff",
    response=DiffOut,
    summary="该版本与上一版本的差异（逐污染物的变化字段、新增和删除的污染物、修改说明）",
)
def get_diff(request: ApiRequest, report_id: int, number: int):
    return versions.version_diff(_version(request, report_id, number))


# --- attachments -------------------------------------------------------------------------------
def _attachments(request: ApiRequest, report_id: int, permission: str) -> QuerySet[ReportAttachment]:
    report = load_report(request, report_id, permission)
    return ReportAttachment.objects.filter(version_id=report.current_version_id).select_related(
        "version", "uploaded_by"
    )


@router.get(
    "/emission-reports/{int:report_id}/attachments",
    response=list[AttachmentOut],
    summary="当前版本的附件",
)
def list_attachments(request: ApiRequest, report_id: int):
    return _attachments(request, report_id, "emissions.view")


@router.post(
    "/emission-reports/{int:report_id}/attachments",
    response={201: AttachmentOut},
    summary="上传附件到当前未提交的版本（按内容校验类型，限制大小，记录 SHA-256）",
    auth=allowed_upload("emissions.report"),
)
def upload_attachment(
    request: ApiRequest, report_id: int, kind: Form[str], file: File[UploadedFile], note: Form[str] = ""
):
    report = load_report(request, report_id, "emissions.report")
    attachment = services.attachment_add(actor=request.auth, report=report, kind=kind, upload=file, note=note)
    return Status(
        201, ReportAttachment.objects.select_related("version", "uploaded_by").get(pk=attachment.pk)
    )


def _any_version_attachment(
    request: ApiRequest, report_id: int, attachment_id: int, permission: str
) -> ReportAttachment:
    report = load_report(request, report_id, permission)
    return access(
        request.auth,
        ReportAttachment.objects.filter(version__report=report).select_related("version__report"),
        attachment_id,
        permission,
    )


@router.get(
    "/emission-reports/{int:report_id}/attachments/{int:attachment_id}/file",
    summary="下载附件（任一版本）",
    response={200: None},
)
def download_attachment(request: ApiRequest, report_id: int, attachment_id: int):
    attachment = _any_version_attachment(request, report_id, attachment_id, "emissions.view")
    return download(attachment.file, content_type=attachment.content_type, filename=attachment.original_name)


@router.delete(
    "/emission-reports/{int:report_id}/attachments/{int:attachment_id}",
    response={204: None},
    summary="删除当前未提交版本的附件",
    auth=allowed("emissions.report"),
)
def delete_attachment(request: ApiRequest, report_id: int, attachment_id: int):
    attachment = _any_version_attachment(request, report_id, attachment_id, "emissions.report")
    services.attachment_delete(actor=request.auth, attachment=attachment)
    return Status(204, None)


# POST /emission-reports/{id}/submit | return | accept | reopen (emissions.workflow.REPORT_ACTIONS).
action_routes(
    router,
    REPORT_ACTIONS,
    route="/emission-reports",
    load=load_report,
    response=ReportOut,
    out=_out,
    name="{action}_emission_report",
)


# --- the permit execution report ----------------------------------------------------------------
@router.post(
    "/emission-reports/{int:report_id}/execution",
    response=ReportOut,
    summary=(
        "从排污许可执行报告导入当前版本的排放量（.xlsx 或 .csv；列对应关系可给出，否则按表头识别；"
        "整表校验，任一行有误则全部不导入）/ Import the figures of a permit execution report"
    ),
    auth=allowed_upload("emissions.report"),
)
def import_execution(
    request: ApiRequest,
    report_id: int,
    file: File[UploadedFile],
    mapping: Form[str] = "",
    change_note: Form[str] = "",
):
    """``mapping``: a JSON object from a header cell of the file to a field
    (``pollutant``, ``actual``, ``permitted``, ``sewer``, ``method``, ``data_source``,
    ``difference_note``); left out, the template's headers and their usual synonyms are recognised,
    as on the page. The file is kept with the report's sources (its SHA-256), as on the page."""
    report = load_report(request, report_id, "emissions.report")
    if request.auth.enterprise_id != report.enterprise_id:
        raise Forbidden(gettext("只能填报本单位的排放量申报"))
    name = str(file.name or "")
    if file.size is not None and file.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationFailed(
            gettext("文件过大：单个文件不能超过 %(mb)d MB") % {"mb": upload_limit_mb()}, field="file"
        )
    if not name.lower().endswith((".xlsx", ".csv")):
        raise ValidationFailed(gettext("请上传 .xlsx 或 .csv 文件"), field="file")
    sheet = execution.read_sheet(file, name)
    columns = execution.guess_mapping(sheet.headers) if not mapping.strip() else _mapping(mapping, sheet)
    numbers: list[int] = []
    try:
        lines, numbers = execution.read_lines(sheet, columns)
        file.seek(0)
        digest = hashlib.sha256(file.read()).hexdigest()
        services.execution_import(
            actor=request.auth,
            report=report,
            lines=lines,
            file=services.ExecutionFile(name=name[:200], sha256=digest),
            change_note=change_note or None,
        )
    except DomainError as exc:
        if exc.errors and numbers and not all("row" in e for e in exc.errors):
            exc.errors = execution.located(exc.errors, sheet, columns, numbers)
        raise
    return _out(report)


def _mapping(text: str, sheet: execution.Sheet) -> dict[int, str]:
    """The caller's ``{header: field}`` as the importer's ``{column index: field}``."""
    try:
        given = json.loads(text)
    except ValueError:
        given = None
    if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
        raise ValidationFailed(gettext("mapping 应为 JSON 对象：{表头: 字段}"), field="mapping")
    index = {header: i for i, header in enumerate(sheet.headers) if header}
    unknown = [h for h in given if h not in index]
    if unknown:
        raise ValidationFailed(
            gettext("文件中没有这些表头：{headers}").format(headers="、".join(map(str, unknown))),
            field="mapping",
        )
    fields = {c.key for c in execution.COLUMNS}
    wrong = [v for v in given.values() if v not in fields]
    if wrong:
        raise ValidationFailed(
            gettext("未知的字段：{fields}").format(fields="、".join(wrong)), field="mapping"
        )
    return {index[h]: v for h, v in given.items()}
