"""Writes of the quota reserve. Every gram moves through ``ledger.services``; these functions decide
what moves, record why (rule snapshots, clauses) and keep the business records in step."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from totalquota.accounts.permissions import principal_of, zone_allowed
from totalquota.audit.services import record, snapshot
from totalquota.common import codes
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger import services as ledger
from totalquota.ledger.models import Account, AccountKind, SourceType
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from totalquota.lib.units import MAX_GRAMS, format_quantity
from totalquota.registry.models import Enterprise, Pollutant
from totalquota.registry.rules import FILING_THRESHOLD, rule_value
from totalquota.reserve import rules
from totalquota.reserve.models import (
    OPEN_STATUSES,
    ApplicationLine,
    ApplicationStatus,
    ApplicationTransition,
    AttainmentStatus,
    ExclusionReason,
    IntakeItem,
    IntakeRun,
    QuotaApplication,
    RecoveryCase,
    RecoveryKind,
    RequestStatus,
    Route,
    UpperDeduction,
    UpperLevelRequest,
    VerifiedEmission,
)

LINE_FIELDS = [
    "project_sewer_grams",
    "project_env_grams",
    "plant_sewer_grams",
    "plant_env_grams",
    "new_discharge_grams",
]


# --- the rules of one line ---------------------------------------------------------------------


def ceil_grams(value: Fraction) -> int:
    """Round up to the gram: a deduction is never less than the rule asks."""
    return -((-value.numerator) // value.denominator)


def floor_grams(value: Fraction) -> int:
    return value.numerator // value.denominator


def attainment_for(pollutant: Pollutant, on: dt.date) -> tuple[str | None, AttainmentStatus | None]:
    """The indicator that decides the pollutant's ratio and its latest assessed status before ``on``'s year."""
    try:
        indicator = rule_value(rules.ATTAINMENT_INDICATOR.key, on, pollutant=pollutant).value
    except RuleViolation:
        return None, None
    status = (
        AttainmentStatus.objects.filter(indicator=indicator, year__lt=on.year).order_by("-year").first()
        if indicator
        else None
    )
    return indicator, status


@dataclass
class LineDecision:
    """What the rules say about one application line on a date."""

    route: str
    route_reason: str
    ratio: Fraction
    deduction_grams: int
    computation: str
    snapshot: dict[str, Any]


def decide_line(*, zone: Any, pollutant: Pollutant, new_discharge_grams: int, on: dt.date) -> LineDecision:
    """Filing or review, the balance ratio and the deduction for one pollutant (RES-2)."""
    unit = pollutant.unit
    threshold = rule_value(FILING_THRESHOLD.key, on, pollutant=pollutant)
    snap: dict[str, Any] = {"filing_threshold": threshold.snapshot()}
    new = format_quantity(new_discharge_grams, unit, suffix=True)
    if threshold.value is None:
        route, reason = (
            Route.REVIEW,
            f"依据 {threshold.clause_id}：{pollutant.name}无备案阈值，任何新增均需审核",
        )
        if new_discharge_grams == 0:
            route, reason = Route.FILING, f"依据 {threshold.clause_id}：{pollutant.name}无新增外排环境量"
    elif new_discharge_grams <= threshold.value:
        limit = format_quantity(threshold.value, unit, suffix=True)
        route, reason = (
            Route.FILING,
            f"依据 {threshold.clause_id}：全厂新增外排环境量 {new} 不超过 {limit}，备案",
        )
    else:
        limit = format_quantity(threshold.value, unit, suffix=True)
        route, reason = (
            Route.REVIEW,
            f"依据 {threshold.clause_id}：全厂新增外排环境量 {new} 超过 {limit}，需审核",
        )
    indicator, status = attainment_for(pollutant, on)
    key = rules.BALANCE_RATIO.key
    note = "相关环境质量指标达标或未设，适用一般平衡比例"
    if status is not None and not status.attained:
        key = rules.NONATTAINMENT_RATIO.key
        note = f"{status.year} 年{status.get_indicator_display()}不达标（{status.source}），适用不达标地区平衡比例"
    elif indicator and status is None:
        note = f"尚未录入{indicator}上年度达标状况，适用一般平衡比例"
    ratio_value = rule_value(key, on, pollutant=pollutant, zone=zone)
    ratio = ratio_value.ratio
    snap["balance_ratio"] = ratio_value.snapshot()
    snap["attainment"] = {
        "indicator": indicator,
        "year": status.year if status else None,
        "attained": status.attained if status else None,
        "note": note,
    }
    deduction = ceil_grams(new_discharge_grams * ratio)
    computation = (
        f"削减替代量 = 全厂新增外排环境量 {new} × 平衡比例 {ratio.numerator}:{ratio.denominator}"
        f" = {format_quantity(deduction, unit, suffix=True)}（向上取整到克；{note}；依据 {ratio_value.clause_id}）"
    )
    return LineDecision(route, reason, ratio, deduction, computation, snap)


def check_line_figures(pollutant: Pollutant, values: dict[str, int]) -> list[str]:
    """The consistency rules of ANNEX-1 figures; returns Chinese messages (empty when fine)."""
    problems = []
    name = pollutant.name
    for field in LINE_FIELDS:
        value = values.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_GRAMS:
            problems.append(f"{name}：数量必须是非负整数克，且不超过 {format_quantity(MAX_GRAMS)} t/a")
            return problems
    if values["project_env_grams"] > values["plant_env_grams"]:
        problems.append(f"{name}：全厂许可量（外排环境量）不能小于本项目许可量（外排环境量）")
    if values["project_sewer_grams"] > values["plant_sewer_grams"]:
        problems.append(f"{name}：全厂许可量（接管量）不能小于本项目许可量（接管量）")
    if values["new_discharge_grams"] > values["plant_env_grams"]:
        problems.append(f"{name}：全厂许可量（外排环境量）不能小于其中包含的全厂新增外排环境量")
    return problems


# --- applications --------------------------------------------------------------------------------


def _transition(application: QuotaApplication, actor: Any, to: str, reason: str = "") -> None:
    before = application.status
    ApplicationTransition.objects.create(
        application=application,
        from_status=before,
        to_status=to,
        actor=getattr(actor, "user", actor),
        reason=reason,
    )
    application.status = to


def _lock(application: QuotaApplication) -> QuotaApplication:
    # Lock order step 1 (see ledger.services): the application row, first, so that decisions on it
    # (submit, approve, reject, withdraw, recovery) are taken one at a time.
    return QuotaApplication.objects.select_for_update().get(pk=application.pk)


def _lock_zone_rows(application: QuotaApplication, pollutant_ids: Any) -> None:
    # Lock order step 2: the zone row of every pollutant this decision holds, posts or releases,
    # all at once before the first ledger operation. Each operation records an audit event
    # (step 5); a zone row taken after it could wait on a transaction that waits for that event.
    ledger.lock_zones({(application.zone_id, pk) for pk in pollutant_ids})


def _check_applicant(actor: Any, enterprise: Enterprise) -> None:
    principal = principal_of(actor)
    if principal.enterprise_id is not None:
        if principal.enterprise_id != enterprise.pk:
            raise Forbidden("只能为本单位申请总量指标", clause="RES-2")
    elif not zone_allowed(principal, enterprise.zone_id):
        raise Forbidden("只能为本功能区内的排污单位申请总量指标", clause="RES-2")


def _clean_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not lines:
        raise ValidationFailed("请至少填写一种污染物的许可量", field="lines", clause="ANNEX-1")
    seen = set()
    problems: list[str] = []
    for line in lines:
        pollutant = line["pollutant"]
        if pollutant.pk in seen:
            problems.append(f"{pollutant.name}：同一污染物只能填写一行")
        seen.add(pollutant.pk)
        problems += check_line_figures(pollutant, line)
    if problems:
        raise RuleViolation(
            "；".join(problems), clause="ANNEX-1", errors=[{"field": "lines", "message": p} for p in problems]
        )
    return lines


def _new_code(today: dt.date) -> tuple[int, str]:
    """The id and code (``ZL2026-0042``) of a new application, from the row's own number; takes no
    lock and never collides with a concurrent create (see ``common.codes``)."""
    number = codes.reserve_id(QuotaApplication)
    return number, codes.record_code(f"ZL{today:%Y}-", number)


@transaction.atomic
def application_create(
    *,
    actor: Any,
    enterprise: Enterprise,
    project_name: str,
    location: str,
    eia_reference: str,
    lines: list[dict[str, Any]],
    description: str = "",
) -> QuotaApplication:
    """An enterprise (or a zone officer for it) drafts a quota application."""
    _check_applicant(actor, enterprise)
    for field, value, label in (
        ("project_name", project_name, "建设项目名称"),
        ("location", location, "建设地点"),
        ("eia_reference", eia_reference, "环评文件（文号）"),
    ):
        if not (value or "").strip():
            raise ValidationFailed(f"请填写{label}", field=field, clause="ANNEX-1")
    _clean_lines(lines)
    # No lock: the code comes from the row's own id, so parallel creates never collide.
    pk, code = _new_code(timezone.localdate())
    application = QuotaApplication.objects.create(
        id=pk,
        code=code,
        enterprise=enterprise,
        zone=enterprise.zone,
        project_name=project_name,
        location=location,
        eia_reference=eia_reference,
        description=description,
        created_by=getattr(actor, "user", actor),
    )
    for line in lines:
        ApplicationLine.objects.create(application=application, **line)
    ApplicationTransition.objects.create(
        application=application, to_status=ApplicationStatus.DRAFT, actor=getattr(actor, "user", actor)
    )
    record(actor=actor, action="reserve.application_create", obj=application, after=_state(application))
    return application


def _state(application: QuotaApplication) -> dict[str, Any]:
    data = snapshot(
        application, ["code", "enterprise", "project_name", "location", "eia_reference", "status", "route"]
    )
    data["lines"] = [
        {
            "pollutant": line.pollutant.code,
            **{f: getattr(line, f) for f in LINE_FIELDS},
            "deduction": line.deduction_grams,
        }
        for line in application.lines.select_related("pollutant")
    ]
    return data


@transaction.atomic
def application_update(
    *, actor: Any, application: QuotaApplication, lines: list[dict[str, Any]] | None = None, **fields: Any
) -> QuotaApplication:
    """Change a draft (its project data and lines)."""
    application = _lock(application)
    _check_applicant(actor, application.enterprise)
    if application.status != ApplicationStatus.DRAFT:
        raise Conflict("只有草稿状态的申请可以修改", clause="RES-2")
    before = _state(application)
    for name, value in fields.items():
        if name not in ("project_name", "location", "eia_reference", "description"):
            raise ValidationFailed(f"不能修改 {name}")
        setattr(application, name, value)
    application.save()
    if lines is not None:
        _clean_lines(lines)
        application.lines.all().delete()
        for line in lines:
            ApplicationLine.objects.create(application=application, **line)
    record(
        actor=actor,
        action="reserve.application_update",
        obj=application,
        before=before,
        after=_state(application),
    )
    return application


def _allocation_account(actor: Any, line: ApplicationLine, on: dt.date) -> Account:
    if line.allocation_id:
        assert line.allocation is not None
        return line.allocation
    account = ledger.account_open(
        actor=actor,
        zone=line.application.zone,
        pollutant=line.pollutant,
        kind=AccountKind.ALLOCATION,
        holder_enterprise=line.application.enterprise,
        opened_on=on,
        label=f"{line.application.code} {line.application.project_name}",
    )
    line.allocation = account
    return account


def _hold_line(
    actor: Any, line: ApplicationLine, on: dt.date, lots: list[tuple[Account, int]] | None = None
) -> str:
    """Hold the line's deduction in its zone's lots; returns '' or why it could not be held."""
    if line.deduction_grams == 0:
        return ""
    account = _allocation_account(actor, line, on)
    attempt = ledger_selectors.transfers_for_object("reserve.applicationline", line.pk)
    # The line's N-th hold: counting is safe here because the caller holds the application row.
    number = len({t.posting_id for t in attempt if t.posting.operation == "hold"}) + 1
    try:
        hold = ledger.draw(
            actor=actor,
            zone=line.application.zone,
            pollutant=line.pollutant,
            amount_grams=line.deduction_grams,
            to_account=account,
            effective_date=on,
            reason=f"{line.application.code} 申请期间预留削减替代量",
            clause_id="RES-2",
            obj=line,
            idempotency_key=f"reserve-line-{line.pk}-hold-{number}",
            lots=lots,
            pending=True,
        )
    except RuleViolation as exc:
        line.hold = None
        return exc.message
    line.hold = hold
    return ""


def line_hold_state(line: ApplicationLine) -> str:
    """``none`` (nothing to hold), ``missing``, ``open``, ``posted``, ``voided`` or ``expired``."""
    if line.deduction_grams == 0:
        return "none"
    if line.hold_id is None:
        return "missing"
    return ledger_selectors.hold_state(line.hold) if line.hold is not None else "missing"


@transaction.atomic
def application_submit(*, actor: Any, application: QuotaApplication) -> QuotaApplication:
    """Submit a draft: each line is routed (filing or review), its deduction computed with the rules
    in force today, and held in the zone's reserve. A line the zone cannot cover is submitted
    without a hold and shown as short, for the bureau to cover (zone transfer, upper level)."""
    application = _lock(application)
    _check_applicant(actor, application.enterprise)
    if application.status != ApplicationStatus.DRAFT:
        raise Conflict("申请已提交，不能重复提交", clause="RES-2")
    today = timezone.localdate()
    before = _state(application)
    shortfalls = []
    routes = []
    # Every rule is looked up before anything is held or written: a line without a rule refuses
    # the whole submit and changes nothing.
    decisions = [
        (
            line,
            decide_line(
                zone=application.zone,
                pollutant=line.pollutant,
                new_discharge_grams=line.new_discharge_grams,
                on=today,
            ),
        )
        for line in application.lines.select_related("pollutant").order_by("pollutant__sort_order")
    ]
    _lock_zone_rows(application, [line.pollutant_id for line, d in decisions if d.deduction_grams])
    for line, decision in decisions:
        line.route, line.route_reason = decision.route, decision.route_reason
        line.ratio_num, line.ratio_den = decision.ratio.numerator, decision.ratio.denominator
        line.deduction_grams, line.computation, line.rule_snapshot = (
            decision.deduction_grams,
            decision.computation,
            decision.snapshot,
        )
        problem = _hold_line(actor, line, today)
        if problem:
            shortfalls.append(f"{line.pollutant.name}：{problem}")
        line.save()
        routes.append(decision.route)
    application.route = Route.REVIEW if Route.REVIEW in routes else Route.FILING
    application.submitted_by = getattr(actor, "user", actor)
    application.submitted_at = timezone.now()
    _transition(application, actor, ApplicationStatus.SUBMITTED, "；".join(shortfalls))
    application.save()
    record(
        actor=actor,
        action="reserve.application_submit",
        obj=application,
        before=before,
        after={**_state(application), "shortfalls": shortfalls},
    )
    return application


def _release_holds(actor: Any, application: QuotaApplication, reason: str) -> None:
    """Void the open holds of a locked application (its zone rows are locked here, step 2)."""
    lines = list(application.lines.select_related("hold"))
    _lock_zone_rows(application, [line.pollutant_id for line in lines if line.hold_id])
    for line in lines:
        if line.hold is not None and ledger_selectors.hold_state(line.hold) == "open":
            ledger.hold_void(
                actor=actor,
                posting=line.hold,
                reason=reason,
                idempotency_key=f"reserve-line-{line.pk}-void-{line.hold_id}",
            )


@transaction.atomic
def application_withdraw(*, actor: Any, application: QuotaApplication, reason: str) -> QuotaApplication:
    """The applicant withdraws an open application; its holds are released."""
    application = _lock(application)
    _check_applicant(actor, application.enterprise)
    if application.status not in (ApplicationStatus.DRAFT, *OPEN_STATUSES):
        raise Conflict("该申请已办结，不能撤回", clause="RES-2")
    if not (reason or "").strip():
        raise ValidationFailed("请填写撤回原因", field="reason")
    _release_holds(actor, application, f"申请撤回：{reason}")
    _transition(application, actor, ApplicationStatus.WITHDRAWN, reason)
    application.save()
    record(actor=actor, action="reserve.application_withdraw", obj=application, after={"reason": reason})
    return application


@transaction.atomic
def application_rehold(
    *, actor: Any, application: QuotaApplication, plans: dict[int, list[tuple[Account, int]]] | None = None
) -> list[str]:
    """Hold again what is not held (after a zone transfer or upper-level grant, or an expired hold),
    or hold a line from the lots the reviewer picks (``plans``: line id -> [(lot, grams)]).
    Returns the lines still short."""
    application = _lock(application)
    if not application.is_open:
        raise Conflict("只有办理中的申请可以调整平衡方案", clause="RES-2")
    principal = principal_of(actor)
    if principal.role not in ("reviewer", "admin"):
        raise Forbidden("平衡方案由生态环境局调整")
    today = timezone.localdate()
    problems = []
    lines = list(application.lines.select_related("pollutant", "hold", "allocation"))
    _lock_zone_rows(application, [line.pollutant_id for line in lines if line.deduction_grams])
    for line in lines:
        state = line_hold_state(line)
        chosen = (plans or {}).get(line.pk)
        if chosen is not None:
            if sum(g for _lot, g in chosen) != line.deduction_grams:
                raise ValidationFailed(
                    f"{line.pollutant.name}：所选批次合计应等于削减替代量 "
                    f"{format_quantity(line.deduction_grams, line.pollutant.unit, suffix=True)}",
                    field="lots",
                    clause="RES-2",
                )
            if state == "open":
                ledger.hold_void(
                    actor=actor,
                    posting=line.hold,
                    reason="审核人员调整平衡方案",
                    idempotency_key=f"reserve-line-{line.pk}-void-{line.hold_id}",
                )
        elif state not in ("missing", "voided", "expired"):
            continue
        problem = _hold_line(actor, line, today, lots=chosen)
        if problem:
            problems.append(f"{line.pollutant.name}：{problem}")
        line.save()
    record(actor=actor, action="reserve.application_rehold", obj=application, after={"short": problems})
    return problems


def _four_eyes(actor: Any, application: QuotaApplication) -> None:
    user_id = getattr(getattr(actor, "user", actor), "pk", None)
    preparers = {application.created_by_id, application.submitted_by_id, application.proposed_by_id}
    if user_id in preparers:
        raise Forbidden("四眼原则：拟定或提交该决定的人员不能批准", clause="RES-2")


@transaction.atomic
def application_propose(*, actor: Any, application: QuotaApplication, proposal: str) -> QuotaApplication:
    """A reviewer prepares the decision (the balance plan and an opinion); another approves it."""
    application = _lock(application)
    if application.status != ApplicationStatus.SUBMITTED:
        raise Conflict("只有已提交的申请可以拟定审核意见", clause="RES-2")
    if not (proposal or "").strip():
        raise ValidationFailed("请填写拟办意见", field="proposal")
    application.proposed_by = getattr(actor, "user", actor)
    application.proposal = proposal
    _transition(application, actor, ApplicationStatus.PROPOSED, proposal)
    application.save()
    record(actor=actor, action="reserve.application_propose", obj=application, after={"proposal": proposal})
    return application


@transaction.atomic
def application_approve(*, actor: Any, application: QuotaApplication, reason: str = "") -> QuotaApplication:
    """Approve: the holds are posted into the enterprise's allocation accounts at the ratio, the
    permitted quantities are written on the approval. Review-route applications need a proposal
    by another reviewer first; nobody approves what they prepared (four eyes)."""
    application = _lock(application)
    if application.status not in OPEN_STATUSES:
        raise Conflict("该申请不在待批状态", clause="RES-2")
    if application.route == Route.REVIEW and application.status != ApplicationStatus.PROPOSED:
        raise RuleViolation(
            "审核类申请须先由一名审核人员拟定审核意见，再由另一名审核人员批准", clause="RES-2"
        )
    _four_eyes(actor, application)
    today = timezone.localdate()
    lines = list(application.lines.select_related("pollutant", "hold", "allocation"))
    short = [line for line in lines if line_hold_state(line) not in ("none", "open")]
    if short:
        names = "、".join(line.pollutant.name for line in short)
        raise RuleViolation(
            f"{names}的削减替代量尚未足额预留（储备不足或预留已到期），批准将透支储备；请先调剂、申请上级储备或重新预留",
            clause="RES-2",
        )
    _lock_zone_rows(application, [line.pollutant_id for line in lines if line.deduction_grams])
    for line in lines:
        if line.deduction_grams:
            line.posting = ledger.hold_post(
                actor=actor,
                posting=line.hold,
                effective_date=today,
                reason=f"{application.code} 批准，扣减削减替代量",
                idempotency_key=f"reserve-line-{line.pk}-post-{line.hold_id}",
            )
        line.permitted_env_grams = line.project_env_grams
        line.save()
    application.decided_by = getattr(actor, "user", actor)
    application.decided_at = timezone.now()
    application.decision_reason = reason
    application.decision_snapshot = {str(line.pollutant.code): line.rule_snapshot for line in lines}
    _transition(application, actor, ApplicationStatus.APPROVED, reason)
    application.save()
    record(actor=actor, action="reserve.application_approve", obj=application, after=_state(application))
    return application


@transaction.atomic
def application_reject(*, actor: Any, application: QuotaApplication, reason: str) -> QuotaApplication:
    """Refuse an open application with a reason; its holds are released."""
    application = _lock(application)
    if application.status not in OPEN_STATUSES:
        raise Conflict("该申请不在待批状态", clause="RES-2")
    if not (reason or "").strip():
        raise ValidationFailed("不予批准须说明理由", field="reason", clause="RES-2")
    _release_holds(actor, application, f"不予批准：{reason}")
    application.decided_by = getattr(actor, "user", actor)
    application.decided_at = timezone.now()
    application.decision_reason = reason
    _transition(application, actor, ApplicationStatus.REJECTED, reason)
    application.save()
    record(actor=actor, action="reserve.application_reject", obj=application, after={"reason": reason})
    return application


@transaction.atomic
def application_mark_operating(
    *, actor: Any, application: QuotaApplication, started_on: dt.date
) -> QuotaApplication:
    """Record the project's formal operation date (starts the one-year clock of RES-4 (2))."""
    dates.OPERATION_DAY.check(started_on, label="正式投运日期", field="started_on")
    application = _lock(application)
    if application.status != ApplicationStatus.APPROVED:
        raise Conflict("只有已批准的项目可以登记投运", clause="RES-4")
    if started_on > timezone.localdate() or (
        application.decided_at and started_on < application.decided_at.date()
    ):
        raise ValidationFailed("投运日期应在批准之后、今天之前", field="started_on", clause="RES-4")
    before = application.operation_started_on
    application.operation_started_on = started_on
    application.save(update_fields=["operation_started_on"])
    record(
        actor=actor,
        action="reserve.application_operating",
        obj=application,
        before={"operation_started_on": before},
        after={"operation_started_on": started_on},
    )
    return application


# --- intake (RES-1) --------------------------------------------------------------------------------

EXCLUSION_OF_USAGE = {
    "binding_task": ExclusionReason.BINDING_TASK,
    "offset": ExclusionReason.OFFSET,
    "sold": ExclusionReason.SOLD,
}


def check_intake_period(year: Any, quarter: Any, effective_date: dt.date | None) -> None:
    """The quarter and date of an intake run are plausible (from 2021, SCOPE-1)."""
    dates.check_scope_year(year)
    if quarter not in (1, 2, 3, 4):
        raise ValidationFailed("季度应为 1-4", field="quarter")
    dates.INTAKE_DAY.check(effective_date, label="入库日期", field="effective_date")


def quarter_period(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    if quarter not in (1, 2, 3, 4):
        raise ValidationFailed("季度应为 1–4", field="quarter")
    start = dt.date(year, 3 * quarter - 2, 1)
    end = (dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)) - dt.timedelta(days=1)
    return start, end


def line_in_reserve(line_id: int) -> bool:
    return Account.objects.filter(
        source_type=SourceType.REDUCTION_LINE, source_ref=f"reductions.reductionline:{line_id}"
    ).exists()


@transaction.atomic
def intake_prepare(
    *, actor: Any, year: int, quarter: int, effective_date: dt.date | None = None
) -> IntakeRun:
    """Preview a quarterly intake: every approved line of the quarter, what would enter each zone's
    reserve and what is excluded with its RES-1 reason. Nothing is credited until confirmed."""
    from totalquota.reductions.selectors import lines_eligible_for_intake
    from totalquota.registry.models import Zone

    check_intake_period(year, quarter, effective_date)
    start, end = quarter_period(year, quarter)
    pending = f"{year} 年第 {quarter} 季度已有待确认的入库批次"
    if IntakeRun.objects.filter(year=year, quarter=quarter, confirmed_at__isnull=True).exists():
        raise Conflict(pending, clause="RES-1")
    # A twin prepared at the same moment by someone else fails on the one-pending-run constraint:
    # the same refusal as the check above.
    run = _create_once(
        IntakeRun,
        pending,
        clause="RES-1",
        year=year,
        quarter=quarter,
        period_start=start,
        period_end=end,
        effective_date=effective_date or timezone.localdate(),
        created_by=getattr(actor, "user", actor),
    )
    for zone in Zone.objects.filter(is_active=True):
        for candidate in lines_eligible_for_intake(zone, (start, end)):
            line = candidate.line
            if line_in_reserve(line.pk):
                continue  # entered by an earlier run: never credited twice
            reasons = [
                {
                    "code": EXCLUSION_OF_USAGE[kind],
                    "label": str(ExclusionReason(EXCLUSION_OF_USAGE[kind]).label),
                    "grams": grams,
                    "references": refs,
                }
                for kind, _label, grams, refs in candidate.excluded
                if kind in EXCLUSION_OF_USAGE
            ]
            IntakeItem.objects.create(
                run=run,
                line=line,
                zone=zone,
                pollutant=line.pollutant,
                reduction_grams=candidate.reduction_grams,
                excluded_grams=candidate.reduction_grams - candidate.eligible_grams,
                intake_grams=max(candidate.eligible_grams, 0),
                reasons=reasons,
            )
    record(actor=actor, action="reserve.intake_prepare", obj=run, after={"items": run.items.count()})
    return run


@transaction.atomic
def intake_exclude(*, actor: Any, item: IntakeItem, reason: str) -> IntakeItem:
    """Exclude a line from an unconfirmed run as otherwise ineligible (RES-1 (4)), with a reason."""
    item = IntakeItem.objects.select_for_update().select_related("run").get(pk=item.pk)
    if item.run.confirmed_at is not None:
        raise Conflict("入库批次已确认，不能再调整", clause="RES-1")
    if not (reason or "").strip():
        raise ValidationFailed("请说明不符合入库条件的原因", field="reason", clause="RES-1")
    before = {"intake_grams": item.intake_grams, "reasons": item.reasons}
    item.reasons = [
        *item.reasons,
        {
            "code": ExclusionReason.OTHER,
            "label": str(ExclusionReason.OTHER.label),
            "grams": item.intake_grams,
            "references": [reason],
        },
    ]
    item.excluded_grams += item.intake_grams
    item.intake_grams = 0
    item.other_reason = reason
    item.save()
    record(
        actor=actor,
        action="reserve.intake_exclude",
        obj=item,
        before=before,
        after={"intake_grams": 0, "reason": reason},
    )
    return item


@transaction.atomic
def intake_confirm(*, actor: Any, run: IntakeRun) -> IntakeRun:
    """Confirm a run: one lot per included line, credited to its zone's reserve. A run confirms
    once; a line enters the reserve once whatever runs list it (the ledger key is the line)."""
    # Lock order step 1: the run, so two administrators pressing confirm at once make one set of lots.
    run = IntakeRun.objects.select_for_update().get(pk=run.pk)
    if run.confirmed_at is not None:
        raise Conflict("该入库批次已确认，不能重复入库", clause="RES-1")
    items = list(run.items.select_related("line__project", "pollutant", "zone"))
    # Lock order step 2: every zone row the run credits, before the first lot (and its audit event).
    ledger.lock_zones({(item.zone_id, item.pollutant_id) for item in items if item.intake_grams > 0})
    for item in items:
        if item.intake_grams <= 0 or line_in_reserve(item.line_id):
            continue
        project = item.line.project
        item.posting = ledger.lot_open(
            actor=actor,
            zone=item.zone,
            pollutant=item.pollutant,
            amount_grams=item.intake_grams,
            source_type=SourceType.REDUCTION_LINE,
            source_ref=f"reductions.reductionline:{item.line_id}",
            source_label=f"{project.code or ''} {project.name}".strip(),
            effective_date=run.effective_date,
            reason=f"{run} 入库",
            clause_id="RES-1",
            obj=item.line,
            idempotency_key=f"reserve-intake-line-{item.line_id}",
        )
        item.save(update_fields=["posting"])
    run.confirmed_by = getattr(actor, "user", actor)
    run.confirmed_at = timezone.now()
    run.save(update_fields=["confirmed_by", "confirmed_at"])
    record(
        actor=actor,
        action="reserve.intake_confirm",
        obj=run,
        after={"lots": run.items.filter(posting__isnull=False).count()},
    )
    return run


# --- upper level (RES-2) ----------------------------------------------------------------------------


@transaction.atomic
def upper_request(
    *,
    actor: Any,
    zone: Any,
    pollutant: Pollutant,
    amount_grams: int,
    reason: str,
    application: QuotaApplication | None = None,
) -> UpperLevelRequest:
    """Record a request to the upper-level reserve (the zone and the park cannot cover)."""
    if isinstance(amount_grams, bool) or not isinstance(amount_grams, int) or amount_grams <= 0:
        raise ValidationFailed("申请量必须大于零", field="amount_grams")
    if not (reason or "").strip():
        raise ValidationFailed("请说明申请理由", field="reason", clause="RES-2")
    request = UpperLevelRequest.objects.create(
        zone=zone,
        pollutant=pollutant,
        amount_grams=amount_grams,
        reason=reason,
        application=application,
        requested_by=getattr(actor, "user", actor),
    )
    record(actor=actor, action="reserve.upper_request", obj=request, after=snapshot(request))
    return request


@transaction.atomic
def upper_grant(
    *,
    actor: Any,
    request: UpperLevelRequest,
    granted_grams: int,
    reference: str,
    effective_date: dt.date | None = None,
) -> UpperLevelRequest:
    """The upper level grants quota: it becomes a lot of the zone with that grant as its source."""
    # Lock order step 1: the request, so a grant is posted once.
    request = UpperLevelRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.REQUESTED:
        raise Conflict("该申请已办结", clause="RES-2")
    if not (reference or "").strip():
        raise ValidationFailed("请填写上级下达文件", field="reference", clause="RES-2")
    request.posting = ledger.lot_open(
        actor=actor,
        zone=request.zone,
        pollutant=request.pollutant,
        amount_grams=granted_grams,
        source_type=SourceType.UPPER_GRANT,
        source_ref=f"reserve.upperlevelrequest:{request.pk}",
        source_label=f"上级储备库下达（{reference}）",
        effective_date=effective_date or timezone.localdate(),
        reason=f"上级储备库下达：{reference}",
        clause_id="RES-2",
        code="upper_grant",
        obj=request,
        idempotency_key=f"reserve-upper-grant-{request.pk}",
    )
    request.status, request.granted_grams, request.reference = RequestStatus.GRANTED, granted_grams, reference
    request.decided_at = timezone.now()
    request.save()
    record(actor=actor, action="reserve.upper_grant", obj=request, after=snapshot(request))
    return request


@transaction.atomic
def upper_refuse(*, actor: Any, request: UpperLevelRequest, reference: str) -> UpperLevelRequest:
    # Lock order step 1: the request (decided once); no ledger rows are touched.
    request = UpperLevelRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.REQUESTED:
        raise Conflict("该申请已办结", clause="RES-2")
    request.status, request.reference, request.decided_at = RequestStatus.REFUSED, reference, timezone.now()
    request.save()
    record(actor=actor, action="reserve.upper_refuse", obj=request, after=snapshot(request))
    return request


@transaction.atomic
def upper_deduct(*, actor: Any, line: Any, amount_grams: int, reason: str) -> UpperDeduction:
    """A reduction line also submitted upward and used there: deduct it from the park reserve."""
    from totalquota.reductions.models import ReductionLine

    if not (reason or "").strip():
        raise ValidationFailed("请说明扣减理由", field="reason", clause="RES-2")
    # Lock order step 1: the reduction line, so that two deductions of it are numbered one after
    # the other (the number below is part of the ledger's idempotency key).
    ReductionLine.objects.select_for_update().filter(pk=line.pk).first()
    lot = Account.objects.filter(
        source_type=SourceType.REDUCTION_LINE, source_ref=f"reductions.reductionline:{line.pk}"
    ).first()
    if lot is None:
        raise RuleViolation("该减排量尚未入库，无需从园区储备中扣减", clause="RES-2")
    # Lock order step 2: the lot's zone row, under which the upper-level account is found or opened.
    ledger.lock_zones([(lot.zone_id, lot.pollutant_id)])
    upper = ledger.external_account(lot.zone, lot.pollutant, AccountKind.UPPER_LEVEL)
    number = UpperDeduction.objects.filter(line=line).count() + 1  # safe: the line is locked above
    posting = ledger.transfer(
        actor=actor,
        debit=lot,
        credit=upper,
        amount_grams=amount_grams,
        code="upper_deduction",
        effective_date=timezone.localdate(),
        reason=f"已报送上级储备库并被使用：{reason}",
        clause_id="RES-2",
        obj=line,
        idempotency_key=f"reserve-upper-deduct-{line.pk}-{number}",
    )
    deduction = UpperDeduction.objects.create(
        line=line,
        amount_grams=amount_grams,
        reason=reason,
        decided_by=getattr(actor, "user", actor),
        posting=posting,
    )
    record(actor=actor, action="reserve.upper_deduct", obj=deduction, after=snapshot(deduction))
    return deduction


# --- verification and recovery (RES-4) ---------------------------------------------------------------


def _create_once(model: Any, duplicate: str, *, clause: str | None = None, **fields: Any) -> Any:
    """Insert a row that exists once (its unique constraint); a parallel request that got there
    first is a 409 with ``duplicate`` as the message, not a 500. (No lock: on PostgreSQL the second
    insert waits on the unique index for the first to commit or roll back.)"""
    try:
        with transaction.atomic():
            return model.objects.create(**fields)
    except IntegrityError:
        raise Conflict(duplicate, clause=clause) from None


@transaction.atomic
def verified_emission_record(
    *, actor: Any, enterprise: Enterprise, pollutant: Pollutant, year: int, actual_grams: int, source: str
) -> VerifiedEmission:
    """Enter a verified actual emission with its source (until the emission library supplies it)."""
    if not (source or "").strip():
        raise ValidationFailed(
            "请注明数据来源（如排污许可执行报告、监测报告）", field="source", clause="RES-4"
        )
    if year > timezone.localdate().year:
        raise ValidationFailed("不能录入未来年度的实际排放量", field="year")
    duplicate = f"{enterprise} {year} 年{pollutant.name}的核实排放量已录入"
    if VerifiedEmission.objects.filter(enterprise=enterprise, pollutant=pollutant, year=year).exists():
        raise Conflict(duplicate)
    row = _create_once(
        VerifiedEmission,
        duplicate,
        enterprise=enterprise,
        pollutant=pollutant,
        year=year,
        actual_grams=actual_grams,
        source=source,
        recorded_by=getattr(actor, "user", actor),
    )
    record(actor=actor, action="reserve.verified_emission", obj=row, after=snapshot(row))
    return row


@transaction.atomic
def attainment_record(
    *, actor: Any, year: int, indicator: str, attained: bool, source: str
) -> AttainmentStatus:
    if not (source or "").strip():
        raise ValidationFailed("请注明依据（如年度环境质量公报）", field="source")
    duplicate = f"{year} 年该指标的达标状况已录入"
    if AttainmentStatus.objects.filter(year=year, indicator=indicator).exists():
        raise Conflict(duplicate)
    row = _create_once(
        AttainmentStatus,
        duplicate,
        year=year,
        indicator=indicator,
        attained=attained,
        source=source,
        recorded_by=getattr(actor, "user", actor),
    )
    record(actor=actor, action="reserve.attainment", obj=row, after=snapshot(row))
    return row


@transaction.atomic
def recover(
    *,
    actor: Any,
    line: ApplicationLine,
    kind: str,
    reason: str,
    surplus_grams: int | None = None,
    verified: VerifiedEmission | None = None,
    today: dt.date | None = None,
) -> RecoveryCase:
    """Return quota of an approved line to the reserve (RES-4).

    (1) not built: the whole deduction goes back to the lots it came from (a reversing posting).
    (2) underused: the reviewer confirms the surplus (permitted - verified actual, or an adjusted
        figure with the reason); surplus x recovery ratio returns as a new lot traceable to the
        allocation, and the line's permitted quantity goes down by the surplus.
    (3) other: like (2) with the amount the reviewer gives and the reason.
    """
    # Lock order step 1: the line's application, so one recovery decision on it at a time (and the
    # recovery number below counts safely); the ledger operation then takes steps 2, 3 and 5.
    application = _lock(line.application)
    line = ApplicationLine.objects.select_related("pollutant", "allocation", "posting").get(pk=line.pk)
    if application.status != ApplicationStatus.APPROVED or line.posting_id is None:
        raise RuleViolation("只能收回已批准并已扣减的指标", clause="RES-4")
    if not (reason or "").strip():
        raise ValidationFailed("请说明收回理由", field="reason", clause="RES-4")
    today = today or timezone.localdate()
    kind = RecoveryKind(kind)
    snap: dict[str, Any] = {}
    if kind == RecoveryKind.NOT_BUILT:
        if line.recoveries.exists():
            raise RuleViolation("该指标已部分收回，不能再按“不再建设”整体退回", clause="RES-4")
        posting = ledger.reverse(
            actor=actor,
            posting=line.posting,
            reason=f"项目不再建设：{reason}",
            idempotency_key=f"reserve-recover-notbuilt-{line.pk}",
            clause_id="RES-4",
        )
        surplus = recovered = line.deduction_grams
        line.permitted_env_grams = 0
    else:
        if isinstance(surplus_grams, bool) or not isinstance(surplus_grams, int) or surplus_grams <= 0:
            raise ValidationFailed("确认富余量必须大于零", field="surplus_grams", clause="RES-4")
        permitted = line.permitted_env_grams or 0
        if surplus_grams > permitted:
            raise RuleViolation(
                f"确认富余量不能超过现许可量 {format_quantity(permitted, line.pollutant.unit, suffix=True)}",
                clause="RES-4",
            )
        suggested = None
        if kind == RecoveryKind.UNDERUSED:
            candidate = recovery_candidate(line, today=today, verified=verified)
            if candidate is None:
                raise RuleViolation(
                    "该项目不符合 RES-4（2）：须正式投运满一年且核实排放量低于许可量的 80%", clause="RES-4"
                )
            suggested, snap = candidate.suggested_surplus_grams, candidate.snapshot
            verified = candidate.verified
        ratio_value = rule_value(rules.RECOVERY_RATIO.key, today)
        snap["recovery_ratio"] = ratio_value.snapshot()
        recovered = floor_grams(surplus_grams * ratio_value.ratio)
        surplus = surplus_grams
        assert line.allocation is not None
        balance = ledger_selectors.account_balance(line.allocation).available
        if recovered > balance:
            raise RuleViolation(
                f"收回入库量 {format_quantity(recovered, line.pollutant.unit, suffix=True)} 超过该项目指标账户余额 "
                f"{format_quantity(balance, line.pollutant.unit, suffix=True)}",
                clause="RES-4",
            )
        if recovered <= 0:
            raise RuleViolation("按收回比例计算的入库量为零", clause="RES-4")
        number = line.recoveries.count() + 1  # safe: the application row is locked
        posting = ledger.lot_open(
            actor=actor,
            zone=application.zone,
            pollutant=line.pollutant,
            amount_grams=recovered,
            source_type=SourceType.RECOVERY,
            source_ref=f"ledger.account:{line.allocation_id}",
            source_label=f"{application.code} {application.project_name} 指标收回",
            funding_account=line.allocation,
            effective_date=today,
            reason=f"{kind.label}：{reason}",
            clause_id="RES-4",
            code="recovery",
            obj=line,
            idempotency_key=f"reserve-recover-{line.pk}-{number}",
        )
        line.permitted_env_grams = permitted - surplus
        snap["suggested_surplus_grams"] = suggested
    line.save(update_fields=["permitted_env_grams"])
    case = RecoveryCase.objects.create(
        line=line,
        kind=kind,
        verified=verified,
        suggested_surplus_grams=snap.get("suggested_surplus_grams"),
        surplus_grams=surplus,
        recovered_grams=recovered,
        reason=reason,
        rule_snapshot=snap,
        decided_by=getattr(actor, "user", actor),
        posting=posting,
    )
    record(actor=actor, action="reserve.recover", obj=case, after=snapshot(case))
    return case


@dataclass
class Candidate:
    """A RES-4 (2) candidate: in formal operation for a year, verified actual below the line."""

    line: ApplicationLine
    verified: VerifiedEmission
    permitted_grams: int
    actual_grams: int
    suggested_surplus_grams: int
    snapshot: dict[str, Any]


def recovery_candidate(
    line: ApplicationLine, *, today: dt.date, verified: VerifiedEmission | None = None
) -> Candidate | None:
    """Whether ``line`` is a RES-4 (2) candidate today. "Below 80 %" is strict: exactly 80 % is not."""
    application = line.application
    if application.operation_started_on is None or not line.permitted_env_grams:
        return None
    days = rule_value(rules.RECOVERY_OPERATION_DAYS.key, today)
    if (today - application.operation_started_on).days < days.value:
        return None
    if verified is None:
        verified = (
            VerifiedEmission.objects.filter(
                enterprise=application.enterprise,
                pollutant=line.pollutant,
                year__gte=application.operation_started_on.year,
            )
            .order_by("-year")
            .first()
        )
    if verified is None:
        return None
    threshold = rule_value(rules.RECOVERY_THRESHOLD.key, today)
    permitted = line.permitted_env_grams
    # actual < permitted x bp / 10000, in integers: actual x 10000 < permitted x bp
    if not verified.actual_grams * 10_000 < permitted * threshold.value:
        return None
    return Candidate(
        line,
        verified,
        permitted,
        verified.actual_grams,
        permitted - verified.actual_grams,
        {
            "recovery_threshold": threshold.snapshot(),
            "operation_days": days.snapshot(),
            "verified": {
                "year": verified.year,
                "actual_grams": verified.actual_grams,
                "source": verified.source,
            },
        },
    )
