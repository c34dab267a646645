"""Rows that exist once: an insert guarded by its unique constraint."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from totalquota.lib.errors import Conflict

M = TypeVar("M", bound=models.Model)


def is_unique_violation(exc: IntegrityError) -> bool:
    """Whether ``exc`` is a unique constraint's (PostgreSQL SQLSTATE 23505, SQLite's "UNIQUE
    constraint failed"), not a CHECK or a foreign key: only that one means "exists already"."""
    return getattr(exc.__cause__, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(exc)


def create_once(model: type[M], duplicate: str, *, clause: str | None = None, **fields: Any) -> M:
    """Insert a row that exists once (its unique constraint); a parallel request that got there
    first is a 409 with ``duplicate`` as the message, not a 500. Any other constraint failing is a
    bug in the caller's validation and is raised as it is. (No lock: on PostgreSQL the second
    insert waits on the unique index for the first to commit or roll back.)"""
    try:
        with transaction.atomic():
            return model._default_manager.create(**fields)
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise Conflict(duplicate, clause=clause) from None
