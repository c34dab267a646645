"""The rules of the quota reserve as pure decisions: the route, ratio and deduction of an
application line (RES-2), the documents a review needs (RES-2), the consistency of its ANNEX-1 figures, the state of its hold and whether
it is a RES-4 (2) recovery candidate. Reads only: nothing here writes, so selectors and services
both use it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext

from totalquota.common.i18n import in_chinese
from totalquota.emissions import selectors as emissions
from totalquota.emissions.models import ReportLine, VerifiedEmission
from totalquota.ledger import selectors as ledger_selectors
from totalquota.lib.errors import RuleViolation, ValidationFailed
from totalquota.lib.units import MAX_GRAMS, format_quantity
from totalquota.registry.attainment import latest_attainment
from totalquota.registry.models import AttainmentStatus, Indicator, Pollutant, Zone
from totalquota.registry.rules import FILING_THRESHOLD, rule_value
from totalquota.reserve import rules
from totalquota.reserve.models import (
    REVIEW_DOCUMENTS,
    ApplicationLine,
    DocumentKind,
    QuotaApplication,
    RecoveryKind,
    Route,
)

LINE_FIELDS = [
    "project_sewer_grams",
    "project_env_grams",
    "plant_sewer_grams",
    "plant_env_grams",
    "new_discharge_grams",
]


def ceil_grams(value: Fraction) -> int:
    """Round up to the gram: a deduction is never less than the rule asks."""
    return -((-value.numerator) // value.denominator)


def floor_grams(value: Fraction) -> int:
    return value.numerator // value.denominator


def attainment_for(
    pollutant: Pollutant, on: dt.date, zone: Zone | None = None
) -> tuple[str | None, AttainmentStatus | None]:
    """The indicator that decides the pollutant's ratio and its latest assessed status before
    ``on``'s year: the zone's own record of that year where it has one, else the park's (records
    are kept once, per zone or for the park, never copied to each zone)."""
    try:
        indicator = rule_value(rules.ATTAINMENT_INDICATOR.key, on, pollutant=pollutant).value
    except RuleViolation:
        return None, None
    if not indicator:
        return indicator, None
    return indicator, latest_attainment(zone=zone, indicator=indicator, before_year=on.year)


def indicator_name(code: str) -> str:
    """The name of an ambient indicator code in the active language (``WATER`` → 地表水考核断面)."""
    return str(Indicator(code).label) if code in Indicator.values else code


@dataclass
class LineDecision:
    """What the rules say about one application line on a date."""

    route: str
    route_reason: str
    ratio: Fraction
    deduction_grams: int
    computation: str
    snapshot: dict[str, Any]


def decide_line(*, zone: Zone, pollutant: Pollutant, new_discharge_grams: int, on: dt.date) -> LineDecision:
    """Filing or review, the balance ratio and the deduction for one pollutant (RES-2)."""
    threshold = rule_value(FILING_THRESHOLD.key, on, pollutant=pollutant)
    snap: dict[str, Any] = {"filing_threshold": threshold.snapshot()}
    if threshold.value is None:
        route = Route.FILING if new_discharge_grams == 0 else Route.REVIEW
    else:
        route = Route.FILING if new_discharge_grams <= threshold.value else Route.REVIEW
    indicator, status = attainment_for(pollutant, on, zone)
    key = rules.BALANCE_RATIO.key
    if status is not None and not status.attained:
        key = rules.NONATTAINMENT_RATIO.key
    ratio_value = rule_value(key, on, pollutant=pollutant, zone=zone)
    ratio = ratio_value.ratio
    snap["balance_ratio"] = ratio_value.snapshot()
    snap["attainment"] = {
        "indicator": indicator,
        "year": status.year if status else None,
        "attained": status.attained if status else None,
        "source": status.source if status else None,
        # which assessment the ratio read: the zone's own (its code) or the park's ("park")
        "assessed_for": status.assessed_for if status else None,
    }
    deduction = ceil_grams(new_discharge_grams * ratio)
    with in_chinese():  # the record keeps the explanation in Chinese; pages explain in their language
        reason, computation = explain_line(pollutant, new_discharge_grams, deduction, snap)
        snap["attainment"]["note"] = _attainment_note(snap["attainment"])
    return LineDecision(route, reason, ratio, deduction, computation, snap)


def _attainment_note(attainment: dict[str, Any]) -> str:
    indicator, year = attainment.get("indicator"), attainment.get("year")
    if year is not None and attainment.get("attained") is False:
        label = indicator_name(str(indicator))
        source = attainment.get("source")
        if source:
            return gettext("{year} 年{indicator}不达标（{source}），适用不达标地区平衡比例").format(
                year=year, indicator=label, source=source
            )
        return gettext("{year} 年{indicator}不达标，适用不达标地区平衡比例").format(
            year=year, indicator=label
        )
    if indicator and year is None:
        label = indicator_name(indicator)
        return gettext("尚未录入{indicator}上年度达标状况，适用一般平衡比例").format(indicator=label)
    return gettext("相关环境质量指标达标或未设，适用一般平衡比例")


def explain_line(
    pollutant: Pollutant, new_discharge_grams: int, deduction_grams: int, snapshot: dict[str, Any]
) -> tuple[str, str]:
    """The route's reason and the deduction's computation of a line, from the rule values its
    decision stored (``snapshot``), in the active language, with the clause IDs."""
    unit = pollutant.unit
    name = pollutant.display_name
    threshold = snapshot["filing_threshold"]
    new = format_quantity(new_discharge_grams, unit, suffix=True)
    if threshold["value"] is None:
        if new_discharge_grams == 0:
            reason = gettext("依据 {clause}：{pollutant}无新增外排环境量")
        else:
            reason = gettext("依据 {clause}：{pollutant}无备案阈值，任何新增均需审核")
        limit = ""
    else:
        limit = format_quantity(threshold["value"], unit, suffix=True)
        if new_discharge_grams <= threshold["value"]:
            reason = gettext("依据 {clause}：全厂新增外排环境量 {new} 不超过 {limit}，备案")
        else:
            reason = gettext("依据 {clause}：全厂新增外排环境量 {new} 超过 {limit}，需审核")
    reason = reason.format(clause=threshold["clause_id"], pollutant=name, new=new, limit=limit)
    ratio = snapshot["balance_ratio"]
    numerator, denominator = ratio["value"]
    computation = gettext(
        "削减替代量 = 全厂新增外排环境量 {new} × 平衡比例 {numerator}:{denominator} = {deduction}"
        "（向上取整到克；{note}；依据 {clause}）"
    ).format(
        new=new,
        numerator=numerator,
        denominator=denominator,
        deduction=format_quantity(deduction_grams, unit, suffix=True),
        note=_attainment_note(snapshot.get("attainment") or {}),
        clause=ratio["clause_id"],
    )
    return reason, computation


def missing_documents(application: QuotaApplication) -> list[DocumentKind]:
    """The documents of a review (its basis and its balance plan, RES-2) the application lacks."""
    have = set(application.documents.values_list("kind", flat=True))
    return [kind for kind in REVIEW_DOCUMENTS if kind not in have]


def review_documents_refusal(application: QuotaApplication, review_lines: list[str]) -> RuleViolation | None:
    """The refusal of a submit whose lines ``review_lines`` (pollutant names) go to review while a
    review document is missing; ``None`` when nothing is missing or nothing goes to review."""
    missing = missing_documents(application) if review_lines else []
    if not missing:
        return None
    names = "、".join(str(kind.label) for kind in missing)
    return RuleViolation(
        gettext(
            "该申请因{pollutants}须经审核，审核的是依据和总量平衡方案：提交前请上传{names}（申请材料）"
        ).format(pollutants="、".join(review_lines), names=names),
        field="documents",
        clause="RES-2",
    )


def expected_route(application: QuotaApplication, on: dt.date) -> str | None:
    """The route a draft would take if submitted on ``on`` (review if any line goes to review);
    ``None`` when a rule it needs is missing (the submit says so)."""
    routes = set()
    for line in application.lines.select_related("pollutant"):
        try:
            decision = decide_line(
                zone=application.zone,
                pollutant=line.pollutant,
                new_discharge_grams=line.new_discharge_grams,
                on=on,
            )
        except RuleViolation:
            return None
        routes.add(decision.route)
    if not routes:
        return None
    return Route.REVIEW if Route.REVIEW in routes else Route.FILING


def check_line_figures(pollutant: Pollutant, values: dict[str, int]) -> list[str]:
    """The consistency rules of ANNEX-1 figures; returns Chinese messages (empty when fine)."""
    problems = []
    name = pollutant.name
    for field in LINE_FIELDS:
        value = values.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_GRAMS:
            problems.append(f"{name}：数量必须是非负整数克，且不超过 {format_quantity(MAX_GRAMS)} t/a")
            return problems
    if values["project_env_grams"] > values["plant_env_grams"]:
        problems.append(f"{name}：全厂许可量（外排环境量）不能小于本项目许可量（外排环境量）")
    if values["project_sewer_grams"] > values["plant_sewer_grams"]:
        problems.append(f"{name}：全厂许可量（接管量）不能小于本项目许可量（接管量）")
    if values["new_discharge_grams"] > values["plant_env_grams"]:
        problems.append(f"{name}：全厂许可量（外排环境量）不能小于其中包含的全厂新增外排环境量")
    return problems


def line_hold(line: ApplicationLine) -> tuple[str, int]:
    """The line's hold state (see :func:`line_hold_state`) and the grams its hold still holds,
    read once (0 unless the hold is open, in full or in part)."""
    if line.deduction_grams == 0:
        return "none", 0
    if line.hold_id is None or line.hold is None:
        return "missing", 0
    state = ledger_selectors.hold_state(line.hold)
    if state != "open":
        return state, 0
    held = ledger_selectors.open_hold_grams(line.hold)
    return ("partial" if held < line.deduction_grams else "open"), held


def line_hold_state(line: ApplicationLine) -> str:
    """``none`` (nothing to hold), ``missing``, ``partial`` (an open hold of less than the
    deduction: the zone could cover only part of it), ``open``, ``posted``, ``voided`` or
    ``expired``."""
    return line_hold(line)[0]


@dataclass(frozen=True)
class Shortfall:
    """A line of an open application whose deduction is not held in full (RES-2): what it needs,
    what is held, what is short, and the sentence that says so."""

    line_id: int
    pollutant: str
    requested_grams: int
    held_grams: int
    short_grams: int
    text: str


def line_shortfall(line: ApplicationLine) -> Shortfall | None:
    """The line's shortfall, or ``None`` when nothing is to be held or it is held (or posted) in full."""
    state, held = line_hold(line)
    if state in ("none", "open", "posted"):
        return None
    short = line.deduction_grams - held
    unit = line.pollutant.unit
    text = gettext(
        "{pollutant}：需预留削减替代量 {requested}，已预留 {held}，不足 {short}（依据 RES-2）"
    ).format(
        pollutant=line.pollutant.display_name,
        requested=format_quantity(line.deduction_grams, unit, suffix=True),
        held=format_quantity(held, unit, suffix=True),
        short=format_quantity(short, unit, suffix=True),
    )
    return Shortfall(line.pk, line.pollutant.code, line.deduction_grams, held, short, text)


@dataclass
class Candidate:
    """A RES-4 (2) candidate: in formal operation for a year, actual emission below the line.

    The actual figure comes from the unit's accepted report (``report_line``) or, where no accepted
    report holds it, from a verified emission a reviewer entered with evidence (``verified``)."""

    line: ApplicationLine
    verified: VerifiedEmission | None
    permitted_grams: int
    actual_grams: int
    suggested_surplus_grams: int
    snapshot: dict[str, Any]
    report_line: ReportLine | None = None
    year: int = 0
    source: str = ""


def first_counted_year(started_on: dt.date) -> int:
    """The first calendar year that began after the project's first year of formal operation
    (its 1 January on or after ``started_on`` + 1 year, RES-4 Decision "which figures")."""
    return started_on.year + 1 if (started_on.month, started_on.day) == (1, 1) else started_on.year + 2


def _report_source(report_line: ReportLine) -> str:
    version = report_line.version
    return gettext("{year} 年度排放量申报 {id} 第 {n} 版（已审核通过）").format(
        year=version.report.year, id=version.report_id, n=version.number
    )


def recovery_candidate(
    line: ApplicationLine, *, today: dt.date, verified: VerifiedEmission | None = None
) -> Candidate | None:
    """Whether ``line`` is a RES-4 (2) candidate today. "Below 80 %" is strict: exactly 80 % is not.

    The figure compared with the whole-plant permitted quantity (``permitted_env_grams``) is the
    unit's accepted whole-plant actual emission (外排环境量) of the latest calendar year that began
    after the first year of formal operation; only where no accepted report holds one, the verified
    emission of such a year a reviewer entered with evidence (``verified``, when given, is that)."""
    application = line.application
    if application.operation_started_on is None or not line.permitted_env_grams:
        return None
    days = rule_value(rules.RECOVERY_OPERATION_DAYS.key, today)
    if (today - application.operation_started_on).days < days.value:
        return None
    since = first_counted_year(application.operation_started_on)
    report_line = None
    if verified is None:
        report_line = emissions.latest_accepted_line(application.enterprise, line.pollutant, since_year=since)
    if report_line is None and verified is None:
        verified = emissions.latest_verified(application.enterprise, line.pollutant, since_year=since)
    if report_line is not None:
        assert report_line.actual_grams is not None
        actual, year = report_line.actual_grams, report_line.version.report.year
        source = _report_source(report_line)  # shown in the page's language
        with in_chinese():  # kept in Chinese with the decision
            stored = _report_source(report_line)
        figure = {
            "kind": "report",
            "report_id": report_line.version.report_id,
            "version": report_line.version.number,
            "line_id": report_line.pk,
            "year": year,
            "actual_grams": actual,
            "source": stored,
        }
    elif verified is not None and verified.year >= since:
        actual, year, source = verified.actual_grams, verified.year, verified.source
        figure = {
            "kind": "verified",
            "verified_id": verified.pk,
            "year": year,
            "actual_grams": actual,
            "source": source,
        }
    else:
        return None
    threshold = rule_value(rules.RECOVERY_THRESHOLD.key, today)
    permitted = line.permitted_env_grams
    # actual < permitted x bp / 10000, in integers: actual x 10000 < permitted x bp
    if not actual * 10_000 < permitted * threshold.value:
        return None
    return Candidate(
        line,
        verified if report_line is None else None,
        permitted,
        actual,
        permitted - actual,
        {
            "recovery_threshold": threshold.snapshot(),
            "operation_days": days.snapshot(),
            "first_counted_year": since,
            "figure": figure,
            # Kept under its former name for pages and exports that read it.
            "verified": {"year": year, "actual_grams": actual, "source": figure["source"]},
        },
        report_line,
        year,
        source,
    )


@dataclass(frozen=True)
class RecoveryFigures:
    """What a RES-4 recovery of a line moves: the surplus taken off the permitted quantity, the
    grams returned to the reserve, the reviewer's suggested figure and the rules used."""

    surplus_grams: int
    recovered_grams: int
    suggested_surplus_grams: int | None
    verified: VerifiedEmission | None
    snapshot: dict[str, Any]


def recovery_figures(
    line: ApplicationLine,
    *,
    kind: str,
    surplus_grams: int | None,
    today: dt.date,
    verified: VerifiedEmission | None = None,
    earlier: bool = False,
) -> RecoveryFigures:
    """Check a recovery of ``line`` of ``kind`` (RES-4) and compute what it moves, on ``today``:
    the same checks when a reviewer proposes it and when another decides it (the balance may have
    changed in between). ``earlier``: the line has had an approved recovery already. Refusals are
    ``RuleViolation`` / ``ValidationFailed``; nothing is written."""
    if kind == RecoveryKind.NOT_BUILT:
        if earlier:
            raise RuleViolation(gettext("该指标已部分收回，不能再按“不再建设”整体退回"), clause="RES-4")
        return RecoveryFigures(line.deduction_grams, line.deduction_grams, None, None, {})
    if isinstance(surplus_grams, bool) or not isinstance(surplus_grams, int) or surplus_grams <= 0:
        raise ValidationFailed(gettext("确认富余量必须大于零"), field="surplus_grams", clause="RES-4")
    permitted = line.permitted_env_grams or 0
    unit = line.pollutant.unit
    if surplus_grams > permitted:
        raise RuleViolation(
            gettext("确认富余量不能超过现许可量 {v0}").format(
                v0=format_quantity(permitted, unit, suffix=True)
            ),
            clause="RES-4",
        )
    suggested = None
    snap: dict[str, Any] = {}
    if kind == RecoveryKind.UNDERUSED:
        candidate = recovery_candidate(line, today=today, verified=verified)
        if candidate is None:
            raise RuleViolation(
                gettext("该项目不符合 RES-4（2）：须正式投运满一年且核实排放量低于许可量的 80%"),
                clause="RES-4",
            )
        suggested, snap, verified = (
            candidate.suggested_surplus_grams,
            dict(candidate.snapshot),
            candidate.verified,
        )
    ratio_value = rule_value(rules.RECOVERY_RATIO.key, today)
    snap["recovery_ratio"] = ratio_value.snapshot()
    snap["suggested_surplus_grams"] = suggested
    recovered = floor_grams(surplus_grams * ratio_value.ratio)
    assert line.allocation is not None
    balance = ledger_selectors.account_balance(line.allocation).available
    if recovered > balance:
        raise RuleViolation(
            gettext("收回入库量 {v0} 超过该项目指标账户余额 {v1}").format(
                v0=format_quantity(recovered, unit, suffix=True),
                v1=format_quantity(balance, unit, suffix=True),
            ),
            clause="RES-4",
        )
    if recovered <= 0:
        raise RuleViolation(gettext("按收回比例计算的入库量为零"), clause="RES-4")
    return RecoveryFigures(surplus_grams, recovered, suggested, verified, snap)
