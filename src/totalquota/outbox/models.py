"""发件箱: events recorded in the transaction of the change they describe, delivered after commit.

An :class:`OutboxEvent` is never changed once written; everything the worker keeps about handing
it on (tries, errors, when to try again) is on its :class:`OutboxDelivery` rows, one per handler.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from totalquota.common.models import optional_link, required_link


class OutboxEvent(models.Model):
    """发件箱事件: something that happened to a record (e.g. ``reduction.approve``), for handlers.

    Written by :func:`totalquota.outbox.emit` in the same transaction as the change, so it exists
    if and only if the change committed. ``payload`` holds plain JSON: ids, codes, statuses,
    amounts as integer grams. Events of one object (``object_type``, ``object_id``) reach each
    handler in the order of their ids.
    """

    topic = models.CharField(_("主题"), max_length=100, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    payload = models.JSONField(_("事件内容"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    actor = optional_link(settings.AUTH_USER_MODEL, _("操作人"), related_name="+")
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = _("发件箱事件")
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id", "id"], name="outbox_event_object")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.topic} {self.object_type}:{self.object_id}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("待投递")
    DONE = "done", _("已投递")
    FAILED = "failed", _("失败待重试")
    DEAD = "dead", _("已放弃")


class OutboxDelivery(models.Model):
    """投递记录: the handing of one event to one handler, with its tries.

    Created with the event, for every handler registered for its topic at that moment. ``failed``
    means the handler raised and is tried again at ``next_attempt_at`` (backing off); after the
    last allowed try it is ``dead``: kept, and put back to ``pending`` by
    ``manage.py outbox --requeue-dead``. ``object_key`` (``type:id``, empty for an event about no
    object) is the event's object, copied here so the worker can hold later events of an object
    back while an earlier one is not done.
    """

    event = required_link(OutboxEvent, _("事件"), related_name="deliveries")
    handler = models.CharField(_("处理程序"), max_length=200)
    object_key = models.CharField(_("对象"), max_length=140, blank=True)
    state = models.CharField(
        _("状态"), max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), default=timezone.now)
    delivered_at = models.DateTimeField(_("投递时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("投递记录")
        ordering = ["event_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="outbox_delivery_once_per_handler")
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_delivery_due"),
            models.Index(fields=["handler", "object_key", "event"], name="outbox_delivery_order"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.handler} ({self.state})"
