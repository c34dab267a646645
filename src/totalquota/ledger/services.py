"""Writes on the ledger. Every movement of quota in the platform goes through these functions.

Each operation is one atomic :class:`~totalquota.ledger.models.Posting` with an idempotency key,
written in this order inside one transaction:

1. idempotency: a posting with the same key and the same content is returned as it is; other
   content under the same key is refused (409);
2. locks, in the platform's lock order below;
3. every check (amounts, pollutants, open accounts, availability) before anything is written;
4. transfers, their origins, balances, zone rows and daily changes; then one audit event.

Lock order of the platform
--------------------------
This is the one reference for every write path (ledger, reserve, reductions, registry, audit).
A transaction takes row locks only in this order, so no two transactions can wait on each other
in a cycle (PostgreSQL would otherwise detect a deadlock and fail one of them with a 500):

1. the workflow object's row: the application, reduction project or line, intake run or
   upper-level request the decision is about (``select_for_update`` in the calling service), one
   per transaction. It serialises decisions on that object and makes "count what this object
   already has and add one" safe for keys that belong to it (e.g. a line's N-th hold);
2. the zone x pollutant rows (:class:`ZoneBalance`), sorted by (zone id, pollutant id), for every
   zone and pollutant the transaction will touch (:func:`_lock_zones`). A path that makes several
   ledger operations in one transaction (a submit or an approval of several lines, an intake of
   several lots) takes all of them at once, up front, with :func:`lock_zones`: otherwise the
   second operation would take its zone row after the first one's audit event (step 5);
3. account balance rows, sorted by account id (:func:`_lock_balances`), and account rows.
   Every account belongs to a zone and pollutant, and nothing locks an account's rows without
   holding that zone row first, so these are contended only by the holder of the zone row:
   a later operation of the same transaction may take them after an earlier operation's audit
   event without any risk of waiting. Rows created under a zone row (a zone's outside-world
   accounts, daily changes) are created under it for the same reason;
4. counters: the gapless document numbers of :func:`totalquota.common.codes.document_number`,
   by (kind, year), taken before the transaction's first audit event;
5. the audit chain head is not taken by any business transaction: ``audit.record`` only inserts
   the event (and its queue row) without a lock; the chainer (:mod:`totalquota.audit.chain`)
   locks the head after commit, in a short transaction of its own that takes no other lock.
   Services still record their events after their own locks, so the order above also holds for
   a transaction that is chained in its own hook (SQLite, tests).

Record codes (application, account and project numbers) take no lock at all: they come from the
row's own id (:mod:`totalquota.common.codes`).

On SQLite the transaction starts with BEGIN IMMEDIATE (settings), which already serialises
writers; ``select_for_update`` is a no-op there and the same code is correct.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from totalquota.audit.services import record
from totalquota.common import codes
from totalquota.ledger import sql
from totalquota.ledger.models import (
    EXTERNAL_KINDS,
    FLOOR_ZERO_KINDS,
    Account,
    AccountKind,
    Balance,
    Phase,
    Posting,
    SourceType,
    Transfer,
    TransferCode,
    TransferOrigin,
    ZoneBalance,
)
from totalquota.ledger.rules import HOLD_TIMEOUT
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, RuleViolation, ValidationFailed
from totalquota.lib.units import MAX_GRAMS, format_quantity
from totalquota.registry.rules import rule_value

CLAUSE = "RES-2"  # the reserve is kept per zone and pollutant and never goes negative
SINGLE_SOURCE_LOTS = frozenset({SourceType.REDUCTION_LINE, SourceType.UPPER_GRANT, SourceType.OPENING})


# --- small helpers ---------------------------------------------------------------------------------


def _check_amount(amount_grams: Any, *, what: str = "数量") -> int:
    if isinstance(amount_grams, bool) or not isinstance(amount_grams, int):
        raise ValidationFailed(f"{what}必须是整数克（不接受小数或文本）", field="amount_grams")
    if amount_grams <= 0:
        raise ValidationFailed(f"{what}必须大于零", field="amount_grams")
    if amount_grams > MAX_GRAMS:
        raise ValidationFailed(f"{what}过大", field="amount_grams")
    return amount_grams


def _check_text(reason: str, clause_id: str) -> None:
    if not (reason or "").strip():
        raise ValidationFailed("请填写事由", field="reason")
    if not (clause_id or "").strip():
        raise ValidationFailed("请注明依据的条款编号", field="clause_id")


def _check_day(effective_date: Any) -> None:
    """The effective date of a posting lies in the ledger's plausible range (lib.dates), checked
    with the other inputs before any row is locked or written."""
    dates.LEDGER_DAY.check(effective_date, label="生效日期", field="effective_date")


def _object_ref(obj: Any) -> tuple[str, str]:
    if obj is None:
        return "", ""
    if isinstance(obj, tuple):
        return str(obj[0]), str(obj[1])
    return obj._meta.label_lower, str(obj.pk)


def _fingerprint(content: dict[str, Any]) -> str:
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _existing(idempotency_key: str, fingerprint: str) -> Posting | None:
    """The posting already made under ``idempotency_key``; refuses the key if its content differs."""
    if not idempotency_key or not str(idempotency_key).strip():
        raise ValidationFailed("缺少幂等键（idempotency key）", field="idempotency_key")
    if not _looking_up.get():
        # First attempt: the key's UNIQUE index answers whether it was used, at the cost of a
        # rolled-back attempt when it was (see _idempotent). Saves a round trip per posting.
        return None
    found = sql.posting_fingerprint(idempotency_key)
    if found is None:
        return None
    if found[1] != fingerprint:
        raise Conflict(f"幂等键 {idempotency_key} 已用于内容不同的另一次记账，拒绝重复使用")
    return Posting.objects.get(pk=found[0])


_looking_up: contextvars.ContextVar[bool] = contextvars.ContextVar("ledger_idempotency_lookup", default=False)


def _idempotent(func):
    """Run the operation; if a concurrent call with the same key won the race (unique violation on
    the key, our transaction rolled back), run it once more: it then finds the other posting and
    returns it (same content) or refuses the key (other content)."""

    def wrapper(*, idempotency_key: str, **kwargs):
        try:
            return func(idempotency_key=idempotency_key, **kwargs)
        except IntegrityError:
            if not Posting.objects.filter(idempotency_key=idempotency_key).exists():
                raise
        token = _looking_up.set(True)
        try:
            return func(idempotency_key=idempotency_key, **kwargs)
        finally:
            _looking_up.reset(token)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


# (zone, pollutant) rows known to exist, per process. A zone row is created once and never deleted,
# so for a known pair the lock is taken straight away (one statement, the common case).
_known_zone_rows: set[tuple[int, int]] = set()


def _lock_zones(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], ZoneBalance]:
    """Lock the zone x pollutant rows (creating missing ones first), in sorted order.

    Lock order, step 2. Every operation locks the zone rows of every account it touches before
    any account row, so two operations touching the same account are already serialised here and
    the account rows below can never be taken in conflicting orders. Rows this transaction
    already holds are granted again at once.
    """
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    unknown = [pair for pair in wanted if pair not in _known_zone_rows]
    if unknown:
        # Create missing rows before locking any of them: a parallel first use of the same pair
        # makes the INSERT wait until that transaction ends, and waiting while holding a zone row
        # that sorts later would break the order (a deadlock with that transaction).
        query = Q()
        for zone_id, pollutant_id in unknown:
            query |= Q(zone_id=zone_id, pollutant_id=pollutant_id)
        present = set(ZoneBalance.objects.filter(query).values_list("zone_id", "pollutant_id"))
        created = [pair for pair in unknown if pair not in present]
        for zone_id, pollutant_id in created:
            ZoneBalance.objects.get_or_create(zone_id=zone_id, pollutant_id=pollutant_id)
        # Rows created here exist for others only once this transaction commits: remember them
        # then, so that a rolled-back creation is never taken for an existing row.
        _known_zone_rows.update(present)
        if created:
            transaction.on_commit(lambda: _known_zone_rows.update(created))
    found = sql.lock_zone_rows(wanted)
    missing = [pair for pair in wanted if pair not in found]
    if missing:  # only when rows were removed after this process saw them (a test database emptied)
        _known_zone_rows.clear()
        for zone_id, pollutant_id in missing:
            ZoneBalance.objects.get_or_create(zone_id=zone_id, pollutant_id=pollutant_id)
        found = sql.lock_zone_rows(wanted)
    return {pair: found[pair] for pair in wanted}


def lock_zones(pairs: Iterable[tuple[Any, Any]]) -> None:
    """Lock order, step 2, for a workflow path that makes several ledger operations in one
    transaction: lock every (zone, pollutant) row it will touch, sorted, before the first of them
    (and so before its first audit event). ``pairs`` are (zone, pollutant) instances or ids.
    Call it after locking the workflow object (step 1)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_zones must run inside the transaction that uses the rows")
    _lock_zones({(getattr(z, "pk", z), getattr(p, "pk", p)) for z, p in pairs})


def _lock_balances(account_ids: Iterable[int]) -> dict[int, Balance]:
    """Lock order, step 3: the accounts' balance rows, sorted by account id, read with their
    accounts (fresh: a closed account is seen closed). The caller holds their zone rows."""
    rows = sql.lock_balances(account_ids)
    return {b.account_id: b for b in rows}


def _open_account_row(
    *,
    zone: Any,
    pollutant: Any,
    kind: str,
    opened_on: dt.date,
    holder_enterprise: Any = None,
    source_type: str = "",
    source_ref: str = "",
    source_label: str = "",
    label: str = "",
) -> Account:
    prefix = {
        AccountKind.LOT: "",
        AccountKind.ALLOCATION: "A-",
        AccountKind.REDUCTION_SOURCE: "R-",
        AccountKind.UPPER_LEVEL: "U-",
        AccountKind.OPENING: "O-",
    }[AccountKind(kind)]
    # The account's own id is its number (common.codes): no lock, no collision with a parallel open.
    number = codes.reserve_id(Account)
    account = Account.objects.create(
        id=number,
        code=codes.record_code(f"{prefix}{zone.code}-{pollutant.code}-{opened_on.year}-", number),
        zone=zone,
        pollutant=pollutant,
        kind=kind,
        holder_enterprise=holder_enterprise,
        source_type=source_type,
        source_ref=source_ref,
        source_label=source_label,
        label=label,
        opened_on=opened_on,
    )
    is_lot = account.kind == AccountKind.LOT
    Balance.objects.create(
        account=account,
        floor_zero=account.kind in FLOOR_ZERO_KINDS,
        lot_zone=zone if is_lot else None,
        lot_pollutant=pollutant if is_lot else None,
        lot_opened_on=opened_on if is_lot else None,
    )
    return account


# --- accounts ----------------------------------------------------------------------------------------


@transaction.atomic
def account_open(
    *,
    actor: Any,
    zone: Any,
    pollutant: Any,
    kind: str,
    opened_on: dt.date,
    holder_enterprise: Any = None,
    source_type: str = "",
    source_ref: str = "",
    source_label: str = "",
    label: str = "",
) -> Account:
    """Open an allocation or external account (lots are opened by :func:`lot_open`)."""
    kind = AccountKind(kind)
    if kind == AccountKind.LOT:
        raise ValidationFailed("储备批次须通过入库（lot_open）开立，以便记录来源", clause=CLAUSE)
    if kind == AccountKind.ALLOCATION and holder_enterprise is None:
        raise ValidationFailed("建设项目指标账户必须指定持有单位", field="holder_enterprise")
    if holder_enterprise is not None and holder_enterprise.zone_id != zone.pk:
        raise ValidationFailed("持有单位不在该功能区", field="holder_enterprise")
    account = _open_account_row(
        zone=zone,
        pollutant=pollutant,
        kind=kind,
        opened_on=opened_on,
        holder_enterprise=holder_enterprise,
        source_type=source_type,
        source_ref=source_ref,
        source_label=source_label,
        label=label,
    )
    # Lock order step 5: the event last. A workflow opening an account in the middle of a
    # transaction (a submit) holds the account's zone row already (lock_zones).
    record(
        actor=actor,
        action="ledger.account_open",
        obj=account,
        after={"code": account.code, "kind": kind, "zone": zone.pk, "pollutant": pollutant.pk},
    )
    return account


def external_account(zone: Any, pollutant: Any, kind: str) -> Account:
    """The zone's outside-world account of ``kind`` for ``pollutant`` (created on first use).

    Call it holding the (zone, pollutant) row (lock order step 2): two first uses at once would
    otherwise both find none and open two accounts."""
    kind = AccountKind(kind)
    if kind not in EXTERNAL_KINDS:
        raise ValueError(kind)
    found = Account.objects.filter(zone=zone, pollutant=pollutant, kind=kind).order_by("id").first()
    if found is not None:
        return found
    labels = {
        AccountKind.REDUCTION_SOURCE: "减排来源",
        AccountKind.UPPER_LEVEL: "上级储备库",
        AccountKind.OPENING: "期初储备",
    }
    return _open_account_row(
        zone=zone,
        pollutant=pollutant,
        kind=kind,
        opened_on=dt.date(2021, 1, 1),
        label=f"{zone.name}{pollutant.name}{labels[kind]}",
    )


@transaction.atomic
def account_close(*, actor: Any, account: Account) -> Account:
    """Close an account whose balance is zero and which holds nothing pending."""
    # Lock order: the zone row (step 2), then the account's balance and account rows (step 3).
    _lock_zones([(account.zone_id, account.pollutant_id)])
    balance = _lock_balances([account.pk])[account.pk]
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.closed_at is not None:
        raise Conflict(f"账户 {account.code} 已关闭")
    if balance.posted != 0 or balance.debits_pending or balance.credits_pending:
        raise RuleViolation(f"账户 {account.code} 尚有余额或预留，不能关闭", clause=CLAUSE)
    account.closed_at = timezone.now()
    account.save(update_fields=["closed_at"])
    record(actor=actor, action="ledger.account_close", obj=account, after={"closed_at": account.closed_at})
    return account


# --- origins: which grams an account holds, first in first out --------------------------------------

OriginKey = tuple[int | None, int, str, str]  # (via lot, root lot, source type, source ref)


def _queue(account: Account, *, reserve_pending: bool) -> list[tuple[OriginKey, int]]:
    """The parcels an account holds, oldest first, as ``[(origin key, grams)]``.

    For a lot the key's ``via`` is ``None`` (the lot itself is the via when grams leave it). Posted
    inflows minus posted outflows; with ``reserve_pending``, outflows held by open holds are taken
    out too (they are promised to someone).
    """
    is_lot = account.kind == AccountKind.LOT
    totals: dict[OriginKey, int] = defaultdict(int)
    first_seen: dict[OriginKey, int] = {}

    def key(row: TransferOrigin) -> OriginKey:
        return (None if is_lot else row.via_id, row.root_lot_id, row.source_type, row.source_ref)

    inflows = TransferOrigin.objects.filter(
        transfer__credit=account, transfer__phase__in=[Phase.POSTED, Phase.POST_PENDING]
    ).order_by("transfer_id", "id")
    for row in inflows:
        k = key(row)
        totals[k] += row.amount_grams
        first_seen.setdefault(k, row.transfer_id)
    phases = [Phase.POSTED, Phase.POST_PENDING] + ([Phase.PENDING] if reserve_pending else [])
    outflows = TransferOrigin.objects.filter(
        transfer__debit=account, transfer__phase__in=phases
    ).select_related("transfer", "transfer__resolution")
    for row in outflows:
        transfer = row.transfer
        if transfer.phase == Phase.PENDING and hasattr(transfer, "resolution"):
            continue  # a resolved hold no longer reserves anything; its resolution counts instead
        totals[key(row)] -= row.amount_grams
    parcels = [(k, g) for k, g in totals.items() if g]
    if any(g < 0 for _k, g in parcels):
        raise RuntimeError(f"ledger origins of account {account.pk} are inconsistent")
    return sorted(parcels, key=lambda p: first_seen.get(p[0], 0))


def _lot_origins(lot: Account, grams: int) -> list[tuple[OriginKey, int]]:
    """Origins of ``grams`` drawn from ``lot`` (the lot becomes their ``via``).

    A lot that took its quota from outside (an intake, an upper-level grant, the opening reserve)
    holds grams of that one source only, for ever (reversals bring back its own grams), so its
    origin is known without reading its history; lots made of other lots' quota (recovery, zone
    transfer) may mix sources and are read oldest first."""
    if lot.source_type in SINGLE_SOURCE_LOTS:
        return [((lot.pk, lot.pk, lot.source_type, lot.source_ref), grams)]
    parcels = _take(_queue(lot, reserve_pending=True), grams)
    return [((lot.pk, root, st, sr), g) for (_via, root, st, sr), g in parcels]


def _take(parcels: list[tuple[OriginKey, int]], amount: int) -> list[tuple[OriginKey, int]]:
    """The first ``amount`` grams of ``parcels`` (which are consumed in place)."""
    taken: list[tuple[OriginKey, int]] = []
    remaining = amount
    while remaining:
        if not parcels:
            raise RuntimeError("not enough parcels for the amount")
        k, grams = parcels[0]
        used = min(grams, remaining)
        taken.append((k, used))
        remaining -= used
        if used == grams:
            parcels.pop(0)
        else:
            parcels[0] = (k, grams - used)
    return taken


# --- the core writer ---------------------------------------------------------------------------------


@dataclass
class _Leg:
    """A transfer about to be written, with the origins it carries."""

    debit: Account
    credit: Account
    amount: int
    phase: str = Phase.POSTED
    pending_ref: Transfer | None = None
    timeout_at: dt.datetime | None = None
    reverses: Transfer | None = None
    origins: list[tuple[OriginKey, int]] | None = None


def _apply(
    balances: dict[int, Balance],
    zones: dict[tuple[int, int], ZoneBalance],
    leg: _Leg,
    daily: dict[tuple[int, int, dt.date], list[int]],
    effective_date: dt.date,
) -> None:
    """Change the in-memory balance rows for one leg (written back by the caller)."""
    debit, credit = balances[leg.debit.pk], balances[leg.credit.pk]
    amount = leg.amount
    if leg.phase == Phase.POSTED:
        deltas = {"dp": amount, "cp": amount, "dpend": 0, "cpend": 0}
    elif leg.phase == Phase.PENDING:
        deltas = {"dp": 0, "cp": 0, "dpend": amount, "cpend": amount}
    elif leg.phase == Phase.POST_PENDING:
        assert leg.pending_ref is not None
        held = leg.pending_ref.amount_grams
        deltas = {"dp": amount, "cp": amount, "dpend": -held, "cpend": -held}
    else:  # void
        assert leg.pending_ref is not None
        held = leg.pending_ref.amount_grams
        deltas = {"dp": 0, "cp": 0, "dpend": -held, "cpend": -held}
    debit.debits_posted += deltas["dp"]
    debit.debits_pending += deltas["dpend"]
    credit.credits_posted += deltas["cp"]
    credit.credits_pending += deltas["cpend"]
    if leg.debit.kind == AccountKind.LOT:
        row = zones[(leg.debit.zone_id, leg.debit.pollutant_id)]
        row.debits_posted += deltas["dp"]
        row.debits_pending += deltas["dpend"]
        if deltas["dp"]:
            daily[(leg.debit.zone_id, leg.debit.pollutant_id, effective_date)][1] += deltas["dp"]
    if leg.credit.kind == AccountKind.LOT:
        row = zones[(leg.credit.zone_id, leg.credit.pollutant_id)]
        row.credits_posted += deltas["cp"]
        row.credits_pending += deltas["cpend"]
        if deltas["cp"]:
            daily[(leg.credit.zone_id, leg.credit.pollutant_id, effective_date)][0] += deltas["cp"]


def _check_leg(leg: _Leg) -> None:
    for account in (leg.debit, leg.credit):
        if account.closed_at is not None:
            raise RuleViolation(f"账户 {account.code} 已关闭，不能记账", clause=CLAUSE)
    if leg.debit.pollutant_id != leg.credit.pollutant_id:
        raise RuleViolation(
            f"转出账户 {leg.debit.code}（{leg.debit.pollutant}）与转入账户 {leg.credit.code}（{leg.credit.pollutant}）"
            "的污染物不同，不能划转",
            clause="POLL-1",
        )
    if leg.debit.pk == leg.credit.pk:
        raise ValidationFailed("转出和转入不能是同一账户")


def _write(
    *,
    actor: Any,
    operation: str,
    code: str,
    effective_date: dt.date,
    reason: str,
    clause_id: str,
    obj: Any,
    idempotency_key: str,
    fingerprint: str,
    legs: Sequence[_Leg],
    zones: dict[tuple[int, int], ZoneBalance],
    balances: dict[int, Balance],
    hold: Posting | None = None,
    reverses: Posting | None = None,
    audit_extra: dict[str, Any] | None = None,
) -> Posting:
    """Check every leg against the locked balances, then write everything. Caller holds the locks."""
    for leg in legs:
        _check_leg(leg)
    daily: dict[tuple[int, int, dt.date], list[int]] = defaultdict(lambda: [0, 0])
    for leg in legs:
        _apply(balances, zones, leg, daily, effective_date)
    for leg in legs:
        for account in (leg.debit, leg.credit):
            b = balances[account.pk]
            if b.floor_zero and b.credits_posted - b.debits_posted - b.debits_pending < 0:
                available = (
                    b.credits_posted - b.debits_posted - b.debits_pending + _leg_take(legs, account.pk)
                )
                raise RuleViolation(
                    f"账户 {account.code} 可用余额 {format_quantity(max(available, 0), account.pollutant.unit, suffix=True)}，"
                    f"不足以划出本次数量，储备不得透支",
                    clause=CLAUSE,
                )
    object_type, object_id = _object_ref(obj)
    posting = Posting(
        operation=operation,
        code=code,
        effective_date=effective_date,
        actor=getattr(actor, "user", actor),
        reason=reason,
        clause_id=clause_id,
        object_type=object_type,
        object_id=object_id,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        hold=hold,
        reverses=reverses,
    )
    sql.insert([posting])
    transfers = [
        Transfer(
            posting=posting,
            debit=leg.debit,
            credit=leg.credit,
            pollutant_id=leg.debit.pollutant_id,
            amount_grams=leg.amount,
            code=code,
            phase=leg.phase,
            effective_date=effective_date,
            pending_ref=leg.pending_ref,
            timeout_at=leg.timeout_at,
            reverses=leg.reverses,
            debit_lot_zone_id=leg.debit.zone_id if leg.debit.kind == AccountKind.LOT else None,
            credit_lot_zone_id=leg.credit.zone_id if leg.credit.kind == AccountKind.LOT else None,
        )
        for leg in legs
    ]
    sql.insert(transfers)
    sql.insert(
        [
            TransferOrigin(
                transfer=transfer,
                via_id=via,
                root_lot_id=root,
                source_type=stype,
                source_ref=sref,
                amount_grams=grams,
            )
            for leg, transfer in zip(legs, transfers, strict=True)
            for (via, root, stype, sref), grams in leg.origins or []
        ]
    )
    sql.write_totals(
        list(balances.values()),
        list(zones.values()),
        [
            (zone_id, pollutant_id, day, credits, debits)
            for (zone_id, pollutant_id, day), (credits, debits) in daily.items()
        ],
    )
    after = {
        "operation": operation,
        "code": code,
        "effective_date": effective_date.isoformat(),
        "transfers": [
            {"debit": leg.debit.code, "credit": leg.credit.code, "grams": leg.amount, "phase": leg.phase}
            for leg in legs
        ],
        "idempotency_key": idempotency_key,
        "clause": clause_id,
        "reason": reason,
    }
    after.update(audit_extra or {})
    # Lock order step 5: the audit event last, after every row lock of this operation.
    record(actor=actor, action=f"ledger.{operation}", obj=posting, after=after)
    return posting


def _leg_take(legs: Sequence[_Leg], account_id: int) -> int:
    """Grams this operation takes out of ``account_id`` (for the overdraw message)."""
    return sum(
        leg.amount
        for leg in legs
        if leg.debit.pk == account_id and leg.phase in (Phase.POSTED, Phase.PENDING)
    )


def _refetch(account: Account) -> Account:
    fresh = Account.objects.select_related("pollutant", "zone").get(pk=account.pk)
    return fresh


# --- operations ---------------------------------------------------------------------------------------


@_idempotent
@transaction.atomic
def lot_open(
    *,
    actor: Any,
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
    amount = _check_amount(amount_grams)
    _check_text(reason, clause_id)
    _check_day(effective_date)
    source_type = SourceType(source_type)
    if not source_ref:
        raise ValidationFailed("储备批次必须注明来源对象", field="source_ref", clause="RES-1")
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
        "obj": _object_ref(obj),
    }
    fingerprint = _fingerprint(content)
    found = _existing(idempotency_key, fingerprint)
    if found is not None:
        return found
    if funding_account is None:
        kind = {
            SourceType.REDUCTION_LINE: AccountKind.REDUCTION_SOURCE,
            SourceType.UPPER_GRANT: AccountKind.UPPER_LEVEL,
            SourceType.OPENING: AccountKind.OPENING,
        }.get(source_type)
        if kind is None:
            raise ValidationFailed("收回或调剂形成的批次须指定转出账户", field="funding_account")
        # Lock order step 2 before the zone's outside-world account is looked up or opened.
        _lock_zones([(zone.pk, pollutant.pk)])
        funding_account = external_account(zone, pollutant, kind)
    funding_account = _refetch(funding_account)
    if funding_account.kind == AccountKind.LOT:
        raise ValidationFailed("从储备批次调剂请使用功能区间调剂", field="funding_account")
    if funding_account.pollutant_id != pollutant.pk:
        raise RuleViolation("转出账户的污染物与批次不同", clause="POLL-1")
    # Lock order step 2: the lot's zone row and the funding account's (the same zone unless a
    # recovery returns quota from an allocation of another zone); the new lot is opened under it.
    zones = _lock_zones([(zone.pk, pollutant.pk), (funding_account.zone_id, pollutant.pk)])
    lot = _open_account_row(
        zone=zone,
        pollutant=pollutant,
        kind=AccountKind.LOT,
        opened_on=effective_date,
        source_type=source_type,
        source_ref=source_ref,
        source_label=source_label,
        label=label,
    )
    lot = _refetch(lot)
    balances = _lock_balances([lot.pk, funding_account.pk])
    origins: list[tuple[OriginKey, int]]
    if funding_account.kind in EXTERNAL_KINDS:
        origins = [((None, lot.pk, str(source_type), source_ref), amount)]
    else:  # an allocation returning quota (recovery): its own parcels, oldest first
        origins = (
            _take(_queue(funding_account, reserve_pending=True), amount)
            if _has_enough(balances[funding_account.pk], amount)
            else []
        )
    leg = _Leg(debit=funding_account, credit=lot, amount=amount, origins=origins)
    return _write(
        actor=actor,
        operation="lot_open",
        code=code,
        effective_date=effective_date,
        reason=reason,
        clause_id=clause_id,
        obj=obj,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        legs=[leg],
        zones=zones,
        balances=balances,
        audit_extra={"lot": lot.code, "source": f"{source_type}:{source_ref}"},
    )


def _has_enough(balance: Balance, amount: int) -> bool:
    return not balance.floor_zero or balance.available >= amount


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


@_idempotent
@transaction.atomic
def draw(
    *,
    actor: Any,
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
    amount = _check_amount(amount_grams)
    _check_text(reason, clause_id)
    _check_day(effective_date)
    if to_account.pollutant_id != pollutant.pk:
        raise RuleViolation(f"转入账户 {to_account.code} 的污染物与所需污染物不同", clause="POLL-1")
    if lots is not None:
        if not lots:
            raise ValidationFailed("请至少选择一个储备批次", field="lots")
        named = [(lot.pk, _check_amount(grams, what="批次数量")) for lot, grams in lots]
        if len({pk for pk, _g in named}) != len(named):
            raise ValidationFailed("同一批次只能选择一次", field="lots")
        if sum(g for _pk, g in named) != amount:
            raise ValidationFailed(
                f"所选批次合计 {sum(g for _pk, g in named)} 克，与所需 {amount} 克不一致", field="lots"
            )
    else:
        named = None
    content = {
        "op": "draw",
        "zone": zone.pk,
        "pollutant": pollutant.pk,
        "amount": amount,
        "to": to_account.pk,
        "date": effective_date,
        "code": code,
        "obj": _object_ref(obj),
        "lots": named,
        "pending": pending,
        "timeout": timeout.total_seconds() if timeout else None,
    }
    fingerprint = _fingerprint(content)
    found = _existing(idempotency_key, fingerprint)
    if found is not None:
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
    zones = _lock_zones([(zone.pk, pollutant.pk), (to_account.zone_id, pollutant.pk)])
    if named is None:
        chosen, balances = _pick_lots(zone, pollutant, amount)
        if sum(g for _l, g in chosen) < amount:
            have = zones[(zone.pk, pollutant.pk)].available
            raise RuleViolation(
                f"{zone}{pollutant}储备可用 {format_quantity(max(have, 0), pollutant.unit, suffix=True)}，"
                f"不足 {format_quantity(amount, pollutant.unit, suffix=True)}，储备不得透支",
                clause=CLAUSE,
            )
        balances.update(_lock_balances([to_account.pk]))
    else:
        # Check the named lots' zone before locking them: only lots of the locked zone are locked.
        known = Account.objects.in_bulk([pk for pk, _g in named])
        for pk, _grams in named:
            lot = known.get(pk)
            if (
                lot is not None
                and lot.kind == AccountKind.LOT
                and (lot.zone_id, lot.pollutant_id) != (zone.pk, pollutant.pk)
            ):
                raise RuleViolation(
                    f"批次 {lot.code} 不属于{zone}{pollutant}；跨功能区使用须先由生态环境局调剂",
                    clause=CLAUSE,
                )
        # Lock order step 3, only rows guarded by the zone rows held: the receiving account and
        # the named lots of this zone and pollutant (anything else is refused below, unlocked).
        balances = _lock_balances(
            [to_account.pk]
            + [
                pk
                for pk, lot in known.items()
                if lot.kind == AccountKind.LOT and (lot.zone_id, lot.pollutant_id) == (zone.pk, pollutant.pk)
            ]
        )
        chosen = []
        for pk, grams in named:
            lot_balance = balances.get(pk)
            lot = lot_balance.account if lot_balance is not None else None
            if lot is None or lot.kind != AccountKind.LOT:
                raise ValidationFailed(f"储备批次 {pk} 不存在", field="lots")
            if lot.zone_id != zone.pk or lot.pollutant_id != pollutant.pk:
                raise RuleViolation(
                    f"批次 {lot.code} 不属于{zone}{pollutant}；跨功能区使用须先由生态环境局调剂",
                    clause=CLAUSE,
                )
            chosen.append((lot, grams))
    to_account = balances[to_account.pk].account
    legs = []
    for lot, grams in chosen:
        if balances[lot.pk].available < grams:
            raise RuleViolation(
                f"批次 {lot.code} 可用 {format_quantity(max(balances[lot.pk].available, 0), lot.pollutant.unit, suffix=True)}，"
                f"不足 {format_quantity(grams, lot.pollutant.unit, suffix=True)}，储备不得透支",
                clause=CLAUSE,
            )
        origins = _lot_origins(lot, grams)
        legs.append(
            _Leg(
                debit=lot,
                credit=to_account,
                amount=grams,
                phase=Phase.PENDING if pending else Phase.POSTED,
                timeout_at=timeout_at,
                origins=origins,
            )
        )
    return _write(
        actor=actor,
        operation="hold" if pending else "draw",
        code=code,
        effective_date=effective_date,
        reason=reason,
        clause_id=clause_id,
        obj=obj,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        legs=legs,
        zones=zones,
        balances=balances,
        audit_extra={"to": to_account.code, "timeout_at": timeout_at.isoformat() if timeout_at else None},
    )


def _open_holds(posting: Posting) -> list[Transfer]:
    return list(
        Transfer.objects.select_related(
            "debit__pollutant", "credit__pollutant", "debit__zone", "credit__zone"
        )
        .filter(posting=posting, phase=Phase.PENDING)
        .order_by("id")
    )


def _resolve(
    *,
    actor: Any,
    posting: Posting,
    amount_grams: int | None,
    void: bool,
    reason: str,
    idempotency_key: str,
    effective_date: dt.date | None,
    operation: str,
) -> Posting:
    if posting.operation != "hold":
        raise ValidationFailed("只有预留批次才能转记账或释放", field="posting")
    _check_day(effective_date)
    content = {
        "op": operation,
        "hold": posting.pk,
        "amount": amount_grams,
        "void": void,
        "date": effective_date,
    }
    fingerprint = _fingerprint(content)
    found = _existing(idempotency_key, fingerprint)
    if found is not None:
        return found
    holds = _open_holds(posting)
    # Lock order: the zone rows of the hold's accounts (step 2), then their balance rows (step 3).
    zones = _lock_zones(
        {(t.debit.zone_id, t.pollutant_id) for t in holds}
        | {(t.credit.zone_id, t.pollutant_id) for t in holds}
    )
    balances = _lock_balances({t.debit_id for t in holds} | {t.credit_id for t in holds})
    # Re-read under the locks: another request may have resolved the hold while we waited.
    resolved = Transfer.objects.filter(pending_ref__in=[t.pk for t in holds]).exists()
    if resolved or posting.resolutions.exists():
        raise Conflict(f"预留批次 P{posting.pk} 已处理（转记账、释放或到期），不能再次处理", clause=CLAUSE)
    total = sum(t.amount_grams for t in holds)
    if not void:
        amount = total if amount_grams is None else _check_amount(amount_grams)
        if amount > total:
            raise ValidationFailed(f"转记账数量 {amount} 克超过预留的 {total} 克", field="amount_grams")
    else:
        amount = 0
    legs = []
    remaining = amount
    for hold in holds:
        if void:
            legs.append(
                _Leg(
                    debit=hold.debit,
                    credit=hold.credit,
                    amount=hold.amount_grams,
                    phase=Phase.VOID_PENDING,
                    pending_ref=hold,
                    origins=[],
                )
            )
            continue
        take = min(remaining, hold.amount_grams)
        remaining -= take
        if take:
            held = [
                ((o.via_id, o.root_lot_id, o.source_type, o.source_ref), o.amount_grams)
                for o in hold.origins.order_by("id")
            ]
            legs.append(
                _Leg(
                    debit=hold.debit,
                    credit=hold.credit,
                    amount=take,
                    phase=Phase.POST_PENDING,
                    pending_ref=hold,
                    origins=_take(held, take),
                )
            )
        else:  # nothing of this hold is needed: release it
            legs.append(
                _Leg(
                    debit=hold.debit,
                    credit=hold.credit,
                    amount=hold.amount_grams,
                    phase=Phase.VOID_PENDING,
                    pending_ref=hold,
                    origins=[],
                )
            )
    return _write(
        actor=actor,
        operation=operation,
        code=posting.code,
        effective_date=effective_date or posting.effective_date,
        reason=reason or posting.reason,
        clause_id=posting.clause_id,
        obj=(posting.object_type, posting.object_id) if posting.object_type else None,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        legs=legs,
        zones=zones,
        balances=balances,
        hold=posting,
        audit_extra={"hold": posting.pk, "posted_grams": amount, "held_grams": total},
    )


@_idempotent
@transaction.atomic
def hold_post(
    *,
    actor: Any,
    posting: Posting,
    idempotency_key: str,
    amount_grams: int | None = None,
    reason: str = "",
    effective_date: dt.date | None = None,
) -> Posting:
    """Post a hold: all of it, or ``amount_grams`` of it (taken from its lots in order) with the
    rest released. A hold resolves once."""
    return _resolve(
        actor=actor,
        posting=posting,
        amount_grams=amount_grams,
        void=False,
        reason=reason,
        idempotency_key=idempotency_key,
        effective_date=effective_date,
        operation="hold_post",
    )


@_idempotent
@transaction.atomic
def hold_void(*, actor: Any, posting: Posting, reason: str, idempotency_key: str) -> Posting:
    """Release a hold (the decision was rejected or withdrawn). A hold resolves once."""
    _check_text(reason, posting.clause_id or CLAUSE)
    return _resolve(
        actor=actor,
        posting=posting,
        amount_grams=None,
        void=True,
        reason=reason,
        idempotency_key=idempotency_key,
        effective_date=None,
        operation="hold_void",
    )


def holds_expire(*, now: dt.datetime | None = None, actor: Any = None) -> list[Posting]:
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
                        actor=actor,
                        posting=posting,
                        amount_grams=None,
                        void=True,
                        reason=f"预留于 {now:%Y-%m-%d %H:%M} 到期自动释放",
                        idempotency_key=f"expire:{posting.pk}",
                        effective_date=None,
                        operation="hold_expire",
                    )
                )
        except Conflict:
            continue  # resolved meanwhile by a post or a void: nothing to expire
    return done


@_idempotent
@transaction.atomic
def transfer(
    *,
    actor: Any,
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
    amount = _check_amount(amount_grams)
    _check_text(reason, clause_id)
    _check_day(effective_date)
    debit, credit = _refetch(debit), _refetch(credit)
    content = {
        "op": "transfer",
        "debit": debit.pk,
        "credit": credit.pk,
        "amount": amount,
        "code": code,
        "date": effective_date,
        "obj": _object_ref(obj),
    }
    fingerprint = _fingerprint(content)
    found = _existing(idempotency_key, fingerprint)
    if found is not None:
        return found
    if debit.pollutant_id != credit.pollutant_id:
        _check_leg(_Leg(debit=debit, credit=credit, amount=amount))
    if debit.kind in EXTERNAL_KINDS:
        raise ValidationFailed("从外部账户转入请使用入库（lot_open），以便记录来源", field="debit")
    # Lock order: both accounts' zone rows (step 2), then their balance rows (step 3).
    zones = _lock_zones([(debit.zone_id, debit.pollutant_id), (credit.zone_id, credit.pollutant_id)])
    balances = _lock_balances([debit.pk, credit.pk])
    origins = _origins_out_of(debit, amount, balances)
    return _write(
        actor=actor,
        operation="transfer",
        code=code,
        effective_date=effective_date,
        reason=reason,
        clause_id=clause_id,
        obj=obj,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        legs=[_Leg(debit=debit, credit=credit, amount=amount, origins=origins)],
        zones=zones,
        balances=balances,
    )


def _origins_out_of(
    account: Account, amount: int, balances: dict[int, Balance]
) -> list[tuple[OriginKey, int]]:
    """Origins of ``amount`` grams leaving ``account`` (empty for outside-world accounts)."""
    if account.kind in EXTERNAL_KINDS:
        return []
    if balances[account.pk].available < amount:
        return []  # the overdraw check in _write refuses it with a clear message
    if account.kind == AccountKind.LOT:
        return _lot_origins(account, amount)
    return _take(_queue(account, reserve_pending=True), amount)


@_idempotent
@transaction.atomic
def zone_transfer(
    *,
    actor: Any,
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
    amount = _check_amount(amount_grams)
    _check_text(reason, clause_id)
    _check_day(effective_date)
    from_lot = _refetch(from_lot)
    if from_lot.kind != AccountKind.LOT:
        raise ValidationFailed("只能从储备批次调剂", field="from_lot")
    if from_lot.zone_id == to_zone.pk:
        raise ValidationFailed("调入功能区与调出批次所在功能区相同", field="to_zone")
    content = {
        "op": "zone_transfer",
        "from": from_lot.pk,
        "to_zone": to_zone.pk,
        "amount": amount,
        "date": effective_date,
        "obj": _object_ref(obj),
    }
    fingerprint = _fingerprint(content)
    found = _existing(idempotency_key, fingerprint)
    if found is not None:
        return found
    pollutant = from_lot.pollutant
    # Lock order: both zones' rows (step 2); the new lot is opened under them, then the balance
    # rows of both lots (step 3).
    zones = _lock_zones([(from_lot.zone_id, pollutant.pk), (to_zone.pk, pollutant.pk)])
    lot = _open_account_row(
        zone=to_zone,
        pollutant=pollutant,
        kind=AccountKind.LOT,
        opened_on=effective_date,
        source_type=SourceType.ZONE_TRANSFER,
        source_ref=f"ledger.account:{from_lot.pk}",
        source_label=f"自 {from_lot.zone} 批次 {from_lot.code} 调剂",
    )
    lot = _refetch(lot)
    balances = _lock_balances([from_lot.pk, lot.pk])
    origins = _origins_out_of(from_lot, amount, balances)
    return _write(
        actor=actor,
        operation="zone_transfer",
        code=TransferCode.ZONE_TRANSFER,
        effective_date=effective_date,
        reason=reason,
        clause_id=clause_id,
        obj=obj,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        legs=[_Leg(debit=from_lot, credit=lot, amount=amount, origins=origins)],
        zones=zones,
        balances=balances,
        audit_extra={"new_lot": lot.code},
    )


@_idempotent
@transaction.atomic
def reverse(
    *,
    actor: Any,
    posting: Posting,
    reason: str,
    idempotency_key: str,
    effective_date: dt.date | None = None,
    clause_id: str | None = None,
) -> Posting:
    """更正: undo a posting with reversing transfers linked to the ones they undo (the grams go
    back exactly where they came from). Holds are voided, not reversed; a reversal is not reversed."""
    _check_text(reason, clause_id or posting.clause_id)
    _check_day(effective_date)
    content = {"op": "reverse", "posting": posting.pk, "date": effective_date}
    fingerprint = _fingerprint(content)
    found = _existing(idempotency_key, fingerprint)
    if found is not None:
        return found
    if posting.operation == "reverse":
        raise RuleViolation("更正批次不能再被更正；如需恢复请重新记账", clause=CLAUSE)
    if posting.operation == "hold":
        raise ValidationFailed("预留批次请释放（void），不能更正", field="posting")
    originals = [
        t
        for t in Transfer.objects.select_related("debit__pollutant", "credit__pollutant")
        .filter(posting=posting)
        .order_by("id")
        if t.moves_posted
    ]
    if not originals:
        raise ValidationFailed("该批次没有可更正的已记账划转", field="posting")
    if Posting.objects.filter(reverses=posting).exists():
        raise Conflict(f"批次 P{posting.pk} 已被更正", clause=CLAUSE)
    # Lock order: the zone rows of every account the original touched (step 2), then their
    # balance rows (step 3).
    zones = _lock_zones(
        {(t.debit.zone_id, t.pollutant_id) for t in originals}
        | {(t.credit.zone_id, t.pollutant_id) for t in originals}
    )
    balances = _lock_balances({t.debit_id for t in originals} | {t.credit_id for t in originals})
    legs = []
    holding: dict[int, dict[OriginKey, int]] = {}
    for t in originals:
        origins = [
            ((o.via_id, o.root_lot_id, o.source_type, o.source_ref), o.amount_grams)
            for o in t.origins.order_by("id")
        ]
        if t.credit.kind not in EXTERNAL_KINDS and origins:
            # The grams must still be where the original put them, parcel for parcel.
            if t.credit_id not in holding:
                holding[t.credit_id] = defaultdict(int)
                for k, g in _queue(t.credit, reserve_pending=True):
                    holding[t.credit_id][k] += g
            for (via, root, st, sr), grams in origins:
                k = (None if t.credit.kind == AccountKind.LOT else via, root, st, sr)
                holding[t.credit_id][k] -= grams
                if holding[t.credit_id][k] < 0:
                    raise RuleViolation(
                        f"账户 {t.credit.code} 中该批次划入的指标已部分转出或被预留，不能整体更正；请先处理后续业务",
                        clause=CLAUSE,
                    )
        legs.append(_Leg(debit=t.credit, credit=t.debit, amount=t.amount_grams, reverses=t, origins=origins))
    return _write(
        actor=actor,
        operation="reverse",
        code=TransferCode.CORRECTION,
        effective_date=effective_date or timezone.localdate(),
        reason=reason,
        clause_id=clause_id or posting.clause_id,
        obj=(posting.object_type, posting.object_id) if posting.object_type else None,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        legs=legs,
        zones=zones,
        balances=balances,
        reverses=posting,
        audit_extra={"reverses": posting.pk},
    )
