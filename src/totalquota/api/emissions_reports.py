"""Emission total library routes: reports."""

from ninja import Router

router = Router(tags=["总量库"])
