"""Zones and pollutants named by their code in a request, looked up in one place.

A route that takes a code calls one of these: a code that names nothing is a 422 naming the
field, with the same words everywhere (codes are stored upper-case; the caller's spacing and case
are forgiven).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext

from totalquota.lib.errors import ValidationFailed
from totalquota.registry.models import Pollutant, Zone


def _normal(code: str) -> str:
    return code.strip().upper()


def zone_by_code(code: str, *, field: str = "zone", among: QuerySet[Zone] | None = None) -> Zone:
    """The zone with this code (among ``among`` when given, e.g. the caller's active zones)."""
    found = (among if among is not None else Zone.objects.all()).filter(code=_normal(code)).first()
    if found is None:
        raise ValidationFailed(gettext("未知的功能区代码：{code}").format(code=code), field=field)
    return found


def zone_or_none(code: str | None, *, field: str = "zone") -> Zone | None:
    """The zone with this code, or None when no code was given."""
    return zone_by_code(code, field=field) if code and code.strip() else None


def pollutant_by_code(code: str, *, field: str = "pollutant") -> Pollutant:
    """The controlled pollutant with this code."""
    found = Pollutant.objects.filter(code=_normal(code)).first()
    if found is None:
        raise ValidationFailed(gettext("未知的污染物代码：{code}").format(code=code), field=field)
    return found


def pollutant_or_none(code: str | None, *, field: str = "pollutant") -> Pollutant | None:
    """The pollutant with this code, or None when no code was given."""
    return pollutant_by_code(code, field=field) if code and code.strip() else None
