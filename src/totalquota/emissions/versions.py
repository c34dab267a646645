"""Reads of a self-report's versions (TOT-2): what changed between two versions, which steps of the
workflow belong to which version, and the totals of the accepted versions.

A reviewer sees the current version against the one before it (the version that was returned or
reopened): per pollutant, each field whose value changed (old → new), the pollutants added and
removed, and the version's own change note. Everything computed from reports reads the accepted
versions only (``selectors.accepted_lines``); :func:`accepted_totals` is that sum for a zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from totalquota.accounts.roles import Role
from totalquota.emissions import selectors
from totalquota.emissions.models import (
    EmissionReport,
    Method,
    ReportLine,
    ReportStatus,
    ReportTransition,
    ReportVersion,
)
from totalquota.lib.units import format_quantity
from totalquota.registry.models import Pollutant

# The fields of a line a version may change, in the order the page shows them; the quantities
# (grams) are shown in the pollutant's unit.
QUANTITY_FIELDS = ("permitted_grams", "actual_grams", "sewer_grams", "allowed_grams")
TEXT_FIELDS = ("method", "data_source", "difference_note")
DIFF_FIELDS = QUANTITY_FIELDS + TEXT_FIELDS
FIELD_LABELS = {
    "permitted_grams": _("许可排放量"),
    "actual_grams": _("实际排放量（外排环境量）"),
    "sewer_grams": _("实际排放量（接管量）"),
    "allowed_grams": _("核定排放量"),
    "method": _("核算方法"),
    "data_source": _("数据来源"),
    "difference_note": _("差异说明"),
}
# What an action does to the version number: a return or a reopening opens the next version.
OPENS_NEXT_VERSION = ("return", "reopen")


def shown(line: ReportLine | None, name: str, pollutant: Pollutant) -> str:
    """A line's field as the page shows it: a quantity in the pollutant's unit, the method's label,
    or the text; ``—`` for nothing."""
    value = getattr(line, name) if line is not None else None
    if value is None or value == "":
        return "—"
    if name in QUANTITY_FIELDS:
        return format_quantity(int(value), pollutant.unit, suffix=True)
    if name == "method":
        return str(Method(value).label) if value in Method.values else str(value)
    return str(value)


@dataclass(frozen=True)
class FieldChange:
    """One field of one pollutant that differs between two versions."""

    field: str
    label: Any
    old: Any  # grams (int), text or None, as stored
    new: Any
    old_text: str
    new_text: str


@dataclass
class LineChange:
    """What happened to one pollutant between two versions: ``added``, ``removed`` or ``changed``
    (with the fields that changed)."""

    pollutant: Pollutant
    kind: str
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def kind_label(self) -> Any:
        return {"added": _("新增"), "removed": _("删除"), "changed": _("修改")}[self.kind]


@dataclass
class VersionDiff:
    """The changes of ``version`` against ``previous`` (``None`` for version 1: nothing to compare)."""

    version: ReportVersion
    previous: ReportVersion | None
    lines: list[LineChange]

    @property
    def change_note(self) -> str:
        return self.version.change_note

    @property
    def unchanged(self) -> bool:
        return self.previous is not None and not self.lines


def _lines(version: ReportVersion) -> dict[int, ReportLine]:
    return {line.pollutant_id: line for line in version.lines.select_related("pollutant")}


def version_diff(version: ReportVersion, previous: ReportVersion | None = None) -> VersionDiff:
    """The changes of ``version`` against ``previous`` (by default the version numbered one less)."""
    if previous is None and version.number > 1:
        previous = ReportVersion.objects.filter(
            report_id=version.report_id, number=version.number - 1
        ).first()
    if previous is None:
        return VersionDiff(version=version, previous=None, lines=[])
    old, new = _lines(previous), _lines(version)
    changes: list[LineChange] = []
    for pollutant_id in sorted(
        set(old) | set(new),
        key=lambda pk: ((new.get(pk) or old[pk]).pollutant.sort_order, pk),
    ):
        before, after = old.get(pollutant_id), new.get(pollutant_id)
        pollutant = (after or before).pollutant  # type: ignore[union-attr]
        kind = "added" if before is None else "removed" if after is None else "changed"
        fields = [
            FieldChange(
                field=name,
                label=FIELD_LABELS[name],
                old=getattr(before, name) if before is not None else None,
                new=getattr(after, name) if after is not None else None,
                old_text=shown(before, name, pollutant),
                new_text=shown(after, name, pollutant),
            )
            for name in DIFF_FIELDS
            if (getattr(before, name) if before is not None else None)
            != (getattr(after, name) if after is not None else None)
        ]
        if kind == "changed" and not fields:
            continue
        changes.append(LineChange(pollutant=pollutant, kind=kind, changes=fields))
    return VersionDiff(version=version, previous=previous, lines=changes)


@dataclass
class VersionRow:
    """A version with the workflow steps taken while it was the current one."""

    version: ReportVersion
    transitions: list[ReportTransition]
    is_current: bool
    is_accepted: bool


def _status_label(status: str) -> str:
    return str(ReportStatus(status).label) if status in ReportStatus.values else status


def version_history(report: EmissionReport) -> list[VersionRow]:
    """Every version of ``report``, oldest first, each with its steps (who, role, when, comment).

    Steps are matched to versions by their order: the report starts at version 1 and each return or
    reopening opens the next one, so a step belongs to the version current when it was taken."""
    versions = list(report.versions.select_related("created_by", "submitted_by").order_by("number"))
    by_number: dict[int, list[ReportTransition]] = {v.number: [] for v in versions}
    number = 1
    for step in report.transitions.select_related("actor").order_by("at", "pk"):
        step.from_label = _status_label(step.from_status)  # type: ignore[attr-defined]
        step.to_label = _status_label(step.to_status)  # type: ignore[attr-defined]
        step.role_label = str(Role(step.role).label) if step.role in Role.values else step.role  # type: ignore[attr-defined]
        by_number.setdefault(number, []).append(step)
        if step.action in OPENS_NEXT_VERSION:
            number += 1
    return [
        VersionRow(
            version=v,
            transitions=by_number.get(v.number, []),
            is_current=v.pk == report.current_version_id,
            is_accepted=v.pk == report.accepted_version_id,
        )
        for v in versions
    ]


def accepted_totals(*, year: int, zone: Any = None) -> dict[str, dict[str, int]]:
    """The sums of the accepted versions' figures of ``year`` (a zone's, or the park's), by
    pollutant code: ``{"COD": {"actual_grams": …, "sewer_grams": …, "permitted_grams": …}}`` (grams,
    ints; PostgreSQL sums a bigint column as numeric, read back exactly).

    Only accepted versions count, each report once, however many times it was corrected."""
    qs = selectors.accepted_lines(year=year)
    if zone is not None:
        qs = qs.filter(version__report__zone=zone)
    rows = (
        qs.order_by()
        .values("pollutant__code")
        .annotate(actual=Sum("actual_grams"), sewer=Sum("sewer_grams"), permitted=Sum("permitted_grams"))
    )
    return {
        r["pollutant__code"]: {
            "actual_grams": int(r["actual"] or 0),
            "sewer_grams": int(r["sewer"] or 0),
            "permitted_grams": int(r["permitted"] or 0),
        }
        for r in rows
    }
