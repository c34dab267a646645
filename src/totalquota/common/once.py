"""Rows that exist once: an insert guarded by its unique constraint."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from totalquota.lib.errors import Conflict

M = TypeVar("M", bound=models.Model)


def create_once(model: type[M], duplicate: str, *, clause: str | None = None, **fields: Any) -> M:
    """Insert a row that exists once (its unique constraint); a parallel request that got there
    first is a 409 with ``duplicate`` as the message, not a 500. (No lock: on PostgreSQL the second
    insert waits on the unique index for the first to commit or roll back.)"""
    try:
        with transaction.atomic():
            return model._default_manager.create(**fields)
    except IntegrityError:
        raise Conflict(duplicate, clause=clause) from None
