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


# How each column's value is read: "raw" for integers, booleans and integer foreign keys (their
# ``_id``), "text" for text columns (non-strings become strings, as Django's ``to_python`` does),
# "field" for everything else (dates, JSON, auto_now…), which goes through the field's own
# ``pre_save`` and ``get_db_prep_save``.
def _kind(field: models.Field) -> str:
    if isinstance(field, models.ForeignKey):
        return "raw" if isinstance(field.target_field, models.IntegerField) else "field"
    if isinstance(field, models.IntegerField | models.BooleanField):
        return "raw"
    if isinstance(field, models.CharField | models.TextField) and not isinstance(field, models.JSONField):
        return "text"
    return "field"


Plan = list[tuple[models.Field, str, str]]


@cache
def _insert_sql(model: type[models.Model]) -> tuple[Plan, str, bool]:
    """The INSERT for ``model`` and, per column, its field, attribute and how to read it."""
    pk = model._meta.pk
    assert pk is not None
    auto = isinstance(pk, models.AutoField | models.BigAutoField)
    fields = [f for f in model._meta.concrete_fields if not (auto and f is pk)]
    cols = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    returning = f" RETURNING {quote(pk.column)}" if auto else ""
    plan = [(f, f.attname, _kind(f)) for f in fields]
    return plan, f"INSERT INTO {quote(model._meta.db_table)} ({cols}) VALUES ({values}){returning}", auto


def _params(plan: Plan, obj: models.Model) -> list[Any]:
    values: list[Any] = []
    for field, attname, kind in plan:
        if kind == "field":
            values.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
            continue
        value = getattr(obj, attname)
        if kind == "text" and value is not None and not isinstance(value, str):
            value = str(value)
        values.append(value)
    return values


def insert(
    instances: Sequence[models.Model], *, with_child: tuple[type[models.Model], str] | None = None
) -> None:
    """INSERT model instances; auto primary keys are set from the database.

    ``with_child`` (a model and its column) also inserts one row of that model per instance, whose
    column holds the new primary key (e.g. an audit event's row in the chainer's queue): on
    PostgreSQL in the same statement, as a data-modifying CTE (one round trip instead of two);
    elsewhere right after each INSERT. Both happen in the caller's transaction either way."""
    if not instances:
        return
    plan, sql, auto = _insert_sql(type(instances[0]))
    child_sql = ""
    if with_child is not None:
        assert auto, "with_child needs an auto primary key to pass on"
        child_table, child_column = quote(with_child[0]._meta.db_table), quote(with_child[1])
        if connection.vendor == "postgresql":
            sql = (
                f"WITH parent AS ({sql}), child AS (INSERT INTO {child_table} ({child_column}) "
                f"SELECT {quote(type(instances[0])._meta.pk.column)} FROM parent) SELECT * FROM parent"
            )
        else:
            child_sql = f"INSERT INTO {child_table} ({child_column}) VALUES (%s)"
    with connection.cursor() as cursor:
        for obj in instances:
            cursor.execute(sql, _params(plan, obj))
            if auto:
                obj.pk = cursor.fetchone()[0]
            obj._state.adding = False
            obj._state.db = connection.alias
            if child_sql:
                cursor.execute(child_sql, [obj.pk])
