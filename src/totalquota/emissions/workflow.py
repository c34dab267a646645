"""The self-report workflow as an action table (TOT-2, TOT-3), run by the workflow kernel.

Draft → submitted → returned with comments → resubmitted → accepted. Submitting freezes the
current version and checks it against every other source (``emissions.consistency``); returning
opens the next version, a copy the unit corrects; accepting makes the current version the one
everything is computed from. A reviewer may reopen an accepted report for a correction: the
accepted version stands until the corrected one is accepted in its turn.

Four eyes (TOT-3): whoever prepared the technical opinion on the version may not accept it; a
report is accepted only with an opinion on its current version and no open flag on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from totalquota.accounts.permissions import Principal
from totalquota.emissions.models import (
    AWAITING_REVIEW,
    EDITABLE,
    ConsistencyFlag,
    EmissionReport,
    FlagStatus,
    OpinionConclusion,
    ReportStatus,
    ReportTransition,
    ReportVersion,
)
from totalquota.lib.errors import Forbidden, RuleViolation
from totalquota.workflow.kernel import Action, ActionTable, Step, row

S = ReportStatus
REVIEWERS_ONLY = "只有生态环境局审核人员可以审核排放量申报"
OWN_UNIT_ONLY = "只能报送本单位的排放量申报"
NO_OPINION = gettext_noop("该版本尚无技术审核意见，须先出具技术审核意见（TOT-3）")
OPINION_SAYS_RETURN = gettext_noop("该版本的技术审核意见建议退回修改；审核通过须说明不采纳该意见的理由")
OPEN_FLAGS = gettext_noop("该版本尚有未处理的一致性核查提示，须逐条处理后方可审核通过（TOT-3）")


def guard(principal: Principal, report: EmissionReport, action: Action[Any]) -> None:
    """A unit acts on its own report only; the bureau reviews park-wide."""
    if action.name == "submit" and (
        principal.enterprise_id is None or principal.enterprise_id != report.enterprise_id
    ):
        raise Forbidden(OWN_UNIT_ONLY)


def preparers(report: EmissionReport) -> Iterable[int | None]:
    """The authors of the technical opinions on the current version (TOT-3 four eyes)."""
    if report.current_version_id is None:
        return ()
    return report.opinions.filter(version_id=report.current_version_id).values_list("author_id", flat=True)


# --- the actions' own work ---------------------------------------------------------------------
def _submit(step: Step[EmissionReport]) -> None:
    """Freeze the current version and check it against the other sources (TOT-2, TOT-3)."""
    from totalquota.emissions import consistency
    from totalquota.emissions.services.reports import check_complete

    report = step.obj
    version = report.current_version
    assert version is not None  # every report is created with its first version
    if version.number > 1 and not version.change_note.strip() and step.reason:
        # A correction's note may be typed beside the submit button as well as on the lines page.
        version.change_note = step.reason
        version.save(update_fields=["change_note"])
    check_complete(report, version)
    now = timezone.now()
    version.submitted_at = now
    version.submitted_by = step.principal.user
    version.save(update_fields=["submitted_at", "submitted_by"])
    report.submitted_at = now
    step.to = S.RESUBMITTED if version.number > 1 else S.SUBMITTED
    flags = consistency.check_version(version)
    step.audit = {"version": version.number, "flags": len(flags)}


def _open_next_version(step: Step[EmissionReport]) -> None:
    """Open version n + 1, a copy of the current version that the unit corrects."""
    from totalquota.emissions.services.reports import next_version

    version = next_version(step.obj, actor=step.principal)
    step.audit = {"version": version.number}


def _accept(step: Step[EmissionReport]) -> None:
    report = step.obj
    version: ReportVersion | None = report.current_version
    if version is None or not version.frozen:
        raise RuleViolation(gettext("该申报尚未提交，不能审核通过"), clause="TOT-3")
    latest = version.opinions.order_by("-at", "-pk").first()
    if latest is None:
        raise RuleViolation(gettext(NO_OPINION), clause="TOT-3")
    if latest.conclusion == OpinionConclusion.RETURN and not step.reason:
        # The opinion advises and the reviewer decides, but overruling it is stated, not silent.
        raise RuleViolation(gettext(OPINION_SAYS_RETURN), field="reason", clause="TOT-3")
    if ConsistencyFlag.objects.filter(version=version, status=FlagStatus.OPEN).exists():
        raise RuleViolation(gettext(OPEN_FLAGS), clause="TOT-3")
    report.accepted_version = version
    report.accepted_by = step.principal.user
    report.accepted_at = timezone.now()
    step.audit = {"version": version.number}


_review_row = partial(
    row, permission="emissions.review", from_=AWAITING_REVIEW, clause="TOT-3", denied=REVIEWERS_ONLY
)

REPORT_ACTIONS: ActionTable[EmissionReport] = ActionTable(
    model=EmissionReport,
    transition_model=ReportTransition,
    transition_fk="report",
    audit_prefix="emissions.report_",
    topic="emission_report",
    label="排放量申报",
    clause="TOT-3",
    guard=guard,
    preparers=preparers,
    four_eyes_message="出具该版本技术审核意见的人员不能审核通过该申报（四眼原则，TOT-3）",
    audit_fields=("status", "submitted_at", "accepted_version", "accepted_at"),
    actions=(
        row(
            "submit",
            _("提交"),
            "emissions.report",
            EDITABLE,
            None,
            _submit,
            clause="TOT-2",
            reason_field="note",
            denied=OWN_UNIT_ONLY,
            done=_("已提交生态环境局审核。"),
            summary="单位提交排放量申报（TOT-2）",
        ),
        _review_row(
            "return",
            _("退回修改"),
            to=S.RETURNED,
            service=_open_next_version,
            reason=gettext_noop("退回修改须填写修改意见"),
            done=_("已退回单位修改。"),
            summary="退回修改（须填写修改意见，TOT-3）",
        ),
        _review_row(
            "accept",
            _("审核通过"),
            to=S.ACCEPTED,
            service=_accept,
            four_eyes=True,
            done=_("审核通过，该版本为有效申报。"),
            summary="审核通过（须有技术审核意见且无未处理提示，四眼原则，TOT-3）",
        ),
        row(
            "reopen",
            _("重新打开更正"),
            "emissions.review",
            S.ACCEPTED,
            S.RETURNED,
            _open_next_version,
            clause="TOT-3",
            reason=gettext_noop("重新打开更正须说明理由"),
            denied=REVIEWERS_ONLY,
            done=_("已重新打开，单位更正后重新提交；原通过版本在新版本通过前继续有效。"),
            summary="重新打开已通过的申报以更正（须说明理由，TOT-3）",
        ),
    ),
)
