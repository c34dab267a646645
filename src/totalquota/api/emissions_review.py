"""Emission total library routes: review."""

from ninja import Router

router = Router(tags=["总量库"])
