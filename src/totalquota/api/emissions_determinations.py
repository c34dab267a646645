"""Emission total library routes: determinations."""

from ninja import Router

router = Router(tags=["总量库"])
