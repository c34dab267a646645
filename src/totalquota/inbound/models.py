"""外部系统事件: what the approval, permit and enforcement systems posted, and what it did."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import NoReverseMatch
from django.utils.translation import gettext_lazy as _

from totalquota.common.models import DetailPage, optional_link, required_link


class Source(models.TextChoices):
    APPROVAL = "approval", _("项目审批")
    PERMIT = "permit", _("排污许可")
    ENFORCEMENT = "enforcement", _("执法")


class Kind(models.TextChoices):
    EIA_APPROVED = "eia.approved", _("环评批复")
    EIA_CANCELLED = "eia.cancelled", _("环评撤销（项目不再建设）")
    PERMIT_ISSUED = "permit.issued", _("排污许可证核发")
    PERMIT_CHANGED = "permit.changed", _("排污许可证变更")
    PERMIT_REVOKED = "permit.revoked", _("排污许可证撤销")
    VIOLATION_REPORTED = "violation.reported", _("违法行为")


# The kinds each partner system posts.
KINDS_OF: dict[str, tuple[str, ...]] = {
    Source.APPROVAL: (Kind.EIA_APPROVED, Kind.EIA_CANCELLED),
    Source.PERMIT: (Kind.PERMIT_ISSUED, Kind.PERMIT_CHANGED, Kind.PERMIT_REVOKED),
    Source.ENFORCEMENT: (Kind.VIOLATION_REPORTED,),
}


class Outcome(models.TextChoices):
    APPLIED = "applied", _("已处理")
    NEEDS_REVIEW = "needs_review", _("待人工审核")
    NOTHING_TO_DO = "nothing_to_do", _("无需处理")


class PartnerSystem(models.Model):
    """对接系统账号: the partner system (source) a system client account speaks for. A token of
    that account may post the events of this source only (``manage.py inbound_partner``)."""

    source = models.CharField(_("来源系统"), max_length=16, choices=Source.choices)
    client = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="partner_system",
        verbose_name=_("客户端账号"),
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("对接系统账号")
        ordering = ["source", "client__username"]

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.client}"


class InboundEvent(DetailPage):
    """外部系统事件: one event a partner system posted (PLAT-1), recorded once per sender's event id.

    ``payload`` is the body as received and ``payload_sha256`` the digest of its canonical JSON
    (keys sorted), so a repeat of the same event id is recognised as the same body or another
    one. ``state`` says what the platform did: applied, needs a reviewer (a permit below an
    allocation, a revoked permit: nothing is cut automatically) or nothing to do; ``result_code``
    and ``result_params`` say it in words (``inbound.messages``), ``result`` holds the same text in
    Chinese as stored, for search and export. ``object_type``/``object_id`` name the record the
    event is about (an application, a unit) and ``effects`` the records it opened or changed.
    """

    source = models.CharField(_("来源系统"), max_length=16, choices=Source.choices)
    kind = models.CharField(_("事件类型"), max_length=32, choices=Kind.choices)
    event_id = models.CharField(_("来源事件编号"), max_length=100)
    payload = models.JSONField(_("报文"))
    payload_sha256 = models.CharField(_("报文摘要（SHA-256）"), max_length=64)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)
    client = required_link(settings.AUTH_USER_MODEL, _("调用方账号"), related_name="+")
    token = optional_link("accounts.ApiToken", _("调用令牌"), related_name="+")
    state = models.CharField(_("处理结果"), max_length=16, choices=Outcome.choices)
    result_code = models.CharField(_("结果代码"), max_length=32)
    result_params = models.JSONField(_("结果参数"), default=dict, blank=True)
    result = models.TextField(_("处理说明"))
    enterprise = optional_link("registry.Enterprise", _("排污单位"), related_name="+")
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    effects = models.JSONField(_("处理记录"), default=list, blank=True)

    detail_view = "inbound:detail"

    class Meta:
        verbose_name = verbose_name_plural = _("外部系统事件")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="inbound_event_once_per_source"),
        ]
        indexes = [models.Index(fields=["state", "received_at"])]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.event_id}"

    def result_text(self) -> str:
        """What the platform did, in the language of the page."""
        from totalquota.inbound.messages import render

        return render(self.result_code, self.result_params)

    @property
    def links(self) -> list[dict[str, Any]]:
        """The records the event is about and acted on, each with its page where it has one."""
        from django.apps import apps

        out = []
        rows = (
            [{"type": self.object_type, "id": self.object_id, "role": "subject"}] if self.object_type else []
        )
        for item in rows + list(self.effects or []):
            try:
                model = apps.get_model(item["type"])
            except (LookupError, ValueError, KeyError):
                continue
            obj = model._default_manager.filter(pk=item.get("id")).first()
            url = ""
            if obj is not None and hasattr(obj, "get_absolute_url"):
                try:
                    url = obj.get_absolute_url()
                except NoReverseMatch:  # a record whose page needs more than its key
                    url = ""
            out.append(
                {
                    "label": str(obj) if obj is not None else f"{item['type']}:{item.get('id')}",
                    "model": str(model._meta.verbose_name),
                    "url": url,
                    "role": item.get("role", ""),
                }
            )
        return out
