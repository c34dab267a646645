"""Reading the audit log and checking its chain."""

from __future__ import annotations

from dataclasses import dataclass

from totalquota.audit.models import AuditChainHead, AuditEvent
from totalquota.audit.services import GENESIS, event_digest


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`verify_chain`: ``broken_at`` is the first bad sequence number."""

    checked: int
    broken_at: int | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(batch_size: int = 2000) -> ChainReport:
    """Walk the chain from the first event and report the first broken link, if any."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            return ChainReport(checked, expected_seq, f"缺少序号 {expected_seq}（下一条为 {event.seq}）")
        if event.prev_hash != prev_hash:
            return ChainReport(checked, event.seq, "前序哈希与上一条记录不一致")
        digest = event_digest(
            prev_hash=event.prev_hash,
            seq=event.seq,
            at=event.at,
            actor_id=event.actor_id,
            token_id=event.token_id,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            before=event.before,
            after=event.after,
            request_id=event.request_id,
        )
        if digest != event.hash:
            return ChainReport(checked, event.seq, "记录内容与哈希不符（记录被改动）")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev_hash):
        return ChainReport(
            checked, expected_seq, f"链头指向序号 {head.seq}，但记录只到 {expected_seq - 1}（末尾记录被删除）"
        )
    return ChainReport(checked, None, "审计链完整")
