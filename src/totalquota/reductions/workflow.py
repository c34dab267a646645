"""The project workflow as an action table (RED-3, RED-4): declaration, hand-over, submission and
the bureau's decision, each one row run by the workflow kernel (``workflow.kernel.perform``).

Each row names its permission, the statuses it starts from, the reason it requires and its page
and API texts; its service does the project's own work (readiness checks under the rules in force,
the round a submission falls in, who decided and when). The table's guard keeps every action to
the zone (or the unit) of the person taking it, and four eyes keeps whoever prepared a project
from approving it. Status changes that happen inside other writes (creation, a suggestion, an edit
that reopens a returned project, a third party's pre-check) write their row with
:func:`~totalquota.workflow.kernel.create_transition`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from totalquota.accounts.permissions import Principal, zone_allowed
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation
from totalquota.reductions.models import AWAITING_REVIEW, ProjectStatus, ProjectTransition, ReductionProject
from totalquota.reductions.selectors import (
    declaration_round,
    evidence_requirements,
    is_late_declaration,
    missing_information,
)
from totalquota.workflow.kernel import Action, ActionTable, Step, row

S = ProjectStatus
REVIEWERS_ONLY = "只有生态环境局审核人员可以审核减排项目"
DECISION_FIELDS = ("status", "decided_at", "decided_by")
LATE_FIELDS = ("late_declaration", "late_accepted_at", "late_accepted_by", "late_accept_reason")
# A late declaration (RED-3) may be accepted until the bureau has decided the project.
UNDECIDED = (S.DRAFT, S.ZONE_PENDING, S.RETURNED, S.SUBMITTED, S.PRECHECKED)
LATE_NOT_ACCEPTED = (
    "该项目为逾期申报（申报时其计入年度已截止），须经生态环境局接受逾期申报并说明理由后方可审核通过"
)
# Transitions whose actors took part in preparing a project (with everyone in ``preparers``).
PREPARING = ("create", "submit", "handover", "adopt", "revise")


def _today() -> dt.date:
    return timezone.localdate()


def check_complete(project: ReductionProject, *, on: dt.date) -> None:
    """Refuse a project with missing information (RED-3), naming each gap."""
    missing = missing_information(project, today=on)
    if missing:
        raise RuleViolation(
            "项目信息不完整：" + "；".join(missing),
            clause="RED-3",
            errors=[{"field": "project", "message": m} for m in missing],
        )


def check_ready(project: ReductionProject, *, on: dt.date, clause: str) -> list[dict[str, Any]]:
    """Refuse a project with missing information or evidence; returns the rules used."""
    check_complete(project, on=on)
    requirements, rules = evidence_requirements(project, on=on)
    lacking = [r for r in requirements if not r.satisfied]
    if lacking:
        raise RuleViolation(
            "缺少佐证材料：" + "；".join(f"{r.label}（{r.reason}）" for r in lacking),
            clause=clause,
            errors=[
                {"field": "evidence", "kind": r.kind, "message": f"{r.label}：{r.reason}"} for r in lacking
            ],
        )
    return rules


OWN_UNIT_ONLY = "只能提交本单位的减排项目"


def outside_zone(what: str) -> str:
    """The refusal of acting (``what``: 采纳, 报送 …) on a project outside one's zones."""
    return f"您无权{what}该功能区的减排项目"


def in_zone(principal: Principal, project: ReductionProject, what: str) -> None:
    """Refuse ``principal`` acting (``what``: 采纳, 报送 …) on a project outside their zones."""
    if not zone_allowed(principal, project.zone_id):
        raise Forbidden(outside_zone(what))


def own_unit(principal: Principal, project: ReductionProject) -> None:
    """Refuse enterprise staff acting on another unit's project (and anyone not enterprise staff)."""
    if principal.enterprise_id is None or project.enterprise_id != principal.enterprise_id:
        raise Forbidden(OWN_UNIT_ONLY)


# The scope each action is kept to: the zone verb, or the unit (hand-over); review is park-wide.
ZONE_VERBS = {"adopt": "采纳", "decline": "处理", "send_back": "退回", "submit": "报送"}


def guard(principal: Principal, project: ReductionProject, action: Action[Any]) -> None:
    """The table's scope check (``Forbidden``): the unit's own project for a hand-over, the zone's
    for what a zone officer does; the bureau reviews park-wide."""
    if action.name == "handover":
        own_unit(principal, project)
    elif action.name in ZONE_VERBS:
        in_zone(principal, project, ZONE_VERBS[action.name])


def preparers(project: ReductionProject) -> Iterable[int | None]:
    """Everyone who created, edited, handed over, adopted or submitted ``project`` (RED-4)."""
    ids: set[int | None] = set(project.preparers.values_list("pk", flat=True))
    ids |= set(project.transitions.filter(action__in=PREPARING).values_list("actor_id", flat=True))
    return ids


# --- the actions' own work ---------------------------------------------------------------------
def _prepared(step: Step[ReductionProject]) -> None:
    """The person taking the action has prepared the project (four eyes keeps them from approving)."""
    step.obj.preparers.add(step.principal.user)


def _adopt(step: Step[ReductionProject]) -> None:
    """Adopting a suggestion is the zone's declaration of it (RED-3): in the round open today."""
    project, today = step.obj, _today()
    project.declared_on = today
    project.round = declaration_round(today)
    project.late_declaration = is_late_declaration(project.completion_date, today)
    _prepared(step)


def _handover(step: Step[ReductionProject]) -> None:
    check_complete(step.obj, on=_today())
    _prepared(step)


def _submit(step: Step[ReductionProject]) -> None:
    project = step.obj
    step.rules = check_ready(project, on=_today(), clause="RED-3")
    project.submitted_at = timezone.now()
    _prepared(step)


def _decide(step: Step[ReductionProject]) -> None:
    step.obj.decided_at = timezone.now()
    step.obj.decided_by = step.principal.user


def _approve(step: Step[ReductionProject]) -> None:
    if step.obj.late_pending:
        raise RuleViolation(LATE_NOT_ACCEPTED, clause="RED-3")
    step.rules = check_ready(step.obj, on=_today(), clause="RED-4")
    _decide(step)


def _accept_late(step: Step[ReductionProject]) -> None:
    """The bureau accepts a late declaration with a reason; the status stays, the transition row
    keeps who accepted it and why."""
    project = step.obj
    if not project.late_declaration:
        raise Conflict(gettext("该项目不是逾期申报，无须接受"), clause="RED-3")
    if project.late_accepted_at is not None:
        raise Conflict(gettext("该项目的逾期申报已被接受"), clause="RED-3")
    project.late_accepted_at = timezone.now()
    project.late_accepted_by = step.principal.user
    project.late_accept_reason = step.reason[:500]
    step.to = project.status


def _reject(step: Step[ReductionProject]) -> None:
    if not step.reason:
        raise RuleViolation(gettext("审核不通过须说明原因"), field="reason", clause="RED-4")
    _decide(step)


def _zone_row(name: str, *args: Any, **more: Any) -> Action[Any]:
    """A zone officer's row: a role without its permission is refused as the guard refuses a
    project outside the officer's zones (“您无权采纳该功能区的减排项目”)."""
    return row(name, *args, denied=outside_zone(ZONE_VERBS[name]), **more)


# The bureau's decision: park-wide, on a project awaiting review, under RED-4.
_review_row = partial(
    row, permission="reductions.review", from_=AWAITING_REVIEW, clause="RED-4", denied=REVIEWERS_ONLY
)

PROJECT_ACTIONS: ActionTable[ReductionProject] = ActionTable(
    model=ReductionProject,
    transition_model=ProjectTransition,
    transition_fk="project",
    audit_prefix="reduction.",
    topic="reduction",
    label="项目",
    guard=guard,
    preparers=preparers,
    four_eyes_message="编制或报送该项目的人员不能审核通过该项目（四眼原则）",
    actions=(
        _zone_row(
            "adopt",
            _("采纳"),
            "reductions.adopt",
            S.SUGGESTED,
            S.DRAFT,
            _adopt,
            audit_fields=("status", "declared_on", "round", "late_declaration"),
            done=_("已采纳，项目转为草稿，请补充信息后报送。"),
            summary="功能区采纳增补建议",
        ),
        _zone_row(
            "decline",
            _("不予采纳"),
            "reductions.adopt",
            S.SUGGESTED,
            S.DECLINED,
            reason=gettext_noop("不予采纳须说明理由"),
            clause="RED-3",
            done=_("已记录不予采纳。"),
            summary="功能区不予采纳增补建议（须说明理由）",
        ),
        row(
            "handover",
            _("提交功能区"),
            "reductions.handover",
            [S.DRAFT, S.RETURNED],
            S.ZONE_PENDING,
            _handover,
            reason_field="note",
            denied=OWN_UNIT_ONLY,
            done=_("已提交功能区。"),
            summary="企业提交功能区",
        ),
        _zone_row(
            "send_back",
            _("退回企业"),
            "reductions.submit",
            S.ZONE_PENDING,
            S.DRAFT,
            path="send-back",
            reason=gettext_noop("退回企业须填写修改意见"),
            done=_("已退回企业修改。"),
            summary="功能区退回企业修改",
        ),
        _zone_row(
            "submit",
            _("报送"),
            "reductions.submit",
            [S.DRAFT, S.ZONE_PENDING, S.RETURNED],
            S.SUBMITTED,
            _submit,
            reason_field="note",
            audit_fields=("status", "submitted_at"),
            done=_("已报送生态环境局审核。"),
            summary="功能区报送生态环境局审核（RED-3）",
        ),
        _review_row(
            "approve",
            _("审核通过"),
            to=S.APPROVED,
            service=_approve,
            four_eyes=True,
            audit_fields=DECISION_FIELDS,
            done=_("审核通过，项目已纳入减排库。"),
            summary="审核通过，纳入减排库（RED-4，四眼原则）",
        ),
        _review_row(
            "reject",
            _("审核不通过"),
            to=S.REJECTED,
            service=_reject,
            audit_fields=DECISION_FIELDS,
            done=_("已审核不通过。"),
            summary="审核不通过（须说明原因，RED-4）",
        ),
        row(
            "accept_late",
            _("接受逾期申报"),
            "reductions.review",
            UNDECIDED,
            None,
            _accept_late,
            path="accept-late",
            reason=gettext_noop("接受逾期申报须说明理由"),
            clause="RED-3",
            four_eyes=True,
            denied=REVIEWERS_ONLY,
            audit_fields=LATE_FIELDS,
            done=_("已接受逾期申报。"),
            summary="接受逾期申报（须说明理由，RED-3）",
        ),
        _review_row(
            "return",
            _("退回修改"),
            to=S.RETURNED,
            reason=gettext_noop("退回修改须填写修改意见"),
            done=_("已退回修改。"),
            summary="退回修改（须填写修改意见，RED-4）",
        ),
    ),
)
