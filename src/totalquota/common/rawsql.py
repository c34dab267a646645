"""Plain-SQL writes over Django models, for the few hot paths (ledger postings, the audit chain).

``insert`` builds an INSERT from the model's metadata once, caches its text, runs it through
Django's connection (so the same converters, transactions and query logging apply) and sets each
instance's primary key. It exists because compiling an ORM query costs more than executing it
when a request writes a dozen small rows; everywhere else the ORM is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import connection, models


def quote(name: str | None) -> str:
    assert name is not None
    return connection.ops.quote_name(name)


def lock_clause(of: str) -> str:
    """``FOR UPDATE OF <alias>`` on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers."""
    return f" FOR UPDATE OF {of}" if connection.vendor == "postgresql" else ""


@cache
def _insert_sql(model: type[models.Model]) -> tuple[list[models.Field], str, bool]:
    pk = model._meta.pk
    auto = isinstance(pk, models.AutoField | models.BigAutoField)
    fields = [f for f in model._meta.concrete_fields if not (auto and f is pk)]
    cols = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    returning = f" RETURNING {quote(pk.column)}" if auto else ""
    return fields, f"INSERT INTO {quote(model._meta.db_table)} ({cols}) VALUES ({values}){returning}", auto


def insert(instances: Sequence[models.Model]) -> None:
    """INSERT model instances; auto primary keys are set from the database."""
    if not instances:
        return
    fields, sql, auto = _insert_sql(type(instances[0]))
    with connection.cursor() as cursor:
        for obj in instances:
            params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
            cursor.execute(sql, params)
            if auto:
                obj.pk = cursor.fetchone()[0]
            obj._state.adding = False
            obj._state.db = connection.alias
