"""Accounts: opening allocation and outside-world accounts, opening lots for the operations that
fund them, and closing accounts that hold nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict, Unpack

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record
from totalquota.common import codes
from totalquota.ledger.models import EXTERNAL_KINDS, FLOOR_ZERO_KINDS, Account, AccountKind, Balance
from totalquota.ledger.services import locks
from totalquota.ledger.services.engine import CLAUSE
from totalquota.lib.errors import Conflict, RuleViolation, ValidationFailed

_PREFIX = {
    AccountKind.LOT: "",
    AccountKind.ALLOCATION: "A-",
    AccountKind.REDUCTION_SOURCE: "R-",
    AccountKind.UPPER_LEVEL: "U-",
    AccountKind.OPENING: "O-",
}
_EXTERNAL_LABELS = {
    AccountKind.REDUCTION_SOURCE: "减排来源",
    AccountKind.UPPER_LEVEL: "上级储备库",
    AccountKind.OPENING: "期初储备",
}


class AccountDetails(TypedDict, total=False):
    """What an account may say besides its zone, pollutant, kind and opening date."""

    holder_enterprise: Any
    source_type: str
    source_ref: str
    source_label: str
    label: str


def open_row(
    *, zone: Any, pollutant: Any, kind: str, opened_on: dt.date, **details: Unpack[AccountDetails]
) -> Account:
    """Create the account and its balance row (no checks: the callers made them)."""
    # The account's own id is its number (common.codes): no lock, no collision with a parallel open.
    number = codes.reserve_id(Account)
    account = Account.objects.create(
        id=number,
        code=codes.record_code(
            f"{_PREFIX[AccountKind(kind)]}{zone.code}-{pollutant.code}-{opened_on.year}-", number
        ),
        zone=zone,
        pollutant=pollutant,
        kind=kind,
        opened_on=opened_on,
        **details,
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


def refetch(account: Account) -> Account:
    """The account read again, with its zone and pollutant (fresh: a closed account is seen closed)."""
    return Account.objects.select_related("pollutant", "zone").get(pk=account.pk)


def open_lot(*, zone: Any, pollutant: Any, opened_on: dt.date, **details: Unpack[AccountDetails]) -> Account:
    """A new lot, read back with its zone and pollutant. Call it holding the zone row (step 2)."""
    return refetch(
        open_row(zone=zone, pollutant=pollutant, kind=AccountKind.LOT, opened_on=opened_on, **details)
    )


@transaction.atomic
def account_open(
    *,
    actor: Principal,
    zone: Any,
    pollutant: Any,
    kind: str,
    opened_on: dt.date,
    **details: Unpack[AccountDetails],
) -> Account:
    """Open an allocation or external account (lots are opened by :func:`lot_open`).

    ``details``: ``holder_enterprise`` (required for an allocation), ``source_type``,
    ``source_ref``, ``source_label``, ``label``."""
    kind = AccountKind(kind)
    holder = details.get("holder_enterprise")
    if kind == AccountKind.LOT:
        raise ValidationFailed(gettext("储备批次须通过入库（lot_open）开立，以便记录来源"), clause=CLAUSE)
    if kind == AccountKind.ALLOCATION and holder is None:
        raise ValidationFailed(gettext("建设项目指标账户必须指定持有单位"), field="holder_enterprise")
    if holder is not None and holder.zone_id != zone.pk:
        raise ValidationFailed(gettext("持有单位不在该功能区"), field="holder_enterprise")
    account = open_row(zone=zone, pollutant=pollutant, kind=kind, opened_on=opened_on, **details)
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
    return open_row(
        zone=zone,
        pollutant=pollutant,
        kind=kind,
        opened_on=dt.date(2021, 1, 1),
        label=f"{zone.name}{pollutant.name}{_EXTERNAL_LABELS[kind]}",
    )


@transaction.atomic
def account_close(*, actor: Principal, account: Account) -> Account:
    """Close an account whose balance is zero and which holds nothing pending."""
    # Lock order: the zone row (step 2), then the account's balance and account rows (step 3).
    locks.zone_rows([(account.zone_id, account.pollutant_id)])
    balance = locks.balance_rows([account.pk])[account.pk]
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.closed_at is not None:
        raise Conflict(gettext("账户 {account_code} 已关闭").format(account_code=account.code))
    if balance.posted != 0 or balance.debits_pending or balance.credits_pending:
        raise RuleViolation(
            gettext("账户 {account_code} 尚有余额或预留，不能关闭").format(account_code=account.code),
            clause=CLAUSE,
        )
    account.closed_at = timezone.now()
    account.save(update_fields=["closed_at"])
    record(actor=actor, action="ledger.account_close", obj=account, after={"closed_at": account.closed_at})
    return account
