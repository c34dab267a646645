"""Writes of the emission total library."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal, require
from totalquota.audit.services import record, snapshot
from totalquota.common.files import check_upload, safe_name, storing
from totalquota.common.once import create_once
from totalquota.emissions.models import VerifiedEmission, evidence_path
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
    evidence: Any,
) -> VerifiedEmission:
    """A reviewer enters a verified actual emission by hand, with its source and an evidence file
    (checked by content, size limited, SHA-256 kept): the fallback of RES-4 (2) where no accepted
    report holds the figure."""
    require(actor, "emissions.record_verified")
    if not (source or "").strip():
        raise ValidationFailed(
            gettext("请注明数据来源（如排污许可执行报告、监测报告）"), field="source", clause="RES-4"
        )
    dates.check_scope_year(year)
    if year > timezone.localdate().year:
        raise ValidationFailed(gettext("不能录入未来年度的实际排放量"), field="year")
    if isinstance(actual_grams, bool) or not isinstance(actual_grams, int) or actual_grams < 0:
        raise ValidationFailed(gettext("实际排放量应为不小于零的数量"), field="actual_grams", clause="RES-4")
    if evidence is None:
        raise ValidationFailed(
            gettext("请上传佐证材料（监测报告、执行报告等）"), field="evidence", clause="RES-4"
        )
    try:
        found = check_upload(evidence, clause="RES-4")
    except ValidationFailed as exc:
        raise type(exc)(exc.message, field="evidence", clause=exc.clause) from None
    duplicate = gettext("{unit} {year} 年{pollutant}的核实排放量已录入").format(
        unit=enterprise, year=year, pollutant=pollutant.name
    )
    unique: dict[str, Any] = {"enterprise": enterprise, "pollutant": pollutant, "year": year}
    if VerifiedEmission.objects.filter(**unique).exists():
        raise Conflict(duplicate)
    row = VerifiedEmission(
        **unique,
        actual_grams=actual_grams,
        source=source.strip(),
        evidence_name=safe_name(getattr(evidence, "name", "")),
        evidence_size_bytes=found.size,
        evidence_sha256=found.sha256,
        evidence_content_type=found.content_type,
        recorded_by=actor.user,
    )
    with storing(row.evidence, evidence, found, evidence_path(row, "")):
        row = create_once(
            VerifiedEmission,
            duplicate,
            **unique,
            actual_grams=row.actual_grams,
            source=row.source,
            evidence=row.evidence.name,
            evidence_name=row.evidence_name,
            evidence_size_bytes=row.evidence_size_bytes,
            evidence_sha256=row.evidence_sha256,
            evidence_content_type=row.evidence_content_type,
            recorded_by=actor.user,
        )
        record(actor=actor, action="reserve.verified_emission", obj=row, after=snapshot(row))
    return row
