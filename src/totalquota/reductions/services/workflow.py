"""The project workflow's public services (each a row of ``reductions.workflow.PROJECT_ACTIONS``) and a
third party's technical opinion."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record, snapshot
from totalquota.lib.errors import Conflict, ValidationFailed
from totalquota.reductions.models import (
    Opinion,
    OpinionConclusion,
    ProjectStatus,
    ReductionProject,
)
from totalquota.reductions.services.projects import _lock
from totalquota.reductions.workflow import PROJECT_ACTIONS, in_zone
from totalquota.workflow.kernel import create_transition, perform

S = ProjectStatus


def _expect(project: ReductionProject, *states: str, doing: str) -> None:
    if project.status not in states:
        raise Conflict(
            gettext("项目当前状态为“{v0}”，不能{doing}").format(v0=project.get_status_display(), doing=doing)
        )


def project_adopt(*, actor: Principal, project: ReductionProject, reason: str = "") -> ReductionProject:
    """The zone officer takes a suggestion into the zone's list as a draft."""
    return perform(PROJECT_ACTIONS, "adopt", principal=actor, obj=project, reason=reason)


def project_decline(*, actor: Principal, project: ReductionProject, reason: str) -> ReductionProject:
    """The zone officer declines a suggestion; the reason is required and kept (RED-3)."""
    return perform(PROJECT_ACTIONS, "decline", principal=actor, obj=project, reason=reason)


def project_handover(*, actor: Principal, project: ReductionProject, note: str = "") -> ReductionProject:
    """Enterprise staff hand their prepared project to the zone, which checks and submits it."""
    return perform(PROJECT_ACTIONS, "handover", principal=actor, obj=project, reason=note)


def project_send_back(*, actor: Principal, project: ReductionProject, reason: str) -> ReductionProject:
    """The zone officer sends an enterprise's handed-over project back to it with comments."""
    return perform(PROJECT_ACTIONS, "send_back", principal=actor, obj=project, reason=reason)


def project_submit(*, actor: Principal, project: ReductionProject, note: str = "") -> ReductionProject:
    """The zone officer submits a complete project, with its evidence, to the bureau (RED-3)."""
    return perform(PROJECT_ACTIONS, "submit", principal=actor, obj=project, reason=note)


@transaction.atomic
def opinion_add(*, actor: Principal, project: ReductionProject, conclusion: str, text: str) -> Opinion:
    """A third party's technical opinion. On a submitted project a pre-check conclusion marks it
    pre-checked; guidance may be given at any stage before the decision. It never decides."""
    project = _lock(project)
    in_zone(actor, project, "出具意见于")
    _expect(project, S.DRAFT, S.ZONE_PENDING, S.RETURNED, S.SUBMITTED, S.PRECHECKED, doing="出具技术意见")
    if conclusion not in OpinionConclusion.values:
        raise ValidationFailed(
            "意见结论应为：" + "、".join(str(c.label) for c in OpinionConclusion), field="conclusion"
        )
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(gettext("请填写技术意见"), field="text")
    if len(text) > 4000:
        raise ValidationFailed(gettext("技术意见不能超过 4000 个字符"), field="text")
    if conclusion != OpinionConclusion.GUIDANCE and project.status not in (S.SUBMITTED, S.PRECHECKED):
        raise Conflict(gettext("项目报送后才能出具预审结论；报送前请选择“填报指导”"))
    opinion = Opinion.objects.create(
        project=project,
        author=actor.user,
        organisation=actor.user.organisation,
        conclusion=conclusion,
        text=text,
    )
    if project.status == S.SUBMITTED and conclusion != OpinionConclusion.GUIDANCE:
        create_transition(
            PROJECT_ACTIONS,
            project,
            to=S.PRECHECKED,
            action="precheck",
            principal=actor,
            reason=f"{opinion.get_conclusion_display()}：{text}",
        )
        project.save(update_fields=["status", "updated_at"])
    record(
        actor=actor,
        action="reduction.opinion",
        obj=opinion,
        after=snapshot(opinion, ["project", "conclusion", "text"]),
    )
    return opinion


def project_approve(*, actor: Principal, project: ReductionProject, reason: str = "") -> ReductionProject:
    """Approve into the library (RED-4) after checking type, accounting and evidence again;
    four eyes: whoever prepared, edited or submitted the project cannot approve it."""
    return perform(PROJECT_ACTIONS, "approve", principal=actor, obj=project, reason=reason)


def project_reject(*, actor: Principal, project: ReductionProject, reason: str) -> ReductionProject:
    """Refuse a project (RED-4); the reason is required and kept."""
    return perform(PROJECT_ACTIONS, "reject", principal=actor, obj=project, reason=reason)


def project_accept_late(*, actor: Principal, project: ReductionProject, reason: str) -> ReductionProject:
    """The bureau accepts a late declaration (RED-3: declared after its year closed); the reason is
    required and kept. Until then the project cannot be approved (it may be rejected or returned)."""
    return perform(PROJECT_ACTIONS, "accept_late", principal=actor, obj=project, reason=reason)


def project_return(*, actor: Principal, project: ReductionProject, reason: str) -> ReductionProject:
    """Return a project to its zone for revision, with the reviewer's comments (RED-4)."""
    return perform(PROJECT_ACTIONS, "return", principal=actor, obj=project, reason=reason)
