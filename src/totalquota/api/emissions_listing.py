"""Emission total library routes: listing."""

from ninja import Router

router = Router(tags=["总量库"])
