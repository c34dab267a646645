"""The quota application's workflow (RES-2): its action table and each action's domain work.

``draft → submitted → (proposed →) approved | rejected``, ``withdrawn`` from any open state, and
``rehold`` (the bureau holds again what is not held) which leaves the status as it is. The kernel
(``workflow.kernel.perform``) locks the application, checks role, status, reason and four eyes, and
writes the transition, the audit event (``reserve.application_<action>``) and the outbox event;
the services below do what each action does to the reserve: route and hold on submit, post the
holds on approval, release them on rejection or withdrawal.
"""

from __future__ import annotations

from functools import partial

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from totalquota.accounts.permissions import Principal
from totalquota.ledger import services as ledger
from totalquota.lib.errors import RuleViolation, ValidationFailed
from totalquota.lib.units import format_quantity
from totalquota.reserve.decisions import decide_line, line_hold_state, review_documents_refusal
from totalquota.reserve.models import (
    OPEN_STATUSES,
    ApplicationStatus,
    ApplicationTransition,
    QuotaApplication,
    Route,
)
from totalquota.reserve.services.annex import annex_issue
from totalquota.reserve.services.holds import (
    Plan,
    application_state,
    check_applicant,
    hold_line,
    lock_zone_rows,
    release_holds,
    void_hold,
)
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
    balance plan (RES-2). A line the zone cannot cover is submitted without a hold and
    shown as short (the transition's reason), for the bureau to cover (zone transfer, upper level)."""
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
        application, [line.pollutant.name for line, d in decisions if d.route == Route.REVIEW]
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
            shortfalls.append(f"{line.pollutant.name}：{problem}")
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
            "审核类申请须先由一名审核人员拟定审核意见，再由另一名审核人员批准", clause="RES-2"
        )
    today = timezone.localdate()
    lines = list(application.lines.select_related("pollutant", "hold", "allocation"))
    short = [line for line in lines if line_hold_state(line) not in ("none", "open")]
    if short:
        names = "、".join(line.pollutant.name for line in short)
        raise RuleViolation(
            f"{names}的削减替代量尚未足额预留（储备不足或预留已到期），批准将透支储备；请先调剂、申请上级储备或重新预留",
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
                f"{line.pollutant.name}：所选批次合计应等于削减替代量 "
                f"{format_quantity(line.deduction_grams, line.pollutant.unit, suffix=True)}",
                field="lots",
                clause="RES-2",
            )
    lock_zone_rows(application, [line.pollutant_id for line in lines if line.deduction_grams])
    for line in lines:
        state = line_hold_state(line)
        chosen = plans.get(line.pk)
        if chosen is not None:
            if state == "open":
                void_hold(actor, line, "审核人员调整平衡方案")
        elif state not in ("missing", "voided", "expired"):
            continue
        problem = hold_line(actor, line, today, lots=chosen)
        if problem:
            problems.append(f"{line.pollutant.name}：{problem}")
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
            reason="请填写撤回原因",
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
            reason="请填写拟办意见",
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
            reason="不予批准须说明理由",
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
