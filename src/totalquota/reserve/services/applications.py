"""Writes of quota applications: drafting and editing them, the workflow actions (through the
kernel and ``reserve.workflow``) and the operation date that starts RES-4's clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record, record_change
from totalquota.common import codes
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, RuleViolation, ValidationFailed
from totalquota.registry.models import Enterprise
from totalquota.reserve import workflow
from totalquota.reserve.decisions import check_line_figures
from totalquota.reserve.models import ApplicationLine, ApplicationStatus, QuotaApplication
from totalquota.reserve.services.holds import (
    Plan,
    application_state,
    check_applicant,
    lock_application,
)
from totalquota.workflow.kernel import create_transition, perform

EDITABLE = ("project_name", "location", "eia_reference", "description")


def _clean_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not lines:
        raise ValidationFailed(gettext("请至少填写一种污染物的许可量"), field="lines", clause="ANNEX-1")
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


def _write_lines(application: QuotaApplication, lines: list[dict[str, Any]]) -> None:
    for line in lines:
        ApplicationLine.objects.create(application=application, **line)


def _new_code(today: dt.date) -> tuple[int, str]:
    """The id and code (``ZL2026-0042``) of a new application, from the row's own number; takes no
    lock and never collides with a concurrent create (see ``common.codes``)."""
    number = codes.reserve_id(QuotaApplication)
    return number, codes.record_code(f"ZL{today:%Y}-", number)


REQUIRED = {"project_name": "建设项目名称", "location": "建设地点", "eia_reference": "环评文件（文号）"}


def _check_required(**values: Any) -> None:
    """Refuse a blank ANNEX-1 item an application cannot do without, on creation and on every edit."""
    for field, label in REQUIRED.items():
        if field in values and not (values[field] or "").strip():
            raise ValidationFailed(
                gettext("请填写{label}").format(label=label), field=field, clause="ANNEX-1"
            )


@transaction.atomic
def application_create(
    *,
    actor: Principal,
    enterprise: Enterprise,
    project_name: str,
    location: str,
    eia_reference: str,
    lines: list[dict[str, Any]],
    description: str = "",
) -> QuotaApplication:
    """An enterprise (or a zone officer for it) drafts a quota application."""
    check_applicant(actor, enterprise)
    _check_required(project_name=project_name, location=location, eia_reference=eia_reference)
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
        created_by=actor.user,
    )
    _write_lines(application, lines)
    create_transition(
        workflow.APPLICATION_ACTIONS,
        application,
        principal=actor,
        action="create",
        to=ApplicationStatus.DRAFT,
    )
    record(
        actor=actor,
        action="reserve.application_create",
        obj=application,
        after=application_state(application),
    )
    return application


@transaction.atomic
def application_update(
    *,
    actor: Principal,
    application: QuotaApplication,
    lines: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> QuotaApplication:
    """Change a draft (its project data and lines)."""
    application = lock_application(application)
    check_applicant(actor, application.enterprise)
    if application.status != ApplicationStatus.DRAFT:
        raise Conflict(gettext("只有草稿状态的申请可以修改"), clause="RES-2")
    unknown = [name for name in fields if name not in EDITABLE]
    if unknown:
        raise ValidationFailed(gettext("不能修改 {v0}").format(v0=unknown[0]))
    _check_required(**fields)
    if lines is not None:
        _clean_lines(lines)
    # Every check above, before the first write.
    before = application_state(application)
    for name, value in fields.items():
        setattr(application, name, value)
    application.save()
    if lines is not None:
        application.lines.all().delete()
        _write_lines(application, lines)
    record(
        actor=actor,
        action="reserve.application_update",
        obj=application,
        before=before,
        after=application_state(application),
    )
    return application


def application_submit(*, actor: Principal, application: QuotaApplication) -> QuotaApplication:
    """Submit a draft: routed, computed and held (``reserve.workflow.submit``)."""
    return perform(workflow.APPLICATION_ACTIONS, "submit", principal=actor, obj=application)  # type: ignore[no-any-return]


def application_withdraw(*, actor: Principal, application: QuotaApplication, reason: str) -> QuotaApplication:
    """The applicant withdraws an open application; its holds are released."""
    return perform(  # type: ignore[no-any-return]
        workflow.APPLICATION_ACTIONS, "withdraw", principal=actor, obj=application, reason=reason
    )


def application_propose(
    *, actor: Principal, application: QuotaApplication, proposal: str
) -> QuotaApplication:
    """A reviewer prepares the decision; another approves it."""
    return perform(  # type: ignore[no-any-return]
        workflow.APPLICATION_ACTIONS, "propose", principal=actor, obj=application, reason=proposal
    )


def application_approve(
    *, actor: Principal, application: QuotaApplication, reason: str = ""
) -> QuotaApplication:
    """Approve: the holds are posted (``reserve.workflow.approve``); four eyes."""
    return perform(  # type: ignore[no-any-return]
        workflow.APPLICATION_ACTIONS, "approve", principal=actor, obj=application, reason=reason
    )


def application_reject(*, actor: Principal, application: QuotaApplication, reason: str) -> QuotaApplication:
    """Refuse an open application with a reason; its holds are released."""
    return perform(  # type: ignore[no-any-return]
        workflow.APPLICATION_ACTIONS, "reject", principal=actor, obj=application, reason=reason
    )


def application_rehold(
    *, actor: Principal, application: QuotaApplication, plans: dict[int, Plan] | None = None
) -> list[str]:
    """Hold again what is not held, or from the lots the reviewer picks; returns the lines still
    short (``reserve.workflow.rehold``)."""
    return perform(  # type: ignore[no-any-return]
        workflow.APPLICATION_ACTIONS, "rehold", principal=actor, obj=application, plans=plans
    )


@transaction.atomic
def application_mark_operating(
    *, actor: Principal, application: QuotaApplication, started_on: dt.date
) -> QuotaApplication:
    """Record the project's formal operation date (starts the one-year clock of RES-4 (2))."""
    dates.OPERATION_DAY.check(started_on, label="正式投运日期", field="started_on")
    application = lock_application(application)
    if application.status != ApplicationStatus.APPROVED:
        raise Conflict(gettext("只有已批准的项目可以登记投运"), clause="RES-4")
    if started_on > timezone.localdate() or (
        application.decided_at and started_on < application.decided_at.date()
    ):
        raise ValidationFailed(gettext("投运日期应在批准之后、今天之前"), field="started_on", clause="RES-4")
    record_change(
        actor=actor, action="reserve.application_operating", obj=application, operation_started_on=started_on
    )
    return application
