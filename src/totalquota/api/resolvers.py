"""Resolvers the API's ``…Out`` schemas share: an answer's field read along a path of attributes
(``resolve_zone = path("zone.code")``) or a choice field's label (``display("status")``), instead
of a method written out for each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def path(dotted: str, convert: Callable[[Any], Any] | None = None) -> Any:
    """A resolver reading ``dotted`` (``"posting.reason"``) from the object shown, through
    ``convert`` when given (``str`` for a person or a record named by its text); a link that is
    ``None`` (a project without an enterprise) reads as ``None``."""
    names = dotted.split(".")

    def resolve(obj: Any) -> Any:
        for name in names:
            if obj is None:
                return None
            obj = getattr(obj, name)
        return convert(obj) if convert is not None and obj is not None else obj

    return staticmethod(resolve)


def display(field: str) -> Any:
    """A resolver giving the label of the choice in ``field`` (``get_<field>_display()``) as text."""
    return staticmethod(lambda obj: str(getattr(obj, f"get_{field}_display")()))
