"""The daily warning check (RES-3): store each zone's level per pollutant, announce the rises."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from totalquota import outbox
from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record
from totalquota.registry.models import Zone
from totalquota.reserve.models import WarningLevel, WarningState
from totalquota.reserve.selectors import LEVELS, zone_warnings

RAISED = "reserve.warning.raised"


@transaction.atomic
def warnings_check(*, actor: Principal | None = None, today: dt.date | None = None) -> list[WarningState]:
    """Compare today's warning level of every active zone and pollutant (the warnings page's
    default period: this year up to today) with the level the last check stored, store the new
    levels, and emit ``reserve.warning.raised`` for each one that rose to attention or warning
    (from normal, or from attention to warning), in this transaction. A second run the same day
    finds the levels stored and raises nothing. Returns the states that rose."""
    today = today or timezone.localdate()
    rows = zone_warnings(today.replace(month=1, day=1), today, only_active=True)
    found = {(r.zone.pk, r.pollutant.pk): r for r in rows}
    # Make every row exist before locking, so that the locks below cover all of them: a parallel
    # run inserting the same rows waits on the unique key and then inserts nothing.
    WarningState.objects.bulk_create(
        [WarningState(zone_id=z, pollutant_id=p, checked_on=today, changed_on=today) for z, p in found],
        ignore_conflicts=True,
    )
    # The only lock of this check (no other path locks these rows, and this one takes no ledger
    # or workflow lock): every state row, by id, so a second run waits for the first and then
    # reads the levels it stored.
    states = {
        (s.zone_id, s.pollutant_id): s
        for s in WarningState.objects.select_for_update()
        .filter(zone__in=Zone.objects.filter(is_active=True))
        .order_by("pk")
    }
    raised, changed = [], []
    for key, state in states.items():
        row = found.get(key)
        level = row.level if row is not None else WarningLevel.NORMAL
        before = state.level
        rose = level != WarningLevel.NORMAL and LEVELS.index(level) > LEVELS.index(before)
        state.checked_on = today
        if level != before:
            state.level, state.changed_on = level, today
            changed.append({"zone": key[0], "pollutant": key[1], "from": before, "to": level})
        state.save(update_fields=["level", "checked_on", "changed_on"])
        if rose and row is not None:
            cover = row.months_of_cover
            outbox.emit(
                RAISED,
                obj=state,
                payload={
                    "zone_id": row.zone.pk,
                    "pollutant_id": row.pollutant.pk,
                    "level": level,
                    "months_of_cover": None if cover is None else str(cover),
                    "balance_grams": row.balance,
                    "demand_grams": row.demand,
                },
                actor=actor,
            )
            raised.append(state)
    if changed:
        record(
            actor=actor,
            action="reserve.warnings_check",
            object_type="reserve.warningstate",
            object_id=today.isoformat(),
            object_repr=f"储备预警检查 {today.isoformat()}",
            after={"changed": changed, "raised": [s.pk for s in raised]},
        )
    return raised
