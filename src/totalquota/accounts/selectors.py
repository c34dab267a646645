"""Reads of people: whom a person stands in for (代理) on a day."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from totalquota.accounts.models import Delegation


def delegations_running(on: dt.date | None = None) -> QuerySet[Delegation]:
    """The delegations in force on ``on`` (today): started, not ended, not cleared."""
    on = on or timezone.localdate()
    return Delegation.objects.filter(starts_on__lte=on, ends_on__gte=on, cleared_at__isnull=True)


def acting_for(user_id: int | None, on: dt.date | None = None) -> set[int]:
    """The people ``user_id`` decides for on ``on``: the person, and everyone whose deputy they are."""
    if user_id is None:
        return set()
    return {
        user_id,
        *delegations_running(on).filter(deputy_id=user_id).values_list("principal_id", flat=True),
    }
