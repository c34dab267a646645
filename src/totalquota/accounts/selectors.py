"""Reads of people for pages and the API: whom a person stands in for (代理) on a day, and the
units' accounts an officer may reset."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from totalquota.accounts.models import ApiToken, Delegation, User
from totalquota.accounts.permissions import Principal, in_zones, may
from totalquota.accounts.roles import Role


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


def unit_accounts(principal: Principal) -> QuerySet[User]:
    """The accounts of units (排污单位) whose password ``principal`` may reset: those of the units
    in their zones (every unit's, park-wide); none without ``accounts.manage_unit_accounts``."""
    if not may(principal, "accounts.manage_unit_accounts"):
        return User.objects.none()
    accounts = User.objects.filter(role=Role.ENTERPRISE, enterprise__isnull=False)
    return in_zones(principal, accounts, "enterprise__zone_id").select_related("enterprise__zone")


def own_tokens(principal: Principal) -> QuerySet[ApiToken]:
    """The tokens of the caller's own account: a system client's tokens (people call with their
    session and hold none)."""
    return ApiToken.objects.filter(client_id=principal.user.pk).select_related("client", "zone")


def all_tokens(principal: Principal) -> QuerySet[ApiToken]:
    """Every token, for whoever manages tokens (a bureau administrator); none for anyone else."""
    if not may(principal, "accounts.manage_tokens"):
        return ApiToken.objects.none()
    return ApiToken.objects.select_related("client", "zone")
