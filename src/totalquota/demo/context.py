"""Demo data: a realistic park built step by step, one module of this package per app.

``manage.py seed_demo`` runs the ``seed(ctx)`` function of every module in :data:`STEPS`, in
order, inside one transaction; later steps read what earlier ones put in ``ctx``. The data is
generated from a fixed random seed, so two runs give the same park.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

# The password of every demo account; printed by the start command. Never used outside demo data.
DEMO_PASSWORD = "Demo-2026-quota"

# Each step comes after the steps whose data it uses.
STEPS: list[str] = [
    "totalquota.demo.registry",
    "totalquota.demo.accounts",
    "totalquota.demo.ledger",
    "totalquota.demo.reductions",
    "totalquota.demo.reserve",
    "totalquota.demo.permits",
    "totalquota.demo.emissions",
    "totalquota.demo.enforcement",
]


@dataclass
class DemoContext:
    """What the steps share: the random generator, the actor, and the records made so far."""

    rng: random.Random
    today: dt.date
    actor: Any = None
    data: dict[str, Any] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role label, username, note)
    notes: list[str] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value
