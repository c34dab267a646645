"""The home page: each app contributes cards of what needs a person's attention.

A provider is a function ``(principal) -> list[Card]``, registered with :func:`provider`; each
app's cards are in ``web/cards/<app>.py`` (imported by the web app's AppConfig.ready). The page shows cards with the most
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


@dataclass(frozen=True)
class Chart:
    """A chart on a home page: an ECharts option (plain JSON) under a title."""

    title: Any
    option: dict[str, Any]
    order: int = 100


CHART_PROVIDERS: list[Callable[[Any], list[Chart]]] = []


def chart_provider(func: Callable[[Any], list[Chart]]) -> Callable[[Any], list[Chart]]:
    CHART_PROVIDERS.append(func)
    return func


def charts_for(principal) -> list[Chart]:
    charts: list[Chart] = []
    for func in CHART_PROVIDERS:
        charts.extend(func(principal))
    return sorted(charts, key=lambda c: c.order)


def bar_option(
    categories: list[str], series: dict[str, list[Any]], *, unit: str = "", stack: bool = False
) -> dict[str, Any]:
    """A bar chart option in the platform's style."""
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 12, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": categories},
        "yAxis": {"type": "value", "name": unit},
        "series": [
            {"name": name, "type": "bar", "data": data, **({"stack": "total"} if stack else {})}
            for name, data in series.items()
        ],
    }
