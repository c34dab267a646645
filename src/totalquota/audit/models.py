"""审计: an append-only log of every write, chained by keyed digests (HMAC).

Writing and chaining are two steps. :func:`totalquota.audit.services.record` inserts the event in
the transaction of the change it describes (with a row in :class:`AuditPending`) and takes no
shared lock; right after that transaction commits, :func:`totalquota.audit.chain.chain_pending`
links the committed events, in id order, in a short transaction of its own. Each
:class:`AuditLink` covers every stored column of its event, its position and the previous link
with an HMAC whose key is kept outside the database (``settings.AUDIT_KEY_FILE``), so rewriting
history from inside the database alone cannot be hidden: ``manage.py audit_verify`` recomputes
every link. Events and links are append-only (database triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from totalquota.common.models import DetailPage, optional_link


class AuditEvent(DetailPage):
    """审计事件: who did what to which record, with the values before and after.

    Written by :func:`totalquota.audit.services.record` in the same transaction as the change it
    describes; its place in the chain (``seq``) is given by its :class:`AuditLink` once chained.
    ``v1_seq``/``v1_prev_hash``/``v1_hash`` are the plain SHA-256 chain of events written before
    keyed links existed (empty on newer events); they are kept, and covered by the links, so the
    carried-over history stays checkable (see the README, 审计链).
    """

    at = models.DateTimeField(_("时间"), db_index=True)
    actor = optional_link(settings.AUTH_USER_MODEL, _("操作人"), related_name="+")
    actor_label = models.CharField(_("操作人"), max_length=150, blank=True)
    role = models.CharField(_("角色"), max_length=16, blank=True)
    token_id = models.BigIntegerField(_("接口令牌"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True, db_index=True)
    v1_seq = models.BigIntegerField(null=True, blank=True, unique=True)
    v1_prev_hash = models.CharField(max_length=64, blank=True)
    v1_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)

    detail_view = "audit:event_detail"

    class Meta:
        verbose_name = verbose_name_plural = _("审计事件")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.seq or '—'} {self.action} {self.object_type}:{self.object_id}"

    @property
    def chain_link(self) -> AuditLink | None:
        try:
            return self.link  # type: ignore[attr-defined]
        except AuditLink.DoesNotExist:
            return None

    @property
    def seq(self) -> int | None:
        """Position in the chain; ``None`` for the moment between commit and chaining."""
        link = self.chain_link
        return link.seq if link is not None else None


class AuditLink(models.Model):
    """审计链环节: the keyed digest binding one event to its place in the chain.

    ``mac`` = HMAC(key ``key_id``, ``algorithm``) over this link's ``seq``, ``prev`` (the previous
    link's ``mac``; for the first link the anchor of the carried-over chain), ``linked_at`` and
    every stored column of the event. Append-only.
    """

    seq = models.BigIntegerField(_("序号"), unique=True)
    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="link")
    prev = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)
    key_id = models.CharField(max_length=32)
    algorithm = models.CharField(max_length=16)
    linked_at = models.DateTimeField()

    class Meta:
        verbose_name = _("审计链环节")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.mac[:12]}"


class AuditPending(models.Model):
    """An event written but not linked yet: the chainer's work queue (rows are removed once the
    event is linked). Losing a row cannot hide an event: the verifier looks for unlinked events
    in the event table itself."""

    event = models.OneToOneField(AuditEvent, on_delete=models.CASCADE, primary_key=True, related_name="+")

    class Meta:
        verbose_name = _("待入链审计事件")

    def __str__(self) -> str:
        return f"pending {self.event_id}"


class AuditChainHead(models.Model):
    """The newest link of the chain (one row, ``id`` 1), locked by the chainer alone.

    ``seq``/``hash`` are the last link's position and ``mac``; ``head_mac`` covers them with the
    newest key, so a head moved back over a deleted tail is noticed. ``v1_seq``/``v1_hash`` are
    the head of the plain SHA-256 chain of older events, kept as the anchor of the keyed chain;
    ``carried`` says that those events have been linked.
    """

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    head_mac = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=32, blank=True)
    algorithm = models.CharField(max_length=16, blank=True)
    v1_seq = models.BigIntegerField(default=0)
    v1_hash = models.CharField(max_length=64, blank=True)
    carried = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("审计链头")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"
