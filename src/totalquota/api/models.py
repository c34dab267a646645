"""What the API keeps about the requests it answered: idempotency keys (幂等键)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyState(models.TextChoices):
    IN_PROGRESS = "in_progress", _("处理中")
    DONE = "done", _("已完成")


class IdempotencyRecord(models.Model):
    """幂等记录 idempotency record: one ``Idempotency-Key`` a caller sent to one route, with the
    digest of the request's body and, once answered, the response given (status, content type,
    body), so that the same request sent again is answered the same without running twice.

    ``caller`` is ``token:<id>`` for a bearer token or ``user:<id>`` for a signed-in person;
    ``route`` the method and path. The unique constraint on the three decides who claims a key
    first when requests race. Kept ``IDEMPOTENCY_RETENTION_DAYS`` (7 by default), then removed by
    ``manage.py api_prune_idempotency``.
    """

    caller = models.CharField(_("调用方"), max_length=64)
    route = models.CharField(_("接口"), max_length=320)
    key = models.CharField(_("幂等键"), max_length=255)
    body_hash = models.CharField(_("请求摘要"), max_length=64)
    state = models.CharField(_("状态"), max_length=16, choices=IdempotencyState.choices)
    status_code = models.PositiveSmallIntegerField(_("响应状态码"), null=True, blank=True)
    content_type = models.CharField(_("响应类型"), max_length=200, blank=True, default="")
    body = models.BinaryField(_("响应内容"), default=b"")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(_("受理时间"), default=timezone.now)

    class Meta:
        verbose_name = _("幂等记录")
        verbose_name_plural = _("幂等记录")
        constraints = [
            models.UniqueConstraint(fields=["caller", "route", "key"], name="api_idempotency_once_per_route"),
        ]

    def __str__(self) -> str:
        return f"{self.caller} {self.route} {self.key}"
