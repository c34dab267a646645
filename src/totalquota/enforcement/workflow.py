"""The finding's workflow (SUP-4) as an action table, run by the workflow kernel.

``draft → notified → (answered →) proposed | dismissing → decided | closed``, and ``return`` from
a proposal back to where it was prepared. The kernel locks the finding, checks the role, the
status, the reason and four eyes, and writes the transition, the audit event
(``enforcement.finding_<action>``) and the outbox event (``enforcement.finding.<action>``); the
step functions below write each stage's own record:

- ``notify`` (an officer): the :class:`Notice`, its answer deadline from the rule parameter
  ``finding_answer_days`` (SUP-4, default 15 days);
- ``answer`` (the unit's own staff, before the deadline): the :class:`Answer` and its files;
- ``propose`` (an officer): a penalty decision (number, amount in fen, legal basis, severity);
  refused while the answer period runs unless the unit has answered;
- ``dismiss`` (an officer): a proposal not to penalise, with its reason;
- ``confirm`` (a reviewer or administrator other than the preparer: four eyes): confirms the
  pending proposal; a penalty writes the unit's :class:`CreditEntry` and the outbox event
  ``enforcement.credit_entry.recorded`` offering it to other systems;
- ``return`` (a reviewer or administrator): the proposal goes back to the officer with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from totalquota import outbox
from totalquota.accounts.permissions import Principal
from totalquota.enforcement import rules
from totalquota.enforcement.files import add_file, check_files
from totalquota.enforcement.models import (
    PENDING_DECISION,
    Answer,
    CreditEntry,
    CreditKind,
    DecisionKind,
    DecisionState,
    FileKind,
    Finding,
    FindingSource,
    FindingStatus,
    FindingTransition,
    Notice,
    PenaltyDecision,
)
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation
from totalquota.registry.rules import rule_value
from totalquota.workflow.kernel import Action, ActionTable, Step, row

S = FindingStatus
FindingStep = Step[Finding]
CREDIT_TOPIC = "enforcement.credit_entry.recorded"
OWN_UNIT_ONLY = gettext_noop("只有被告知的排污单位可以陈述申辩")
OUTSIDE_ZONE = gettext_noop("该发现问题不属于您负责的功能区")
DECIDERS_ONLY = "只有生态环境局审核人员或管理员可以确认或退回处罚决定"
CREDIT_KINDS = {
    FindingSource.OVER_EMISSION: CreditKind.OVER_EMISSION,
    FindingSource.CONSISTENCY: CreditKind.FALSE_DATA,
}


def _today(step: FindingStep) -> dt.date:
    """The day of a step: today, or the day a service was given (a demo's or a test's scenario)."""
    day = step.params.get("today")
    return day if isinstance(day, dt.date) else timezone.localdate()


def _guard(principal: Principal, finding: Finding, action: Action[Finding]) -> None:
    """The unit answers its own notices only; zone officers act in their own zone only."""
    if action.name == "answer":
        if principal.enterprise_id is None or principal.enterprise_id != finding.enterprise_id:
            raise Forbidden(gettext(OWN_UNIT_ONLY), clause="SUP-4")
    elif principal.zone_ids is not None and finding.zone_id not in principal.zone_ids:
        raise Forbidden(gettext(OUTSIDE_ZONE), clause="SUP-4")


def _preparers(finding: Finding) -> Iterable[int | None]:
    """Who prepared the pending proposal: they may not confirm it (four eyes, SUP-4)."""
    return PenaltyDecision.objects.filter(finding=finding, state=DecisionState.PROPOSED).values_list(
        "prepared_by_id", flat=True
    )


def pending_decision(finding: Finding) -> PenaltyDecision | None:
    """The proposal awaiting confirmation, if any."""
    return PenaltyDecision.objects.filter(finding=finding, state=DecisionState.PROPOSED).first()


# --- the stages' own records ----------------------------------------------------------------
def _notify(step: FindingStep) -> None:
    """The notice to the unit, with the answer deadline of the rule in force today (SUP-4)."""
    finding = step.obj
    today = _today(step)
    days = rule_value(rules.ANSWER_DAYS.key, today)
    notice = Notice.objects.create(
        finding=finding,
        issued_on=today,
        answer_due=today + dt.timedelta(days=int(days.value)),
        text=step.reason or finding.facts,
        rules=[days.snapshot()],
        issued_by=step.principal.user,
    )
    step.rules = [days.snapshot()]
    step.audit = {"issued_on": notice.issued_on.isoformat(), "answer_due": notice.answer_due.isoformat()}


def _answer(step: FindingStep) -> None:
    """The unit's answer, once, before the deadline, with its files (checked before any write)."""
    finding = step.obj
    notice = Notice.objects.get(finding=finding)
    if _today(step) > notice.answer_due:
        raise Conflict(
            gettext("陈述申辩期限（{due}）已过，不能再陈述申辩").format(due=date_format(notice.answer_due)),
            clause="SUP-4",
        )
    uploads = list(step.params.get("files") or [])
    checked = check_files(uploads)
    Answer.objects.create(finding=finding, text=step.reason, answered_by=step.principal.user)
    for upload, found in checked:
        add_file(finding, FileKind.ANSWER, upload, found, actor=step.principal)
    step.audit = {"answer": step.reason, "files": len(checked)}


def _check_answer_period(finding: Finding, today: dt.date) -> None:
    """A penalty is prepared only once the unit has answered or the answer period has passed."""
    if finding.status != S.NOTIFIED:
        return
    notice = Notice.objects.get(finding=finding)
    if today <= notice.answer_due:
        raise RuleViolation(
            gettext("陈述申辩期限至 {due}，期满或单位陈述申辩后方可拟定处罚").format(
                due=date_format(notice.answer_due)
            ),
            clause="SUP-4",
        )


def _propose(step: FindingStep) -> None:
    """The officer's penalty proposal: its inputs were checked by ``services.finding_propose``."""
    finding = step.obj
    _check_answer_period(finding, _today(step))
    number = step.params["decision_number"]
    if PenaltyDecision.objects.filter(
        decision_number=number, state=DecisionState.CONFIRMED, kind=DecisionKind.PENALTY
    ).exists():
        raise Conflict(
            gettext("处罚决定书文号“{n}”已被使用").format(n=number), field="decision_number", clause="SUP-4"
        )
    decision = PenaltyDecision.objects.create(
        finding=finding,
        kind=DecisionKind.PENALTY,
        decision_number=number,
        penalty_fen=step.params["penalty_fen"],
        legal_basis=step.params["legal_basis"],
        severity=step.params["severity"],
        reason=step.reason,
        back_to=finding.status,
        prepared_by=step.principal.user,
    )
    step.audit = {
        "decision": decision.pk,
        "decision_number": number,
        "penalty_fen": decision.penalty_fen,
        "severity": decision.severity,
    }


def _dismiss(step: FindingStep) -> None:
    """The officer's proposal not to penalise, with the reason (confirmed by another person)."""
    finding = step.obj
    decision = PenaltyDecision.objects.create(
        finding=finding,
        kind=DecisionKind.NO_PENALTY,
        reason=step.reason,
        back_to=finding.status,
        prepared_by=step.principal.user,
    )
    step.audit = {"decision": decision.pk, "reason": step.reason}


def _confirm(step: FindingStep) -> None:
    """Confirm the pending proposal. A penalty becomes the unit's credit entry, offered to other
    systems in this transaction; a decision not to penalise closes the finding."""
    finding = step.obj
    decision = pending_decision(finding)
    if decision is None:  # a status of PENDING_DECISION always has its proposal
        raise Conflict(gettext("没有待确认的处罚决定"), clause="SUP-4")
    if (
        decision.kind == DecisionKind.PENALTY
        and PenaltyDecision.objects.filter(
            decision_number=decision.decision_number, state=DecisionState.CONFIRMED, kind=DecisionKind.PENALTY
        ).exists()
    ):
        raise Conflict(
            gettext("处罚决定书文号“{n}”已被使用").format(n=decision.decision_number), clause="SUP-4"
        )
    today = _today(step)
    decision.state = DecisionState.CONFIRMED
    decision.confirmed_by = step.principal.user
    decision.confirmed_at = timezone.now()
    decision.decided_on = today
    try:
        # Two findings confirmed at once under the same decision number both pass the check above
        # (each holds only its own finding's lock); the unique constraint lets one commit, and the
        # other is this refusal, not a server error. The savepoint keeps the transaction usable
        # for the kernel to roll back cleanly.
        with transaction.atomic():
            decision.save(update_fields=["state", "confirmed_by", "confirmed_at", "decided_on"])
    except IntegrityError as exc:
        if "decision_number" not in str(exc):  # PostgreSQL names the key, SQLite the column
            raise
        raise Conflict(
            gettext("处罚决定书文号“{n}”已被使用").format(n=decision.decision_number), clause="SUP-4"
        ) from exc
    step.audit = {"decision": decision.pk, "kind": decision.kind}
    if decision.kind == DecisionKind.NO_PENALTY:
        step.to = S.CLOSED
        return
    step.to = S.DECIDED
    entry = CreditEntry.objects.create(
        enterprise_id=finding.enterprise_id,
        zone_id=finding.zone_id,
        finding=finding,
        decision=decision,
        kind=CREDIT_KINDS.get(FindingSource(finding.source), CreditKind.VIOLATION),
        severity=decision.severity,
        recorded_on=today,
        reason=finding.facts,
        recorded_by=step.principal.user,
    )
    outbox.emit(CREDIT_TOPIC, obj=entry, actor=step.principal.user, payload=credit_payload(entry))
    step.audit["credit_entry"] = entry.pk


def credit_payload(entry: CreditEntry) -> dict[str, Any]:
    """What ``enforcement.credit_entry.recorded`` offers other systems (the credit platform): the
    unit (name, USCC, zone), the entry (kind, severity, date, reason) and the decision behind it
    (number, amount in integer fen, legal basis, the finding's code and year). Texts are stored
    Chinese; codes are stable."""
    finding = entry.finding
    decision = entry.decision
    unit = finding.enterprise
    return {
        "credit_entry_id": entry.pk,
        "unit_name": unit.name,
        "uscc": unit.uscc,
        "zone": finding.zone.code,
        "kind": entry.kind,
        "kind_label": str(CreditKind(entry.kind).label),
        "severity": entry.severity,
        "recorded_on": entry.recorded_on.isoformat(),
        "reason": entry.reason,
        "decision_number": decision.decision_number,
        "penalty_fen": decision.penalty_fen,
        "legal_basis": decision.legal_basis,
        "decided_on": decision.decided_on.isoformat() if decision.decided_on else None,
        "finding_code": finding.code,
        "finding_year": finding.year,
        "clause": "SUP-4",
    }


def _return(step: FindingStep) -> None:
    """The pending proposal goes back to where it was prepared, with the reviewer's reason."""
    decision = pending_decision(step.obj)
    if decision is None:
        raise Conflict(gettext("没有待确认的处罚决定"), clause="SUP-4")
    decision.state = DecisionState.RETURNED
    decision.returned_by = step.principal.user
    decision.returned_at = timezone.now()
    decision.return_reason = step.reason
    decision.save(update_fields=["state", "returned_by", "returned_at", "return_reason"])
    step.to = decision.back_to
    step.audit = {"decision": decision.pk}


_decision_row = partial(
    row,
    permission="enforcement.decide",
    from_=PENDING_DECISION,
    clause="SUP-4",
    denied=DECIDERS_ONLY,
    conflict="该发现问题没有待确认的处罚决定",
)

FINDING_ACTIONS: ActionTable[Finding] = ActionTable(
    model=Finding,
    transition_model=FindingTransition,
    transition_fk="finding",
    audit_prefix="enforcement.finding_",
    topic="enforcement.finding",
    label="该发现问题",
    clause="SUP-4",
    guard=_guard,
    preparers=_preparers,
    four_eyes_message="四眼原则：拟定处罚决定的人员不能确认该决定（SUP-4）",
    actions=(
        row(
            "notify",
            _("告知排污单位"),
            "enforcement.record",
            S.DRAFT,
            S.NOTIFIED,
            _notify,
            clause="SUP-4",
            reason_field="text",
            conflict="只有待告知的发现问题可以告知排污单位",
            done=_("已告知排污单位，期限内单位可陈述申辩。"),
            summary="告知排污单位（陈述申辩期限按规则参数，SUP-4）",
        ),
        row(
            "answer",
            _("陈述申辩"),
            "enforcement.answer",
            S.NOTIFIED,
            S.ANSWERED,
            _answer,
            clause="SUP-4",
            reason="请填写陈述申辩意见",
            reason_field="text",
            denied=OWN_UNIT_ONLY,
            conflict="该发现问题不在陈述申辩期内",
            done=_("已提交陈述申辩。"),
            summary="排污单位陈述申辩（仅本单位，期限内，SUP-4）",
        ),
        row(
            "propose",
            _("拟定处罚决定"),
            "enforcement.record",
            (S.NOTIFIED, S.ANSWERED),
            S.PROPOSED,
            _propose,
            clause="SUP-4",
            conflict="只有已告知或已陈述申辩的发现问题可以拟定处罚",
            done=_("已拟定处罚决定，待另一人确认。"),
            summary="拟定处罚决定（陈述申辩期满或单位已陈述申辩，SUP-4）",
        ),
        row(
            "dismiss",
            _("拟不予处罚"),
            "enforcement.record",
            (S.DRAFT, S.NOTIFIED, S.ANSWERED),
            S.DISMISSING,
            _dismiss,
            clause="SUP-4",
            reason="不予处罚须说明理由",
            conflict="该发现问题已有待确认或已确认的决定",
            done=_("已拟不予处罚，待另一人确认。"),
            summary="拟不予处罚（须说明理由，SUP-4）",
        ),
        _decision_row(
            "confirm",
            _("确认决定"),
            to=None,
            service=_confirm,
            four_eyes=True,
            done=_("已确认决定。"),
            summary="确认待确认的决定（四眼原则：拟办人不能确认；处罚写入信用记录，SUP-4）",
        ),
        _decision_row(
            "return",
            _("退回拟办人"),
            to=None,
            service=_return,
            reason="退回须说明理由",
            done=_("已退回拟办人。"),
            summary="退回待确认的决定（须说明理由，SUP-4）",
        ),
    ),
)
