"""Reserve routes: quota applications and their decisions, ANNEX-1, intake runs, warnings."""

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from totalquota.accounts.permissions import access, require, restrict
from totalquota.api.core import ApiRequest, Pages, allowed
from totalquota.api.fields import QuantityText
from totalquota.common.pdf import pdf_response
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, ValidationFailed
from totalquota.lib.units import QuantityError, format_quantity, parse_quantity
from totalquota.registry.models import Enterprise, Pollutant
from totalquota.reserve import annex, selectors, services
from totalquota.reserve.models import ApplicationStatus, IntakeRun, QuotaApplication

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


class ApplicationLineOut(Schema):
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
    lines: list[ApplicationLineOut]

    @staticmethod
    def resolve_enterprise_name(obj: QuotaApplication) -> str:
        return obj.enterprise.name

    @staticmethod
    def resolve_zone(obj: QuotaApplication) -> str:
        return obj.zone.code

    @staticmethod
    def resolve_lines(obj: QuotaApplication) -> list[dict]:
        return [
            {
                "pollutant": line.pollutant.code,
                "unit": line.pollutant.display_unit,
                **{f: getattr(line, f) for f in services.LINE_FIELDS},
                **{
                    f.removesuffix("_grams"): format_quantity(getattr(line, f), line.pollutant.unit)
                    for f in services.LINE_FIELDS
                },
                "route": line.route,
                "route_reason": line.route_reason,
                "ratio": f"{line.ratio_num}:{line.ratio_den}",
                "deduction_grams": line.deduction_grams,
                "computation": line.computation,
                "hold_state": services.line_hold_state(line),
                "permitted_env_grams": line.permitted_env_grams,
                "allocation_id": line.allocation_id,
            }
            for line in obj.lines.select_related("pollutant", "hold")
        ]


class ReasonIn(Schema):
    reason: str = ""


class WarningOut(Schema):
    zone: str
    pollutant: str
    balance_grams: int
    demand_grams: int
    income_grams: int
    spending_grams: int
    level: str
    reasons: list[str]


class IntakeRunOut(Schema):
    id: int
    year: int
    quarter: int
    effective_date: dt.date
    confirmed: bool
    items: int
    intake_grams: int


def read_lines(items: list[ApplicationLineIn]) -> list[dict[str, Any]]:
    """The lines as the service takes them (grams), every figure read in its pollutant's unit by
    lib.units; all refusals are collected and raised together (422 naming each field), before
    anything is written."""
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
        line: dict[str, Any] = {"pollutant": pollutant}
        for name in services.LINE_FIELDS:
            field = f"lines.{index}.{name.removesuffix('_grams')}"
            try:
                line[name] = parse_quantity(
                    getattr(item, name.removesuffix("_grams")), pollutant.unit, field=field
                )
            except QuantityError as exc:
                errors.append({"field": field, "message": f"{pollutant.name}：{exc.message}"})
        lines.append(line)
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
def list_applications(request: ApiRequest, status: str = "", enterprise_id: int | None = None):
    qs = restrict(request.auth, QuotaApplication.objects.select_related("enterprise", "zone"), "reserve.view")
    if status:
        qs = qs.filter(status=status)
    if enterprise_id:
        qs = qs.filter(enterprise_id=enterprise_id)
    return qs.order_by("pk")


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
    lines = read_lines(payload.lines)
    app = services.application_create(
        actor=request.auth,
        enterprise=enterprise,
        project_name=payload.project_name,
        location=payload.location,
        eia_reference=payload.eia_reference,
        description=payload.description,
        lines=lines,
    )
    return Status(201, _out(app))


def _act(request: ApiRequest, application_id: int, action: str, payload: ReasonIn | None = None):
    permission = "reserve.apply" if action in ("submit", "withdraw") else "reserve.decide"
    app = access(request.auth, QuotaApplication, application_id, permission)
    reason = payload.reason if payload else ""
    func = {
        "submit": lambda: services.application_submit(actor=request.auth, application=app),
        "withdraw": lambda: services.application_withdraw(actor=request.auth, application=app, reason=reason),
        "propose": lambda: services.application_propose(actor=request.auth, application=app, proposal=reason),
        "approve": lambda: services.application_approve(actor=request.auth, application=app, reason=reason),
        "reject": lambda: services.application_reject(actor=request.auth, application=app, reason=reason),
    }[action]
    return _out(func())


@router.post(
    "/reserve/applications/{int:application_id}/submit",
    response=ApplicationOut,
    summary="提交申请",
    auth=allowed("reserve.apply"),
)
def submit_application(request: ApiRequest, application_id: int):
    return _act(request, application_id, "submit")


@router.post(
    "/reserve/applications/{int:application_id}/withdraw",
    response=ApplicationOut,
    summary="撤回申请",
    auth=allowed("reserve.apply"),
)
def withdraw_application(request: ApiRequest, application_id: int, payload: ReasonIn):
    return _act(request, application_id, "withdraw", payload)


@router.post(
    "/reserve/applications/{int:application_id}/propose",
    response=ApplicationOut,
    summary="拟定审核意见",
    auth=allowed("reserve.decide"),
)
def propose_application(request: ApiRequest, application_id: int, payload: ReasonIn):
    return _act(request, application_id, "propose", payload)


@router.post(
    "/reserve/applications/{int:application_id}/approve",
    response=ApplicationOut,
    summary="批准（四眼原则：拟办人不能批准）",
    auth=allowed("reserve.decide"),
)
def approve_application(request: ApiRequest, application_id: int, payload: ReasonIn):
    return _act(request, application_id, "approve", payload)


@router.post(
    "/reserve/applications/{int:application_id}/reject",
    response=ApplicationOut,
    summary="不予批准",
    auth=allowed("reserve.decide"),
)
def reject_application(request: ApiRequest, application_id: int, payload: ReasonIn):
    return _act(request, application_id, "reject", payload)


@router.get(
    "/reserve/applications/{int:application_id}/annex.pdf", summary="信息表（附件1）PDF", response={200: None}
)
def annex_pdf(request: ApiRequest, application_id: int) -> HttpResponse:
    app = access(
        request.auth, QuotaApplication.objects.select_related("enterprise"), application_id, "reserve.view"
    )
    if app.status != ApplicationStatus.APPROVED:
        raise Conflict("信息表（附件1）在批准后出具", clause="ANNEX-1")
    return pdf_response(annex.annex_pdf(app), f"{app.code}-附件1.pdf")


@router.get("/reserve/warnings", response=list[WarningOut], summary="储备收支预警（RES-3）")
def warnings(request: ApiRequest, start: dt.date | None = None, end: dt.date | None = None):
    principal = require(request.auth, "reserve.view_warnings")
    today = timezone.localdate()
    start = start or today.replace(month=1, day=1)
    end = end or today
    dates.QUERY_DAY.check(start, label="起始日期", field="start")
    dates.QUERY_DAY.check(end, label="截止日期", field="end")
    if start > end:
        raise ValidationFailed("起始日期不能晚于截止日期", field="start")
    from totalquota.registry.models import Zone

    zones = Zone.objects.filter(is_active=True)
    if principal.zone_ids is not None:
        zones = zones.filter(pk__in=principal.zone_ids)
    return [
        {
            "zone": w.zone.code,
            "pollutant": w.pollutant.code,
            "balance_grams": w.balance,
            "demand_grams": w.demand,
            "income_grams": w.income,
            "spending_grams": w.spending,
            "level": w.level,
            "reasons": w.reasons,
        }
        for w in selectors.zone_warnings(start, end, zones=zones, only_active=True)
    ]


@router.get(
    "/reserve/intake-runs",
    response=list[IntakeRunOut],
    summary="季度入库批次",
    auth=allowed("reserve.intake"),
)
def intake_runs(request: ApiRequest):
    return [
        {
            "id": r.pk,
            "year": r.year,
            "quarter": r.quarter,
            "effective_date": r.effective_date,
            "confirmed": r.confirmed_at is not None,
            "items": r.items.count(),
            "intake_grams": sum(i.intake_grams for i in r.items.all()),
        }
        for r in IntakeRun.objects.order_by("-pk")[:200]
    ]
