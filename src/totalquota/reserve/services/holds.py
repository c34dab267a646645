"""What every decision on an application shares: its locks, who may apply for a unit, its audit
state, and holding or releasing a line's deduction in the zone's reserve."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal, zone_allowed
from totalquota.audit.services import snapshot
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger import services as ledger
from totalquota.ledger.models import Account, AccountKind, Posting
from totalquota.lib.errors import Forbidden, RuleViolation
from totalquota.registry.models import Enterprise
from totalquota.reserve.decisions import LINE_FIELDS, line_shortfall
from totalquota.reserve.models import ApplicationLine, QuotaApplication

# The application fields its audit events show (with its lines).
STATE_FIELDS = ("code", "enterprise", "project_name", "location", "eia_reference", "status", "route")

Plan = list[tuple[Account, int]]  # the lots a line is held from, with the grams of each


def lock_application(application: QuotaApplication) -> QuotaApplication:
    # Lock order step 1 (see ledger.services): the application row, first, so that decisions on it
    # (submit, approve, reject, withdraw, recovery) are taken one at a time.
    return QuotaApplication.objects.select_for_update().get(pk=application.pk)


def lock_zone_rows(application: QuotaApplication, pollutant_ids: Iterable[int]) -> None:
    # Lock order step 2: the zone row of every pollutant this decision holds, posts or releases,
    # all at once before the first ledger operation. Each operation records an audit event
    # (step 5); a zone row taken after it could wait on a transaction that waits for that event.
    ledger.lock_zones({(application.zone_id, pk) for pk in pollutant_ids})


def check_applicant(actor: Principal, enterprise: Enterprise) -> None:
    """Enterprise staff apply for their own unit, zone officers for units of their zone."""
    if actor.enterprise_id is not None:
        if actor.enterprise_id != enterprise.pk:
            raise Forbidden(gettext("只能为本单位申请总量指标"), clause="RES-2")
    elif not zone_allowed(actor, enterprise.zone_id):
        raise Forbidden(gettext("只能为本功能区内的排污单位申请总量指标"), clause="RES-2")


def lines_state(application: QuotaApplication) -> list[dict[str, Any]]:
    """The lines as audit events show them."""
    return [
        {
            "pollutant": line.pollutant.code,
            **{f: getattr(line, f) for f in LINE_FIELDS},
            "deduction": line.deduction_grams,
        }
        for line in application.lines.select_related("pollutant")
    ]


def application_state(application: QuotaApplication) -> dict[str, Any]:
    """The application and its lines as audit events show them."""
    return {**snapshot(application, list(STATE_FIELDS)), "lines": lines_state(application)}


def _allocation_account(actor: Principal, line: ApplicationLine, on: dt.date) -> Account:
    if line.allocation_id:
        assert line.allocation is not None
        return line.allocation
    account = ledger.account_open(
        actor=actor,
        zone=line.application.zone,
        pollutant=line.pollutant,
        kind=AccountKind.ALLOCATION,
        holder_enterprise=line.application.enterprise,
        opened_on=on,
        label=f"{line.application.code} {line.application.project_name}",
    )
    line.allocation = account
    return account


def _draw_hold(
    actor: Principal, line: ApplicationLine, account: Account, on: dt.date, grams: int, lots: Plan | None
) -> Posting:
    attempt = ledger_selectors.transfers_for_object("reserve.applicationline", line.pk)
    # The line's N-th hold: counting is safe here because the caller holds the application row.
    number = len({t.posting_id for t in attempt if t.posting.operation == "hold"}) + 1
    return ledger.draw(
        actor=actor,
        zone=line.application.zone,
        pollutant=line.pollutant,
        amount_grams=grams,
        to_account=account,
        effective_date=on,
        reason=f"{line.application.code} 申请期间预留削减替代量",
        clause_id="RES-2",
        obj=line,
        idempotency_key=f"reserve-line-{line.pk}-hold-{number}",
        lots=lots,
        pending=True,
    )


def hold_line(actor: Principal, line: ApplicationLine, on: dt.date, lots: Plan | None = None) -> str:
    """Hold the line's deduction in its zone's lots; returns '' or why it is not held in full.

    Where the zone cannot cover the whole deduction (and no lots were named), what the zone has is
    held, so that it stays reserved for this line while the bureau covers the rest (RES-2); the
    line is then ``partial`` and its approval is refused until a rehold covers it in full. The
    caller holds the zone row (lock order step 2), so the zone's availability read here cannot
    change before the hold is written."""
    if line.deduction_grams == 0:
        return ""
    account = _allocation_account(actor, line, on)
    try:
        line.hold = _draw_hold(actor, line, account, on, line.deduction_grams, lots)
        return ""
    except RuleViolation as exc:
        line.hold = None
        if lots is not None:
            return exc.message
    available = ledger_selectors.zone_balance(line.application.zone, line.pollutant).available
    if 0 < available < line.deduction_grams:
        try:
            line.hold = _draw_hold(actor, line, account, on, available, None)
        except RuleViolation:
            line.hold = None  # the lots do not add up to the zone's figure: hold nothing, say short
    found = line_shortfall(line)
    return found.text if found is not None else ""


def void_hold(actor: Principal, line: ApplicationLine, reason: str) -> None:
    """Release the line's open hold."""
    assert isinstance(line.hold, Posting)
    ledger.hold_void(
        actor=actor,
        posting=line.hold,
        reason=reason,
        idempotency_key=f"reserve-line-{line.pk}-void-{line.hold_id}",
    )


def release_holds(actor: Principal, application: QuotaApplication, reason: str) -> None:
    """Void the open holds of a locked application (its zone rows are locked here, step 2)."""
    lines = list(application.lines.select_related("hold"))
    lock_zone_rows(application, [line.pollutant_id for line in lines if line.hold_id])
    for line in lines:
        if line.hold is not None and ledger_selectors.hold_state(line.hold) == "open":  # in full or in part
            void_hold(actor, line, reason)
