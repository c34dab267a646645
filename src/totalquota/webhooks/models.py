"""外发事件订阅 (webhooks): other systems told of the park's events over HTTP, signed.

A :class:`WebhookSubscription` names a receiver's URL, the topics it wants and the secret its
requests are signed with. For every shared outbox event matching it, a :class:`WebhookDelivery`
is written with the subscription's next sequence number; the delivery worker posts it and keeps
one :class:`WebhookAttempt` per try.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from totalquota.common.models import optional_link, required_link
from totalquota.outbox.models import OutboxEvent


class WebhookSubscription(models.Model):
    """外发订阅: a receiver (``url``, http or https) and the topic patterns it is sent.

    ``secret`` signs every request (HMAC-SHA256); it is shown once, when the subscription is
    created or the secret rotated, and kept here because signing needs it. ``next_sequence`` is
    the sequence number the next delivery gets (1, 2, 3 … per subscription), taken under this
    row's lock. An inactive subscription gets no new deliveries and its pending ones wait.
    Subscriptions are deactivated, never deleted: their deliveries stay in the log.
    """

    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(_("接收地址"), max_length=500)
    secret = models.CharField(_("签名密钥"), max_length=100)
    topic_patterns = models.JSONField(_("订阅主题"), default=list)
    active = models.BooleanField(_("启用"), default=True)
    created_by = optional_link(settings.AUTH_USER_MODEL, _("创建人"), related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    secret_rotated_at = models.DateTimeField(_("密钥更换时间"), null=True, blank=True)
    next_sequence = models.PositiveBigIntegerField(_("下一序号"), default=1)

    class Meta:
        verbose_name = verbose_name_plural = _("外发订阅")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("webhooks:detail", args=[self.pk])

    @property
    def patterns_text(self) -> str:
        return " ".join(self.topic_patterns or [])


class WebhookState(models.TextChoices):
    PENDING = "pending", _("待发送")
    DONE = "done", _("已送达")
    FAILED = "failed", _("失败待重试")
    DEAD = "dead", _("已放弃")


class WebhookDelivery(models.Model):
    """外发投递: one outbox event for one subscription, with its sequence number.

    Unique per (subscription, event) and per (subscription, sequence). ``failed`` is tried again
    at ``next_attempt_at`` (backing off); after the last allowed try it is ``dead`` until replayed.
    ``claimed_until`` is set while a worker is sending it (a lease: a worker that died mid-send
    leaves it to be taken again once the lease ends). ``replay`` marks the next try as a replay.
    """

    subscription = required_link(WebhookSubscription, _("订阅"), related_name="deliveries")
    event = required_link(OutboxEvent, _("事件"), related_name="+")
    topic = models.CharField(_("主题"), max_length=100)
    sequence = models.PositiveBigIntegerField(_("序号"))
    state = models.CharField(
        _("状态"), max_length=8, choices=WebhookState.choices, default=WebhookState.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), default=timezone.now)
    claimed_until = models.DateTimeField(_("发送占用至"), null=True, blank=True)
    replay = models.BooleanField(_("重发"), default=False)
    last_status = models.PositiveSmallIntegerField(_("最近响应码"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("外发投递")
        ordering = ["subscription_id", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="webhooks_delivery_once_per_event"
            ),
            models.UniqueConstraint(fields=["subscription", "sequence"], name="webhooks_delivery_sequence"),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhooks_delivery_due")]

    def __str__(self) -> str:
        return f"{self.subscription_id}#{self.sequence} {self.topic} ({self.state})"

    def get_absolute_url(self) -> str:
        return reverse("webhooks:delivery", args=[self.pk])


class WebhookAttempt(models.Model):
    """发送记录: one try of a delivery (a log row, never changed): when, the receiver's status
    code (``None`` when no answer came), how long it took, the start of the answer or the error,
    whether it was a replay, and whether it was refused without being sent (``refused``: the
    receiver's host was, or resolved to, an address webhooks may not go to; ``excerpt`` says which)."""

    delivery = required_link(WebhookDelivery, _("投递"), related_name="attempt_log")
    at = models.DateTimeField(_("时间"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("响应码"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)
    excerpt = models.CharField(_("响应或错误摘录"), max_length=500, blank=True)
    ok = models.BooleanField(_("成功"), default=False)
    refused = models.BooleanField(_("拒绝发送"), default=False)
    replay = models.BooleanField(_("重发"), default=False)

    class Meta:
        verbose_name = verbose_name_plural = _("发送记录")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} @ {self.at:%Y-%m-%d %H:%M:%S} → {self.status_code}"
