"""The handlers of outbox events, by topic pattern. Filled at import time (apps' ``ready()``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from totalquota.outbox.models import OutboxEvent

HandlerFunction = Callable[["OutboxEvent"], object]


@dataclass(frozen=True)
class Handler:
    """A function called with every event whose topic matches ``pattern``.

    ``name`` is stored on each delivery row: keep it stable (a renamed handler leaves the
    deliveries of the old name pending, and the new name gets only events emitted after it)."""

    pattern: str
    name: str
    function: HandlerFunction

    def matches(self, topic: str) -> bool:
        """``"*"`` matches every topic, ``"reduction.*"`` every topic starting ``"reduction."``,
        anything else only itself."""
        if self.pattern == "*" or self.pattern == topic:
            return True
        return self.pattern.endswith(".*") and topic.startswith(self.pattern[:-1])


_HANDLERS: dict[str, Handler] = {}


def register(pattern: str, function: HandlerFunction, name: str | None = None) -> Handler:
    """Deliver every event matching ``pattern`` to ``function`` from now on.

    ``function`` must be idempotent: delivery is at least once (see :mod:`totalquota.outbox`).
    ``name`` defaults to the function's dotted path. Registering the same name again with the
    same function and pattern is a no-op (a module imported twice); with another one it is refused.
    """
    if not pattern or ("*" in pattern and pattern != "*" and not pattern.endswith(".*")):
        raise ValueError(f"topic pattern {pattern!r}: a topic, 'prefix.*' or '*'")
    if "*" in pattern[:-1]:
        raise ValueError(f"topic pattern {pattern!r}: only a trailing '.*' is a wildcard")
    entry = Handler(
        pattern=pattern, name=name or f"{function.__module__}.{function.__qualname__}", function=function
    )
    known = _HANDLERS.get(entry.name)
    if known is not None and known != entry:
        raise ValueError(f"outbox handler {entry.name!r} registered twice")
    _HANDLERS[entry.name] = entry
    return entry


def handler(pattern: str, name: str | None = None) -> Callable[[HandlerFunction], HandlerFunction]:
    """Decorator form of :func:`register`: ``@handler("reduction.*")`` above the function."""

    def decorate(function: HandlerFunction) -> HandlerFunction:
        register(pattern, function, name)
        return function

    return decorate


def unregister(name: str) -> None:
    """Stop delivering to the handler ``name`` (its pending deliveries stay, undelivered)."""
    _HANDLERS.pop(name, None)


def handlers_for(topic: str) -> list[Handler]:
    """The handlers an event of ``topic`` is delivered to, by name."""
    return sorted((h for h in _HANDLERS.values() if h.matches(topic)), key=lambda h: h.name)


def registered() -> dict[str, Handler]:
    """Every handler by name, as of now (a copy: a delivery pass works on one set)."""
    return dict(_HANDLERS)
