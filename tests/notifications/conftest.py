"""Notification fixtures: the emission library's report fixtures, and a delivery pass."""

from __future__ import annotations

from tests.emissions.conftest import filled, p  # noqa: F401  (fixtures)
