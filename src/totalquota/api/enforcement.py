"""API routes of the enforcement area."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["enforcement"])
