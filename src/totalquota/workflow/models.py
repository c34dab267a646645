"""The shape every workflow's history shares: one append-only transition row per change."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
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


class Assignment(models.Model):
    """指派: the named person who is to decide an open workflow item (a prepared intake run, a
    proposed recovery, a proposed application decision), set by a bureau administrator so that
    four eyes does not stall a small bureau. While it stands only the assignee, or the assignee's
    deputy (``accounts.Delegation``) during an absence, may take the item's deciding actions."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("办理人")
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("指派人")
    )
    reason = models.CharField(_("指派说明"), max_length=300, blank=True)
    at = models.DateTimeField(_("指派时间"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("指派")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id"], name="workflow_one_assignee")
        ]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id} → {self.assignee_id}"
