"""The home page: each app contributes cards of what needs a person's attention.

A provider is a function ``(principal) -> list[Card]`` registered with ``@provider`` (charts:
``(principal) -> list[Chart]`` with ``@chart_provider``); each app's are in ``web/cards/<app>.py``
(imported by the web app's AppConfig.ready). The page shows cards with the most urgent level first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from totalquota.accounts.permissions import Principal

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


@dataclass(frozen=True)
class Chart:
    """A chart on a home page: an ECharts option (plain JSON) under a title."""

    title: Any
    option: dict[str, Any]
    order: int = 100


Item = TypeVar("Item", Card, Chart)


class Providers(Generic[Item]):
    """Functions ``(principal) -> list[Item]`` the apps register (used as a decorator), and
    everything they give one principal, sorted by ``key``."""

    def __init__(self, key: Callable[[Item], Any]) -> None:
        self.functions: list[Callable[[Principal], list[Item]]] = []
        self.key: Callable[[Item], Any] = key

    def __call__(self, func: Callable[[Principal], list[Item]]) -> Callable[[Principal], list[Item]]:
        self.functions.append(func)
        return func

    def collect(self, principal: Principal) -> list[Item]:
        return sorted((item for func in self.functions for item in func(principal)), key=self.key)


provider: Providers[Card] = Providers(lambda c: (LEVELS.get(c.level, 9), c.order))
chart_provider: Providers[Chart] = Providers(lambda c: c.order)
cards_for = provider.collect
charts_for = chart_provider.collect


def bar_option(
    categories: list[str], series: dict[str, list[Any]], *, unit: str = "", stack: bool = False
) -> dict[str, Any]:
    """A bar chart option in the platform's style."""
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 12, "top": 36, "bottom": 48},
        # Every category labelled (interval 0): long zone names wrap rather than being skipped.
        "xAxis": {
            "type": "category",
            "data": categories,
            "axisLabel": {"interval": 0, "width": 96, "overflow": "breakAll", "hideOverlap": False},
        },
        "yAxis": {"type": "value", "name": unit},
        "series": [
            {"name": name, "type": "bar", "data": data, **({"stack": "total"} if stack else {})}
            for name, data in series.items()
        ],
    }
