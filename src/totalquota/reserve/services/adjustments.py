"""The bureau's adjustments of the reserve (储备调整), four eyes: one administrator proposes a zone
transfer, a correction or an upper-level deduction with a reason; nothing moves until another
person of the bureau confirms it (``reserve.workflow.ADJUSTMENT_ACTIONS``), and the confirmation
writes the one posting.

A proposal is checked before it is saved: amounts, dates and reason, the lot and what it has
available (zone transfers, upper-level deductions), the posting to correct and that it is not
corrected yet. The ledger checks everything again under its locks when the confirmation posts,
including, for a correction, that what the posting moved is still where it put it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record, snapshot
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger.models import Account, AccountKind, Posting, SourceType, Transfer
from totalquota.ledger.services.engine import check_movement, check_text
from totalquota.lib.errors import Conflict, RuleViolation, ValidationFailed
from totalquota.lib.units import format_quantity
from totalquota.reductions.models import ReductionLine
from totalquota.registry.models import Zone
from totalquota.reserve import workflow
from totalquota.reserve.models import AdjustmentKind, AdjustmentStatus, QuotaAdjustment
from totalquota.reserve.services.upper import deduction_reason
from totalquota.workflow.kernel import create_transition, perform

# Operations a correction cannot undo: holds are released, a reversal is not reversed.
NOT_CORRECTABLE = ("hold", "reverse", "hold_void", "hold_expire")


def _check_available(lot: Account, amount: int, field: str) -> None:
    """What the lot has now covers the amount (the ledger checks again when it posts)."""
    available = ledger_selectors.account_balance(lot).available
    if amount > available:
        raise RuleViolation(
            gettext("账户 {account_code} 可用余额 {v1}，不足以划出本次数量，储备不得透支").format(
                account_code=lot.code, v1=format_quantity(max(available, 0), lot.pollutant.unit, suffix=True)
            ),
            clause="RES-2",
            field=field,
        )


def _propose(actor: Principal, **fields: Any) -> QuotaAdjustment:
    # A request sent again (a retry without an Idempotency-Key, or after its key expired) must not
    # become a second proposal that a confirmer could post as well.
    # (A correction has its own rule: one open correction per posting, a unique index.)
    twin = None
    if fields["kind"] != AdjustmentKind.CORRECTION:
        twin = QuotaAdjustment.objects.filter(status=AdjustmentStatus.PROPOSED, **fields).first()
    if twin is not None:
        raise Conflict(gettext("已有相同的待确认储备调整 A{pk}").format(pk=twin.pk), clause="RES-2")
    adjustment = QuotaAdjustment(proposed_by=actor.user, **fields)
    try:
        # A savepoint: the partial unique index refuses a second open correction of a posting
        # proposed at the same moment, and the refusal must leave the caller's transaction usable.
        with transaction.atomic():
            adjustment.save()
    except IntegrityError as exc:
        raise Conflict(gettext("该记账批次已有待确认的更正"), clause="RES-2") from exc
    create_transition(
        workflow.ADJUSTMENT_ACTIONS,
        adjustment,
        principal=actor,
        action="propose",
        to=AdjustmentStatus.PROPOSED,
        reason=adjustment.reason,
        first=True,
    )
    adjustment.save(update_fields=["status"])
    record(actor=actor, action="reserve.adjustment_propose", obj=adjustment, after=snapshot(adjustment))
    return adjustment


@transaction.atomic
def adjustment_zone_transfer(
    *,
    actor: Principal,
    from_lot: Account,
    to_zone: Zone,
    amount_grams: int,
    effective_date: dt.date,
    reason: str,
) -> QuotaAdjustment:
    """Propose a zone transfer (功能区间调剂, RES-2): ``amount_grams`` out of ``from_lot`` into a
    new lot of ``to_zone``, posted when another person confirms it."""
    amount = check_movement(amount_grams, reason, "RES-2", effective_date)
    if from_lot.kind != AccountKind.LOT or from_lot.closed_at is not None:
        raise ValidationFailed(gettext("只能从储备批次调剂"), field="from_lot")
    if not to_zone.is_active:
        raise ValidationFailed(gettext("调入功能区已停用"), field="to_zone")
    if from_lot.zone_id == to_zone.pk:
        raise ValidationFailed(gettext("调入功能区与调出批次所在功能区相同"), field="to_zone")
    _check_available(from_lot, amount, "amount")
    return _propose(
        actor,
        kind=AdjustmentKind.ZONE_TRANSFER,
        zone_id=from_lot.zone_id,
        pollutant_id=from_lot.pollutant_id,
        from_lot=from_lot,
        to_zone=to_zone,
        amount_grams=amount,
        effective_date=effective_date,
        reason=reason.strip(),
    )


@transaction.atomic
def adjustment_correction(
    *, actor: Principal, posting: Posting, reason: str, effective_date: dt.date | None = None
) -> QuotaAdjustment:
    """Propose a correction (更正): reversing ``posting`` as a whole, posted on confirmation."""
    check_text(reason, posting.clause_id or "RES-2")
    if posting.operation in NOT_CORRECTABLE:
        raise ValidationFailed(gettext("预留、释放和更正批次不能更正"), field="posting")
    if Posting.objects.filter(reverses=posting).exists():
        raise Conflict(gettext("批次 P{posting_pk} 已被更正").format(posting_pk=posting.pk), clause="RES-2")
    moved = [
        t
        for t in Transfer.objects.select_related("debit", "credit").filter(posting=posting).order_by("id")
        if t.moves_posted
    ]
    if not moved:
        raise ValidationFailed(gettext("该批次没有可更正的已记账划转"), field="posting")
    first = moved[0]
    zone_id = first.debit.zone_id or first.credit.zone_id
    other = first.credit.zone_id if first.credit.zone_id not in (None, zone_id) else None
    return _propose(
        actor,
        kind=AdjustmentKind.CORRECTION,
        zone_id=zone_id,
        to_zone_id=other,
        pollutant_id=first.pollutant_id,
        target=posting,
        amount_grams=sum(t.amount_grams for t in moved),
        effective_date=effective_date or timezone.localdate(),
        reason=reason.strip(),
    )


def line_lot(line: ReductionLine) -> Account | None:
    """The lot a reduction line entered the reserve as, if it did."""
    return Account.objects.filter(
        source_type=SourceType.REDUCTION_LINE, source_ref=f"reductions.reductionline:{line.pk}"
    ).first()


@transaction.atomic
def adjustment_upper_deduction(
    *, actor: Principal, line: ReductionLine, amount_grams: int, reason: str
) -> QuotaAdjustment:
    """Propose an upper-level deduction (上级使用扣减, RES-2): a reduction line also submitted
    upward and used there is deducted from the park's reserve, on confirmation."""
    today = timezone.localdate()
    amount = check_movement(amount_grams, reason, "RES-2", today)
    if len(deduction_reason(reason.strip())) > Posting._meta.get_field("reason").max_length:  # type: ignore[operator]
        raise ValidationFailed(gettext("扣减理由过长"), field="reason", clause="RES-2")
    lot = line_lot(line)
    if lot is None:
        raise RuleViolation(gettext("该减排量尚未入库，无需从园区储备中扣减"), clause="RES-2")
    _check_available(lot, amount, "amount")
    return _propose(
        actor,
        kind=AdjustmentKind.UPPER_DEDUCTION,
        zone_id=lot.zone_id,
        pollutant_id=lot.pollutant_id,
        from_lot=lot,
        line=line,
        amount_grams=amount,
        effective_date=today,
        reason=reason.strip(),
    )


def adjustment_confirm(*, actor: Principal, adjustment: QuotaAdjustment) -> QuotaAdjustment:
    """Confirm a proposal (four eyes: not its proposer) and post it."""
    return perform(workflow.ADJUSTMENT_ACTIONS, "confirm", principal=actor, obj=adjustment)  # type: ignore[no-any-return]


def adjustment_reject(*, actor: Principal, adjustment: QuotaAdjustment, reason: str) -> QuotaAdjustment:
    """Send a proposal back with a reason; nothing is posted."""
    return perform(workflow.ADJUSTMENT_ACTIONS, "reject", principal=actor, obj=adjustment, reason=reason)  # type: ignore[no-any-return]


def adjustment_withdraw(
    *, actor: Principal, adjustment: QuotaAdjustment, reason: str = ""
) -> QuotaAdjustment:
    """The proposer withdraws an unconfirmed proposal."""
    return perform(workflow.ADJUSTMENT_ACTIONS, "withdraw", principal=actor, obj=adjustment, reason=reason)  # type: ignore[no-any-return]
