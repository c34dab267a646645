"""Reads on accounts for pages and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from totalquota.accounts.models import User
from totalquota.accounts.permissions import Principal, in_zones, may
from totalquota.accounts.roles import Role


def unit_accounts(principal: Principal) -> QuerySet[User]:
    """The accounts of units (排污单位) whose password ``principal`` may reset: those of the units
    in their zones (every unit's, park-wide); none without ``accounts.manage_unit_accounts``."""
    if not may(principal, "accounts.manage_unit_accounts"):
        return User.objects.none()
    accounts = User.objects.filter(role=Role.ENTERPRISE, enterprise__isnull=False)
    return in_zones(principal, accounts, "enterprise__zone_id").select_related("enterprise__zone")
