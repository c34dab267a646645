"""The home page: each app contributes cards of what needs a person's attention.

A provider is a function ``(principal) -> list[Card]``; apps register theirs with :func:`provider`
in their ``home.py`` (imported by their AppConfig.ready). The page shows cards with the most
urgent level first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

LEVELS = {"danger": 0, "warning": 1, "info": 2, "secondary": 3}


@dataclass(frozen=True)
class Card:
    """One item on a home page: a count or a short text, and where to act on it."""

    title: Any
    value: Any
    url: str = ""
    level: str = "info"
    note: Any = ""
    order: int = 100


PROVIDERS: list[Callable[[Any], list[Card]]] = []


def provider(func: Callable[[Any], list[Card]]) -> Callable[[Any], list[Card]]:
    PROVIDERS.append(func)
    return func


def cards_for(principal) -> list[Card]:
    cards: list[Card] = []
    for func in PROVIDERS:
        cards.extend(func(principal))
    return sorted(cards, key=lambda c: (LEVELS.get(c.level, 9), c.order))
