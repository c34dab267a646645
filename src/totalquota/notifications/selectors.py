"""Reading notifications: a person's own, their unread count, and who is told of an event."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from totalquota.accounts.permissions import PERMISSIONS, Principal, access, principal_of, restrict
from totalquota.accounts.roles import PARK_WIDE
from totalquota.notifications.models import Notification


def notifications_of(who: Principal | Any) -> QuerySet[Notification]:
    """``who``'s own notifications, newest first (nobody sees another person's)."""
    principal = principal_of(who)
    return restrict(
        principal, Notification.objects.filter(recipient_id=principal.user_id), "notifications.view"
    )


def notification_for(who: Principal | Any, pk: Any) -> Notification:
    """Notification ``pk`` if it is ``who``'s own, else 404."""
    principal = principal_of(who)
    return access(
        principal, Notification.objects.filter(recipient_id=principal.user_id), pk, "notifications.view"
    )


def unread_count(who: Principal | Any) -> int:
    """How many of ``who``'s notifications are unread: one COUNT on the (recipient, read_at) index."""
    return notifications_of(who).filter(read_at__isnull=True).count()


def recipients(entry: str, *, zone_id: Any = None, enterprise_id: Any = None) -> QuerySet[Any]:
    """The active people whose role holds ``entry`` (``notifications.receive_*``), each within their
    scope: park-wide roles always, a zone's officers for ``zone_id``, a unit's staff for
    ``enterprise_id``; nobody of a scoped role when the event names no zone or unit."""
    roles = PERMISSIONS.get(entry, frozenset())
    in_scope = Q(role__in=[r for r in roles if r in PARK_WIDE])
    if zone_id is not None:
        in_scope |= Q(zone_id=zone_id, enterprise__isnull=True)
    if enterprise_id is not None:
        in_scope |= Q(enterprise_id=enterprise_id)
    return get_user_model()._default_manager.filter(in_scope, role__in=list(roles), is_active=True)
