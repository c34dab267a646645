"""The topics shared with other systems, and the syntax of a subscription's topic patterns.

A pattern is written as the outbox registry's (:mod:`totalquota.outbox.registry`): a topic
(``reserve.warning.raised``), a prefix (``reduction.*``) or ``*``. Only the shared topics below
are sent; ``*`` means all of them. ``webhook.ping`` (a test event) reaches only the subscription
it was sent for.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PING_TOPIC = "webhook.ping"

# (pattern, what it covers). Workflow topics are "<family>.<action>" (workflow.kernel._emit).
SHARED: tuple[tuple[str, object], ...] = (
    ("reduction.*", _("减排项目的申报、退回与决定")),
    ("reserve.application.*", _("总量指标申请与分配决定")),
    ("reserve.recovery.*", _("指标核查与收回")),
    ("reserve.intake.*", _("季度入库")),
    ("reserve.adjustment.*", _("储备调整（调剂、更正、上级使用扣减）")),
    ("reserve.warning.raised", _("储备库预警")),
    ("enforcement.finding.*", _("监督检查发现")),
    ("enforcement.credit_entry.recorded", _("信用记录")),
    ("reports.bulletin.issued", _("通报发布")),
)

MAX_PATTERNS = 20


def matches(pattern: str, topic: str) -> bool:
    """``"*"`` matches every topic, ``"a.*"`` every topic starting ``"a."``, else only itself."""
    if pattern == "*" or pattern == topic:
        return True
    return pattern.endswith(".*") and topic.startswith(pattern[:-1])


def is_shared(topic: str) -> bool:
    """Whether events of ``topic`` go out to subscribers at all."""
    return any(matches(pattern, topic) for pattern, _label in SHARED)


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a valid topic pattern (the outbox registry's syntax), else ``None``."""
    if not pattern or len(pattern) > 100 or any(c.isspace() for c in pattern):
        return "syntax"
    if pattern == "*":
        return None
    body = pattern[:-2] if pattern.endswith(".*") else pattern
    if "*" in body or not body or any(not part for part in body.split(".")):
        return "syntax"
    if not all(c.isascii() and (c.isalnum() or c in "._") for c in body):
        return "syntax"
    if not any(_overlap(pattern, shared) for shared, _label in SHARED):
        return "unshared"
    return None


def _overlap(a: str, b: str) -> bool:
    """Whether some topic matches both patterns (neither is ``*`` here)."""
    if not a.endswith(".*"):
        return matches(b, a)
    if not b.endswith(".*"):
        return matches(a, b)
    return a[:-1].startswith(b[:-1]) or b[:-1].startswith(a[:-1])
