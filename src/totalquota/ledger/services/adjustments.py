"""The bureau's adjustments: zone transfers (功能区间调剂) and corrections (更正), each decided
with a reason and written as one idempotent posting (lock order in
:mod:`totalquota.ledger.services`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.ledger.models import (
    EXTERNAL_KINDS,
    Account,
    AccountKind,
    Posting,
    SourceType,
    Transfer,
    TransferCode,
)
from totalquota.ledger.services import locks, origins
from totalquota.ledger.services.accounts import open_lot, refetch
from totalquota.ledger.services.engine import (
    CLAUSE,
    Entry,
    Leg,
    check_day,
    check_movement,
    check_text,
    idempotent,
    move,
    object_ref,
    write,
)
from totalquota.lib.errors import Conflict, RuleViolation, ValidationFailed


@idempotent
@transaction.atomic
def zone_transfer(
    *,
    actor: Principal,
    from_lot: Account,
    to_zone: Any,
    amount_grams: int,
    effective_date: dt.date,
    reason: str,
    clause_id: str = "RES-2",
    obj: Any = None,
    idempotency_key: str,
) -> Posting:
    """功能区间调剂: move quota from a lot of one zone into a new lot of another zone. The bureau
    decides it with a reason; the new lot remembers the transfer it came from."""
    amount = check_movement(amount_grams, reason, clause_id, effective_date)
    from_lot = refetch(from_lot)
    if from_lot.kind != AccountKind.LOT:
        raise ValidationFailed(gettext("只能从储备批次调剂"), field="from_lot")
    if from_lot.zone_id == to_zone.pk:
        raise ValidationFailed(gettext("调入功能区与调出批次所在功能区相同"), field="to_zone")
    content = {
        "op": "zone_transfer",
        "from": from_lot.pk,
        "to_zone": to_zone.pk,
        "amount": amount,
        "date": effective_date,
        "obj": object_ref(obj),
    }
    code = TransferCode.ZONE_TRANSFER
    entry = Entry(
        actor, "zone_transfer", code, effective_date, reason, clause_id, obj, idempotency_key, content
    )
    if (found := entry.made_before()) is not None:
        return found
    pollutant = from_lot.pollutant
    # Lock order: both zones' rows (step 2); the new lot is opened under them, then the balance
    # rows of both lots (step 3).
    zones = locks.zone_rows([(from_lot.zone_id, pollutant.pk), (to_zone.pk, pollutant.pk)])
    lot = open_lot(
        zone=to_zone,
        pollutant=pollutant,
        opened_on=effective_date,
        source_type=SourceType.ZONE_TRANSFER,
        source_ref=f"ledger.account:{from_lot.pk}",
        source_label=f"自 {from_lot.zone} 批次 {from_lot.code} 调剂",
    )
    return move(
        entry, debit=from_lot, credit=lot, amount=amount, zones=zones, audit_extra={"new_lot": lot.code}
    )


def _check_still_held(originals: list[tuple[Transfer, origins.Parcels]]) -> None:
    """The grams each original transfer (with the origins it carried) put into an account are
    still there, parcel for parcel (not moved on or held since); otherwise the posting cannot be
    reversed as a whole."""
    holding: dict[int, dict[origins.OriginKey, int]] = {}
    for t, carried in originals:
        if t.credit.kind in EXTERNAL_KINDS or not carried:
            continue
        if t.credit_id not in holding:
            holding[t.credit_id] = defaultdict(int)
            for k, g in origins.queue(t.credit, reserve_pending=True):
                holding[t.credit_id][k] += g
        for (via, root, st, sr), grams in carried:
            k = (None if t.credit.kind == AccountKind.LOT else via, root, st, sr)
            holding[t.credit_id][k] -= grams
            if holding[t.credit_id][k] < 0:
                raise RuleViolation(
                    gettext(
                        "账户 {t_credit_code} 中该批次划入的指标已部分转出或被预留，不能整体更正；请先处理后续业务"
                    ).format(t_credit_code=t.credit.code),
                    clause=CLAUSE,
                )


@idempotent
@transaction.atomic
def reverse(
    *,
    actor: Principal,
    posting: Posting,
    reason: str,
    idempotency_key: str,
    effective_date: dt.date | None = None,
    clause_id: str | None = None,
) -> Posting:
    """更正: undo a posting with reversing transfers linked to the ones they undo (the grams go
    back exactly where they came from). Holds are voided, not reversed; a reversal is not reversed."""
    check_text(reason, clause_id or posting.clause_id)
    check_day(effective_date)
    entry = Entry(
        actor=actor,
        operation="reverse",
        code=TransferCode.CORRECTION,
        effective_date=effective_date or timezone.localdate(),
        reason=reason,
        clause_id=clause_id or posting.clause_id,
        obj=(posting.object_type, posting.object_id) if posting.object_type else None,
        idempotency_key=idempotency_key,
        content={"op": "reverse", "posting": posting.pk, "date": effective_date},
    )
    if (found := entry.made_before()) is not None:
        return found
    if posting.operation == "reverse":
        raise RuleViolation(gettext("更正批次不能再被更正；如需恢复请重新记账"), clause=CLAUSE)
    if posting.operation == "hold":
        raise ValidationFailed(gettext("预留批次请释放（void），不能更正"), field="posting")
    originals = [
        t
        for t in Transfer.objects.select_related("debit__pollutant", "credit__pollutant")
        .filter(posting=posting)
        .order_by("id")
        if t.moves_posted
    ]
    if not originals:
        raise ValidationFailed(gettext("该批次没有可更正的已记账划转"), field="posting")
    if Posting.objects.filter(reverses=posting).exists():
        raise Conflict(gettext("批次 P{posting_pk} 已被更正").format(posting_pk=posting.pk), clause=CLAUSE)
    # Lock order: the zone rows of every account the original touched (step 2), then their
    # balance rows (step 3).
    zones, balances = locks.rows_of(originals)
    carried = [(t, origins.carried(t)) for t in originals]
    _check_still_held(carried)
    legs = [
        Leg(debit=t.credit, credit=t.debit, amount=t.amount_grams, reverses=t, origins=parcels)
        for t, parcels in carried
    ]
    return write(
        entry,
        legs=legs,
        zones=zones,
        balances=balances,
        reverses=posting,
        audit_extra={"reverses": posting.pk},
    )
