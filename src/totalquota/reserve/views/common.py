"""What the reserve's pages share: a quantity form's data as the services take it."""

from __future__ import annotations

from typing import Any


def in_grams(data: dict[str, Any], text: str) -> dict[str, Any]:
    """A quantity form's cleaned data for a service: the quantity as typed (field ``text``) left
    out, the grams the form read from it kept."""
    return {k: v for k, v in data.items() if k != text}
