"""Writing notifications: from an outbox event (the handler), and marking them read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from totalquota.accounts.permissions import Principal, require
from totalquota.audit.services import record
from totalquota.notifications.messages import stored
from totalquota.notifications.models import Notification
from totalquota.notifications.selectors import notification_for, notifications_of


def safe_link(url: Any) -> str:
    """A path on this site (what ``get_absolute_url`` gives), or ``""`` for anything else."""
    url = str(url or "")
    if not url.startswith("/") or not url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return ""
    return url[:300]


def mail_enabled() -> bool:
    """Whether notifications are also mailed (``NOTIFICATIONS_EMAIL``; on when a mail host is set)."""
    return bool(getattr(settings, "NOTIFICATIONS_EMAIL", False))


@transaction.atomic
def notifications_from_event(
    *,
    event: Any,
    recipient_ids: Iterable[int],
    kind: str,
    message: str,
    params: dict[str, Any],
    note: str = "",
    link: str = "",
) -> list[Notification]:
    """One notification of ``event`` to each of ``recipient_ids`` that has none yet, and the
    e-mail of each queued as a task (when mail is on and the person has an address). Run by the
    outbox handler, at least once per event: a second run adds nothing and queues no mail again
    (the rows, and the queued tasks with them, commit with the delivery's "done"). Not audited:
    the outbox event it comes from is the record of what happened; reading is audited."""
    wanted = set(recipient_ids) - {event.actor_id}
    if not wanted:
        return []
    done = set(Notification.objects.filter(event=event).values_list("recipient_id", flat=True))
    title, body = stored(message, params, note)
    rows = [
        Notification(
            recipient_id=user_id,
            kind=kind,
            message=message,
            params=params,
            title=title[:200],
            body=body,
            note=note,
            link=safe_link(link),
            event=event,
        )
        for user_id in sorted(wanted - done)
    ]
    created = Notification.objects.bulk_create(rows)
    if created and mail_enabled():
        from totalquota.notifications.tasks import send_notification_mail

        with_mail = Notification.objects.filter(
            event=event, recipient_id__in=[n.recipient_id for n in created]
        )
        for pk in with_mail.exclude(recipient__email="").values_list("pk", flat=True):
            send_notification_mail.enqueue(pk)
    return created


@transaction.atomic
def notification_open(*, actor: Principal, pk: Any) -> Notification:
    """Mark ``actor``'s notification ``pk`` read (if it was not) and return it; 404 for another
    person's."""
    require(actor, "notifications.view")
    notification = notification_for(actor, pk)
    if notification.read_at is None:
        # Lock: none. A conditional update: two tabs opening it at once set read_at once.
        now = timezone.now()
        if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
            notification.read_at = now
            record(actor=actor, action="notifications.read", obj=notification, after={"read_at": now})
    return notification


@transaction.atomic
def notifications_read_all(*, actor: Principal) -> int:
    """Mark all of ``actor``'s unread notifications read; how many."""
    require(actor, "notifications.view")
    now = timezone.now()
    count = notifications_of(actor).filter(read_at__isnull=True).update(read_at=now)
    if count:
        record(
            actor=actor,
            action="notifications.read_all",
            object_type=Notification._meta.label_lower,
            object_repr=str(actor.user_id),
            after={"read": count, "read_at": now},
        )
    return count
