"""The posting engine: the inputs every operation checks, idempotency keys, and the one writer of
postings, transfers, their origins, balances, zone rows and daily changes.

The writer runs last in an operation, holding the locks the operation took in the lock order of
:mod:`totalquota.ledger.services`; it checks every leg against the locked rows before writing.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from django.db import IntegrityError
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record
from totalquota.ledger import sql
from totalquota.ledger.models import (
    Account,
    AccountKind,
    Balance,
    Phase,
    Posting,
    Transfer,
    TransferOrigin,
    ZoneBalance,
)
from totalquota.ledger.services import locks, origins
from totalquota.ledger.services.origins import OriginKey
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, RuleViolation, ValidationFailed
from totalquota.lib.units import MAX_GRAMS, format_quantity

if TYPE_CHECKING:
    from totalquota.accounts.models import User

CLAUSE = "RES-2"  # the reserve is kept per zone and pollutant and never goes negative

P = ParamSpec("P")
R = TypeVar("R")


# --- inputs ------------------------------------------------------------------------------------------


def check_amount(amount_grams: Any, *, what: str = "数量") -> int:
    if isinstance(amount_grams, bool) or not isinstance(amount_grams, int):
        raise ValidationFailed(
            gettext("{what}必须是整数克（不接受小数或文本）").format(what=what), field="amount_grams"
        )
    if amount_grams <= 0:
        raise ValidationFailed(gettext("{what}必须大于零").format(what=what), field="amount_grams")
    if amount_grams > MAX_GRAMS:
        raise ValidationFailed(gettext("{what}过大").format(what=what), field="amount_grams")
    return amount_grams


def check_text(reason: str, clause_id: str) -> None:
    if not (reason or "").strip():
        raise ValidationFailed(gettext("请填写事由"), field="reason")
    if not (clause_id or "").strip():
        raise ValidationFailed(gettext("请注明依据的条款编号"), field="clause_id")


def check_day(effective_date: Any) -> None:
    """The effective date of a posting lies in the ledger's plausible range (lib.dates), checked
    with the other inputs before any row is locked or written."""
    dates.LEDGER_DAY.check(effective_date, label="生效日期", field="effective_date")


def check_movement(amount_grams: Any, reason: str, clause_id: str, effective_date: Any) -> int:
    """The amount (returned), reason, clause and effective date of a new movement of quota."""
    amount = check_amount(amount_grams)
    check_text(reason, clause_id)
    check_day(effective_date)
    return amount


def object_ref(obj: Any) -> tuple[str, str]:
    if obj is None:
        return "", ""
    if isinstance(obj, tuple):
        return str(obj[0]), str(obj[1])
    return obj._meta.label_lower, str(obj.pk)


# --- idempotency -------------------------------------------------------------------------------------


def fingerprint_of(content: dict[str, Any]) -> str:
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


_looking_up: contextvars.ContextVar[bool] = contextvars.ContextVar("ledger_idempotency_lookup", default=False)


def existing(idempotency_key: str, fingerprint: str) -> Posting | None:
    """The posting already made under ``idempotency_key``; refuses the key if its content differs."""
    if not idempotency_key or not str(idempotency_key).strip():
        raise ValidationFailed(gettext("缺少幂等键（idempotency key）"), field="idempotency_key")
    if not _looking_up.get():
        # First attempt: the key's UNIQUE index answers whether it was used, at the cost of a
        # rolled-back attempt when it was (see idempotent). Saves a round trip per posting.
        return None
    found = sql.posting_fingerprint(idempotency_key)
    if found is None:
        return None
    if found[1] != fingerprint:
        raise Conflict(
            gettext("幂等键 {idempotency_key} 已用于内容不同的另一次记账，拒绝重复使用").format(
                idempotency_key=idempotency_key
            )
        )
    return Posting.objects.get(pk=found[0])


def idempotent(func: Callable[P, R]) -> Callable[..., R]:
    """Run the operation; if a concurrent call with the same key won the race (unique violation on
    the key, our transaction rolled back), run it once more: it then finds the other posting and
    returns it (same content) or refuses the key (other content).

    Callers see ``Callable[..., R]``: their keyword arguments are not type-checked against the
    operation (as before the package split), only the result is."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except IntegrityError:
            if not Posting.objects.filter(idempotency_key=kwargs["idempotency_key"]).exists():
                raise
        token = _looking_up.set(True)
        try:
            return func(*args, **kwargs)
        finally:
            _looking_up.reset(token)

    return wrapper


# --- the posting about to be written -----------------------------------------------------------------


@dataclass
class Entry:
    """The header of the posting an operation makes, and the content its idempotency key stands
    for (the fingerprint a repeated call must match). The operations that move new quota name
    their header positionally, in the order of their own parameters: actor, operation, code,
    effective date, reason, clause, object, idempotency key, content."""

    actor: Principal | None
    operation: str
    code: str
    effective_date: dt.date
    reason: str
    clause_id: str
    obj: Any
    idempotency_key: str
    content: dict[str, Any]
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        self.fingerprint = fingerprint_of(self.content)

    def made_before(self) -> Posting | None:
        """The posting this key already made (same content), before any lock is taken."""
        return existing(self.idempotency_key, self.fingerprint)


@dataclass
class Leg:
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
    leg: Leg,
    daily: dict[tuple[int, int, dt.date], list[int]],
    effective_date: dt.date,
) -> None:
    """Change the in-memory balance rows for one leg (written back by the caller).

    A leg moves the same posted and pending grams out of its debit and into its credit: the
    debit's ``debits_*`` and the credit's ``credits_*`` change alike, on the account's balance
    row and, for a lot, on its zone row and in that day's change (credits first, debits second).
    """
    amount = leg.amount
    if leg.phase == Phase.POSTED:
        posted, pending = amount, 0
    elif leg.phase == Phase.PENDING:
        posted, pending = 0, amount
    else:  # posting a hold, or voiding it: what was held is no longer pending
        assert leg.pending_ref is not None
        posted = amount if leg.phase == Phase.POST_PENDING else 0
        pending = -leg.pending_ref.amount_grams
    for account, side, day_column in ((leg.debit, "debits", 1), (leg.credit, "credits", 0)):
        rows: list[Balance | ZoneBalance] = [balances[account.pk]]
        if account.kind == AccountKind.LOT:
            rows.append(zones[(account.zone_id, account.pollutant_id)])
            if posted:
                daily[(account.zone_id, account.pollutant_id, effective_date)][day_column] += posted
        for row in rows:
            setattr(row, f"{side}_posted", getattr(row, f"{side}_posted") + posted)
            setattr(row, f"{side}_pending", getattr(row, f"{side}_pending") + pending)


def check_leg(leg: Leg) -> None:
    for account in (leg.debit, leg.credit):
        if account.closed_at is not None:
            raise RuleViolation(
                gettext("账户 {account_code} 已关闭，不能记账").format(account_code=account.code),
                clause=CLAUSE,
            )
    if leg.debit.pollutant_id != leg.credit.pollutant_id:
        raise RuleViolation(
            gettext(
                "转出账户 {leg_debit_code}（{leg_debit_pollutant}）与转入账户 {leg_credit_code}（{leg_credit_pollutant}）的污染物不同，不能划转"
            ).format(
                leg_debit_code=leg.debit.code,
                leg_debit_pollutant=leg.debit.pollutant,
                leg_credit_code=leg.credit.code,
                leg_credit_pollutant=leg.credit.pollutant,
            ),
            clause="POLL-1",
        )
    if leg.debit.pk == leg.credit.pk:
        raise ValidationFailed(gettext("转出和转入不能是同一账户"))


def _posting_user(actor: Principal | None) -> User | None:
    """The person a posting names as 经办人 (``None`` for the platform itself, e.g. expiry)."""
    return None if actor is None else actor.user


def write(
    entry: Entry,
    *,
    legs: Sequence[Leg],
    zones: dict[tuple[int, int], ZoneBalance],
    balances: dict[int, Balance],
    hold: Posting | None = None,
    reverses: Posting | None = None,
    audit_extra: dict[str, Any] | None = None,
) -> Posting:
    """Check every leg against the locked balances, then write everything. Caller holds the locks."""
    for leg in legs:
        check_leg(leg)
    daily: dict[tuple[int, int, dt.date], list[int]] = defaultdict(lambda: [0, 0])
    for leg in legs:
        _apply(balances, zones, leg, daily, entry.effective_date)
    for leg in legs:
        for account in (leg.debit, leg.credit):
            b = balances[account.pk]
            if b.floor_zero and b.credits_posted - b.debits_posted - b.debits_pending < 0:
                available = (
                    b.credits_posted - b.debits_posted - b.debits_pending + _leg_take(legs, account.pk)
                )
                raise RuleViolation(
                    gettext("账户 {account_code} 可用余额 {v1}，不足以划出本次数量，储备不得透支").format(
                        account_code=account.code,
                        v1=format_quantity(max(available, 0), account.pollutant.unit, suffix=True),
                    ),
                    clause=CLAUSE,
                )
    object_type, object_id = object_ref(entry.obj)
    posting = Posting(
        operation=entry.operation,
        code=entry.code,
        effective_date=entry.effective_date,
        actor=_posting_user(entry.actor),
        reason=entry.reason,
        clause_id=entry.clause_id,
        object_type=object_type,
        object_id=object_id,
        idempotency_key=entry.idempotency_key,
        fingerprint=entry.fingerprint,
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
            code=entry.code,
            phase=leg.phase,
            effective_date=entry.effective_date,
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
        "operation": entry.operation,
        "code": entry.code,
        "effective_date": entry.effective_date.isoformat(),
        "transfers": [
            {"debit": leg.debit.code, "credit": leg.credit.code, "grams": leg.amount, "phase": leg.phase}
            for leg in legs
        ],
        "idempotency_key": entry.idempotency_key,
        "clause": entry.clause_id,
        "reason": entry.reason,
    }
    after.update(audit_extra or {})
    # Lock order step 5: the audit event last, after every row lock of this operation.
    record(actor=entry.actor, action=f"ledger.{entry.operation}", obj=posting, after=after)
    return posting


def move(
    entry: Entry,
    *,
    debit: Account,
    credit: Account,
    amount: int,
    zones: dict[tuple[int, int], ZoneBalance],
    banked_as: OriginKey | None = None,
    audit_extra: dict[str, Any] | None = None,
) -> Posting:
    """Write ``entry`` as one posted leg of ``amount`` from ``debit`` to ``credit``, carrying the
    grams ``debit`` holds, oldest first; grams coming in from an outside-world ``debit`` are banked
    with the origin ``banked_as``. The caller holds both accounts' zone rows (``zones``)."""
    # Lock order step 3: both balance rows, under the zone rows (step 2) the caller holds.
    balances = locks.balance_rows([debit.pk, credit.pk])
    parcels = origins.out_of(debit, amount, balances, banked_as=banked_as)
    return write(
        entry,
        legs=[Leg(debit=debit, credit=credit, amount=amount, origins=parcels)],
        zones=zones,
        balances=balances,
        audit_extra=audit_extra,
    )


def _leg_take(legs: Sequence[Leg], account_id: int) -> int:
    """Grams this operation takes out of ``account_id`` (for the overdraw message)."""
    return sum(
        leg.amount
        for leg in legs
        if leg.debit.pk == account_id and leg.phase in (Phase.POSTED, Phase.PENDING)
    )
