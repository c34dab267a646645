"""Projects: declared, edited and suggested; the checks every edit of a project in preparation shares."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal, zone_allowed
from totalquota.audit.services import record, snapshot
from totalquota.common import codes
from totalquota.lib.errors import Conflict, Forbidden
from totalquota.reductions.models import (
    EDITABLE,
    Evidence,
    Origin,
    ProjectStatus,
    ReductionLine,
    ReductionProject,
)
from totalquota.reductions.selectors import declaration_round, is_late_declaration
from totalquota.reductions.services.fields import PROJECT_FIELDS, _raise_if, _today, clean_project
from totalquota.reductions.workflow import PROJECT_ACTIONS
from totalquota.registry.models import Enterprise
from totalquota.workflow.kernel import create_transition

S = ProjectStatus


def _lock(project: ReductionProject) -> ReductionProject:
    # Lock order step 1 (ledger.services): the project row, before anything else an edit touches;
    # two people acting on one project at once (an edit racing a submit, two reviewers deciding)
    # must each see the other's status change, not overwrite it.
    return ReductionProject.objects.select_for_update().get(pk=project.pk)


def _may_prepare(principal: Principal, project: ReductionProject) -> None:
    if principal.enterprise_id is not None:
        if project.enterprise_id != principal.enterprise_id:
            raise Forbidden(gettext("企业只能修改本单位的减排项目"))
        if project.status == S.ZONE_PENDING:
            raise Conflict(gettext("项目已提交功能区，如需修改请联系功能区退回"))
    elif not zone_allowed(principal, project.zone_id):
        raise Forbidden(gettext("您无权修改该功能区的减排项目"))


def _require_editable(project: ReductionProject) -> None:
    if project.status not in EDITABLE:
        raise Conflict(gettext("项目当前状态为“{v0}”，不能修改").format(v0=project.get_status_display()))


def editable(principal: Principal, project: ReductionProject) -> ReductionProject:
    """``project`` locked (lock order step 1), once ``principal`` may prepare it and it is still
    being prepared: what every edit of a project, its lines or its evidence starts with."""
    project = _lock(project)
    _may_prepare(principal, project)
    _require_editable(project)
    return project


def _reopen_if_returned(project: ReductionProject, principal: Principal) -> None:
    """Editing a project the bureau returned puts it back to draft (RED-4: revise, then submit)."""
    if project.status == S.RETURNED:
        create_transition(
            PROJECT_ACTIONS,
            project,
            to=S.DRAFT,
            action="revise",
            principal=principal,
            reason="根据退回意见修改",
        )
        project.save(update_fields=["status", "updated_at"])


def _touch(project: ReductionProject, principal: Principal) -> None:
    project.preparers.add(principal.user)
    project.save(update_fields=["updated_at"])


def delete_part(
    principal: Principal, part: ReductionLine | Evidence, *, action: str, fields: list[str], object_repr: str
) -> None:
    """Delete a line or a document of a project still being prepared: the project is locked and
    back to draft if it was returned, and the deletion is recorded with the part's ``fields``."""
    project = editable(principal, part.project)
    _reopen_if_returned(project, principal)
    before = snapshot(part, fields)
    object_type, pk = part._meta.label_lower, part.pk
    part.delete()
    _touch(project, principal)
    record(
        actor=principal,
        action=action,
        object_type=object_type,
        object_id=pk,
        object_repr=object_repr,
        before=before,
    )


# --- projects ----------------------------------------------------------------------------------
# What declaring sets (RED-3), kept with the project's fields in its audit events.
DECLARATION_FIELDS = ["declared_on", "round", "late_declaration"]
AUDITED = PROJECT_FIELDS + DECLARATION_FIELDS


def declaration(day: dt.date, completion: dt.date | None) -> dict[str, Any]:
    """What declaring a project on ``day`` sets (RED-3): the day, the round open then (or the next
    one; none until the bureau opens it) and whether the project's year had already closed."""
    return {
        "declared_on": day,
        "round": declaration_round(day),
        "late_declaration": is_late_declaration(completion, day),
    }


def recheck_late(project: ReductionProject, *, year_before: int | None) -> None:
    """After the completion date of a declared project changed: late or not again, from the same
    declaration day; an acceptance of lateness is kept only for the same counting year."""
    if project.declared_on is None:
        return
    project.late_declaration = is_late_declaration(project.completion_date, project.declared_on)
    if not project.late_declaration or project.year != year_before:
        project.late_accepted_at = None
        project.late_accepted_by = None
        project.late_accept_reason = ""


def _new_code() -> dict[str, Any]:
    """The id and code (``JP2026-00017``) of a new project, from the row's own number (common.codes)."""
    number = codes.reserve_id(ReductionProject)
    return {"id": number, "code": codes.record_code(f"JP{_today().year}-", number, width=5)}


@transaction.atomic
def project_create(*, actor: Principal, **data: Any) -> ReductionProject:
    """Start a project as a draft: a zone officer for the zone, enterprise staff for their unit."""
    if actor.enterprise_id is not None:
        unit = Enterprise.objects.select_related("zone").get(pk=actor.enterprise_id)
        data.setdefault("enterprise", unit)
        data.setdefault("zone", unit.zone)
        origin = Origin.ENTERPRISE
    else:
        origin = data.pop("origin", Origin.ZONE)
        data.setdefault("zone", actor.zone_id)
    for required in ("name", "project_type", "subtype", "zone"):
        data.setdefault(required, "")
    values, errors, rule_errors = clean_project(data, principal=actor)
    _raise_if(errors, rule_errors)
    project = ReductionProject.objects.create(
        **values,
        **_new_code(),
        **declaration(_today(), values.get("completion_date")),
        status=S.DRAFT,
        origin=origin,
        created_by=actor.user,
    )
    project.preparers.add(actor.user)
    create_transition(PROJECT_ACTIONS, project, to=S.DRAFT, action="create", principal=actor)
    record(actor=actor, action="reduction.create", obj=project, after=snapshot(project, AUDITED))
    return project


@transaction.atomic
def project_update(*, actor: Principal, project: ReductionProject, **data: Any) -> ReductionProject:
    """Change a project's information while it is being prepared (draft, at the zone, returned)."""
    project = editable(actor, project)
    before = snapshot(project, AUDITED)
    data.pop("status", None)
    values, errors, rule_errors = clean_project(data, principal=actor, instance=project)
    _raise_if(errors, rule_errors)
    _reopen_if_returned(project, actor)
    year_before = project.year
    for name, value in values.items():
        setattr(project, name, value)
    recheck_late(project, year_before=year_before)
    project.save()
    project.preparers.add(actor.user)
    after = snapshot(project, AUDITED)
    if after != before:
        record(actor=actor, action="reduction.update", obj=project, before=before, after=after)
    return project


@transaction.atomic
def project_suggest(*, actor: Principal, **data: Any) -> ReductionProject:
    """A candidate project suggested by the bureau or a partner department (RED-3 增补建议); the
    zone officer adopts it as a draft or declines it with a reason."""
    for required in ("name", "project_type", "subtype", "zone", "suggestion_note"):
        data.setdefault(required, "")
    values, errors, rule_errors = clean_project(data, principal=actor)
    if not values.get("suggestion_note"):
        errors["suggestion_note"] = "请填写增补建议理由（如年度重点项目、专项排查、许可变更、资金补助信息）"
    _raise_if(errors, rule_errors)
    project = ReductionProject.objects.create(
        **values, **_new_code(), status=S.SUGGESTED, origin=Origin.SUGGESTION, created_by=actor.user
    )
    project.preparers.add(actor.user)
    create_transition(
        PROJECT_ACTIONS,
        project,
        to=S.SUGGESTED,
        action="suggest",
        principal=actor,
        reason=values["suggestion_note"],
        first=True,
    )
    record(actor=actor, action="reduction.suggest", obj=project, after=snapshot(project, PROJECT_FIELDS))
    return project
