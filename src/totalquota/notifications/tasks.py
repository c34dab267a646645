"""Mailing a notification: a task of its own, queued by the outbox handler, run by the worker."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

from totalquota.common.i18n import in_chinese


@task()
def send_notification_mail(notification_id: int) -> bool:
    """Send notification ``notification_id`` to its recipient's e-mail address through Django's
    mail settings (in Chinese, as stored, with the link to the record); whether a mail was sent
    (not when the person has no address by now). A failure raises, and the task is marked failed."""
    from totalquota.notifications.models import Notification

    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    address = notification.recipient.email
    if not address:
        return False
    with in_chinese():
        base = getattr(settings, "PUBLIC_BASE_URL", "").rstrip("/")
        lines = [notification.body]
        if notification.link:
            lines += ["", f"{base}{notification.link}"]
        send_mail(notification.title, "\n".join(lines), None, [address])
    return True
