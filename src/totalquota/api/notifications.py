"""API routes of the notifications area."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["notifications"])
