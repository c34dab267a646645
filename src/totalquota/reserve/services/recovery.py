"""Writes of verification and recovery (RES-4) and of the ambient quality the ratios depend on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record, snapshot
from totalquota.emissions.models import VerifiedEmission
from totalquota.emissions.services import enter_once
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, RuleViolation, ValidationFailed
from totalquota.registry.models import AttainmentStatus, Indicator, Zone
from totalquota.reserve import workflow
from totalquota.reserve.decisions import recovery_figures
from totalquota.reserve.models import (
    OPEN_RECOVERY,
    ApplicationLine,
    ApplicationStatus,
    RecoveryCase,
    RecoveryKind,
    RecoveryStatus,
)
from totalquota.reserve.services.holds import lock_application
from totalquota.workflow.kernel import create_transition, perform


@transaction.atomic
def attainment_record(
    *,
    actor: Principal,
    year: int,
    indicator: str,
    attained: bool,
    source: str,
    zone: Zone | None = None,
) -> AttainmentStatus:
    """Enter whether an ambient indicator met its standard in a year, for a functional zone or
    (``zone=None``) the whole park; it decides the RES-2 ratio and the TOT-3 determination of the
    zone (a zone without its own record is read through the park's). A second record of the same
    zone (or park), indicator and year is a 409."""
    if not (source or "").strip():
        raise ValidationFailed(gettext("请注明依据（如年度环境质量公报）"), field="source")
    dates.check_scope_year(year)
    if indicator not in Indicator.values:
        raise ValidationFailed(gettext("指标应为：") + "、".join(Indicator.values), field="indicator")
    if zone is not None and not zone.is_active:
        raise ValidationFailed(gettext("功能区“{zone}”已停用").format(zone=zone), field="zone")
    return enter_once(
        actor=actor,
        model=AttainmentStatus,
        action="reserve.attainment",
        duplicate=(
            gettext("{year} 年全园区该指标的达标状况已录入").format(year=year)
            if zone is None
            else gettext("{year} 年{zone}该指标的达标状况已录入").format(year=year, zone=zone.name)
        ),
        unique={"year": year, "indicator": indicator, "zone": zone},
        attained=attained,
        source=source.strip(),
    )


@transaction.atomic
def recovery_propose(
    *,
    actor: Principal,
    line: ApplicationLine,
    kind: str,
    reason: str,
    surplus_grams: int | None = None,
    verified: VerifiedEmission | None = None,
    today: dt.date | None = None,
) -> RecoveryCase:
    """A reviewer proposes returning quota of an approved line to the reserve (RES-4); nothing
    moves until another reviewer decides it (``reserve.workflow.RECOVERY_ACTIONS``).

    (1) not built: the whole deduction would go back to the lots it came from.
    (2) underused: the reviewer confirms the surplus (permitted - verified actual, or an adjusted
        figure with the reason); the unit is told before the decision.
    (3) other: like (2) with the amount the reviewer gives and the reason.
    The figures are checked now (``decisions.recovery_figures``) and again on the decision day.
    """
    # Lock order step 1: the line's application, so that one open case per line is checked safely.
    application = lock_application(line.application)
    line = ApplicationLine.objects.select_related("pollutant", "allocation", "posting").get(pk=line.pk)
    if application.status != ApplicationStatus.APPROVED or line.posting_id is None:
        raise RuleViolation(gettext("只能收回已批准并已扣减的指标"), clause="RES-4")
    if not (reason or "").strip():
        raise ValidationFailed(gettext("请说明收回理由"), field="reason", clause="RES-4")
    if kind not in RecoveryKind.values:
        raise ValidationFailed(
            gettext("收回情形应为：") + "、".join(RecoveryKind.values), field="kind", clause="RES-4"
        )
    if line.recoveries.filter(status__in=OPEN_RECOVERY).exists():
        raise Conflict(gettext("该指标已有待决定的收回事项"), clause="RES-4")
    figures = recovery_figures(
        line,
        kind=kind,
        surplus_grams=surplus_grams,
        today=today or timezone.localdate(),
        verified=verified,
        earlier=line.recoveries.filter(status=RecoveryStatus.APPROVED).exists(),
    )
    case = RecoveryCase(
        line=line,
        kind=kind,
        verified=figures.verified,
        suggested_surplus_grams=figures.suggested_surplus_grams,
        surplus_grams=figures.surplus_grams,
        recovered_grams=figures.recovered_grams,
        reason=reason.strip(),
        rule_snapshot=figures.snapshot,
        proposed_by=actor.user,
    )
    case.save()
    create_transition(
        workflow.RECOVERY_ACTIONS,
        case,
        principal=actor,
        action="propose",
        to=RecoveryStatus.PROPOSED,
        reason=case.reason,
        rules=[v for k, v in figures.snapshot.items() if isinstance(v, dict) and "key" in v],
        first=True,
    )
    case.save(update_fields=["status"])
    record(actor=actor, action="reserve.recovery_propose", obj=case, after=snapshot(case))
    return case


# ``today`` in the steps below: the day the step is taken, for a scenario run over a year; pages
# and the API never give it (the step is taken today).


def recovery_notify(*, actor: Principal, case: RecoveryCase, today: dt.date | None = None) -> RecoveryCase:
    """Tell the unit the proposed amount; the answer period starts (RES-4)."""
    return perform(workflow.RECOVERY_ACTIONS, "notify", principal=actor, obj=case, today=today)  # type: ignore[no-any-return]


def recovery_answer(
    *, actor: Principal, case: RecoveryCase, answer: str, file: Any = None, today: dt.date | None = None
) -> RecoveryCase:
    """The unit answers the notice, once and within the answer period, with an optional file."""
    return perform(  # type: ignore[no-any-return]
        workflow.RECOVERY_ACTIONS, "answer", principal=actor, obj=case, reason=answer, file=file, today=today
    )


def recovery_approve(
    *, actor: Principal, case: RecoveryCase, reason: str = "", today: dt.date | None = None
) -> RecoveryCase:
    """Another reviewer decides to recover: the ledger moves now (``workflow.apply_recovery``)."""
    return perform(  # type: ignore[no-any-return]
        workflow.RECOVERY_ACTIONS, "approve", principal=actor, obj=case, reason=reason, today=today
    )


def recovery_reject(*, actor: Principal, case: RecoveryCase, reason: str) -> RecoveryCase:
    """Another reviewer decides not to recover, with a reason."""
    return perform(workflow.RECOVERY_ACTIONS, "reject", principal=actor, obj=case, reason=reason)  # type: ignore[no-any-return]
