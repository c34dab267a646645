"""The operations other apps call to move quota: intake of lots, draws and holds on a zone's lots,
and transfers between existing accounts. Each is one idempotent posting (see the lock order in
:mod:`totalquota.ledger.services`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.ledger import sql
from totalquota.ledger.models import (
    EXTERNAL_KINDS,
    Account,
    AccountKind,
    Balance,
    Phase,
    Posting,
    SourceType,
    TransferCode,
)
from totalquota.ledger.rules import HOLD_TIMEOUT
from totalquota.ledger.services import locks, origins
from totalquota.ledger.services.accounts import external_account, open_lot, refetch
from totalquota.ledger.services.engine import (
    CLAUSE,
    Entry,
    Leg,
    check_amount,
    check_leg,
    check_movement,
    idempotent,
    move,
    object_ref,
    write,
)
from totalquota.lib.errors import RuleViolation, ValidationFailed
from totalquota.lib.units import format_quantity
from totalquota.registry.rules import rule_value

# The zone's outside-world account that funds a lot of each source taken in from outside.
_FUNDING_KINDS = {
    SourceType.REDUCTION_LINE: AccountKind.REDUCTION_SOURCE,
    SourceType.UPPER_GRANT: AccountKind.UPPER_LEVEL,
    SourceType.OPENING: AccountKind.OPENING,
}


@idempotent
@transaction.atomic
def lot_open(
    *,
    actor: Principal,
    zone: Any,
    pollutant: Any,
    amount_grams: int,
    source_type: str,
    source_ref: str,
    source_label: str,
    funding_account: Account | None = None,
    effective_date: dt.date,
    reason: str,
    clause_id: str,
    code: str = TransferCode.INTAKE,
    obj: Any = None,
    idempotency_key: str,
    label: str = "",
) -> Posting:
    """Open a reserve lot and fund it in one posting (intake, upper-level grant, opening reserve).

    Without ``funding_account`` the zone's outside-world account matching the source is used:
    减排来源 for reduction lines, 上级储备库 for upper grants, 期初储备 for the opening reserve.
    """
    amount = check_movement(amount_grams, reason, clause_id, effective_date)
    source_type = SourceType(source_type)
    if not source_ref:
        raise ValidationFailed(gettext("储备批次必须注明来源对象"), field="source_ref", clause="RES-1")
    content = {
        "op": "lot_open",
        "zone": zone.pk,
        "pollutant": pollutant.pk,
        "amount": amount,
        "source": source_type,
        "ref": source_ref,
        "funding": funding_account.pk if funding_account else None,
        "date": effective_date,
        "code": code,
        "obj": object_ref(obj),
    }
    entry = Entry(actor, "lot_open", code, effective_date, reason, clause_id, obj, idempotency_key, content)
    if (found := entry.made_before()) is not None:
        return found
    if funding_account is None:
        kind = _FUNDING_KINDS.get(source_type)
        if kind is None:
            raise ValidationFailed(gettext("收回或调剂形成的批次须指定转出账户"), field="funding_account")
        # Lock order step 2 before the zone's outside-world account is looked up or opened.
        locks.zone_rows([(zone.pk, pollutant.pk)])
        funding_account = external_account(zone, pollutant, kind)
    funding_account = refetch(funding_account)
    if funding_account.kind == AccountKind.LOT:
        raise ValidationFailed(gettext("从储备批次调剂请使用功能区间调剂"), field="funding_account")
    if funding_account.pollutant_id != pollutant.pk:
        raise RuleViolation(gettext("转出账户的污染物与批次不同"), clause="POLL-1")
    # Lock order step 2: the lot's zone row and the funding account's (the same zone unless a
    # recovery returns quota from an allocation of another zone); the new lot is opened under it.
    zones = locks.zone_rows([(zone.pk, pollutant.pk), (funding_account.zone_id, pollutant.pk)])
    lot = open_lot(
        zone=zone,
        pollutant=pollutant,
        opened_on=effective_date,
        source_type=source_type,
        source_ref=source_ref,
        source_label=source_label,
        label=label,
    )
    # Quota from outside the platform is first banked in this lot; an allocation returning quota
    # (recovery) carries its own origins, oldest first.
    return move(
        entry,
        debit=funding_account,
        credit=lot,
        amount=amount,
        zones=zones,
        banked_as=(None, lot.pk, str(source_type), source_ref),
        audit_extra={"lot": lot.code, "source": f"{source_type}:{source_ref}"},
    )


def _pick_lots(
    zone: Any, pollutant: Any, amount: int
) -> tuple[list[tuple[Account, int]], dict[int, Balance]]:
    """Lock and return the oldest lots of ``zone`` and ``pollutant`` with quota available, enough
    for ``amount`` (fewer if the zone has not enough), reading the partial index of lots with
    something left. The caller holds the zone row, so no other operation is drawing from these
    lots; their rows are locked here in drawing order."""
    picked: list[tuple[Account, int]] = []
    balances: dict[int, Balance] = {}
    remaining = amount
    offset = 0
    size = 2  # most draws are covered by one or two lots; read more only when needed
    while remaining:
        batch = sql.lock_lots_with_quota(zone.pk, pollutant.pk, size, offset)
        size = 32
        if not batch:
            break
        for balance in batch:
            take = min(balance.available, remaining)
            picked.append((balance.account, take))
            balances[balance.account_id] = balance
            remaining -= take
            if not remaining:
                break
        offset += len(batch)
    return picked, balances


def _in_zone(lot: Account, zone: Any, pollutant: Any) -> bool:
    return (lot.zone_id, lot.pollutant_id) == (zone.pk, pollutant.pk)


def _not_in_zone(lot: Account, zone: Any, pollutant: Any) -> RuleViolation:
    return RuleViolation(
        gettext("批次 {lot_code} 不属于{zone}{pollutant}；跨功能区使用须先由生态环境局调剂").format(
            lot_code=lot.code, zone=zone, pollutant=pollutant
        ),
        clause=CLAUSE,
    )


def _named_lots(
    zone: Any, pollutant: Any, to_account: Account, named: list[tuple[int, int]]
) -> tuple[list[tuple[Account, int]], dict[int, Balance]]:
    """Lock the receiving account and the lots named as ``[(lot id, grams)]`` (step 3) and return
    them with their grams. The caller holds the zone rows."""
    # Check the named lots' zone before locking them: only lots of the locked zone are locked.
    known = Account.objects.in_bulk([pk for pk, _g in named])
    for pk, _grams in named:
        lot = known.get(pk)
        if lot is not None and lot.kind == AccountKind.LOT and not _in_zone(lot, zone, pollutant):
            raise _not_in_zone(lot, zone, pollutant)
    # Lock order step 3, only rows guarded by the zone rows held: the receiving account and
    # the named lots of this zone and pollutant (anything else is refused below, unlocked).
    balances = locks.balance_rows(
        [to_account.pk]
        + [pk for pk, lot in known.items() if lot.kind == AccountKind.LOT and _in_zone(lot, zone, pollutant)]
    )
    chosen = []
    for pk, grams in named:
        lot_balance = balances.get(pk)
        chosen_lot = lot_balance.account if lot_balance is not None else None
        if chosen_lot is None or chosen_lot.kind != AccountKind.LOT:
            raise ValidationFailed(gettext("储备批次 {pk} 不存在").format(pk=pk), field="lots")
        if not _in_zone(chosen_lot, zone, pollutant):
            raise _not_in_zone(chosen_lot, zone, pollutant)
        chosen.append((chosen_lot, grams))
    return chosen, balances


def _check_named(lots: Sequence[tuple[Account, int]] | None, amount: int) -> list[tuple[int, int]] | None:
    """The lots a draw names as ``[(lot id, grams)]``, checked: each once, summing to ``amount``."""
    if lots is None:
        return None
    if not lots:
        raise ValidationFailed(gettext("请至少选择一个储备批次"), field="lots")
    named = [(lot.pk, check_amount(grams, what="批次数量")) for lot, grams in lots]
    if len({pk for pk, _g in named}) != len(named):
        raise ValidationFailed(gettext("同一批次只能选择一次"), field="lots")
    if sum(g for _pk, g in named) != amount:
        unit = lots[0][0].pollutant.unit
        chosen = format_quantity(sum(g for _pk, g in named), unit, suffix=True)
        raise ValidationFailed(
            gettext("所选批次合计 {chosen}，与所需 {amount} 不一致").format(
                chosen=chosen, amount=format_quantity(amount, unit, suffix=True)
            ),
            field="lots",
        )
    return named


@idempotent
@transaction.atomic
def draw(
    *,
    actor: Principal,
    zone: Any,
    pollutant: Any,
    amount_grams: int,
    to_account: Account,
    effective_date: dt.date,
    reason: str,
    clause_id: str,
    code: str = TransferCode.ALLOCATION,
    obj: Any = None,
    idempotency_key: str,
    lots: Sequence[tuple[Account, int]] | None = None,
    pending: bool = False,
    timeout: dt.timedelta | None = None,
) -> Posting:
    """Take ``amount_grams`` from the zone's lots into ``to_account``: oldest lots first, or exactly
    the ``lots`` named as ``[(lot, grams)]``. With ``pending`` the grams are held, not moved, until
    :func:`hold_post` or :func:`hold_void` (or expiry after ``timeout``, default from the rule
    parameter ``ledger_hold_timeout_days``)."""
    amount = check_movement(amount_grams, reason, clause_id, effective_date)
    if to_account.pollutant_id != pollutant.pk:
        raise RuleViolation(
            gettext("转入账户 {to_account_code} 的污染物与所需污染物不同").format(
                to_account_code=to_account.code
            ),
            clause="POLL-1",
        )
    named = _check_named(lots, amount)
    operation = "hold" if pending else "draw"
    content = {
        "op": "draw",
        "zone": zone.pk,
        "pollutant": pollutant.pk,
        "amount": amount,
        "to": to_account.pk,
        "date": effective_date,
        "code": code,
        "obj": object_ref(obj),
        "lots": named,
        "pending": pending,
        "timeout": timeout.total_seconds() if timeout else None,
    }
    entry = Entry(actor, operation, code, effective_date, reason, clause_id, obj, idempotency_key, content)
    if (found := entry.made_before()) is not None:
        return found
    timeout_at = None
    if pending:
        if timeout is None:
            days = rule_value(HOLD_TIMEOUT.key, effective_date).value
            timeout = dt.timedelta(days=days)
        timeout_at = timezone.now() + timeout
    # Lock order step 2: the zone rows of the lots and of the receiving account. With the zone row
    # locked no other draw from this zone and pollutant can run, so the lots chosen below (step 3)
    # stay available until we commit.
    zones = locks.zone_rows([(zone.pk, pollutant.pk), (to_account.zone_id, pollutant.pk)])
    if named is None:
        chosen, balances = _pick_lots(zone, pollutant, amount)
        if sum(g for _l, g in chosen) < amount:
            have = zones[(zone.pk, pollutant.pk)].available
            raise RuleViolation(
                gettext("{zone}{pollutant}储备可用 {v2}，不足 {v3}，储备不得透支").format(
                    zone=zone,
                    pollutant=pollutant,
                    v2=format_quantity(max(have, 0), pollutant.unit, suffix=True),
                    v3=format_quantity(amount, pollutant.unit, suffix=True),
                ),
                clause=CLAUSE,
            )
        balances.update(locks.balance_rows([to_account.pk]))
    else:
        chosen, balances = _named_lots(zone, pollutant, to_account, named)
    to_account = balances[to_account.pk].account
    legs = []
    for lot, grams in chosen:
        if balances[lot.pk].available < grams:
            raise RuleViolation(
                gettext("批次 {lot_code} 可用 {v1}，不足 {v2}，储备不得透支").format(
                    lot_code=lot.code,
                    v1=format_quantity(max(balances[lot.pk].available, 0), lot.pollutant.unit, suffix=True),
                    v2=format_quantity(grams, lot.pollutant.unit, suffix=True),
                ),
                clause=CLAUSE,
            )
        legs.append(
            Leg(
                debit=lot,
                credit=to_account,
                amount=grams,
                phase=Phase.PENDING if pending else Phase.POSTED,
                timeout_at=timeout_at,
                origins=origins.lot_origins(lot, grams),
            )
        )
    return write(
        entry,
        legs=legs,
        zones=zones,
        balances=balances,
        audit_extra={"to": to_account.code, "timeout_at": timeout_at.isoformat() if timeout_at else None},
    )


@idempotent
@transaction.atomic
def transfer(
    *,
    actor: Principal,
    debit: Account,
    credit: Account,
    amount_grams: int,
    code: str,
    effective_date: dt.date,
    reason: str,
    clause_id: str,
    obj: Any = None,
    idempotency_key: str,
) -> Posting:
    """One posted movement between two existing accounts (e.g. a lot to the upper-level reserve
    for an upper deduction, an allocation back to a lot)."""
    amount = check_movement(amount_grams, reason, clause_id, effective_date)
    debit, credit = refetch(debit), refetch(credit)
    content = {
        "op": "transfer",
        "debit": debit.pk,
        "credit": credit.pk,
        "amount": amount,
        "code": code,
        "date": effective_date,
        "obj": object_ref(obj),
    }
    entry = Entry(actor, "transfer", code, effective_date, reason, clause_id, obj, idempotency_key, content)
    if (found := entry.made_before()) is not None:
        return found
    if debit.pollutant_id != credit.pollutant_id:
        check_leg(Leg(debit=debit, credit=credit, amount=amount))
    if debit.kind in EXTERNAL_KINDS:
        raise ValidationFailed(gettext("从外部账户转入请使用入库（lot_open），以便记录来源"), field="debit")
    # Lock order: both accounts' zone rows (step 2), then their balance rows (step 3, in move).
    zones = locks.zone_rows([(debit.zone_id, debit.pollutant_id), (credit.zone_id, credit.pollutant_id)])
    return move(entry, debit=debit, credit=credit, amount=amount, zones=zones)
