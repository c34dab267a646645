"""The posting path's statements, written once as plain SQL over the models' own tables.

Posting an allocation runs about a dozen statements; through the ORM, compiling them costs more
than executing them. These helpers build each statement from the model's metadata once, cache
its text, and return model instances, so the services keep working with models while the hot
path pays only for the database round trips. Everything else in the platform uses the ORM.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models

from totalquota.common import rawsql
from totalquota.ledger.models import Account, Balance, Posting, ZoneBalance, ZoneDailyChange

M = TypeVar("M", bound=models.Model)


insert = rawsql.insert
_q = rawsql.quote
_lock = rawsql.lock_clause


@cache
def _columns(model: type[models.Model], alias: str) -> tuple[list[str], str]:
    fields = [f.attname for f in model._meta.concrete_fields]
    cols = ", ".join(f"{alias}.{_q(f.column)}" for f in model._meta.concrete_fields)
    return fields, cols


def _instances(model: type[M], fields: list[str], rows: Iterable[Sequence[Any]]) -> list[M]:
    converters = {f.attname: f for f in model._meta.concrete_fields}
    result = []
    for row in rows:
        values = [
            converters[name].to_python(value) if value is not None else None
            for name, value in zip(fields, row, strict=False)
        ]
        result.append(model.from_db(connection.alias, fields, values))
    return result


def posting_fingerprint(idempotency_key: str) -> tuple[int, str] | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, fingerprint FROM {_q(Posting._meta.db_table)} WHERE idempotency_key = %s",
            [idempotency_key],
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def lock_zone_rows(pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], ZoneBalance]:
    """Lock the zone x pollutant rows in (zone, pollutant) order."""
    fields, cols = _columns(ZoneBalance, "z")
    where = " OR ".join(["(z.zone_id = %s AND z.pollutant_id = %s)"] * len(pairs))
    params = [x for pair in pairs for x in pair]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {cols} FROM {_q(ZoneBalance._meta.db_table)} z WHERE {where} "
            f"ORDER BY z.zone_id, z.pollutant_id{_lock('z')}",
            params,
        )
        rows = _instances(ZoneBalance, fields, cursor.fetchall())
    return {(r.zone_id, r.pollutant_id): r for r in rows}


def _balances_with_accounts(where: str, params: list[Any], order: str, tail: str = "") -> list[Balance]:
    bfields, bcols = _columns(Balance, "b")
    afields, acols = _columns(Account, "a")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {bcols}, {acols} FROM {_q(Balance._meta.db_table)} b "
            f"JOIN {_q(Account._meta.db_table)} a ON a.id = b.account_id WHERE {where} ORDER BY {order}{tail}{_lock('b')}",
            params,
        )
        rows = cursor.fetchall()
    width = len(bfields)
    balances = _instances(Balance, bfields, (r[:width] for r in rows))
    accounts = _instances(Account, afields, (r[width:] for r in rows))
    for balance, account in zip(balances, accounts, strict=True):
        balance.account = account
    return balances


def lock_balances(account_ids: Iterable[int]) -> list[Balance]:
    """Lock the accounts' balance rows in account order, each with its (fresh) account."""
    ids = sorted(set(account_ids))
    if not ids:
        return []
    placeholders = ", ".join(["%s"] * len(ids))
    return _balances_with_accounts(f"b.account_id IN ({placeholders})", ids, "b.account_id")


def lock_lots_with_quota(zone_id: int, pollutant_id: int, limit: int, offset: int) -> list[Balance]:
    """The next lots of a zone and pollutant with quota available, oldest first, locked."""
    return _balances_with_accounts(
        "b.lot_zone_id = %s AND b.lot_pollutant_id = %s AND b.credits_posted > b.debits_posted + b.debits_pending",
        [zone_id, pollutant_id],
        "b.lot_opened_on, b.account_id",
        f" LIMIT {int(limit)} OFFSET {int(offset)}",
    )


def update_totals(rows: Iterable[Balance] | Iterable[ZoneBalance], key: str) -> None:
    """Write the four running totals of balance or zone rows back (rows are locked by the caller)."""
    items: list[Any] = list(rows)
    if not items:
        return
    table = _q(type(items[0])._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET debits_posted = %s, credits_posted = %s, debits_pending = %s, "
            f"credits_pending = %s WHERE {_q(key)} = %s",
            [
                (r.debits_posted, r.credits_posted, r.debits_pending, r.credits_pending, getattr(r, key))
                for r in items
            ],
        )


def add_daily_change(zone_id: int, pollutant_id: int, day: Any, credits: int, debits: int) -> None:
    """Add to the zone's posted change on ``day`` (the zone row is locked by the caller, so the
    row cannot be created twice)."""
    table = _q(ZoneDailyChange._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET credits = credits + %s, debits = debits + %s "
            "WHERE zone_id = %s AND pollutant_id = %s AND day = %s",
            [credits, debits, zone_id, pollutant_id, day],
        )
        if cursor.rowcount == 0:
            insert(
                [
                    ZoneDailyChange(
                        zone_id=zone_id, pollutant_id=pollutant_id, day=day, credits=credits, debits=debits
                    )
                ]
            )


def write_totals(
    balances: Sequence[Balance],
    zones: Sequence[ZoneBalance],
    daily: Sequence[tuple[int, int, Any, int, int]],
) -> None:
    """Write back the locked balance and zone rows and add the zone's daily changes
    (``(zone_id, pollutant_id, day, credits, debits)``).

    On PostgreSQL this is one statement (two data-modifying CTEs and an upsert), so a posting pays
    one round trip here instead of three; SQLite, which has no round trips to save, runs the
    statements one by one. The caller holds the zone and balance rows' locks throughout."""
    if connection.vendor != "postgresql":
        update_totals(balances, "account_id")
        update_totals(zones, "id")
        for zone_id, pollutant_id, day, credits, debits in daily:
            add_daily_change(zone_id, pollutant_id, day, credits, debits)
        return
    parts: list[str] = []
    params: list[Any] = []
    row = "(%s::bigint, %s::bigint, %s::bigint, %s::bigint, %s::bigint)"
    for name, rows, key in (("b", balances, "account_id"), ("z", zones, "id")):
        if not rows:
            continue
        table = _q(type(rows[0])._meta.db_table)
        parts.append(
            f"{name} AS (UPDATE {table} AS t SET debits_posted = v.dp, credits_posted = v.cp, "
            "debits_pending = v.dpe, credits_pending = v.cpe "
            f"FROM (VALUES {', '.join([row] * len(rows))}) AS v(k, dp, cp, dpe, cpe) "
            f"WHERE t.{_q(key)} = v.k)"
        )
        for r in rows:
            params += [
                getattr(r, key),
                r.debits_posted,
                r.credits_posted,
                r.debits_pending,
                r.credits_pending,
            ]
    if daily:
        table = _q(ZoneDailyChange._meta.db_table)
        tail = (
            f"INSERT INTO {table} AS d (zone_id, pollutant_id, day, credits, debits) VALUES "
            + ", ".join(["(%s, %s, %s::date, %s::bigint, %s::bigint)"] * len(daily))
            + " ON CONFLICT (zone_id, pollutant_id, day) DO UPDATE "
            "SET credits = d.credits + EXCLUDED.credits, debits = d.debits + EXCLUDED.debits"
        )
        params += [x for change in daily for x in change]
    else:
        tail = "SELECT 1"
    head = f"WITH {', '.join(parts)} " if parts else ""
    with connection.cursor() as cursor:
        cursor.execute(head + tail, params)
