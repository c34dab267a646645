"""Writes of the quarterly intake (RES-1): approved reductions enter the zones' reserves."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record
from totalquota.common.i18n import chinese
from totalquota.common.once import create_once
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, ValidationFailed
from totalquota.reductions.selectors import lines_eligible_for_intake
from totalquota.registry.models import Zone
from totalquota.reserve import workflow
from totalquota.reserve.models import ExclusionReason, IntakeItem, IntakeRun, IntakeStatus
from totalquota.reserve.selectors import line_in_reserve
from totalquota.workflow.kernel import create_transition, perform

__all__ = ["line_in_reserve"]  # re-exported: callers outside the app found it here

EXCLUSION_OF_USAGE = {
    "binding_task": ExclusionReason.BINDING_TASK,
    "offset": ExclusionReason.OFFSET,
    "sold": ExclusionReason.SOLD,
}


def check_intake_period(year: Any, quarter: Any, effective_date: dt.date | None) -> None:
    """The quarter and date of an intake run are plausible (from 2021, SCOPE-1)."""
    dates.check_scope_year(year)
    if quarter not in (1, 2, 3, 4):
        raise ValidationFailed(gettext("季度应为 1-4"), field="quarter")
    dates.INTAKE_DAY.check(effective_date, label="入库日期", field="effective_date")


def quarter_period(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a quarter already checked by :func:`check_intake_period`."""
    start = dt.date(year, 3 * quarter - 2, 1)
    end = (dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)) - dt.timedelta(days=1)
    return start, end


@transaction.atomic
def intake_prepare(
    *, actor: Principal, year: int, quarter: int, effective_date: dt.date | None = None
) -> IntakeRun:
    """Preview a quarterly intake: every approved line of the quarter, what would enter each zone's
    reserve and what is excluded with its RES-1 reason. Nothing is credited until another person
    confirms it (four eyes). A quarter has one run unless the earlier one was cancelled."""
    check_intake_period(year, quarter, effective_date)
    start, end = quarter_period(year, quarter)
    earlier = (
        IntakeRun.objects.filter(year=year, quarter=quarter).exclude(status=IntakeStatus.CANCELLED).first()
    )
    if earlier is not None and earlier.status == IntakeStatus.CONFIRMED:
        raise Conflict(
            gettext("{year} 年第 {quarter} 季度已有已确认的入库批次，不能再次编制").format(
                year=year, quarter=quarter
            ),
            clause="RES-1",
        )
    pending = gettext("{year} 年第 {quarter} 季度已有待确认的入库批次；作废该批次后方可重新编制").format(
        year=year, quarter=quarter
    )
    if earlier is not None:
        raise Conflict(pending, clause="RES-1")
    # A twin prepared at the same moment by someone else fails on the one-run-per-quarter
    # constraint: the same refusal as the check above.
    run = create_once(
        IntakeRun,
        pending,
        clause="RES-1",
        year=year,
        quarter=quarter,
        period_start=start,
        period_end=end,
        effective_date=effective_date or timezone.localdate(),
        created_by=actor.user,
    )
    for zone in Zone.objects.filter(is_active=True):
        for candidate in lines_eligible_for_intake(zone, (start, end)):
            line = candidate.line
            if line_in_reserve(line.pk):
                continue  # entered by an earlier run: never credited twice
            reasons = [
                {
                    "code": EXCLUSION_OF_USAGE[kind],
                    "label": chinese(ExclusionReason(EXCLUSION_OF_USAGE[kind]).label),
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
    create_transition(
        workflow.INTAKE_ACTIONS, run, principal=actor, action="prepare", to=IntakeStatus.PREPARED, first=True
    )
    run.save(update_fields=["status"])
    record(actor=actor, action="reserve.intake_prepare", obj=run, after={"items": run.items.count()})
    return run


@transaction.atomic
def intake_exclude(*, actor: Principal, item: IntakeItem, reason: str) -> IntakeItem:
    """Exclude a line from an unconfirmed run as otherwise ineligible (RES-1 (4)), with a reason."""
    # Lock order step 1: the run, as a confirm takes it, and only then its item (a confirm writes
    # the items after locking the run: item before run would cross it and deadlock), so that an
    # exclusion and a confirm, or two exclusions, go one after the other; no ledger rows are touched.
    run = IntakeRun.objects.select_for_update().get(pk=item.run_id)
    item = IntakeItem.objects.select_for_update().get(pk=item.pk)
    item.run = run
    if run.status != IntakeStatus.PREPARED:
        raise Conflict(gettext("入库批次已确认或已作废，不能再调整"), clause="RES-1")
    if not (reason or "").strip():
        raise ValidationFailed(gettext("请说明不符合入库条件的原因"), field="reason", clause="RES-1")
    before = {"intake_grams": item.intake_grams, "reasons": item.reasons}
    item.reasons = [
        *item.reasons,
        {
            "code": ExclusionReason.OTHER,
            "label": chinese(ExclusionReason.OTHER.label),
            "grams": item.intake_grams,
            "references": [reason],
        },
    ]
    item.excluded_grams += item.intake_grams
    item.intake_grams = 0
    item.other_reason = reason
    item.excluded_by = (
        actor.user
    )  # a preparer of the run from now on: four eyes keeps them from confirming it
    item.save()
    record(
        actor=actor,
        action="reserve.intake_exclude",
        obj=item,
        before=before,
        after={"intake_grams": 0, "reason": reason},
    )
    return item


def intake_confirm(*, actor: Principal, run: IntakeRun) -> IntakeRun:
    """Confirm a run (``reserve.workflow.intake_credit``): one lot per included line. Four eyes:
    whoever prepared the run or excluded an item of it cannot confirm it. A run confirms once."""
    return perform(workflow.INTAKE_ACTIONS, "confirm", principal=actor, obj=run)  # type: ignore[no-any-return]


def intake_cancel(*, actor: Principal, run: IntakeRun, reason: str) -> IntakeRun:
    """Cancel a prepared run with a reason; the quarter may then be prepared again."""
    return perform(workflow.INTAKE_ACTIONS, "cancel", principal=actor, obj=run, reason=reason)  # type: ignore[no-any-return]
