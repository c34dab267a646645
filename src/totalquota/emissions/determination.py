"""核定: this year's allowed emissions of a zone's units, by the default rule of TOT-3, explained.

Pure computation, free of Django: the service (:mod:`totalquota.emissions.services.determinations`)
reads the inputs (the accepted report lines of the emission year, the zone's quality assessments,
the rule parameters in force on 1 January of the allowance year) and writes what this returns.

The default rule (domain §7, TOT-3), per unit and pollutant, every number a rule parameter:

1. **base**: last year's allowed emissions as the accepted report line states them
   (``allowed_grams``), else its permitted quantity (``permitted_grams``); with neither, the
   pollutant is not determined and the outcome says why;
2. **improvement**: where the zone's environmental quality assessment of the emission year for the
   pollutant's medium was *not attained*, lower the base by the improvement target
   ``improvement_target_bp`` (basis points): ``floor(base × (10000 − bp) / 10000)``, always rounded
   down to the gram. A medium with no record is not known to be unattained and is not cut.
   Heavy metals (medium "air or water", Decision): cut when *either* medium was not attained;
3. **permitted cap**: never above the permitted quantity (when the line states one);
4. **total control**: where the zone's figures for the pollutant together exceed
   ``total_control_grams`` (``None``: no cap), every unit's figure is scaled down in proportion,
   ``floor(value × cap / total)``. Each is rounded down, so the zone's total never exceeds the cap:
   Σ floor(vᵢ·cap/T) ≤ Σ vᵢ·cap/T = cap. Figures already issued (``fixed``) stand and count against
   the cap; the others share what remains.

Each step is a dict of the derivation (``step`` names it; the page words it in the reader's
language), carrying its inputs, their sources, the rule parameters with their clause and the
figure after the step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CLAUSE = "TOT-3"
FULL_BP = 10_000  # basis points in a whole

AIR = "air"
WATER = "water"
AIR_OR_WATER = "air_or_water"

# Why a pollutant was not determined.
NO_BASE = "no_base"


@dataclass(frozen=True)
class Source:
    """Where a figure was read: the accepted version's line of a report."""

    report_id: int
    version: int
    line_id: int

    def as_dict(self) -> dict[str, int]:
        return {"report_id": self.report_id, "version": self.version, "line_id": self.line_id}


@dataclass(frozen=True)
class UnitLine:
    """One unit's accepted report line for one pollutant (grams; ``None`` where not stated)."""

    enterprise_id: int
    pollutant: str  # the pollutant's code
    medium: str
    source: Source
    permitted_grams: int | None
    allowed_grams: int | None
    actual_grams: int | None = None


@dataclass(frozen=True)
class Quality:
    """The zone's quality assessment of one medium in the emission year: ``attained`` is ``None``
    when nothing is recorded; ``records`` are the assessment records read, for the derivation."""

    attained: bool | None
    records: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class PollutantRules:
    """The rule parameters of one pollutant in the zone, as read on 1 January of the allowance
    year: each ``*_rule`` is the parameter's snapshot (id, value, clause, effective date)."""

    improvement_bp: int
    improvement_rule: Mapping[str, Any]
    cap_grams: int | None
    cap_rule: Mapping[str, Any]


@dataclass
class Outcome:
    """What the rule gives one unit for one pollutant. ``computed_grams`` is ``None`` when the
    pollutant is not determined (``reason`` says why)."""

    enterprise_id: int
    pollutant: str
    source: Source
    base_grams: int | None
    computed_grams: int | None
    steps: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""
    base_inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def determined(self) -> bool:
        return self.computed_grams is not None


def improvement_cut(base: int, bp: int) -> int:
    """``floor(base × (10000 − bp) / 10000)``: the base lowered by ``bp`` basis points, rounded
    down to the gram (integers only, never floats)."""
    if not 0 <= bp <= FULL_BP:
        raise ValueError(f"improvement target {bp} outside 0..{FULL_BP} basis points")
    return base * (FULL_BP - bp) // FULL_BP


def scale_to_cap(values: Sequence[int], cap: int) -> list[int]:
    """``values`` scaled down in proportion so that their sum does not exceed ``cap``: unchanged
    when they fit, else each ``floor(value × cap / total)`` (so the sum is at most ``cap``)."""
    total = sum(values)
    if total <= cap:
        return list(values)
    return [v * cap // total for v in values]


def combine(*qualities: Quality) -> Quality:
    """The assessment of "air or water" (heavy metals): not attained when either medium was not;
    attained when at least one is recorded and none was not; ``None`` when neither is recorded."""
    records = tuple(r for q in qualities for r in q.records)
    known = [q.attained for q in qualities if q.attained is not None]
    if not known:
        return Quality(None, records)
    return Quality(all(known), records)


def quality_for(medium: str, quality_of: Mapping[str, Quality]) -> Quality:
    """The assessment that decides a pollutant of ``medium`` (see :func:`combine` for metals)."""
    if medium == AIR_OR_WATER:
        return combine(quality_of.get(AIR, Quality(None)), quality_of.get(WATER, Quality(None)))
    return quality_of.get(medium, Quality(None))


def _rule_entry(snapshot: Mapping[str, Any], role: str) -> dict[str, Any]:
    return {**snapshot, "role": role}


def unit_figure(line: UnitLine, quality: Quality, rules: PollutantRules) -> Outcome:
    """Steps 1–3 of the rule for one unit and pollutant (the zone's cap comes after)."""
    source = line.source.as_dict()
    inputs = {"allowed_grams": line.allowed_grams, "permitted_grams": line.permitted_grams}
    if line.allowed_grams is not None:
        base, base_field = line.allowed_grams, "allowed_grams"
    elif line.permitted_grams is not None:
        base, base_field = line.permitted_grams, "permitted_grams"
    else:
        return Outcome(
            enterprise_id=line.enterprise_id,
            pollutant=line.pollutant,
            source=line.source,
            base_grams=None,
            computed_grams=None,
            steps=[{"step": NO_BASE, "source": source, "inputs": inputs, "clause": CLAUSE}],
            reason=NO_BASE,
            base_inputs=inputs,
        )
    steps: list[dict[str, Any]] = [
        {
            "step": "base",
            "field": base_field,
            "source": source,
            "inputs": inputs,
            "actual_grams": line.actual_grams,
            "clause": CLAUSE,
            "figure": base,
        },
        {
            "step": "quality",
            "medium": line.medium,
            "attained": quality.attained,
            "records": list(quality.records),
            "clause": CLAUSE,
        },
    ]
    figure = base
    cut_applies = quality.attained is False
    after_cut = improvement_cut(figure, rules.improvement_bp) if cut_applies else figure
    steps.append(
        {
            "step": "improvement",
            "applied": cut_applies,
            "bp": rules.improvement_bp,
            "rule": dict(rules.improvement_rule),
            "before": figure,
            "figure": after_cut,
            "clause": rules.improvement_rule.get("clause_id", CLAUSE),
        }
    )
    figure = after_cut
    permitted = line.permitted_grams
    capped = permitted is not None and figure > permitted
    after_permit = permitted if capped and permitted is not None else figure
    steps.append(
        {
            "step": "permitted_cap",
            "applied": capped,
            "permitted": permitted,
            "source": source,
            "before": figure,
            "figure": after_permit,
            "clause": CLAUSE,
        }
    )
    return Outcome(
        enterprise_id=line.enterprise_id,
        pollutant=line.pollutant,
        source=line.source,
        base_grams=base,
        computed_grams=after_permit,
        steps=steps,
        rules=[
            _rule_entry(rules.improvement_rule, "improvement"),
            _rule_entry(rules.cap_rule, "total_control"),
        ],
        base_inputs={**inputs, "base_field": base_field, "base_grams": base},
    )


def determine_zone(
    lines: Iterable[UnitLine],
    *,
    quality_of: Mapping[str, Quality],
    rules_of: Mapping[str, PollutantRules],
    fixed: Mapping[str, int] | None = None,
) -> list[Outcome]:
    """The rule for every line of a zone: steps 1–3 per unit, then each pollutant's total control
    (step 4). ``fixed`` holds, per pollutant, the zone's figures that stand already (issued) and
    count against the cap. Outcomes come in the order of ``lines``."""
    fixed = fixed or {}
    outcomes = [
        unit_figure(line, quality_for(line.medium, quality_of), rules_of[line.pollutant]) for line in lines
    ]
    by_pollutant: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.determined:
            by_pollutant[outcome.pollutant].append(outcome)
    for pollutant, group in by_pollutant.items():
        rules = rules_of[pollutant]
        values = [o.computed_grams or 0 for o in group]
        total = sum(values)
        already = fixed.get(pollutant, 0)
        cap = rules.cap_grams
        room = None if cap is None else max(cap - already, 0)
        scaled = values if room is None else scale_to_cap(values, room)
        applied = room is not None and total > room
        for outcome, before, after in zip(group, values, scaled, strict=True):
            outcome.steps.append(
                {
                    "step": "total_control",
                    "applied": applied,
                    "cap": cap,
                    "fixed": already,
                    "room": room,
                    "zone_total": total,
                    "rule": dict(rules.cap_rule),
                    "before": before,
                    "figure": after,
                    "clause": rules.cap_rule.get("clause_id", CLAUSE),
                }
            )
            outcome.steps.append({"step": "result", "figure": after, "clause": CLAUSE})
            outcome.computed_grams = after
    return outcomes
