"""Notification fixtures: the emission library's report fixtures and the reserve's stock and draft
applications (the records whose workflows tell people)."""

from __future__ import annotations

from tests.emissions.conftest import filled, p  # noqa: F401  (fixtures)
from tests.reserve.conftest import draft, stock  # noqa: F401  (fixtures)
