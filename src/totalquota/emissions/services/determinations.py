"""Writes of this year's allowed emissions (TOT-3): compute a zone's determinations, override a
figure with four eyes, issue them to the units as numbered documents.

Computing (:func:`determination_compute`) reads the accepted reports of the emission year (only
accepted versions count), the zone's quality assessments and the rule parameters in force on
1 January of the allowance year, checks them all, then writes: the zone's determinations that are
not issued yet are created or recomputed (their lines replaced), issued ones stand. A pending or
confirmed override survives a recomputation only when its line's base inputs are unchanged;
otherwise it is dropped, and the audit log says so.

Four eyes: an override is proposed by one reviewer and confirmed (or rejected) by another; the
person who computed a determination may not issue it. An override confirmed after issue issues the
document's next version, superseding the old one, in the same transaction.

Lock order (``ledger.services``): step 1 is the zone's determination rows, taken together, sorted
by id (they are the workflow objects of a run; every path here takes them in that order, so two
runs of a zone, or a run and an override, queue); then, at step 4, the issued document being
superseded and the document number counter (``documents.services``). A determination created by a
run is inserted once (its unique constraint): a parallel run that inserted it first makes this one
a 409, not a 500.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal, require, zone_visible
from totalquota.audit.services import record
from totalquota.common.once import create_once
from totalquota.documents import selectors as documents
from totalquota.documents.models import DocumentKind, IssuedDocument
from totalquota.documents.services import document_issue, document_supersede
from totalquota.emissions import determination as rule
from totalquota.emissions import selectors
from totalquota.emissions.document import determination_figures, subject_label
from totalquota.emissions.models import Determination, DeterminationLine, DeterminationStatus
from totalquota.emissions.rules import IMPROVEMENT_TARGET, TOTAL_CONTROL
from totalquota.lib import dates
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from totalquota.lib.units import MAX_GRAMS, format_quantity
from totalquota.registry.models import Medium, Pollutant, Zone
from totalquota.registry.rules import rule_value

CLAUSE = rule.CLAUSE
KIND = DocumentKind.DETERMINATION
MEDIA = {Medium.AIR: (rule.AIR,), Medium.WATER: (rule.WATER,), Medium.AIR_OR_WATER: (rule.AIR, rule.WATER)}


def check_allowance_year(year: Any) -> int:
    """``year`` as an allowance year (核定年度): its emission year (the year before) within the
    rules' scope (SCOPE-1), and over (the reports of a year are made after it ends)."""
    dates.check_scope_year(year)
    dates.check_scope_year(year - 1)
    if year > timezone.localdate().year:
        raise ValidationFailed(
            gettext("{year} 年度的核定须在 {prev} 年结束、申报审核通过后进行").format(
                year=year, prev=year - 1
            ),
            field="year",
            clause=CLAUSE,
        )
    return int(year)


def _check_zone(actor: Principal, zone: Zone) -> None:
    if not zone_visible(actor, zone.pk):
        raise Forbidden(gettext("不能核定其他功能区的排放量"))


@dataclass
class RunInputs:
    """Everything one computation reads, read and checked before the first write."""

    zone: Zone
    year: int
    lines: list[rule.UnitLine]
    report_lines: dict[int, Any]  # line id -> ReportLine
    pollutants: dict[str, Pollutant]
    quality_of: dict[str, rule.Quality]
    rules_of: dict[str, rule.PollutantRules]


def read_inputs(zone: Zone, year: int) -> RunInputs:
    """The accepted report lines of the zone's listed units for emission year ``year - 1``, the
    quality assessments of that year and the rule parameters on 1 January of ``year``, or the
    refusal (422) that says what is missing."""
    emission_year = year - 1
    rows = list(
        selectors.accepted_lines(year=emission_year)
        .filter(version__report__zone=zone, version__report__entry__listed=True)
        .order_by(
            "version__report__enterprise__name", "version__report__enterprise_id", "pollutant__sort_order"
        )
    )
    if not rows:
        raise ValidationFailed(
            gettext("{zone} {year} 年度没有审核通过的排放量申报，无法核定 {next} 年度许可排放量").format(
                zone=zone.name, year=emission_year, next=year
            ),
            field="year",
            clause=CLAUSE,
        )
    on = dt.date(year, 1, 1)
    pollutants = {r.pollutant.code: r.pollutant for r in rows}
    rules_of: dict[str, rule.PollutantRules] = {}
    for code, pollutant in pollutants.items():
        target = rule_value(IMPROVEMENT_TARGET.key, on, pollutant=pollutant, zone=zone)
        cap = rule_value(TOTAL_CONTROL.key, on, pollutant=pollutant, zone=zone)
        bp = target.value
        if isinstance(bp, bool) or not isinstance(bp, int) or not 0 <= bp <= rule.FULL_BP:
            raise RuleViolation(
                gettext(
                    "{p} 的改善目标削减比例 {bp} 不在 0 至 10000（万分比）之间，请管理员更正规则参数"
                ).format(p=pollutant.display_name, bp=bp),
                clause=target.clause_id,
            )
        grams = cap.value
        if grams is not None and (isinstance(grams, bool) or not isinstance(grams, int) or grams < 0):
            raise RuleViolation(
                gettext("{p} 的总量控制量 {v} 不是有效的数量，请管理员更正规则参数").format(
                    p=pollutant.display_name, v=grams
                ),
                clause=cap.clause_id,
            )
        rules_of[code] = rule.PollutantRules(bp, target.snapshot(), grams, cap.snapshot())
    needed = {medium for p in pollutants.values() for medium in MEDIA[Medium(p.medium)]}
    quality_of = {}
    for medium in sorted(needed):
        attained, used = selectors.quality_attained(zone=zone, medium=medium, year=emission_year)
        quality_of[medium] = rule.Quality(attained, tuple(used))
    lines = [
        rule.UnitLine(
            enterprise_id=r.version.report.enterprise_id,
            pollutant=r.pollutant.code,
            medium=r.pollutant.medium,
            source=rule.Source(r.version.report_id, r.version.number, r.pk),
            permitted_grams=r.permitted_grams,
            allowed_grams=r.allowed_grams,
            actual_grams=r.actual_grams,
        )
        for r in rows
    ]
    return RunInputs(zone, year, lines, {r.pk: r for r in rows}, pollutants, quality_of, rules_of)


def lock_run(zone: Zone, year: int, enterprise_ids: Iterable[int] = ()) -> dict[int, Determination]:
    """Lock order step 1: the determinations of the zone's run (and of the run's units, should a
    unit's determination of the year stand under another zone), sorted by id."""
    from django.db.models import Q

    rows = (
        Determination.objects.select_for_update()
        .filter(Q(zone=zone) | Q(enterprise_id__in=list(enterprise_ids)), year=year)
        .order_by("pk")
    )
    return {d.enterprise_id: d for d in rows}


def _base_inputs(line: DeterminationLine) -> dict[str, Any] | None:
    for step in line.derivation or []:
        if step.get("step") == "base":
            inputs = step.get("inputs") or {}
            return {**inputs, "base_field": step.get("field"), "base_grams": step.get("figure")}
    return None


def _line_state(line: DeterminationLine) -> dict[str, Any]:
    return {
        "pollutant": line.pollutant.code,
        "base_grams": line.base_grams,
        "computed_grams": line.computed_grams,
        "allowed_grams": line.allowed_grams,
        "override_grams": line.override_grams,
        "override_confirmed": line.override_confirmed_by_id is not None,
    }


OVERRIDE_FIELDS = (
    "override_grams",
    "override_reason",
    "override_by",
    "override_at",
    "override_confirmed_by",
    "override_confirmed_at",
)


@transaction.atomic
def determination_compute(*, actor: Principal, zone: Zone, year: int) -> list[Determination]:
    """Compute (or recompute) the determinations of ``zone`` for allowance year ``year`` by the
    default rule (TOT-3); the issued ones stand and count against the zone's total control."""
    require(actor, "emissions.determine")
    _check_zone(actor, zone)
    year = check_allowance_year(year)
    inputs = read_inputs(zone, year)
    enterprise_ids = {line.enterprise_id for line in inputs.lines}
    existing = lock_run(zone, year, enterprise_ids)
    issued = {e for e, d in existing.items() if d.status == DeterminationStatus.ISSUED}
    fixed: dict[str, int] = {}
    for dline in DeterminationLine.objects.filter(
        determination__in=[d for d in existing.values() if d.status == DeterminationStatus.ISSUED],
        determination__zone=zone,
    ).select_related("pollutant"):
        fixed[dline.pollutant.code] = fixed.get(dline.pollutant.code, 0) + dline.allowed_grams
    outcomes = rule.determine_zone(
        [line for line in inputs.lines if line.enterprise_id not in issued],
        quality_of=inputs.quality_of,
        rules_of=inputs.rules_of,
        fixed=fixed,
    )
    by_unit: dict[int, list[rule.Outcome]] = {}
    for outcome in outcomes:
        by_unit.setdefault(outcome.enterprise_id, []).append(outcome)
    now = timezone.now()
    results: list[Determination] = []
    for enterprise_id, unit_outcomes in by_unit.items():
        determination = existing.get(enterprise_id)
        undetermined = [
            {"pollutant": o.pollutant, "reason": o.reason, "source": o.source.as_dict(), "steps": o.steps}
            for o in unit_outcomes
            if not o.determined
        ]
        before: dict[str, Any] | None = None
        old_lines: dict[str, DeterminationLine] = {}
        if determination is None:
            determination = create_once(
                Determination,
                gettext("该单位 {year} 年度的核定正由他人测算，请刷新后重试").format(year=year),
                clause=CLAUSE,
                year=year,
                enterprise_id=enterprise_id,
                zone=zone,
                computed_by=actor.user,
                computed_at=now,
                undetermined=undetermined,
            )
        else:
            old_lines = {x.pollutant.code: x for x in determination.lines.select_related("pollutant")}
            before = {"lines": [_line_state(x) for x in old_lines.values()]}
            determination.zone = zone
            determination.computed_by = actor.user
            determination.computed_at = now
            determination.undetermined = undetermined
            determination.save(update_fields=["zone", "computed_by", "computed_at", "undetermined"])
            determination.lines.all().delete()
        new_lines = []
        dropped = []
        for o in unit_outcomes:
            if not o.determined:
                continue
            assert o.base_grams is not None and o.computed_grams is not None
            dline = DeterminationLine(
                determination=determination,
                pollutant=inputs.pollutants[o.pollutant],
                report_line_id=o.source.line_id,
                base_grams=o.base_grams,
                computed_grams=o.computed_grams,
                allowed_grams=o.computed_grams,
                derivation=o.steps,
                rules=o.rules,
            )
            old = old_lines.get(o.pollutant)
            if old is not None and old.override_by_id is not None:
                if _base_inputs(old) == o.base_inputs:
                    for name in OVERRIDE_FIELDS:
                        attname = f"{name}_id" if name.endswith("_by") else name
                        setattr(dline, attname, getattr(old, attname))
                    if old.override_confirmed_by_id is not None and old.override_grams is not None:
                        dline.allowed_grams = old.override_grams
                else:
                    dropped.append(
                        {
                            "pollutant": o.pollutant,
                            "override_grams": old.override_grams,
                            "confirmed": old.override_confirmed_by_id is not None,
                            "reason": old.override_reason,
                            "base_before": _base_inputs(old),
                            "base_now": o.base_inputs,
                        }
                    )
            new_lines.append(dline)
        DeterminationLine.objects.bulk_create(new_lines)
        record(
            actor=actor,
            action="emissions.determination_compute",
            obj=determination,
            before=before,
            after={
                "year": year,
                "zone": zone.code,
                "lines": [
                    {
                        "pollutant": x.pollutant.code,
                        "base_grams": x.base_grams,
                        "computed_grams": x.computed_grams,
                        "allowed_grams": x.allowed_grams,
                    }
                    for x in new_lines
                ],
                "undetermined": [u["pollutant"] for u in undetermined],
            },
        )
        if dropped:
            record(
                actor=actor,
                action="emissions.determination_override_dropped",
                obj=determination,
                before={"overrides": dropped},
                after={"reason": "基数输入已变化，调整失效（TOT-3）"},
            )
        results.append(determination)
    # A computed determination whose unit no longer has an accepted, listed report of the year is
    # no longer what the rule gives: it goes (an issued one stands, as every issued one does).
    for enterprise_id, determination in existing.items():
        if enterprise_id in by_unit or determination.status != DeterminationStatus.COMPUTED:
            continue
        if determination.zone_id != zone.pk:
            continue
        before = {"lines": [_line_state(x) for x in determination.lines.select_related("pollutant")]}
        record(actor=actor, action="emissions.determination_withdraw", obj=determination, before=before)
        determination.delete()
    return results


# --- overrides (four eyes) -----------------------------------------------------------------------
def _lock_line(line: DeterminationLine) -> tuple[Determination, DeterminationLine]:
    # Lock order step 1: the determinations of the line's zone and year, by id (as a computation
    # takes them, so that an override and a computation queue and never cross; and so that two
    # overrides in one zone see each other's figure when they check the total-control amount),
    # then the line.
    zone_id, year = Determination.objects.values_list("zone_id", "year").get(pk=line.determination_id)
    list(Determination.objects.select_for_update().filter(zone_id=zone_id, year=year).order_by("pk"))
    determination = Determination.objects.get(pk=line.determination_id)
    locked = (
        DeterminationLine.objects.select_for_update(of=("self",))
        .select_related("pollutant", "report_line")
        .get(pk=line.pk)
    )
    return determination, locked


def _check_grams(grams: Any, line: DeterminationLine) -> int:
    if isinstance(grams, bool) or not isinstance(grams, int) or grams < 0 or grams > MAX_GRAMS:
        raise ValidationFailed(gettext("调整后的核定排放量应为不小于零的数量"), field="grams", clause=CLAUSE)
    permitted = line.report_line.permitted_grams if line.report_line_id else None  # type: ignore[union-attr]
    if permitted is not None and grams > permitted:
        raise RuleViolation(gettext("调整后的核定排放量不能超过许可排放量"), field="grams", clause=CLAUSE)
    _check_cap(line, grams)
    return grams


def _check_cap(line: DeterminationLine, grams: int) -> None:
    """Refuse an override that takes the zone's allowed emissions of the pollutant, together,
    over its total-control amount (TOT-3): the rule's scale-down keeps the total within it, and an
    override may not undo that."""
    determination = line.determination
    cap = rule_value(
        TOTAL_CONTROL.key,
        dt.date(determination.year, 1, 1),
        pollutant=line.pollutant,
        zone=determination.zone,
    ).value
    if cap is None:
        return
    others = (
        DeterminationLine.objects.filter(
            determination__zone_id=determination.zone_id,
            determination__year=determination.year,
            pollutant_id=line.pollutant_id,
        )
        .exclude(pk=line.pk)
        .aggregate(total=Sum("allowed_grams"))["total"]
        or 0
    )
    if others + grams > cap:
        unit = line.pollutant.unit
        raise RuleViolation(
            gettext(
                "调整后本功能区{p}核定排放量合计 {total}，超过总量控制量 {cap}（其余单位合计 {others}）"
            ).format(
                p=line.pollutant.name,
                total=format_quantity(others + grams, unit, suffix=True),
                cap=format_quantity(cap, unit, suffix=True),
                others=format_quantity(others, unit, suffix=True),
            ),
            field="grams",
            clause=CLAUSE,
        )


@transaction.atomic
def determination_override_propose(
    *, actor: Principal, line: DeterminationLine, grams: int, reason: str
) -> DeterminationLine:
    """Propose another allowed figure for one pollutant, with the reason; it stands once a second
    reviewer confirms it (TOT-3)."""
    require(actor, "emissions.determine")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(gettext("调整核定排放量须说明理由"), field="reason", clause=CLAUSE)
    determination, line = _lock_line(line)
    _check_zone(actor, determination.zone)
    grams = _check_grams(grams, line)
    if line.override_pending:
        raise Conflict(gettext("该污染物已有待确认的调整，请先确认或驳回"), clause=CLAUSE)
    before = _line_state(line)
    line.override_grams, line.override_reason = grams, reason
    line.override_by, line.override_at = actor.user, timezone.now()
    line.override_confirmed_by, line.override_confirmed_at = None, None
    line.save(update_fields=list(OVERRIDE_FIELDS))
    record(
        actor=actor,
        action="emissions.determination_override_propose",
        obj=determination,
        before=before,
        after={**_line_state(line), "reason": reason},
    )
    return line


def _second_person(actor: Principal, line: DeterminationLine, what: str) -> None:
    if not line.override_pending:
        raise Conflict(gettext("该污染物没有待确认的调整"), clause=CLAUSE)
    if line.override_by_id == actor.user_id:
        raise Forbidden(gettext("提出调整的人员不能{what}该调整（四眼原则，TOT-3）").format(what=what))


@transaction.atomic
def determination_override_confirm(*, actor: Principal, line: DeterminationLine) -> DeterminationLine:
    """A second reviewer confirms the proposed figure: it becomes the allowed emissions. When the
    determination was issued already, the next version of its document supersedes the old one."""
    require(actor, "emissions.determine")
    determination, line = _lock_line(line)
    _check_zone(actor, determination.zone)
    _second_person(actor, line, gettext("确认"))
    assert line.override_grams is not None
    _check_grams(line.override_grams, line)
    before = _line_state(line)
    line.override_confirmed_by, line.override_confirmed_at = actor.user, timezone.now()
    line.allowed_grams = line.override_grams
    line.save(update_fields=["override_confirmed_by", "override_confirmed_at", "allowed_grams"])
    record(
        actor=actor,
        action="emissions.determination_override_confirm",
        obj=determination,
        before=before,
        after=_line_state(line),
    )
    if determination.status == DeterminationStatus.ISSUED:
        _reissue(actor, determination)
    return line


@transaction.atomic
def determination_override_reject(
    *, actor: Principal, line: DeterminationLine, reason: str
) -> DeterminationLine:
    """A second reviewer rejects the proposed figure, with the reason; the allowed figure stays."""
    require(actor, "emissions.determine")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(gettext("驳回调整须说明理由"), field="reason", clause=CLAUSE)
    determination, line = _lock_line(line)
    _check_zone(actor, determination.zone)
    _second_person(actor, line, gettext("驳回"))
    before = {
        **_line_state(line),
        "override_reason": line.override_reason,
        "override_by": line.override_by_id,
    }
    for name in OVERRIDE_FIELDS:
        setattr(line, name, "" if name == "override_reason" else None)
    line.save(update_fields=list(OVERRIDE_FIELDS))
    record(
        actor=actor,
        action="emissions.determination_override_reject",
        obj=determination,
        before=before,
        after={**_line_state(line), "reason": reason},
    )
    return line


# --- issuing -------------------------------------------------------------------------------------
def _reissue(actor: Principal, determination: Determination) -> IssuedDocument | None:
    """The next version of an issued determination's document, stating its figures now."""
    current = documents.valid_document(determination, KIND)
    figures = determination_figures(determination)
    if current is None or current.figures == figures:
        return None
    new = document_supersede(actor=actor, document=current, issued_on=timezone.localdate(), figures=figures)
    determination.document = new
    determination.save(update_fields=["document"])
    return new


@transaction.atomic
def determination_issue(*, actor: Principal, zone: Zone, year: int) -> list[Determination]:
    """Issue every computed determination of ``zone`` for ``year`` that has no pending override,
    each as a numbered, verifiable document (TOT-3). The person who computed them may not issue
    them (four eyes)."""
    require(actor, "emissions.determine")
    _check_zone(actor, zone)
    year = check_allowance_year(year)
    run = lock_run(zone, year)
    ready = [
        d
        for d in sorted(run.values(), key=lambda d: d.pk)
        if d.zone_id == zone.pk
        and d.status == DeterminationStatus.COMPUTED
        and d.lines.exists()
        and not d.lines.filter(override_by__isnull=False, override_confirmed_by__isnull=True).exists()
    ]
    if not ready:
        raise Conflict(
            gettext("{zone} {year} 年度没有可下达的核定（须已测算、且无待确认的调整）").format(
                zone=zone.name, year=year
            ),
            clause=CLAUSE,
        )
    if any(d.computed_by_id == actor.user_id for d in ready):
        raise Forbidden(gettext("测算核定的人员不能下达该核定（四眼原则，TOT-3）"))
    today = timezone.localdate()
    now = timezone.now()
    for determination in ready:
        document = document_issue(
            actor=actor,
            kind=KIND,
            subject=determination,
            issued_on=today,
            figures=determination_figures(determination),
            holder=determination.enterprise.name,
            subject_label=subject_label(determination),
        )
        determination.status = DeterminationStatus.ISSUED
        determination.issued_by, determination.issued_at = actor.user, now
        determination.document = document
        determination.save(update_fields=["status", "issued_by", "issued_at", "document"])
        record(
            actor=actor,
            action="emissions.determination_issue",
            obj=determination,
            before={"status": DeterminationStatus.COMPUTED},
            after={"status": DeterminationStatus.ISSUED, "document": document.code},
        )
    return ready
