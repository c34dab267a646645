"""API routes of the supervision area."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["supervision"])

# Bulletins (RED-5, RES-3, SUP-4).
from totalquota.api.supervision_bulletins import router as bulletins_router  # noqa: E402

router.add_router("", bulletins_router)
