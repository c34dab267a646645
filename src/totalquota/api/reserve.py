"""Reserve routes: quota applications, their documents and decisions, ANNEX-1, intake runs, warnings."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from totalquota.accounts.permissions import access, in_zones, require, restrict
from totalquota.api.actions import action_routes
from totalquota.api.core import ApiRequest, Pages, allowed, allowed_upload, filtered
from totalquota.api.fields import QuantityText, RecordId
from totalquota.api.schemas import UploadedFileOut, ZonePollutantOut, path
from totalquota.common.files import download
from totalquota.documents.responses import send_file
from totalquota.ledger.models import Account, AccountKind
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, ValidationFailed
from totalquota.lib.units import QuantityError, format_quantity, parse_quantity
from totalquota.registry.models import Enterprise, Pollutant, Zone
from totalquota.reserve import selectors, services
from totalquota.reserve.decisions import LINE_FIELDS, Shortfall, line_hold_state, line_shortfall
from totalquota.reserve.lines import read_line
from totalquota.reserve.models import (
    ApplicationDocument,
    ApplicationLine,
    ApplicationStatus,
    IntakeItem,
    IntakeRun,
    QuotaApplication,
    RecoveryCase,
    RecoveryKind,
)
from totalquota.reserve.services import annex as annex_services
from totalquota.reserve.workflow import APPLICATION_ACTIONS, INTAKE_ACTIONS, RECOVERY_ACTIONS

router = Router(tags=["储备库 reserve"])


class ApplicationLineIn(Schema):
    """One pollutant's ANNEX-1 figures, each a decimal string in the pollutant's unit."""

    pollutant: str
    project_sewer: QuantityText = "0"
    project_env: QuantityText
    plant_sewer: QuantityText = "0"
    plant_env: QuantityText
    new_discharge: QuantityText


class ApplicationIn(Schema):
    enterprise_id: int
    project_name: str
    location: str
    eia_reference: str
    description: str = ""
    lines: list[ApplicationLineIn]


def _quantity(field: str) -> Callable[[ApplicationLine], str]:
    """The resolver of a figure as text in the pollutant's unit (``project_sewer`` from
    ``project_sewer_grams``)."""
    return staticmethod(lambda line: format_quantity(getattr(line, field), line.pollutant.unit))  # type: ignore[return-value]


class ApplicationLineOut(Schema):
    id: int
    pollutant: str
    unit: str
    project_sewer: str = Field(
        description="本项目接管量，按该污染物单位，规范化后的写法（如全角数字已转为半角）"
    )
    project_env: str
    plant_sewer: str
    plant_env: str
    new_discharge: str
    project_sewer_grams: int
    project_env_grams: int
    plant_sewer_grams: int
    plant_env_grams: int
    new_discharge_grams: int
    route: str
    route_reason: str
    ratio: str
    deduction_grams: int
    computation: str
    hold_state: str
    permitted_env_grams: int | None
    allocation_id: int | None

    resolve_project_sewer = _quantity("project_sewer_grams")
    resolve_project_env = _quantity("project_env_grams")
    resolve_plant_sewer = _quantity("plant_sewer_grams")
    resolve_plant_env = _quantity("plant_env_grams")
    resolve_new_discharge = _quantity("new_discharge_grams")

    resolve_pollutant = path("pollutant.code")
    resolve_unit = path("pollutant.display_unit")

    @staticmethod
    def resolve_ratio(line: ApplicationLine) -> str:
        return f"{line.ratio_num}:{line.ratio_den}"

    @staticmethod
    def resolve_hold_state(line: ApplicationLine) -> str:
        return line_hold_state(line)


class ShortfallOut(Schema):
    """A line whose deduction the zone could not hold in full (RES-2): the application is submitted
    and holds what the zone had; approval is refused until the bureau covers the rest."""

    line_id: int
    pollutant: str = Field(description="污染物代码")
    requested_grams: int = Field(description="需预留的削减替代量（克/年）")
    held_grams: int = Field(description="已预留（克/年）")
    short_grams: int = Field(description="尚缺（克/年）")
    text: str = Field(description="说明，按该污染物单位")


class ApplicationOut(Schema):
    id: int
    code: str
    enterprise_id: int
    enterprise_name: str
    zone: str
    project_name: str
    location: str
    eia_reference: str
    status: str
    route: str
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    decision_reason: str
    operation_started_on: dt.date | None = Field(description="正式投运日期 / formal operation date")
    lines: list[ApplicationLineOut]
    shortfalls: list[ShortfallOut] = Field(
        description="办理中的申请里未能足额预留削减替代量的行（RES-2）；足额预留时为空"
    )

    resolve_enterprise_name = path("enterprise.name")
    resolve_zone = path("zone.code")

    @staticmethod
    def resolve_shortfalls(obj: QuotaApplication) -> list[Shortfall]:
        if not obj.is_open:
            return []
        lines = obj.lines.select_related("pollutant", "hold").order_by("pollutant__sort_order")
        return [found for line in lines if (found := line_shortfall(line)) is not None]

    @staticmethod
    def resolve_lines(obj: QuotaApplication) -> QuerySet[ApplicationLine]:
        return obj.lines.select_related("pollutant", "hold")


class DocumentOut(UploadedFileOut):
    """One document of an application (申请材料, RES-2): kind ``basis`` (依据), ``balance_plan``
    (总量平衡方案) or ``other``."""

    application_id: int
    download_url: str

    @staticmethod
    def resolve_download_url(d: ApplicationDocument) -> str:
        return f"/api/v1/reserve/applications/{d.application_id}/documents/{d.pk}/file"


# Built from reserve.selectors.ZoneWarning.
class WarningOut(ZonePollutantOut):
    zone: str
    pollutant: str
    balance_grams: int
    demand_grams: int
    income_grams: int
    spending_grams: int
    drawdown_per_month_grams: int
    months_of_cover: str | None
    exhausted_on: dt.date | None
    level: str
    reasons: list[str]

    resolve_balance_grams = path("balance")
    resolve_demand_grams = path("demand")
    resolve_income_grams = path("income")
    resolve_spending_grams = path("spending")

    @staticmethod
    def resolve_months_of_cover(obj: Any) -> str | None:
        """One decimal, rounded down; none when there is no drawdown (unlimited cover)."""
        return None if obj.months_of_cover is None else str(obj.months_of_cover)


class IntakeRunOut(Schema):
    id: int
    year: int
    quarter: int
    effective_date: dt.date
    status: str
    created_by_id: int
    confirmed_by_id: int | None
    confirmed: bool
    items: int
    intake_grams: int

    @staticmethod
    def resolve_confirmed(run: IntakeRun) -> bool:
        return run.confirmed_at is not None

    @staticmethod
    def resolve_items(run: IntakeRun) -> int:
        return run.items.count()

    @staticmethod
    def resolve_intake_grams(run: IntakeRun) -> int:
        return sum(i.intake_grams for i in run.items.all())


def read_lines(items: list[ApplicationLineIn]) -> list[dict[str, Any]]:
    """The lines as the service takes them (grams), each read by ``reserve.lines.read_line``; all
    refusals are collected and raised together (422 naming each field), before anything is
    written."""
    pollutants = {p.code: p for p in Pollutant.objects.all()}
    lines: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for index, item in enumerate(items):
        pollutant = pollutants.get(item.pollutant.strip().upper())
        if pollutant is None:
            errors.append(
                {"field": f"lines.{index}.pollutant", "message": f"未知的污染物代码：{item.pollutant}"}
            )
            continue
        values, problems = read_line(
            pollutant, {name: getattr(item, name.removesuffix("_grams")) for name in LINE_FIELDS}
        )
        errors += [
            {
                "field": f"lines.{index}.{name.removesuffix('_grams')}",
                "message": f"{pollutant.name}：{message}",
            }
            for name, message in problems.items()
        ]
        lines.append(values)
    if errors:
        raise ValidationFailed(
            errors[0]["message"]
            if len(errors) == 1
            else f"{len(errors)} 项数量有误：{errors[0]['message']}等",
            field=errors[0]["field"],
            errors=errors,
        )
    return lines


def _out(app: QuotaApplication) -> QuotaApplication:
    return QuotaApplication.objects.select_related("enterprise", "zone").get(pk=app.pk)


@router.get("/reserve/applications", response=list[ApplicationOut], summary="总量指标申请（按权限范围）")
@paginate(Pages, page_size=50)
def list_applications(request: ApiRequest, status: str = "", enterprise_id: RecordId | None = None):
    qs = restrict(request.auth, QuotaApplication.objects.select_related("enterprise", "zone"), "reserve.view")
    return filtered(qs, status=status, enterprise_id=enterprise_id or None).order_by("pk")


@router.get("/reserve/applications/{int:application_id}", response=ApplicationOut, summary="申请详情")
def get_application(request: ApiRequest, application_id: int):
    return _out(
        access(
            request.auth,
            QuotaApplication.objects.select_related("enterprise", "zone"),
            application_id,
            "reserve.view",
        )
    )


@router.post(
    "/reserve/applications",
    response={201: ApplicationOut},
    summary="填报申请（草稿）",
    auth=allowed("reserve.apply"),
)
def create_application(request: ApiRequest, payload: ApplicationIn):
    enterprise = access(request.auth, Enterprise, payload.enterprise_id, "registry.view")
    app = services.application_create(
        actor=request.auth,
        enterprise=enterprise,
        lines=read_lines(payload.lines),
        **payload.dict(exclude={"enterprise_id", "lines"}),
    )
    return Status(201, _out(app))


def load_application(request: ApiRequest, application_id: int, permission: str) -> QuotaApplication:
    return access(request.auth, QuotaApplication, application_id, permission)


# POST /reserve/applications/{id}/submit | withdraw | propose | approve | reject (reserve.workflow).
action_routes(
    router,
    APPLICATION_ACTIONS,
    route="/reserve/applications",
    load=load_application,
    response=ApplicationOut,
    out=_out,
    only=("submit", "withdraw", "propose", "approve", "reject"),
    name="{action}_application",
)


class PlanLotIn(Schema):
    lot_id: RecordId = Field(description="储备批次（账户 id）/ the lot held from")
    amount: QuantityText


class LinePlanIn(Schema):
    line_id: RecordId = Field(description="申请行 id / the application line")
    lots: list[PlanLotIn] = Field(min_length=1, max_length=100)


class ReholdIn(Schema):
    plans: list[LinePlanIn] = Field(
        default_factory=list,
        max_length=20,
        description=(
            "可选：指定某些行从哪些批次预留（合计须等于该行削减替代量）；不填则按先入先出重新预留未预留部分 / "
            "optional: the lots each named line is held from"
        ),
    )


@router.post(
    "/reserve/applications/{int:application_id}/rehold",
    response=ApplicationOut,
    summary="重新预留（调剂或上级下达之后、预留过期之后），或按所选批次预留某行；仍不足的行见 shortfalls / Hold again",
    auth=allowed("reserve.plan"),
)
def rehold_application(request: ApiRequest, application_id: int, payload: ReholdIn | None = None):
    application = load_application(request, application_id, "reserve.plan")
    lines = {line.pk: line for line in application.lines.select_related("pollutant")}
    plans: dict[int, list[tuple[Account, int]]] = {}
    given = payload.plans if payload else []
    # Every named lot in one query: the zone's lots among the ids given (a lot of another zone or
    # kind is simply not found, and refused below as not one of this zone's lots).
    named = {part.lot_id for plan in given for part in plan.lots}
    zone_lots = {
        lot.pk: lot
        for lot in Account.objects.filter(pk__in=named, kind=AccountKind.LOT, zone_id=application.zone_id)
    }
    for index, plan in enumerate(given):
        line = lines.get(plan.line_id)
        if line is None or plan.line_id in plans:
            raise ValidationFailed(
                gettext("第 {n} 个方案的申请行不属于该申请或重复").format(n=index + 1),
                field=f"plans.{index}.line_id",
            )
        chosen = []
        for j, part in enumerate(plan.lots):
            field = f"plans.{index}.lots.{j}"
            lot = zone_lots.get(part.lot_id)
            if lot is None or lot.pollutant_id != line.pollutant_id:
                raise ValidationFailed(
                    gettext("批次 {lot} 不是该功能区该污染物的储备批次").format(lot=part.lot_id),
                    field=f"{field}.lot_id",
                )
            chosen.append(
                (
                    lot,
                    parse_quantity(
                        part.amount, line.pollutant.unit, allow_zero=False, field=f"{field}.amount"
                    ),
                )
            )
        plans[line.pk] = chosen
    services.application_rehold(actor=request.auth, application=application, plans=plans or None)
    return _out(load_application(request, application_id, "reserve.view"))


class OperatingIn(Schema):
    started_on: dt.date = Field(
        description="正式投运日期（批准之后、今天之前；起算 RES-4 情形二的一年）/ formal operation date"
    )


@router.post(
    "/reserve/applications/{int:application_id}/operating",
    response=ApplicationOut,
    summary="登记正式投运日期（RES-4）/ Record the project's formal operation date",
    auth=allowed("reserve.mark_operating"),
)
def mark_operating(request: ApiRequest, application_id: int, payload: OperatingIn):
    application = load_application(request, application_id, "reserve.mark_operating")
    services.application_mark_operating(
        actor=request.auth, application=application, started_on=payload.started_on
    )
    return _out(application)


# --- documents (RES-2): the basis and the balance plan a review reads ----------------------------
def _documents(request: ApiRequest, application_id: int, permission: str) -> QuerySet[ApplicationDocument]:
    """The documents of an application the person may see (404 for an application outside scope)."""
    return selectors.application_documents(load_application(request, application_id, permission))


@router.get(
    "/reserve/applications/{int:application_id}/documents",
    response=list[DocumentOut],
    summary="申请材料（依据、总量平衡方案等）",
)
def list_documents(request: ApiRequest, application_id: int):
    return _documents(request, application_id, "reserve.view")


@router.post(
    "/reserve/applications/{int:application_id}/documents",
    response={201: DocumentOut},
    summary="上传申请材料（草稿；按内容校验类型，限制大小，记录 SHA-256）",
    auth=allowed_upload("reserve.apply"),
)
def upload_document(
    request: ApiRequest, application_id: int, kind: Form[str], file: File[UploadedFile], note: Form[str] = ""
):
    application = load_application(request, application_id, "reserve.apply")
    document = services.document_add(
        actor=request.auth, application=application, kind=kind, upload=file, note=note
    )
    return Status(201, document)


@router.get(
    "/reserve/applications/{int:application_id}/documents/{int:document_id}/file",
    summary="下载申请材料",
    response={200: None},
)
def download_document(request: ApiRequest, application_id: int, document_id: int):
    document = access(
        request.auth, _documents(request, application_id, "reserve.view"), document_id, "reserve.view"
    )
    return download(document.file, content_type=document.content_type, filename=document.original_name)


@router.delete(
    "/reserve/applications/{int:application_id}/documents/{int:document_id}",
    response={204: None},
    summary="删除申请材料（草稿）",
    auth=allowed("reserve.apply"),
)
def delete_document(request: ApiRequest, application_id: int, document_id: int):
    document = access(
        request.auth,
        _documents(request, application_id, "reserve.apply").select_related("application"),
        document_id,
        "reserve.apply",
    )
    services.document_delete(actor=request.auth, document=document)
    return Status(204, None)


def _annex(request: ApiRequest, application_id: int, fmt: str) -> HttpResponse:
    """The stored ANNEX-1 of an approved application in ``fmt`` (the file the page sends)."""
    app = access(
        request.auth, QuotaApplication.objects.select_related("enterprise"), application_id, "reserve.view"
    )
    if app.status != ApplicationStatus.APPROVED:
        raise Conflict(gettext("信息表（附件1）在批准后出具"), clause="ANNEX-1")
    document = annex_services.annex_document(application=app)
    if document is None:
        raise Conflict(gettext("该申请的信息表（附件1）已撤销"), clause="ANNEX-1")
    return send_file(document, fmt, f"{app.code}-附件1-第{document.version}版", request)  # type: ignore[return-value]


@router.get(
    "/reserve/applications/{int:application_id}/annex.pdf", summary="信息表（附件1）PDF", response={200: None}
)
def annex_pdf(request: ApiRequest, application_id: int) -> HttpResponse:
    return _annex(request, application_id, "pdf")


@router.get(
    "/reserve/applications/{int:application_id}/annex.xlsx",
    summary="信息表（附件1）XLSX / ANNEX-1 as a workbook",
    response={200: None},
)
def annex_xlsx(request: ApiRequest, application_id: int) -> HttpResponse:
    return _annex(request, application_id, "xlsx")


@router.get("/reserve/warnings", response=list[WarningOut], summary="储备收支预警（RES-3）")
def warnings(request: ApiRequest, start: dt.date | None = None, end: dt.date | None = None):
    principal = require(request.auth, "reserve.view_warnings")
    today = timezone.localdate()
    start = start or today.replace(month=1, day=1)
    end = end or today
    dates.QUERY_DAY.check(start, label="起始日期", field="start")
    dates.QUERY_DAY.check(end, label="截止日期", field="end")
    if start > end:
        raise ValidationFailed(gettext("起始日期不能晚于截止日期"), field="start")
    zones = in_zones(principal, Zone.objects.filter(is_active=True))
    return selectors.zone_warnings(start, end, zones=zones, only_active=True)


@router.get(
    "/reserve/intake-runs",
    response=list[IntakeRunOut],
    summary="季度入库批次 / Quarterly intake runs",
    auth=allowed("reserve.intake_view"),
)
def intake_runs(request: ApiRequest):
    return IntakeRun.objects.order_by("-pk")[:200]


class IntakeItemOut(ZonePollutantOut):
    """One line of an intake run (入库明细 / intake item): what enters the zone's reserve and what
    is excluded, with its RES-1 reasons."""

    id: int
    run_id: int
    zone: str
    pollutant: str
    unit: str
    line_id: int
    project: str = Field(description="减排项目名称 / reduction project name")
    reduction_grams: int = Field(description="核定减排量（克）/ approved reduction, grams")
    excluded_grams: int = Field(description="不予入库量（克）/ excluded, grams")
    intake_grams: int = Field(description="入库量（克）/ entering the reserve, grams")
    intake: str = Field(description="入库量，按该污染物单位 / intake in the pollutant's unit")
    reasons: list[dict[str, Any]] = Field(
        description="不予入库情形（code、label、grams、references）/ RES-1 exclusion reasons"
    )
    other_reason: str = Field(description="剔除原因（情形四）/ reason given for an exclusion (RES-1 (4))")
    excluded_by_id: int | None
    posting_id: int | None = Field(description="确认后的记账 / the ledger posting once confirmed")

    resolve_project = path("line.project.name")

    @staticmethod
    def resolve_intake(item: IntakeItem) -> str:
        return format_quantity(item.intake_grams, item.pollutant.unit)


class IntakeRunDetailOut(IntakeRunOut):
    period_start: dt.date
    period_end: dt.date
    lines: list[IntakeItemOut] = Field(description="入库明细 / the run's items")

    @staticmethod
    def resolve_lines(run: IntakeRun) -> QuerySet[IntakeItem]:
        return selectors.intake_items(run)


@router.get(
    "/reserve/intake-runs/{int:run_id}",
    response=IntakeRunDetailOut,
    summary="入库批次详情及明细 / An intake run with its items",
    auth=allowed("reserve.intake_view"),
)
def get_intake_run(request: ApiRequest, run_id: int):
    return load_run(request, run_id, "reserve.intake_view")


class ExcludeIn(Schema):
    reason: str = Field(
        max_length=300, description="不符合入库条件的原因（RES-1 (4)）/ why the line is not eligible"
    )


@router.post(
    "/reserve/intake-items/{int:item_id}/exclude",
    response=IntakeItemOut,
    summary="剔除入库明细（RES-1 (4)；剔除人不能确认该批次）/ Exclude an item (its excluder cannot confirm the run)",
    auth=allowed("reserve.intake"),
)
def exclude_intake_item(request: ApiRequest, item_id: int, payload: ExcludeIn):
    item = access(request.auth, IntakeItem.objects.select_related("run"), item_id, "reserve.intake")
    item = services.intake_exclude(actor=request.auth, item=item, reason=payload.reason)
    return selectors.intake_items(item.run).get(pk=item.pk)


class IntakeIn(Schema):
    year: int
    quarter: int
    effective_date: dt.date | None = None


@router.post(
    "/reserve/intake-runs",
    response={201: IntakeRunOut},
    summary="编制季度入库批次（RES-1；同一季度只能有一个未作废的批次）",
    auth=allowed("reserve.intake"),
)
def prepare_intake(request: ApiRequest, payload: IntakeIn):
    return Status(201, services.intake_prepare(actor=request.auth, **payload.dict()))


def load_run(request: ApiRequest, run_id: int, permission: str) -> IntakeRun:
    return access(request.auth, IntakeRun, run_id, permission)


# POST /reserve/intake-runs/{id}/confirm | cancel (reserve.workflow.INTAKE_ACTIONS; four eyes).
action_routes(
    router,
    INTAKE_ACTIONS,
    route="/reserve/intake-runs",
    load=load_run,
    response=IntakeRunOut,
    out=lambda run: run,
    name="{action}_intake_run",
)


class RecoveryIn(Schema):
    line_id: int
    kind: str = Field(description="not_built | underused | other")
    reason: str
    surplus: QuantityText | None = Field(None, description="确认富余量，按该污染物单位（情形二、三）")


class RecoveryOut(Schema):
    id: int
    line_id: int
    application_id: int
    kind: str
    status: str
    surplus_grams: int
    recovered_grams: int
    reason: str
    proposed_by_id: int
    answer_due: dt.date | None
    answer: str
    answered_at: dt.datetime | None
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_reason: str
    posting_id: int | None

    resolve_application_id = path("line.application_id")


@router.post(
    "/reserve/recoveries",
    response={201: RecoveryOut},
    summary="拟定指标收回（RES-4；由另一名审核人员决定）",
    auth=allowed("reserve.recover"),
)
def propose_recovery(request: ApiRequest, payload: RecoveryIn):
    line = access(
        request.auth,
        ApplicationLine.objects.select_related("application", "pollutant"),
        payload.line_id,
        "reserve.recover",
    )
    if payload.kind not in RecoveryKind.values:
        raise ValidationFailed(
            "收回情形应为：" + "、".join(RecoveryKind.values), field="kind", clause="RES-4"
        )
    surplus = None
    if payload.surplus:
        try:
            surplus = parse_quantity(payload.surplus, line.pollutant.unit, allow_zero=False)
        except QuantityError as exc:
            raise ValidationFailed(str(exc), field="surplus", clause="RES-4") from None
    case = services.recovery_propose(
        actor=request.auth, line=line, kind=payload.kind, reason=payload.reason, surplus_grams=surplus
    )
    return Status(201, case)


# Listed here, beside the proposal: one path is served by one router.
@router.get(
    "/reserve/recoveries",
    response=list[RecoveryOut],
    summary="指标收回事项（按权限范围）/ Recovery cases in scope",
)
@paginate(Pages, page_size=50)
def list_recoveries(
    request: ApiRequest, status: str = "", application_id: RecordId | None = None
) -> QuerySet[RecoveryCase]:
    qs = restrict(request.auth, RecoveryCase.objects.select_related("line"), "reserve.view")
    return filtered(qs, status=status, line__application_id=application_id).order_by("pk")


@router.get("/reserve/recoveries/{int:case_id}", response=RecoveryOut, summary="指标收回事项")
def get_recovery(request: ApiRequest, case_id: int):
    return load_case(request, case_id, "reserve.view")


def load_case(request: ApiRequest, case_id: int, permission: str) -> RecoveryCase:
    return access(request.auth, RecoveryCase.objects.select_related("line"), case_id, permission)


# POST /reserve/recoveries/{id}/notify | answer | approve | reject (reserve.workflow.RECOVERY_ACTIONS).
action_routes(
    router,
    RECOVERY_ACTIONS,
    route="/reserve/recoveries",
    load=load_case,
    response=RecoveryOut,
    out=lambda case: case,
    name="{action}_recovery",
)
