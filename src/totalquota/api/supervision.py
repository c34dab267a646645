"""API routes of the supervision area."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["supervision"])
