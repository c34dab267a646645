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
from totalquota.ledger import services as ledger
from totalquota.ledger.models import Account, SourceType
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, ValidationFailed
from totalquota.reductions.selectors import lines_eligible_for_intake
from totalquota.registry.models import Zone
from totalquota.reserve.models import ExclusionReason, IntakeItem, IntakeRun

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


def line_in_reserve(line_id: int) -> bool:
    return Account.objects.filter(
        source_type=SourceType.REDUCTION_LINE, source_ref=f"reductions.reductionline:{line_id}"
    ).exists()


@transaction.atomic
def intake_prepare(
    *, actor: Principal, year: int, quarter: int, effective_date: dt.date | None = None
) -> IntakeRun:
    """Preview a quarterly intake: every approved line of the quarter, what would enter each zone's
    reserve and what is excluded with its RES-1 reason. Nothing is credited until confirmed."""
    check_intake_period(year, quarter, effective_date)
    start, end = quarter_period(year, quarter)
    pending = gettext("{year} 年第 {quarter} 季度已有待确认的入库批次").format(year=year, quarter=quarter)
    if IntakeRun.objects.filter(year=year, quarter=quarter, confirmed_at__isnull=True).exists():
        raise Conflict(pending, clause="RES-1")
    # A twin prepared at the same moment by someone else fails on the one-pending-run constraint:
    # the same refusal as the check above.
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
    if run.confirmed_at is not None:
        raise Conflict(gettext("入库批次已确认，不能再调整"), clause="RES-1")
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
    item.save()
    record(
        actor=actor,
        action="reserve.intake_exclude",
        obj=item,
        before=before,
        after={"intake_grams": 0, "reason": reason},
    )
    return item


@transaction.atomic
def intake_confirm(*, actor: Principal, run: IntakeRun) -> IntakeRun:
    """Confirm a run: one lot per included line, credited to its zone's reserve. A run confirms
    once; a line enters the reserve once whatever runs list it (the ledger key is the line)."""
    # Lock order step 1: the run, so two administrators pressing confirm at once make one set of lots.
    run = IntakeRun.objects.select_for_update().get(pk=run.pk)
    if run.confirmed_at is not None:
        raise Conflict(gettext("该入库批次已确认，不能重复入库"), clause="RES-1")
    items = list(run.items.select_related("line__project", "pollutant", "zone"))
    # Lock order step 2: every zone row the run credits, before the first lot (and its audit event).
    ledger.lock_zones({(item.zone_id, item.pollutant_id) for item in items if item.intake_grams > 0})
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
    run.confirmed_by = actor.user
    run.confirmed_at = timezone.now()
    run.save(update_fields=["confirmed_by", "confirmed_at"])
    record(
        actor=actor,
        action="reserve.intake_confirm",
        obj=run,
        after={"lots": run.items.filter(posting__isnull=False).count()},
    )
    return run
