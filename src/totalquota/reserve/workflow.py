"""The quota application's workflow (RES-2): its action table and each action's domain work.

``draft → submitted → (proposed →) approved | rejected``, ``withdrawn`` from any open state, and
``rehold`` (the bureau holds again what is not held) which leaves the status as it is. The kernel
(``workflow.kernel.perform``) locks the application, checks role, status, reason and four eyes, and
writes the transition, the audit event (``reserve.application_<action>``) and the outbox event;
the services below do what each action does to the reserve: route and hold on submit, post the
holds on approval, release them on rejection or withdrawal.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from totalquota.accounts.permissions import Principal
from totalquota.common.files import check_upload
from totalquota.ledger import services as ledger
from totalquota.ledger.models import SourceType
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from totalquota.lib.units import format_quantity
from totalquota.registry.rules import rule_value
from totalquota.reserve import rules
from totalquota.reserve.decisions import (
    decide_line,
    line_hold_state,
    recovery_figures,
    review_documents_refusal,
)
from totalquota.reserve.models import (
    OPEN_RECOVERY,
    OPEN_STATUSES,
    AdjustmentKind,
    AdjustmentStatus,
    AdjustmentTransition,
    ApplicationLine,
    ApplicationStatus,
    ApplicationTransition,
    IntakeRun,
    IntakeStatus,
    IntakeTransition,
    QuotaAdjustment,
    QuotaApplication,
    RecoveryCase,
    RecoveryKind,
    RecoveryStatus,
    RecoveryTransition,
    Route,
)
from totalquota.reserve.selectors import line_in_reserve
from totalquota.reserve.services.annex import annex_issue, annex_reissue
from totalquota.reserve.services.holds import (
    Plan,
    application_state,
    check_applicant,
    hold_line,
    lock_application,
    lock_zone_rows,
    release_holds,
    void_hold,
)
from totalquota.reserve.services.upper import upper_deduct
from totalquota.workflow.kernel import Action, ActionTable, Step, row, sources

S = ApplicationStatus
AppStep = Step[QuotaApplication]

# The actions an applicant takes: the person must be allowed to apply for the unit.
APPLICANT_ACTIONS = frozenset({"submit", "withdraw"})


def _guard(principal: Principal, application: QuotaApplication, action: Action[QuotaApplication]) -> None:
    if action.name in APPLICANT_ACTIONS:
        check_applicant(principal, application.enterprise)


def _preparers(application: QuotaApplication) -> tuple[int | None, ...]:
    return (application.created_by_id, application.submitted_by_id, application.proposed_by_id)


def submit(step: AppStep) -> None:
    """Each line is routed (filing or review), its deduction computed with the rules in force today
    and held in the zone's reserve; an application going to review must carry its basis and its
    balance plan (RES-2). A line the zone cannot cover in full holds what the zone has (or nothing)
    and is shown as short (the transition's reason, and the application's ``shortfalls``), for the
    bureau to cover (zone transfer, upper level, then a rehold)."""
    application, actor = step.obj, step.principal
    today = timezone.localdate()
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
    # RES-2: a review is of the basis and the balance plan, so an application going to review
    # brings both as documents; refused here, before anything is held or written.
    refusal = review_documents_refusal(
        application, [line.pollutant.display_name for line, d in decisions if d.route == Route.REVIEW]
    )
    if refusal is not None:
        raise refusal
    lock_zone_rows(application, [line.pollutant_id for line, d in decisions if d.deduction_grams])
    shortfalls, routes = [], []
    for line, decision in decisions:
        line.route, line.route_reason = decision.route, decision.route_reason
        line.ratio_num, line.ratio_den = decision.ratio.numerator, decision.ratio.denominator
        line.deduction_grams, line.computation, line.rule_snapshot = (
            decision.deduction_grams,
            decision.computation,
            decision.snapshot,
        )
        problem = hold_line(actor, line, today)
        if problem:
            shortfalls.append(problem)
        line.save()
        routes.append(decision.route)
    application.route = Route.REVIEW if Route.REVIEW in routes else Route.FILING
    application.submitted_by = actor.user
    application.submitted_at = timezone.now()
    step.reason = "；".join(shortfalls)
    step.audit = {"shortfalls": shortfalls}


def withdraw(step: AppStep) -> None:
    """The applicant withdraws an open application; its holds are released."""
    release_holds(step.principal, step.obj, f"申请撤回：{step.reason}")
    step.audit = {"reason": step.reason}


def propose(step: AppStep) -> None:
    """A reviewer prepares the decision (the balance plan and an opinion); another approves it."""
    step.obj.proposed_by = step.principal.user
    step.obj.proposal = step.reason
    step.audit = {"proposal": step.reason}


def _decide(step: AppStep) -> None:
    step.obj.decided_by = step.principal.user
    step.obj.decided_at = timezone.now()
    step.obj.decision_reason = step.reason


def approve(step: AppStep) -> None:
    """The holds are posted into the enterprise's allocation accounts at the ratio, the permitted
    quantities are written on the approval. Review-route applications need a proposal by another
    reviewer first (four eyes is the kernel's)."""
    application, actor = step.obj, step.principal
    if application.route == Route.REVIEW and application.status != S.PROPOSED:
        raise RuleViolation(
            gettext("审核类申请须先由一名审核人员拟定审核意见，再由另一名审核人员批准"), clause="RES-2"
        )
    today = timezone.localdate()
    lines = list(application.lines.select_related("pollutant", "hold", "allocation"))
    short = [line for line in lines if line_hold_state(line) not in ("none", "open")]
    if short:
        names = gettext("、").join(line.pollutant.display_name for line in short)
        raise RuleViolation(
            gettext(
                "{names}的削减替代量尚未足额预留（储备不足或预留已到期），批准将透支储备；请先调剂、申请上级储备或重新预留"
            ).format(names=names),
            clause="RES-2",
        )
    lock_zone_rows(application, [line.pollutant_id for line in lines if line.deduction_grams])
    for line in lines:
        if line.deduction_grams:
            assert line.hold is not None
            line.posting = ledger.hold_post(
                actor=actor,
                posting=line.hold,
                effective_date=today,
                reason=f"{application.code} 批准，扣减削减替代量",
                idempotency_key=f"reserve-line-{line.pk}-post-{line.hold_id}",
            )
        line.permitted_env_grams = line.project_env_grams
        line.save()
    _decide(step)
    application.decision_snapshot = {str(line.pollutant.code): line.rule_snapshot for line in lines}
    # The ANNEX-1 table is issued with the approval (numbered now; its files are drawn on first
    # download, outside these locks: documents.services).
    document = annex_issue(actor=actor, application=application)
    step.audit = {"annex": document.code}


def reject(step: AppStep) -> None:
    """Refuse an open application with a reason; its holds are released."""
    release_holds(step.principal, step.obj, f"不予批准：{step.reason}")
    _decide(step)
    step.audit = {"reason": step.reason}


def rehold(step: AppStep) -> None:
    """Hold again what is not held (after a zone transfer or upper-level grant, or an expired hold),
    or hold a line from the lots the reviewer picks (``plans``: line id -> [(lot, grams)]). The
    result is the list of lines still short."""
    application, actor = step.obj, step.principal
    plans: dict[int, Plan] = step.params.get("plans") or {}
    today = timezone.localdate()
    problems = []
    lines = list(application.lines.select_related("pollutant", "hold", "allocation"))
    # Every chosen plan is checked before the first hold is voided or written.
    for line in lines:
        chosen = plans.get(line.pk)
        if chosen is not None and sum(g for _lot, g in chosen) != line.deduction_grams:
            raise ValidationFailed(
                gettext("{line_pollutant_name}：所选批次合计应等于削减替代量 {v1}").format(
                    line_pollutant_name=line.pollutant.display_name,
                    v1=format_quantity(line.deduction_grams, line.pollutant.unit, suffix=True),
                ),
                field="lots",
                clause="RES-2",
            )
    lock_zone_rows(application, [line.pollutant_id for line in lines if line.deduction_grams])
    for line in lines:
        state = line_hold_state(line)
        chosen = plans.get(line.pk)
        if chosen is not None:
            if state in ("open", "partial"):
                void_hold(actor, line, "审核人员调整平衡方案")
        elif state == "partial":
            # Held in part: released and held again, in full if the zone now covers it.
            void_hold(actor, line, "重新预留削减替代量")
        elif state not in ("missing", "voided", "expired"):
            continue
        problem = hold_line(actor, line, today, lots=chosen)
        if problem:
            problems.append(problem if chosen is None else f"{line.pollutant.display_name}：{problem}")
        line.save()
    step.result = problems
    step.audit = {"short": problems}
    if problems:
        step.warning = gettext("仍不足：") + "；".join(problems)


OPEN = sources(OPEN_STATUSES)
# The reviewers' decision on an open application (after a proposal, on the review route).
_decision_row = partial(row, permission="reserve.decide", from_=OPEN, conflict="该申请不在待批状态")

APPLICATION_ACTIONS: ActionTable[QuotaApplication] = ActionTable(
    model=QuotaApplication,
    transition_model=ApplicationTransition,
    transition_fk="application",
    audit_prefix="reserve.application_",
    topic="reserve.application",
    audit_state=application_state,
    guard=_guard,
    preparers=_preparers,
    four_eyes_message="四眼原则：拟定或提交该决定的人员不能批准",
    clause="RES-2",
    label="该申请",
    actions=(
        row(
            "submit",
            _("提交申请"),
            "reserve.apply",
            S.DRAFT,
            S.SUBMITTED,
            submit,
            conflict="申请已提交，不能重复提交",
            done=_("已提交；削减替代量已在储备中预留。"),
            summary="提交申请",
            reason_field="",
        ),
        row(
            "withdraw",
            _("撤回申请"),
            "reserve.apply",
            [S.DRAFT, *OPEN_STATUSES],
            S.WITHDRAWN,
            withdraw,
            conflict="该申请已办结，不能撤回",
            reason=gettext_noop("请填写撤回原因"),
            done=_("申请已撤回，预留已释放。"),
            summary="撤回申请",
        ),
        row(
            "propose",
            _("拟定审核意见"),
            "reserve.decide",
            S.SUBMITTED,
            S.PROPOSED,
            propose,
            conflict="只有已提交的申请可以拟定审核意见",
            reason=gettext_noop("请填写拟办意见"),
            done=_("已拟定审核意见，待另一名审核人员批准。"),
            summary="拟定审核意见",
        ),
        _decision_row(
            "approve",
            _("批准"),
            to=S.APPROVED,
            service=approve,
            four_eyes=True,
            done=_("已批准；削减替代量已扣减，可下载信息表（附件1）。"),
            summary="批准（四眼原则：拟办人不能批准）",
        ),
        _decision_row(
            "reject",
            _("不予批准"),
            to=S.REJECTED,
            service=reject,
            reason=gettext_noop("不予批准须说明理由"),
            clause="RES-2",
            done=_("已作出不予批准决定，预留已释放。"),
            summary="不予批准",
        ),
        row(
            "rehold",
            _("重新预留"),
            "reserve.plan",
            OPEN,
            None,
            rehold,
            conflict="只有办理中的申请可以调整平衡方案",
            done=_("已重新预留。"),
            summary="重新预留",
        ),
    ),
)


# --- The quarterly intake (RES-1): prepared by one administrator, confirmed by another person ---

IS = IntakeStatus


def _intake_preparers(run: IntakeRun) -> set[int | None]:
    """Who prepared the run: its author and whoever excluded an item of it."""
    return {run.created_by_id, *run.items.exclude(excluded_by=None).values_list("excluded_by_id", flat=True)}


def intake_credit(step: Step[IntakeRun]) -> None:
    """One lot per included line, credited to its zone's reserve. A line enters the reserve once
    whatever runs list it (the ledger key is the line)."""
    run, actor = step.obj, step.principal
    items = list(run.items.select_related("line__project", "pollutant", "zone"))
    # Lock order step 2 (after the run, step 1, which the kernel holds): every zone row the run
    # credits, before the first lot (and its audit event).
    ledger.lock_zones({(item.zone_id, item.pollutant_id) for item in items if item.intake_grams > 0})
    lots = 0
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
        lots += 1
    run.confirmed_by = actor.user
    run.confirmed_at = timezone.now()
    step.audit = {"lots": lots}


INTAKE_ACTIONS: ActionTable[IntakeRun] = ActionTable(
    model=IntakeRun,
    transition_model=IntakeTransition,
    transition_fk="run",
    audit_prefix="reserve.intake_",
    topic="reserve.intake",
    audit_fields=("status", "confirmed_by", "confirmed_at"),
    preparers=_intake_preparers,
    four_eyes_message="四眼原则：编制该入库批次或剔除其中项目的人员不能确认入库",
    clause="RES-1",
    label="该入库批次",
    actions=(
        row(
            "confirm",
            _("确认入库"),
            "reserve.intake_confirm",
            IS.PREPARED,
            IS.CONFIRMED,
            intake_credit,
            four_eyes=True,
            conflict="该入库批次已确认或已作废，不能重复入库",
            done=_("已确认入库。"),
            summary="确认入库（四眼原则：编制人不能确认）",
            reason_field="",
        ),
        row(
            "cancel",
            _("作废入库批次"),
            "reserve.intake",
            IS.PREPARED,
            IS.CANCELLED,
            conflict="只有待确认的入库批次可以作废",
            reason=gettext_noop("作废入库批次须说明理由"),
            clause="RES-1",
            done=_("入库批次已作废，可重新编制该季度入库。"),
            summary="作废待确认的入库批次",
        ),
    ),
)


# --- Recovery (RES-4): proposed by a reviewer, told to the unit, decided by another reviewer ---

RS = RecoveryStatus


def _today(step: Step[RecoveryCase]) -> dt.date:
    """The day of a recovery step: today, or the day a service was given (a year's scenario)."""
    day = step.params.get("today")
    return day if isinstance(day, dt.date) else timezone.localdate()


def _recovery_preparers(case: RecoveryCase) -> tuple[int | None, ...]:
    return (case.proposed_by_id,)


def _recovery_guard(principal: Principal, case: RecoveryCase, action: Action[RecoveryCase]) -> None:
    if action.name == "answer" and principal.enterprise_id != case.line.application.enterprise_id:
        raise Forbidden(gettext("只有被告知的排污单位可以答复"), clause="RES-4")


def recovery_notify(step: Step[RecoveryCase]) -> None:
    """The unit is told the proposed amount and may answer within the answer period (RES-4)."""
    today = _today(step)
    days = rule_value(rules.RECOVERY_ANSWER_DAYS.key, today)
    step.obj.answer_due = today + dt.timedelta(days=days.value)
    step.rules = [days.snapshot()]
    step.audit = {"answer_due": step.obj.answer_due.isoformat()}


def recovery_answer(step: Step[RecoveryCase]) -> None:
    """The unit answers once, before the answer period ends, with a text and an optional file."""
    case = step.obj
    if case.answered_at is not None:
        raise Conflict(gettext("单位已答复，不能重复答复"), clause="RES-4")
    if case.answer_due is not None and _today(step) > case.answer_due:
        raise Conflict(
            gettext("答复期限（{due}）已过").format(due=date_format(case.answer_due)), clause="RES-4"
        )
    upload = step.params.get("file")
    if upload is not None:
        found = check_upload(upload, clause="RES-4")
        upload.seek(0)
        case.answer_file.save(f"answer-{case.pk}.{found.extension}", upload, save=False)
    case.answer = step.reason
    case.answered_by = step.principal.user
    case.answered_at = timezone.now()
    step.audit = {"answer": step.reason, "file": case.answer_file.name or ""}


def check_answer_period(case: RecoveryCase, today: dt.date) -> None:
    """A case that needs notice is decided only after the unit was told and either answered or let
    the answer period pass (RES-4)."""
    if not case.needs_notice:
        return
    if case.status == RS.PROPOSED:
        raise RuleViolation(
            gettext("须先将拟收回量告知排污单位，答复期满或单位答复后方可决定"), clause="RES-4"
        )
    if case.answered_at is None and case.answer_due is not None and today <= case.answer_due:
        raise RuleViolation(
            f"单位答复期限至 {case.answer_due:%Y年%m月%d日}，期满或单位答复后方可决定", clause="RES-4"
        )


def apply_recovery(case: RecoveryCase, actor: Principal, today: dt.date) -> None:
    """Where a recovery changes the allocation (RES-4): the ledger posting and the line's lower
    permitted quantity. (1) not built: the whole deduction goes back to the lots it came from (a
    reversing posting); (2)/(3): surplus x recovery ratio returns as a new lot traceable to the
    allocation, and the line's permitted quantity goes down by the surplus."""
    line = ApplicationLine.objects.select_related("pollutant", "allocation", "posting", "application").get(
        pk=case.line_id
    )
    application = line.application
    if application.status != S.APPROVED or line.posting_id is None:
        raise RuleViolation(gettext("只能收回已批准并已扣减的指标"), clause="RES-4")
    earlier = line.recoveries.filter(status=RS.APPROVED)
    figures = recovery_figures(
        line,
        kind=case.kind,
        surplus_grams=case.surplus_grams,
        today=today,
        verified=case.verified,
        earlier=earlier.exists(),
    )
    if case.kind == RecoveryKind.NOT_BUILT:
        assert line.posting is not None
        case.posting = ledger.reverse(
            actor=actor,
            posting=line.posting,
            reason=f"项目不再建设：{case.reason}",
            idempotency_key=f"reserve-recover-notbuilt-{line.pk}",
            clause_id="RES-4",
        )
        line.permitted_env_grams = 0
    else:
        number = earlier.count() + 1  # safe: the application row is locked
        case.posting = ledger.lot_open(
            actor=actor,
            zone=application.zone,
            pollutant=line.pollutant,
            amount_grams=figures.recovered_grams,
            source_type=SourceType.RECOVERY,
            source_ref=f"ledger.account:{line.allocation_id}",
            source_label=f"{application.code} {application.project_name} 指标收回",
            funding_account=line.allocation,
            effective_date=today,
            reason=f"{case.get_kind_display()}：{case.reason}",
            clause_id="RES-4",
            code="recovery",
            obj=line,
            idempotency_key=f"reserve-recover-{line.pk}-{number}",
        )
        line.permitted_env_grams = (line.permitted_env_grams or 0) - figures.surplus_grams
    line.save(update_fields=["permitted_env_grams"])
    # The ANNEX-1 table states the allocation: a lower permitted quantity supersedes it.
    annex_reissue(actor=actor, application=application, on=today)
    case.surplus_grams, case.recovered_grams = figures.surplus_grams, figures.recovered_grams
    case.rule_snapshot = {**case.rule_snapshot, "decision": figures.snapshot}


def _recovery_decided(step: Step[RecoveryCase]) -> None:
    step.obj.decided_by = step.principal.user
    step.obj.decided_at = timezone.now()
    step.obj.decision_reason = step.reason


def recovery_approve(step: Step[RecoveryCase]) -> None:
    """Another reviewer approves: the answer period is respected, the figures are checked again on
    the decision day and the ledger moves (:func:`apply_recovery`)."""
    case, today = step.obj, _today(step)
    check_answer_period(case, today)
    # Lock order step 1 (before the ledger's steps): the line's application, so that one recovery
    # of an application moves at a time and the recovery number counts safely. The case row the
    # kernel locked belongs to this application only, so no other order takes both.
    lock_application(case.line.application)
    apply_recovery(case, step.principal, today)
    _recovery_decided(step)
    step.audit = {"recovered_grams": case.recovered_grams, "posting": case.posting_id}


def recovery_reject(step: Step[RecoveryCase]) -> None:
    """Another reviewer decides not to recover, with a reason; nothing moves."""
    _recovery_decided(step)
    step.audit = {"reason": step.reason}


_recovery_decision = partial(
    row, permission="reserve.decide", from_=OPEN_RECOVERY, four_eyes=True, conflict="该收回事项已办结"
)

RECOVERY_ACTIONS: ActionTable[RecoveryCase] = ActionTable(
    model=RecoveryCase,
    transition_model=RecoveryTransition,
    transition_fk="case",
    audit_prefix="reserve.recovery_",
    topic="reserve.recovery",
    audit_fields=("status", "surplus_grams", "recovered_grams", "answer_due", "decided_by", "posting"),
    guard=_recovery_guard,
    preparers=_recovery_preparers,
    four_eyes_message="四眼原则：拟定收回的审核人员不能作出收回决定",
    clause="RES-4",
    label="该收回事项",
    actions=(
        row(
            "notify",
            _("告知排污单位"),
            "reserve.recover",
            RS.PROPOSED,
            RS.NOTIFIED,
            recovery_notify,
            conflict="只有已拟定的收回事项可以告知单位",
            done=_("已告知排污单位，答复期内单位可陈述意见。"),
            summary="告知排污单位拟收回量（RES-4）",
            reason_field="",
        ),
        row(
            "answer",
            _("答复"),
            "reserve.recovery_answer",
            RS.NOTIFIED,
            RS.NOTIFIED,
            recovery_answer,
            conflict="该收回事项不在答复期",
            reason=gettext_noop("请填写答复意见"),
            clause="RES-4",
            done=_("已提交答复。"),
            summary="排污单位答复拟收回量（RES-4）",
            reason_field="answer",
        ),
        _recovery_decision(
            "approve",
            _("决定收回"),
            to=RS.APPROVED,
            service=recovery_approve,
            done=_("已决定收回，指标已退回储备。"),
            summary="决定收回（四眼原则：拟办人不能决定）",
        ),
        _recovery_decision(
            "reject",
            _("不予收回"),
            to=RS.REJECTED,
            service=recovery_reject,
            reason=gettext_noop("不予收回须说明理由"),
            clause="RES-4",
            done=_("已决定不予收回。"),
            summary="不予收回（四眼原则：拟办人不能决定）",
        ),
    ),
)


# --- Adjustments (储备调整): proposed by an administrator, confirmed by another person ---------

AS = AdjustmentStatus


def _adjustment_preparers(adjustment: QuotaAdjustment) -> tuple[int | None, ...]:
    return (adjustment.proposed_by_id,)


def _adjustment_guard(
    principal: Principal, adjustment: QuotaAdjustment, action: Action[QuotaAdjustment]
) -> None:
    if action.name == "withdraw" and principal.user_id != adjustment.proposed_by_id:
        raise Forbidden(gettext("只有拟定人可以撤回"), clause="RES-2")


def adjustment_post(step: Step[QuotaAdjustment]) -> None:
    """Post the confirmed adjustment: one posting, its ledger key the adjustment, so that it is
    made once whatever repeats (lock order: the adjustment, step 1, which the kernel holds; then
    the ledger's own zone and balance rows, steps 2 and 3)."""
    adj, actor = step.obj, step.principal
    key = f"reserve-adjustment-{adj.pk}"
    if adj.kind == AdjustmentKind.ZONE_TRANSFER:
        assert adj.from_lot is not None and adj.to_zone is not None
        if not adj.to_zone.is_active:  # closed since the proposal
            raise ValidationFailed(gettext("调入功能区已停用"), field="to_zone")
        adj.posting = ledger.zone_transfer(
            actor=actor,
            from_lot=adj.from_lot,
            to_zone=adj.to_zone,
            amount_grams=adj.amount_grams,
            effective_date=adj.effective_date,
            reason=adj.reason,
            obj=adj,
            idempotency_key=key,
        )
    elif adj.kind == AdjustmentKind.CORRECTION:
        assert adj.target is not None
        adj.posting = ledger.reverse(
            actor=actor,
            posting=adj.target,
            reason=adj.reason,
            effective_date=adj.effective_date,
            idempotency_key=key,
        )
    else:
        assert adj.line is not None
        adj.posting = upper_deduct(
            actor=actor,
            line=adj.line,
            amount_grams=adj.amount_grams,
            reason=adj.reason,
            effective_date=adj.effective_date,
        ).posting
    adj.decided_by = actor.user
    adj.decided_at = timezone.now()
    step.audit = {"posting": adj.posting.pk}


def _adjustment_close(step: Step[QuotaAdjustment]) -> None:
    step.obj.decided_by = step.principal.user
    step.obj.decided_at = timezone.now()


ADJUSTMENT_ACTIONS: ActionTable[QuotaAdjustment] = ActionTable(
    model=QuotaAdjustment,
    transition_model=AdjustmentTransition,
    transition_fk="adjustment",
    audit_prefix="reserve.adjustment_",
    topic="reserve.adjustment",
    audit_fields=("status", "decided_by", "decided_at", "posting"),
    guard=_adjustment_guard,
    preparers=_adjustment_preparers,
    four_eyes_message="四眼原则：拟定储备调整的人员不能确认或退回",
    clause="RES-2",
    label="该储备调整",
    actions=(
        row(
            "confirm",
            _("确认并记账"),
            "reserve.adjust_confirm",
            AS.PROPOSED,
            AS.CONFIRMED,
            adjustment_post,
            four_eyes=True,
            conflict="该储备调整已办结",
            done=_("已确认，储备调整已记账。"),
            summary="确认储备调整并记账（四眼原则：拟定人不能确认）",
            reason_field="",
        ),
        row(
            "reject",
            pgettext_lazy("adjustment action", "退回"),
            "reserve.adjust_confirm",
            AS.PROPOSED,
            AS.REJECTED,
            _adjustment_close,
            four_eyes=True,
            conflict="该储备调整已办结",
            reason=gettext_noop("退回须说明理由"),
            done=_("已退回，未记账。"),
            summary="退回储备调整（不记账）",
        ),
        row(
            "withdraw",
            _("撤回"),
            "reserve.adjust",
            AS.PROPOSED,
            AS.WITHDRAWN,
            _adjustment_close,
            conflict="该储备调整已办结",
            done=_("已撤回，未记账。"),
            summary="拟定人撤回储备调整（不记账）",
        ),
    ),
)
