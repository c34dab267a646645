"""Writes of the emission total library."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record, snapshot
from totalquota.common.once import create_once
from totalquota.emissions.models import VerifiedEmission
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, ValidationFailed
from totalquota.registry.models import Enterprise, Pollutant

M = TypeVar("M", bound=models.Model)


def enter_once(
    *, actor: Principal, model: type[M], action: str, duplicate: str, unique: dict[str, Any], **fields: Any
) -> M:
    """Enter a figure the bureau records once per ``unique`` (a unit's year, an indicator's year),
    with who entered it and the audit event ``action``. Entered already: 409 with ``duplicate``
    (checked first, and by the unique constraint for a parallel twin)."""
    if model._default_manager.filter(**unique).exists():
        raise Conflict(duplicate)
    row = create_once(model, duplicate, **unique, **fields, recorded_by=actor.user)
    record(actor=actor, action=action, obj=row, after=snapshot(row))
    return row


@transaction.atomic
def verified_emission_record(
    *,
    actor: Principal,
    enterprise: Enterprise,
    pollutant: Pollutant,
    year: int,
    actual_grams: int,
    source: str,
) -> VerifiedEmission:
    """Enter a verified actual emission with its source (until emission reports supply it)."""
    if not (source or "").strip():
        raise ValidationFailed(
            gettext("请注明数据来源（如排污许可执行报告、监测报告）"), field="source", clause="RES-4"
        )
    dates.check_scope_year(year)
    if year > timezone.localdate().year:
        raise ValidationFailed(gettext("不能录入未来年度的实际排放量"), field="year")
    if isinstance(actual_grams, bool) or not isinstance(actual_grams, int) or actual_grams < 0:
        raise ValidationFailed(gettext("实际排放量应为不小于零的数量"), field="actual_grams", clause="RES-4")
    return enter_once(
        actor=actor,
        model=VerifiedEmission,
        action="reserve.verified_emission",
        duplicate=f"{enterprise} {year} 年{pollutant.name}的核实排放量已录入",
        unique={"enterprise": enterprise, "pollutant": pollutant, "year": year},
        actual_grams=actual_grams,
        source=source,
    )
