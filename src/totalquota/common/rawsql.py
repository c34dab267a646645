"""Plain-SQL writes over Django models, for the few hot paths (ledger postings, the audit chain).

``insert`` builds an INSERT from the model's metadata once, caches its text, runs it through
Django's connection (so the same converters, transactions and query logging apply) and sets each
instance's primary key. It exists because compiling an ORM query costs more than executing it
when a request writes a dozen small rows; everywhere else the ORM is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection, models


def quote(name: str | None) -> str:
    assert name is not None
    return connection.ops.quote_name(name)


def lock_clause(of: str) -> str:
    """``FOR UPDATE OF <alias>`` on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers."""
    return f" FOR UPDATE OF {of}" if connection.vendor == "postgresql" else ""


# Fields whose database value is the attribute itself: integers, foreign keys (their ``_id``),
# booleans and text. Everything else (dates, JSON, auto_now…) goes through the field's own
# ``pre_save`` and ``get_db_prep_save``.
_PLAIN = (models.IntegerField, models.ForeignKey, models.BooleanField, models.CharField, models.TextField)


def _plain(field: models.Field) -> bool:
    if isinstance(field, models.ForeignKey):
        return isinstance(field.target_field, models.IntegerField)
    return isinstance(field, _PLAIN) and not isinstance(field, models.JSONField)


@cache
def _insert_sql(model: type[models.Model]) -> tuple[list[tuple[models.Field, str | None]], str, bool]:
    """The INSERT for ``model`` and, per column, its field and the attribute to read directly
    (``None`` where the field must prepare the value)."""
    pk = model._meta.pk
    assert pk is not None
    auto = isinstance(pk, models.AutoField | models.BigAutoField)
    fields = [f for f in model._meta.concrete_fields if not (auto and f is pk)]
    cols = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    returning = f" RETURNING {quote(pk.column)}" if auto else ""
    plan = [(f, f.attname if _plain(f) else None) for f in fields]
    return plan, f"INSERT INTO {quote(model._meta.db_table)} ({cols}) VALUES ({values}){returning}", auto


def _params(plan: list[tuple[models.Field, str | None]], obj: models.Model) -> list[Any]:
    return [
        getattr(obj, attname) if attname else field.get_db_prep_save(field.pre_save(obj, True), connection)
        for field, attname in plan
    ]


def insert(instances: Sequence[models.Model]) -> None:
    """INSERT model instances; auto primary keys are set from the database."""
    if not instances:
        return
    plan, sql, auto = _insert_sql(type(instances[0]))
    with connection.cursor() as cursor:
        for obj in instances:
            cursor.execute(sql, _params(plan, obj))
            if auto:
                obj.pk = cursor.fetchone()[0]
            obj._state.adding = False
            obj._state.db = connection.alias


def insert_with(obj: models.Model, statement: str, params: Sequence[Any]) -> None:
    """INSERT ``obj`` and run ``statement`` (an UPDATE) with it: on PostgreSQL as one statement,
    the UPDATE riding along as a data-modifying CTE (one round trip instead of two); elsewhere
    the UPDATE follows the INSERT. Both happen in the caller's transaction either way."""
    if connection.vendor != "postgresql":
        insert([obj])
        with connection.cursor() as cursor:
            cursor.execute(statement, list(params))
        return
    plan, sql, auto = _insert_sql(type(obj))
    values = _params(plan, obj)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH side AS ({statement}) {sql}", [*params, *values])
        if auto:
            obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias
