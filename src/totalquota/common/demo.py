"""Demo data: a realistic park built step by step, each app adding its part.

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

# Apps append their demo module here, after the modules whose data they use.
STEPS: list[str] = [
    "totalquota.registry.demo",
    "totalquota.accounts.demo",
    "totalquota.ledger.demo",
    "totalquota.reductions.demo",
    "totalquota.reserve.demo",
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
