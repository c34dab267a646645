"""The shape every workflow's history shares: one append-only transition row per change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Transition(models.Model):
    """流转记录: one change of a workflow object's status: from, to, the action taken, who took it
    in which role, why, the rule parameters it used and when (append-only).

    Abstract: each workflow adds the foreign key to its object (``project``, ``application`` …),
    and may narrow ``from_status`` / ``to_status`` to its own choices.
    """

    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16)
    action = models.CharField(_("操作"), max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人")
    )
    role = models.CharField(_("角色"), max_length=16, blank=True)
    reason = models.TextField(_("理由或意见"), blank=True)
    rules = models.JSONField(_("所用规则参数"), default=list, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"
