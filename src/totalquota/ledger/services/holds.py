"""Holds: posting a hold (all of it or part, the rest released), releasing it, and expiring the
holds whose time ran out. A hold resolves exactly once (``Transfer.pending_ref`` is UNIQUE)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.ledger.models import Phase, Posting, Transfer
from totalquota.ledger.services import locks, origins
from totalquota.ledger.services.engine import (
    CLAUSE,
    Entry,
    Leg,
    check_amount,
    check_day,
    check_text,
    idempotent,
    write,
)
from totalquota.lib.errors import Conflict, ValidationFailed
from totalquota.lib.units import format_quantity


def _open_holds(posting: Posting) -> list[Transfer]:
    return list(
        Transfer.objects.select_related(
            "debit__pollutant", "credit__pollutant", "debit__zone", "credit__zone"
        )
        .filter(posting=posting, phase=Phase.PENDING)
        .order_by("id")
    )


def _release(hold: Transfer) -> Leg:
    """The leg that releases all of ``hold``."""
    return Leg(
        debit=hold.debit,
        credit=hold.credit,
        amount=hold.amount_grams,
        phase=Phase.VOID_PENDING,
        pending_ref=hold,
        origins=[],
    )


def _resolve(
    operation: str,
    *,
    actor: Principal | None,
    posting: Posting,
    reason: str,
    idempotency_key: str,
    amount_grams: int | None = None,
    effective_date: dt.date | None = None,
) -> Posting:
    """Resolve a hold once: ``hold_post`` posts it (all, or ``amount_grams`` with the rest
    released); ``hold_void`` and ``hold_expire`` release all of it."""
    void = operation != "hold_post"
    if posting.operation != "hold":
        raise ValidationFailed(gettext("只有预留批次才能转记账或释放"), field="posting")
    check_day(effective_date)
    entry = Entry(
        actor=actor,
        operation=operation,
        code=posting.code,
        effective_date=effective_date or posting.effective_date,
        reason=reason or posting.reason,
        clause_id=posting.clause_id,
        obj=(posting.object_type, posting.object_id) if posting.object_type else None,
        idempotency_key=idempotency_key,
        content={
            "op": operation,
            "hold": posting.pk,
            "amount": amount_grams,
            "void": void,
            "date": effective_date,
        },
    )
    if (found := entry.made_before()) is not None:
        return found
    holds = _open_holds(posting)
    # Lock order: the zone rows of the hold's accounts (step 2), then their balance rows (step 3).
    zones, balances = locks.rows_of(holds)
    # Re-read under the locks: another request may have resolved the hold while we waited.
    resolved = Transfer.objects.filter(pending_ref__in=[t.pk for t in holds]).exists()
    if resolved or posting.resolutions.exists():
        raise Conflict(
            gettext("预留批次 P{posting_pk} 已处理（转记账、释放或到期），不能再次处理").format(
                posting_pk=posting.pk
            ),
            clause=CLAUSE,
        )
    total = sum(t.amount_grams for t in holds)
    if not void:
        amount = total if amount_grams is None else check_amount(amount_grams)
        if amount > total:
            unit = holds[0].pollutant.unit
            raise ValidationFailed(
                gettext("转记账数量 {amount} 超过预留的 {total}").format(
                    amount=format_quantity(amount, unit, suffix=True),
                    total=format_quantity(total, unit, suffix=True),
                ),
                field="amount_grams",
            )
    else:
        amount = 0
    legs = []
    remaining = amount
    for hold in holds:
        take = 0 if void else min(remaining, hold.amount_grams)
        remaining -= take
        if take:
            legs.append(
                Leg(
                    debit=hold.debit,
                    credit=hold.credit,
                    amount=take,
                    phase=Phase.POST_PENDING,
                    pending_ref=hold,
                    origins=origins.take(origins.carried(hold), take),
                )
            )
        else:  # a void, or nothing of this hold is needed: release it
            legs.append(_release(hold))
    return write(
        entry,
        legs=legs,
        zones=zones,
        balances=balances,
        hold=posting,
        audit_extra={"hold": posting.pk, "posted_grams": amount, "held_grams": total},
    )


@idempotent
@transaction.atomic
def hold_post(
    *,
    actor: Principal,
    posting: Posting,
    idempotency_key: str,
    amount_grams: int | None = None,
    reason: str = "",
    effective_date: dt.date | None = None,
) -> Posting:
    """Post a hold: all of it, or ``amount_grams`` of it (taken from its lots in order) with the
    rest released. A hold resolves once."""
    return _resolve(
        "hold_post",
        actor=actor,
        posting=posting,
        reason=reason,
        idempotency_key=idempotency_key,
        amount_grams=amount_grams,
        effective_date=effective_date,
    )


@idempotent
@transaction.atomic
def hold_void(*, actor: Principal, posting: Posting, reason: str, idempotency_key: str) -> Posting:
    """Release a hold (the decision was rejected or withdrawn). A hold resolves once."""
    check_text(reason, posting.clause_id or CLAUSE)
    return _resolve("hold_void", actor=actor, posting=posting, reason=reason, idempotency_key=idempotency_key)


def holds_expire(*, now: dt.datetime | None = None, actor: Principal | None = None) -> list[Posting]:
    """Release every hold whose time ran out (a management command and a task call this)."""
    now = now or timezone.now()
    expired = (
        Transfer.objects.filter(phase=Phase.PENDING, timeout_at__lte=now, resolution__isnull=True)
        .values_list("posting_id", flat=True)
        .distinct()
    )
    done = []
    for posting in Posting.objects.filter(pk__in=list(expired)).order_by("id"):
        try:
            with transaction.atomic():
                done.append(
                    _resolve(
                        "hold_expire",
                        actor=actor,
                        posting=posting,
                        reason=f"预留于 {now:%Y-%m-%d %H:%M} 到期自动释放",
                        idempotency_key=f"expire:{posting.pk}",
                    )
                )
        except Conflict:
            continue  # resolved meanwhile by a post or a void: nothing to expire
    return done
