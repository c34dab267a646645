"""站内信: in-app notifications, written by the outbox handler from the platform's events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from totalquota.common.models import required_link


class NotificationKind(models.TextChoices):
    DEADLINE = "deadline", _("截止提醒")
    RETURN = "return", _("退回")
    DECISION = "decision", _("审核决定")
    WARNING = "warning", _("预警")
    FINDING = "finding", _("执法")
    OTHER = "other", _("其他")


class Notification(models.Model):
    """站内信: one message to one person about one event (a project returned, an application
        approved, a deadline near, a reserve warning, a finding).

        Written by the outbox handler (``notifications.handlers``) from the event it names, at most
        once per event and recipient (the unique constraint: a redelivered event adds nothing).
        ``message`` and ``params`` say what it says, so that a page shows it in the page's language
        (``notifications.messages.render``); ``title`` and ``body`` hold the same text in Chinese, as
        stored, for search, export and e-mail; ``note`` is what a person typed (a return's comment, a
    reminder's text), shown as typed in every language. ``link`` is the path of the record's page; ``read_at``
        is set when the person opens it or marks everything read (a POST, never a page view)."""

    recipient = required_link(settings.AUTH_USER_MODEL, _("收件人"), related_name="notifications")
    kind = models.CharField(_("类别"), max_length=8, choices=NotificationKind.choices)
    message = models.CharField(_("消息模板"), max_length=32)
    params = models.JSONField(_("消息参数"), default=dict, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"), blank=True)
    note = models.TextField(_("附言"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    event = required_link("outbox.OutboxEvent", _("来源事件"), related_name="+")
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("站内信")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient"], name="notification_once_per_event_recipient"
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("notifications:detail", args=[self.pk])

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def display_title(self) -> str:
        """The title in the page's language."""
        from totalquota.notifications.messages import render

        return render(self.message, self.params, self.note)[0]

    def display_body(self) -> str:
        """The body in the page's language."""
        from totalquota.notifications.messages import render

        return render(self.message, self.params, self.note)[1]
