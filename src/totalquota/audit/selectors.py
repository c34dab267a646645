"""Reading the audit log and checking its chain."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from totalquota.audit import chain
from totalquota.audit import keys as keyring
from totalquota.audit.models import AuditChainHead, AuditEvent, AuditLink


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`verify_chain`.

    ``broken_at`` is the sequence number of the first link that does not verify; ``unchained``
    counts events that were left unlinked longer than ``AUDIT_UNCHAINED_GRACE_SECONDS`` (found
    before this check linked them, or still unlinked), ``first_unchained`` the oldest one's id.
    """

    checked: int
    broken_at: int | None
    reason: str
    unchained: int = 0
    first_unchained: int | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None and not self.unchained

    def problems(self) -> list[str]:
        out = []
        if self.broken_at is not None:
            out.append(f"审计链断裂：序号 {self.broken_at}：{self.reason}")
        if self.unchained:
            out.append(
                f"{self.unchained} 条审计事件超过 {grace_seconds()} 秒未入链（最早为事件 {self.first_unchained}）"
            )
        return out


def grace_seconds() -> int:
    return int(getattr(settings, "AUDIT_UNCHAINED_GRACE_SECONDS", 10))


def _stale(now: dt.datetime) -> tuple[int, int | None]:
    """Events with no link that were written longer ago than the grace period."""
    stale = AuditEvent.objects.filter(link__isnull=True, at__lt=now - dt.timedelta(seconds=grace_seconds()))
    first = stale.order_by("id").values_list("id", flat=True).first()
    return (stale.count(), first) if first is not None else (0, None)


def verify_chain(
    *,
    chain_first: bool = True,
    now: dt.datetime | None = None,
    anchors: dict[int, str] | None = None,
    batch_size: int = 2000,
) -> ChainReport:
    """Report events left unchained too long, link what is pending, then recompute every link
    from the first and report the first one that does not verify.

    ``anchors`` are heads recorded outside the database earlier (``seq`` -> ``mac``, as printed by
    ``audit_verify``): the chain must still hold them, which also shows a chain rebuilt from
    nothing or cut back behind them."""
    anchors = anchors or {}
    now = now or timezone.now()
    stale, first_stale = _stale(now)
    refused = ""
    if chain_first:
        try:
            chain.chain_pending()
        except (chain.ChainRefused, keyring.KeyringError) as exc:
            refused = str(exc)
    still, first_still = _stale(now)
    if still > stale:
        stale, first_stale = still, first_still

    def report(checked: int, broken_at: int | None, reason: str) -> ChainReport:
        return ChainReport(checked, broken_at, reason, stale, first_stale)

    head = AuditChainHead.objects.filter(pk=1).first()
    try:
        ring = keyring.load()
    except keyring.KeyringError as exc:
        if head is None or (head.seq == 0 and not AuditLink.objects.exists()):
            return report(0, 1 if refused else None, refused or "尚无入链记录")
        return report(0, 1, f"{exc}：无法核验审计链（请从备份恢复密钥文件）")
    found = _walk(head, ring, anchors, batch_size)
    if found[1] is None and refused:
        return report(found[0], (head.seq if head else 0) + 1, refused)
    return report(*found)


def _walk(
    head: AuditChainHead | None, ring: keyring.Keyring, anchors: dict[int, str], batch_size: int
) -> tuple[int, int | None, str]:
    """Recompute every link from the first; (checked, first broken seq or None, reason)."""

    prev = chain.anchor(head) if head is not None else chain.GENESIS
    expected = 1
    checked = 0
    for link in AuditLink.objects.select_related("event").order_by("seq").iterator(chunk_size=batch_size):
        if link.seq != expected:
            return (checked, expected, f"缺少序号 {expected}（下一条为 {link.seq}）")
        if link.prev != prev:
            return (checked, link.seq, "前序摘要与上一条记录不一致")
        key = ring.get(link.key_id)
        if key is None:
            return (checked, link.seq, f"密钥 {link.key_id} 不在密钥环中（请从备份恢复密钥文件）")
        try:
            digest = chain.link_mac(link, link.event, key)
        except keyring.KeyringError as exc:
            return (checked, link.seq, str(exc))
        if digest != link.mac:
            return (checked, link.seq, "记录内容与摘要不符（记录被改动）")
        if link.seq in anchors and anchors[link.seq] != link.mac:
            return (checked, link.seq, "与外部留存的链头记录不符（审计链被重建）")
        prev = link.mac
        expected += 1
        checked += 1
    last = expected - 1
    beyond = [seq for seq in anchors if seq > last]
    if beyond:
        return (checked, last + 1, f"外部留存的链头为序号 {max(beyond)}，但记录只到 {last}（末尾记录被删除）")
    if head is None:
        if last:
            return (checked, expected, "缺少链头")
        return (checked, None, "审计链完整")
    if head.seq != last or (last and head.hash != prev):
        return (checked, expected, f"链头指向序号 {head.seq}，但记录只到 {last}（末尾记录被删除）")
    if (last or head.head_mac) and not chain.head_ok(head, ring):
        return (checked, expected, "链头的摘要不符（链头被改动）")
    return (checked, None, "审计链完整")
