"""Reconcile runs: checking the ledger against its transfers and keeping the result.

:func:`run_reconcile` is the one writer of :class:`~totalquota.ledger.models.ReconcileRun`: the
page's button and ``POST /api/v1/ledger/reconcile`` (an administrator), the daily task and the
``ledger_reconcile`` command all run it. A run that finds a discrepancy, or cannot finish, emits
``ledger.reconcile.failed`` on the outbox, which tells the administrators (notifications).
"""

from __future__ import annotations

import logging
from typing import Literal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from totalquota.accounts.permissions import Principal, require
from totalquota.audit.services import record
from totalquota.ledger.models import ReconcileRun, ReconcileTrigger
from totalquota.outbox import emit

log = logging.getLogger(__name__)

FAILED_TOPIC = "ledger.reconcile.failed"
ERROR_CHARS = 2000


def run_reconcile(
    *, by: Principal | Literal["scheduled", "command"], check_audit: bool = True
) -> ReconcileRun:
    """Reconcile the ledger now and return the run as stored.

    ``by`` is the person asking (who must hold ``ledger.reconcile``), or ``"scheduled"`` (the daily
    task) or ``"command"`` (``manage.py ledger_reconcile``). The run's row is committed before
    the check starts, so a run that is still going shows as running; the check itself only
    reads the ledger (it links pending audit events first, in the audit chain's own
    transaction). Its result, the audit event and, when it failed, the outbox event commit
    together afterwards. An error that stops the check is kept on the run (not ok) and logged,
    not raised: the run is the record of it."""
    from totalquota.ledger.reconcile import reconcile

    if isinstance(by, Principal):
        require(by, "ledger.reconcile")
        trigger, user, actor = ReconcileTrigger.PERSON, by.user, by
    elif by in (ReconcileTrigger.SCHEDULED, ReconcileTrigger.COMMAND):
        trigger, user, actor = ReconcileTrigger(by), None, None
    else:
        raise ValueError(f"run_reconcile: unknown trigger {by!r}")

    # Lock: none. A new row of its own, committed at once, before the (long) check.
    with transaction.atomic():
        run = ReconcileRun.objects.create(trigger=trigger, triggered_by=user, started_at=timezone.now())

    try:
        report = reconcile(check_audit=check_audit)
    except Exception as exc:
        log.exception("ledger reconcile run %s could not finish", run.pk)
        run.ok = False
        run.error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
        run.problems = [run.error]
        run.problem_count = 1
    else:
        run.ok = report.ok
        run.accounts_checked = report.accounts
        run.transfers_checked = report.transfers
        run.audit_events_checked = report.audit_events
        run.debits_posted = report.debits_posted
        run.credits_posted = report.credits_posted
        run.phases = dict(report.phases)
        run.problems = list(report.problems)
        run.problem_count = report.problem_total
    run.finished_at = timezone.now()

    with transaction.atomic():
        # Lock: only this run's own row (the UPDATE of save()); nothing else writes it.
        run.save()
        record(
            actor=actor,
            action="ledger.reconcile",
            obj=run,
            after={"ok": run.ok, "problems": run.problem_count, "trigger": run.trigger},
        )
        if not run.ok:
            emit(
                FAILED_TOPIC,
                obj=run,
                actor=actor,
                payload={
                    "run_id": run.pk,
                    "problem_count": run.problem_count,
                    "trigger": run.trigger,
                    "url": reverse("ledger:reconcile_detail", args=[run.pk]),
                },
            )
    return run
