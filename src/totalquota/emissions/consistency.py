"""Consistency of a report version with every other source, and over-emission (TOT-3).

Called when a version is submitted (``workflow._submit``) and, for every report of the year under
review, after each source import (:func:`recheck_year`). For each line the unit's actual emission
(``actual_grams``, 外排环境量) is set beside the latest figure of each source kind (the permit
execution report and each imported source) for that unit, pollutant and year:

* difference: flagged when ``|actual − other| > tolerance``, where tolerance is
  ``max(ceil(actual × tolerance_bp_<kind> / 10000), tolerance_floor)`` in grams, both rules read per
  pollutant on 31 December of the emission year. Rounding the relative part up means a difference
  of exactly the percentage is not flagged. A source with no figure is "no data", never a flag;
* over-emission: actual above the line's permitted (``OVER_PERMITTED``) or allowed
  (``OVER_ALLOWED``) quantity.

A re-check of a version updates its open flags that still hold, deletes those that no longer hold
and keeps resolved ones (a resolved flag is raised again only when its figures changed); checking
a newer version supersedes the open flags of the report's older versions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext

from totalquota.common.i18n import in_chinese
from totalquota.emissions.models import (
    AWAITING_REVIEW,
    ConsistencyFlag,
    EmissionReport,
    FlagKind,
    FlagStatus,
    ReportLine,
    ReportStatus,
    ReportVersion,
    SourceFigure,
    SourceKind,
)
from totalquota.emissions.rules import TOLERANCE, TOLERANCE_FLOOR
from totalquota.lib.errors import RuleViolation
from totalquota.lib.units import Unit, format_quantity
from totalquota.registry.models import Pollutant
from totalquota.registry.rules import RuleValue, rule_value

CHECKED = (*AWAITING_REVIEW, ReportStatus.ACCEPTED)
SOURCE_ORDER = tuple(SourceKind.values)


def rules_day(year: int) -> dt.date:
    """The day the tolerances of emission year ``year`` are read on (31 December)."""
    return dt.date(year, 12, 31)


class RuleCache:
    """Rule values read once per (key, pollutant, day) during one check or re-check."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, int, dt.date], RuleValue] = {}

    def get(self, key: str, on: dt.date, pollutant: Pollutant) -> RuleValue:
        slot = (key, pollutant.pk, on)
        if slot not in self._values:
            self._values[slot] = rule_value(key, on, pollutant=pollutant)
        return self._values[slot]


def ceil_div(numerator: int, denominator: int) -> int:
    return -((-numerator) // denominator)


@dataclass
class Comparison:
    """The unit's figure beside one source's figure (``other`` is ``None``: no data)."""

    kind: str
    other_grams: int | None
    figure: SourceFigure | None = None
    difference_grams: int | None = None
    tolerance_grams: int | None = None
    rules: list[dict[str, Any]] = field(default_factory=list)

    @property
    def no_data(self) -> bool:
        return self.other_grams is None

    @property
    def flagged(self) -> bool:
        return (
            self.difference_grams is not None
            and self.tolerance_grams is not None
            and abs(self.difference_grams) > self.tolerance_grams
        )

    @property
    def label(self) -> str:
        return str(SourceKind(self.kind).label)


def compare(
    actual_grams: int,
    pollutant: Pollutant,
    kind: str,
    figure: SourceFigure | None,
    year: int,
    rules: RuleCache,
) -> Comparison:
    """``actual_grams`` against ``figure`` of source ``kind`` under the tolerance of ``year``."""
    if figure is None:
        return Comparison(kind, None)
    on = rules_day(year)
    bp = rules.get(TOLERANCE[kind].key, on, pollutant)
    floor = rules.get(TOLERANCE_FLOOR.key, on, pollutant)
    relative = ceil_div(actual_grams * int(bp.value), 10_000)
    tolerance = max(relative, int(floor.value or 0))
    return Comparison(
        kind,
        figure.grams,
        figure,
        actual_grams - figure.grams,
        tolerance,
        [bp.snapshot(), floor.snapshot()],
    )


def latest_figures(year: int, enterprise_ids: Iterable[int]) -> dict[tuple[int, int, str], SourceFigure]:
    """The latest batch's figure of each (unit, pollutant, source kind) of ``year`` (one query):
    a source imported twice counts with its later batch."""
    result: dict[tuple[int, int, str], SourceFigure] = {}
    figures = (
        SourceFigure.objects.filter(year=year, enterprise_id__in=list(enterprise_ids))
        .select_related("batch")
        .order_by("batch__imported_at", "batch_id")
    )
    for figure in figures:
        result[(figure.enterprise_id, figure.pollutant_id, figure.kind)] = figure  # later wins
    return result


def _percent(part: int, whole: int) -> str:
    if whole <= 0:
        return ""
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = format(value.normalize(), "f")
    return f"{text}%"


def _bp_percent(bp: int) -> str:
    return format((Decimal(bp) / 100).normalize(), "f") + "%"


def explain(
    *,
    kind: str,
    source_kind: str,
    reported_grams: int,
    other_grams: int,
    tolerance_grams: int,
    rules: list[dict[str, Any]],
    unit: Unit | str,
) -> str:
    """What a flag says, in the active language: which figures differ, by how much and under which
    tolerance, e.g. "实际排放量 12.5 t/a，环境统计 10 t/a，相差 2.5 t/a（20%），超过允许偏差 5%（0.625 t/a）"."""

    def q(grams: int) -> str:
        return format_quantity(grams, unit, suffix=True)

    difference = abs(reported_grams - other_grams)
    pct = _percent(difference, reported_grams if kind == FlagKind.DIFFERENCE else other_grams)
    pct_text = gettext("（{pct}）").format(pct=pct) if pct else ""
    if kind == FlagKind.OVER_PERMITTED:
        return gettext("实际排放量 {actual}，超过许可排放量 {other}，超出 {diff}{pct}").format(
            actual=q(reported_grams), other=q(other_grams), diff=q(difference), pct=pct_text
        )
    if kind == FlagKind.OVER_ALLOWED:
        return gettext("实际排放量 {actual}，超过核定排放量 {other}，超出 {diff}{pct}").format(
            actual=q(reported_grams), other=q(other_grams), diff=q(difference), pct=pct_text
        )
    bp = next((r["value"] for r in rules if str(r.get("key", "")).startswith("tolerance_bp_")), None)
    floor = next((r["value"] for r in rules if r.get("key") == TOLERANCE_FLOOR.key), None)
    if (
        floor is not None
        and bp is not None
        and tolerance_grams == floor
        and floor > ceil_div(reported_grams * int(bp), 10_000)
    ):
        limit = gettext("超过允许偏差下限 {floor}").format(floor=q(tolerance_grams))
    else:
        limit = gettext("超过允许偏差 {bp}（{tolerance}）").format(
            bp=_bp_percent(int(bp or 0)), tolerance=q(tolerance_grams)
        )
    return gettext("实际排放量 {actual}，{source} {other}，相差 {diff}{pct}，{limit}").format(
        actual=q(reported_grams),
        source=SourceKind(source_kind).label,
        other=q(other_grams),
        diff=q(difference),
        pct=pct_text,
        limit=limit,
    )


def flag_message(flag: ConsistencyFlag) -> str:
    """A flag's explanation in the page's language (the record keeps it in Chinese)."""
    return explain(
        kind=flag.kind,
        source_kind=flag.source_kind,
        reported_grams=flag.reported_grams,
        other_grams=flag.other_grams,
        tolerance_grams=flag.tolerance_grams,
        rules=flag.rules,
        unit=flag.pollutant.unit,
    )


@dataclass
class Finding:
    """A flag the figures call for: its key and its figures."""

    pollutant: Pollutant
    kind: str
    source_kind: str
    reported_grams: int
    other_grams: int
    tolerance_grams: int
    rules: list[dict[str, Any]]
    figure: SourceFigure | None = None

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.pollutant.pk, self.kind, self.source_kind)


def findings(
    lines: Iterable[ReportLine],
    *,
    enterprise_id: int,
    year: int,
    figures: dict[tuple[int, int, str], SourceFigure],
    rules: RuleCache,
) -> list[Finding]:
    """Every flag the lines call for, against ``figures`` (see :func:`latest_figures`)."""
    found: list[Finding] = []
    for line in lines:
        actual = line.actual_grams
        if actual is None:
            continue
        p = line.pollutant
        for kind in SOURCE_ORDER:
            figure = figures.get((enterprise_id, p.pk, kind))
            c = compare(actual, p, kind, figure, year, rules)
            if c.flagged and figure is not None:
                found.append(
                    Finding(
                        p,
                        FlagKind.DIFFERENCE,
                        kind,
                        actual,
                        figure.grams,
                        c.tolerance_grams or 0,
                        c.rules,
                        figure,
                    )
                )
        if line.permitted_grams is not None and actual > line.permitted_grams:
            found.append(Finding(p, FlagKind.OVER_PERMITTED, "", actual, line.permitted_grams, 0, []))
        if line.allowed_grams is not None and actual > line.allowed_grams:
            found.append(Finding(p, FlagKind.OVER_ALLOWED, "", actual, line.allowed_grams, 0, []))
    return found


def _apply(
    version: ReportVersion,
    report: EmissionReport,
    found: list[Finding],
) -> list[ConsistencyFlag]:
    """Write the version's flags from ``found`` (see the module docstring) and supersede the open
    flags of the report's older versions; returns the version's open flags."""
    existing = list(ConsistencyFlag.objects.filter(version=version).exclude(status=FlagStatus.SUPERSEDED))
    open_by_key = {
        (f.pollutant_id, f.kind, f.source_kind): f for f in existing if f.status == FlagStatus.OPEN
    }
    resolved = {
        (f.pollutant_id, f.kind, f.source_kind, f.reported_grams, f.other_grams)
        for f in existing
        if f.status == FlagStatus.RESOLVED
    }
    wanted = {f.key for f in found}
    stale = [f.pk for k, f in open_by_key.items() if k not in wanted]
    if stale:
        ConsistencyFlag.objects.filter(pk__in=stale).delete()
    created: list[ConsistencyFlag] = []
    updated: list[ConsistencyFlag] = []
    for item in found:
        if (*item.key, item.reported_grams, item.other_grams) in resolved:
            continue  # resolved already with these very figures
        with in_chinese():  # the record keeps the explanation in Chinese; pages explain in theirs
            message = explain(
                kind=item.kind,
                source_kind=item.source_kind,
                reported_grams=item.reported_grams,
                other_grams=item.other_grams,
                tolerance_grams=item.tolerance_grams,
                rules=item.rules,
                unit=item.pollutant.unit,
            )
        values = {
            "source_figure": item.figure,
            "reported_grams": item.reported_grams,
            "other_grams": item.other_grams,
            "difference_grams": item.reported_grams - item.other_grams,
            "tolerance_grams": item.tolerance_grams,
            "rules": item.rules,
            "message": message[:500],
        }
        flag = open_by_key.get(item.key)
        if flag is not None:
            for name, value in values.items():
                setattr(flag, name, value)
            updated.append(flag)
        else:
            created.append(
                ConsistencyFlag(
                    report=report,
                    version=version,
                    enterprise_id=report.enterprise_id,
                    zone_id=report.zone_id,
                    year=report.year,
                    pollutant=item.pollutant,
                    kind=item.kind,
                    source_kind=item.source_kind,
                    **values,
                )
            )
    if updated:
        ConsistencyFlag.objects.bulk_update(updated, list(values))
    if created:
        ConsistencyFlag.objects.bulk_create(created)
    ConsistencyFlag.objects.filter(report=report, status=FlagStatus.OPEN).exclude(version=version).filter(
        version__number__lt=version.number
    ).update(status=FlagStatus.SUPERSEDED)
    return list(
        ConsistencyFlag.objects.filter(version=version, status=FlagStatus.OPEN).select_related("pollutant")
    )


def check_version(version: ReportVersion, *, rules: RuleCache | None = None) -> list[ConsistencyFlag]:
    """The open flags of ``version`` after checking it (written), superseding the open flags of its
    earlier versions. Called inside the submission's transaction, under the report's row lock."""
    report = version.report
    lines = list(version.lines.select_related("pollutant"))
    figures = latest_figures(report.year, [report.enterprise_id])
    found = findings(
        lines,
        enterprise_id=report.enterprise_id,
        year=report.year,
        figures=figures,
        rules=rules or RuleCache(),
    )
    return _apply(version, report, found)


def recheck_year(year: int) -> int:
    """Check again every submitted, resubmitted or accepted report of ``year`` (its current
    version) after a source import; returns how many versions were checked. Runs in the caller's
    transaction (the import's), so the flags and the figures they cite commit together."""
    reports = list(
        EmissionReport.objects.filter(year=year, status__in=CHECKED, current_version__isnull=False)
        .select_related("current_version")
        .order_by("pk")
    )
    if not reports:
        return 0
    figures = latest_figures(year, {r.enterprise_id for r in reports})
    rules = RuleCache()
    lines_by_version: dict[int, list[ReportLine]] = {}
    for line in ReportLine.objects.filter(
        version_id__in=[r.current_version_id for r in reports]
    ).select_related("pollutant"):
        lines_by_version.setdefault(line.version_id, []).append(line)
    for report in reports:
        version = report.current_version
        assert version is not None
        version.report = report
        found = findings(
            lines_by_version.get(version.pk, []),
            enterprise_id=report.enterprise_id,
            year=year,
            figures=figures,
            rules=rules,
        )
        _apply(version, report, found)
    return len(reports)


@dataclass
class ComparisonRow:
    """One pollutant of the side-by-side table: the self-report's figures and each source."""

    line: ReportLine
    cells: list[Comparison]
    over_permitted: bool
    over_allowed: bool

    @property
    def pollutant(self) -> Pollutant:
        return self.line.pollutant


def side_by_side(version: ReportVersion) -> list[ComparisonRow]:
    """The side-by-side table of a version (TOT-3): per pollutant the self-report's actual figure,
    the execution report's and each imported source's figure (or no data), the difference and the
    tolerance. A fixed number of queries, whatever the number of lines."""
    report = version.report
    lines = list(version.lines.select_related("pollutant"))
    figures = latest_figures(report.year, [report.enterprise_id])
    rules = RuleCache()
    rows = []
    for line in lines:
        cells = []
        for kind in SOURCE_ORDER:
            figure = figures.get((report.enterprise_id, line.pollutant_id, kind))
            if line.actual_grams is None:
                cells.append(Comparison(kind, figure.grams if figure else None, figure))
                continue
            try:
                cells.append(compare(line.actual_grams, line.pollutant, kind, figure, report.year, rules))
            except RuleViolation:  # a missing tolerance rule: show the figure, the check says why
                cells.append(Comparison(kind, figure.grams if figure else None, figure))
        actual = line.actual_grams
        rows.append(
            ComparisonRow(
                line,
                cells,
                actual is not None and line.permitted_grams is not None and actual > line.permitted_grams,
                actual is not None and line.allowed_grams is not None and actual > line.allowed_grams,
            )
        )
    return rows
