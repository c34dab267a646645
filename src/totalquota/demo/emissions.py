"""Demo emission total library (总量库, TOT-1 … TOT-3): five emission years, from five years ago to
last year, each as the park would have lived it.

Per emission year: the management list (the permit holders under key management, listed by their
zones; every list was back-filled when the platform started, so every change carries the reason
the deadline asks for); each listed unit's report per pollutant it holds a permit limit or an
allowance for, its actual emissions a realistic share of what it may emit, filled in by the unit's
own staff (some from their permit execution report), with the method and the data source; the
other sources (online-monitoring annual totals, environmental statistics, disclosure data of key
units) imported by a reviewer, within a few per cent of the reports but for a handful of figures;
a technical opinion by the third party (in the zones it serves) or a reviewer, flags resolved
with a reason, a second reviewer accepting; a few reports returned once and corrected in a second
version. Last year's reports, due on 31 March, are a mix: accepted, awaiting review (some with
open flags, two over-emission candidates), returned, drafts and units that have not started, with
a zone's and a unit's deadline extended and reminders sent. After each year the zones'
allowances of the next year are computed by one reviewer and issued by another, with improvement
targets where ozone or a lake's water was not attained, one total-control amount that scales a
zone's figures down, and one override proposed and confirmed.

Everything goes through the services, as the people who do it. The figures are drawn from the
demo's generator, so two runs give the same library.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field, replace

from django.db.models import F

from totalquota.accounts.models import User
from totalquota.accounts.roles import Role
from totalquota.accounts.services import unit_accounts_create
from totalquota.demo.context import DemoContext
from totalquota.emissions import determination as rule
from totalquota.emissions import selectors
from totalquota.emissions.models import (
    ConsistencyFlag,
    DeadlineKind,
    DeterminationLine,
    EmissionReport,
    FlagKind,
    FlagStatus,
    ListEntry,
    Method,
    OpinionConclusion,
    SourceKind,
)
from totalquota.emissions.rules import IMPROVEMENT_TARGET, TOTAL_CONTROL
from totalquota.emissions.services import determinations, listing, review
from totalquota.emissions.services.reports import (
    ExecutionFile,
    LineInput,
    execution_import,
    report_create,
    report_lines_save,
    report_return,
    report_submit,
)
from totalquota.lib.errors import ValidationFailed
from totalquota.lib.units import format_quantity
from totalquota.registry.models import Enterprise, ManagementCategory, Medium, Pollutant, Zone
from totalquota.registry.selectors import permitted_figures
from totalquota.registry.services import rule_parameter_set

YEARS = 5

# How a year's reports end: accepted as first filed, or after one return (corrected); last year
# also awaiting review, returned, in draft or not started.
ACCEPTED = "accepted"
CORRECTED = "corrected"
SUBMITTED = "submitted"
RESUBMITTED = "resubmitted"
RETURNED = "returned"
DRAFT = "draft"
NOT_STARTED = "not_started"
# Last year's mix: (fate, share in per cent, at least).
LATEST_MIX = [
    (RETURNED, 7, 1),
    (DRAFT, 8, 1),
    (NOT_STARTED, 8, 1),
    (SUBMITTED, 12, 2),
    (RESUBMITTED, 4, 1),
    (CORRECTED, 5, 1),
]
PAST_MIX = [(CORRECTED, 8, 1)]

# Improvement targets (TOT-3): VOCs and NOx, the precursors of ozone, 3 % a year in every zone
# (applied where the zone's ozone was not attained); 阳澄湖's lake sections, total phosphorus and
# COD 2 % (applied in the years its water missed the standard).
IMPROVEMENT_TARGETS = [
    (zone, code, 300, "园区臭氧污染防治攻坚方案：臭氧未达标功能区 VOCs、NOx 排放量年度削减 3%")
    for zone in ("HMT", "DSL", "YCL", "JJL")
    for code in ("VOCS", "NOX")
] + [
    ("YCL", code, 200, "阳澄湖水质提升方案：考核断面未达标年度，总磷、化学需氧量排放量削减 2%")
    for code in ("TP", "COD")
]
TOTAL_CONTROL_SHARE = 93  # per cent of what the zone's units would otherwise be allowed

METHOD_SOURCES: dict[str, str] = {
    Method.ONLINE: "{y} 年在线监测数据（污染源自动监控系统年度汇总）",
    Method.SUPERVISORY: "{y} 年园区环境监测站监督性监测报告",
    Method.SELF: "{y} 年自行监测报告（委托检测机构按季监测）",
    Method.BALANCE: "{y} 年溶剂购入、使用与回收台账（物料衡算）",
    Method.FACTOR: "排放源统计调查产排污核算方法和系数手册（{y} 年产量）",
}
SOURCES: dict[str, tuple[str, int, int, int]] = {
    SourceKind.ONLINE: ("苏州市污染源自动监控平台 {y} 年度排放总量", 1, 20, 200),
    SourceKind.DISCLOSURE: ("{y} 年度企业环境信息依法披露报告（江苏省披露系统导出）", 3, 15, 100),
    SourceKind.STATISTICS: ("{y} 年环境统计年报（排放源统计调查）", 6, 30, 300),
}
RESOLUTIONS = {
    SourceKind.STATISTICS: "环境统计按产排污系数核算，与单位监测数据存在方法差异，以单位监测数据为准",
    SourceKind.ONLINE: "在线监测设备年内检修停运，缺失时段按规范补遗，差异原因已核实",
    SourceKind.DISCLOSURE: "披露报告填报时年度数据尚未最终核算，已要求单位更正披露",
    SourceKind.EXECUTION_REPORT: "执行报告提交后单位更正了核算，已要求同步更正执行报告",
}
OPINIONS = [
    "经核查，申报数据与排污许可执行报告、在线监测数据基本一致，核算方法符合技术规范，建议通过。",
    "实际排放量核算方法合理，数据来源完整，与其他来源数据差异在允许范围内，建议通过。",
    "申报污染物齐全，监测报告与台账相互印证，建议通过。",
]
RETURN_REASONS = [
    "{p} 实际排放量明显高于在线监测与环境统计数据，疑按设计产能核算，请按实际工况重新核算。",
    "{p} 实际排放量与自行监测报告不符，请核对监测频次与排放时间后更正。",
]
CHANGE_NOTES = [
    "按实际生产工况与在线监测数据重新核算 {p} 实际排放量。",
    "核对自行监测报告后更正 {p} 实际排放量，补充数据来源说明。",
]
OVERRIDE_REASONS = {
    "VOCS": "该单位已完成 VOCs 深度治理（RTO 焚烧装置改造），经专家论证排放水平已稳定下降，"
    "本年度不再执行改善目标削减，按上年度核定量核定",
    "NOX": "该单位燃气锅炉已完成低氮燃烧改造并通过验收，氮氧化物排放浓度稳定低于 30 mg/m³，"
    "本年度不再执行改善目标削减，按上年度核定量核定",
}


@dataclass
class Plan:
    """One unit's report of one year as the demo means it to end."""

    entry: ListEntry
    fate: str = ACCEPTED
    lines: list[LineInput] = field(default_factory=list)  # the figures that stand
    first: list[LineInput] | None = None  # version 1 when it was returned
    wrong: Pollutant | None = None  # the pollutant version 1 got wrong
    execution: bool = False  # filled from the permit execution report
    opinion: bool = True  # awaiting review with an opinion already

    @property
    def unit(self) -> Enterprise:
        return self.entry.enterprise


def _step(pollutant: Pollutant) -> int:
    # Reports and sources give tonnes to the kilogram, heavy metals in kilograms to the gram.
    return 1 if pollutant.is_heavy_metal else 1000


def _share(grams: int, per_mille: int, pollutant: Pollutant) -> int:
    step = _step(pollutant)
    return grams * per_mille // 1000 // step * step


def _method(unit: Enterprise, pollutant: Pollutant, rng: random.Random) -> str:
    """The method a unit of this industry would use for this pollutant."""
    if pollutant.is_heavy_metal:
        return rng.choice([Method.SELF, Method.SELF, Method.SUPERVISORY])
    if unit.industry_code.startswith(("D441", "D462")):
        return Method.ONLINE
    if pollutant.code == "VOCS":
        return rng.choice([Method.ONLINE, Method.BALANCE, Method.BALANCE, Method.FACTOR])
    if pollutant.medium == Medium.WATER:
        return rng.choice([Method.ONLINE, Method.SELF, Method.SELF])
    return rng.choice([Method.SELF, Method.FACTOR, Method.ONLINE])


def _plan_lines(plan: Plan, year: int, rng: random.Random) -> None:
    """The figures a unit reports: the platform's prefill confirmed, actual a realistic share of
    the lower of permitted and allowed (a few near it), 接管量 for water in the permit's ratio."""
    limits = permitted_figures(plan.unit, year)
    lines = []
    for offered in sorted(
        selectors.prefilled_lines(plan.unit, year), key=lambda x: x["pollutant"].sort_order
    ):
        pollutant: Pollutant = offered["pollutant"]
        permitted, allowed = offered["permitted_grams"], offered["allowed_grams"]
        ceiling = min(x for x in (permitted, allowed) if x is not None)
        per_mille = rng.randint(960, 990) if rng.random() < 0.05 else rng.randint(600, 950)
        actual = _share(ceiling, per_mille, pollutant)
        limit = limits.get(pollutant.pk)
        sewer = None
        if limit is not None and limit.sewer_grams and limit.permitted_grams:
            sewer = _share(
                actual * limit.sewer_grams // limit.permitted_grams, rng.randint(900, 1000), pollutant
            )
        method = _method(plan.unit, pollutant, rng)
        lines.append(
            LineInput(
                pollutant=pollutant,
                actual_grams=actual,
                method=method,
                data_source=METHOD_SOURCES[method].format(y=year),
                permitted_grams=permitted,
                allowed_grams=allowed,
                sewer_grams=sewer,
            )
        )
    plan.lines = lines


def _over(plan: Plan, per_mille: int, *, of: str) -> None:
    """Make the plan's largest line exceed its permitted (or allowed) figure by ``per_mille``."""
    candidates = [x for x in plan.lines if getattr(x, of) is not None]
    if of == "allowed_grams":  # where the allowance is below the permit: over one, not the other
        candidates = [
            x for x in candidates if x.permitted_grams is None or (x.allowed_grams or 0) < x.permitted_grams
        ]
    if not candidates:
        return
    biggest = max(candidates, key=lambda x: (getattr(x, of), x.pollutant.sort_order))
    actual = _share(getattr(biggest, of), per_mille, biggest.pollutant)
    if of == "allowed_grams" and biggest.permitted_grams is not None:
        actual = min(actual, biggest.permitted_grams)
    plan.lines = [replace(x, actual_grams=actual) if x is biggest else x for x in plan.lines]


def _fates(plans: list[Plan], mix: list[tuple[str, int, int]], rng: random.Random, first: list[Plan]) -> None:
    """Give each plan its fate by the mix, in a shuffled order after ``first`` (the units whose
    accounts the demo prints, so that their staff find something to do)."""
    rest = [p for p in plans if p not in first]
    rng.shuffle(rest)
    order = first + rest
    slots: list[str] = []
    for fate, share, least in mix:
        slots += [fate] * max(least, len(plans) * share // 100)
    for plan, fate in zip(order, slots, strict=False):
        plan.fate = fate


def _accounts(ctx: DemoContext, units: list[Enterprise]) -> dict[int, User]:
    """The staff account of every unit that reports: the two the demo prints, and one opened by
    each zone for its other units (one-time passwords, not shown)."""
    staff: dict[int, User] = {}
    for user in User.objects.filter(role=Role.ENTERPRISE, enterprise__isnull=False).order_by("pk"):
        assert user.enterprise_id is not None
        staff.setdefault(user.enterprise_id, user)
    for code in ctx["zones"]:
        officer = ctx["users"][f"zone_{code.lower()}"]
        new = [u for u in units if u.zone_id == ctx["zones"][code].pk and u.pk not in staff]
        if new:
            for issued in unit_accounts_create(actor=officer.principal, enterprises=new):
                assert issued.user.enterprise_id is not None
                staff[issued.user.enterprise_id] = issued.user
    return staff


def _rules(ctx: DemoContext, admin: User, first_allowance_year: int) -> None:
    p = {x.code: x for x in Pollutant.objects.all()}
    for code, pollutant, bp, source in IMPROVEMENT_TARGETS:
        rule_parameter_set(
            actor=admin.principal,
            key=IMPROVEMENT_TARGET.key,
            value=bp,
            effective_from=dt.date(first_allowance_year, 1, 1),
            pollutant=p[pollutant],
            zone=ctx["zones"][code],
            clause_id="TOT-3",
            source=source,
        )


def _total_control(ctx: DemoContext, admin: User, year: int) -> tuple[Zone, Pollutant, int] | None:
    """A total-control amount for allowance year ``year`` on the zone and pollutant with the most
    units, below what the rule would give them, so that the scale-down shows."""
    best: tuple[int, int, Zone, Pollutant] | None = None
    for zone in ctx["zones"].values():
        try:
            inputs = determinations.read_inputs(zone, year)
        except ValidationFailed:  # no accepted report in the zone: nothing to cap
            continue
        outcomes = rule.determine_zone(inputs.lines, quality_of=inputs.quality_of, rules_of=inputs.rules_of)
        totals: dict[str, list[int]] = {}
        for outcome in outcomes:
            if outcome.determined and outcome.computed_grams:
                totals.setdefault(outcome.pollutant, []).append(outcome.computed_grams)
        for code in sorted(totals):
            figures = totals[code]
            if not inputs.pollutants[code].is_heavy_metal and len(figures) >= 2:
                rank = (len(figures), sum(figures))
                if best is None or rank > best[:2]:
                    best = (*rank, zone, inputs.pollutants[code])
    if best is None:
        return None
    _count, total, zone, pollutant = best
    cap = total * TOTAL_CONTROL_SHARE // 100 // 100_000 * 100_000  # to 0.1 t
    rule_parameter_set(
        actor=admin.principal,
        key=TOTAL_CONTROL.key,
        value=cap,
        effective_from=dt.date(year, 1, 1),
        pollutant=pollutant,
        zone=zone,
        clause_id="TOT-3",
        source=f"{year} 年度{zone.name}{pollutant.name}总量控制目标（园区总量控制计划）",
    )
    return zone, pollutant, cap


def _units_of(year: int, personas: list[Enterprise]) -> list[tuple[Enterprise, str]]:
    """The units on ``year``'s list and the basis: every active permit holder under key
    management with figures for the year, and the units whose staff the demo prints."""
    chosen = []
    units = Enterprise.objects.filter(is_active=True).exclude(permit_number="").select_related("zone")
    persona_ids = {u.pk for u in personas}
    for unit in units.order_by("zone__sort_order", "pk"):
        key = unit.management_category == ManagementCategory.KEY
        if not (key or unit.pk in persona_ids) or not permitted_figures(unit, year):
            continue
        chosen.append((unit, listing.default_basis(unit) if key else "园区重点监管企业（总量控制重点单位）"))
    return chosen


def _list(ctx: DemoContext, year: int, latest: bool, chosen: list[tuple[Enterprise, str]]) -> list[ListEntry]:
    """``year``'s list, entered by each zone's officer (金鸡湖's by the bureau), after its deadline."""
    reason = (
        f"{year} 年名录（按 {year + 1} 年 2 月确定的名录录入平台）"
        if latest
        else f"{year} 年名录（历史数据补录）"
    )
    entries: list[ListEntry] = []
    for code, zone in ctx["zones"].items():
        actor = ctx["users"]["admin" if code == "JJL" else f"zone_{code.lower()}"].principal
        by_basis: dict[str, list[Enterprise]] = {}
        for unit, basis in chosen:
            if unit.zone_id == zone.pk:
                by_basis.setdefault(basis, []).append(unit)
        for basis in sorted(by_basis):
            entries += listing.list_add(
                actor=actor, year=year, enterprises=by_basis[basis], basis=basis, reason=reason
            )
    return entries


def _listed_by_mistake(ctx: DemoContext, year: int, listed: set[int]) -> None:
    """A simplified-management unit a zone put on the list, taken off by the bureau with why."""
    zone = ctx["zones"]["HMT"]
    unit = (
        Enterprise.objects.filter(
            zone=zone, management_category=ManagementCategory.SIMPLIFIED, is_active=True
        )
        .exclude(permit_number="")
        .exclude(pk__in=listed)
        .order_by("pk")
        .first()
    )
    if unit is None:
        return
    officer = ctx["users"]["zone_hmt"].principal
    (entry,) = listing.list_add(
        actor=officer,
        year=year,
        enterprises=[unit],
        basis="重点管理排污许可证",
        reason=f"{year} 年名录补充列入",
    )
    listing.list_remove(
        actor=ctx["users"]["admin"].principal,
        entry=entry,
        reason="经核实该单位持简化管理排污许可证，不属于重点排污单位，系误列入名录",
    )


def _rows(
    plans: list[Plan], kind: str, year: int, rng: random.Random, outliers: set[tuple[int, int]]
) -> list[dict[str, object]]:
    """The rows of one source's file: a unit's figure within a few per cent of what it reports,
    a handful (``outliers``: unit, pollutant) beyond the 5 % tolerance."""
    spread = SOURCES[kind][3]  # basis points
    rows: list[dict[str, object]] = []
    for plan in plans:
        if kind == SourceKind.DISCLOSURE and plan.unit.management_category != ManagementCategory.KEY:
            continue
        for line in plan.lines:
            if kind == SourceKind.ONLINE and line.method != Method.ONLINE:
                continue
            assert line.actual_grams is not None
            bp = rng.randint(-spread, spread)
            if (plan.unit.pk, line.pollutant.pk) in outliers and kind != SourceKind.DISCLOSURE:
                bp = rng.choice([-1, 1]) * rng.randint(800, 1800)
            grams = _share(line.actual_grams, 1000, line.pollutant) * (10_000 + bp) // 10_000
            grams = grams // _step(line.pollutant) * _step(line.pollutant)
            rows.append(
                {
                    "_row": len(rows) + 2,
                    review.COL_USCC: plan.unit.uscc,
                    review.COL_YEAR: str(year),
                    review.COL_POLLUTANT: line.pollutant.code,
                    review.COL_QUANTITY: format_quantity(grams, line.pollutant.unit),
                }
            )
    return rows


def _sources(ctx: DemoContext, plans: list[Plan], year: int, rng: random.Random, outliers: set) -> None:
    reviewer = ctx["users"]["reviewer"].principal
    for kind, (source, month, day, _spread) in SOURCES.items():
        with_data = [p for p in plans if rng.random() < 0.9]  # a few units missing: "no data"
        rows = _rows(with_data, kind, year, rng, outliers)
        if not rows:
            continue
        text = "\n".join(",".join(str(r[c]) for c in review.REQUIRED_COLUMNS) for r in rows)
        review.source_import(
            actor=reviewer,
            kind=kind,
            year=year,
            source=source.format(y=year),
            source_date=min(dt.date(year + 1, month, day), ctx.today),
            rows=rows,
            file_name=f"{source.format(y=year).split('（')[0]}.csv",
            sha256=hashlib.sha256(text.encode()).hexdigest(),
        )


def _preparer(ctx: DemoContext, plan: Plan) -> User:
    """Who writes the technical opinion: the third party in the zones it serves, else a reviewer."""
    users = ctx["users"]
    return users["thirdparty"] if plan.entry.zone_id in ctx["emissions_served"] else users["reviewer"]


def _acceptor(ctx: DemoContext, plan: Plan, year: int) -> User:
    users = ctx["users"]
    if _preparer(ctx, plan) == users["reviewer"]:
        return users["reviewer2"]
    return users["reviewer2"] if year % 2 else users["reviewer"]


def _opinion(
    ctx: DemoContext, plan: Plan, report: EmissionReport, rng: random.Random, *, accept=True
) -> None:
    who = _preparer(ctx, plan)
    if accept:
        text = rng.choice(OPINIONS)
    else:
        assert plan.wrong is not None
        text = rng.choice(RETURN_REASONS).format(p=plan.wrong.name) + "建议退回修改。"
    review.opinion_add(
        actor=who.principal,
        report=report,
        conclusion=OpinionConclusion.ACCEPT if accept else OpinionConclusion.RETURN,
        text=text,
    )


def _resolve(ctx: DemoContext, year: int, acceptors: dict[int, User]) -> None:
    """The reviewers resolve the open flags of the reports they are about to accept (``acceptors``:
    report id -> reviewer), each with a reason fitting the source."""
    flags = ConsistencyFlag.objects.filter(year=year, status=FlagStatus.OPEN, report_id__in=list(acceptors))
    for flag in flags.order_by("pk"):
        if flag.kind == FlagKind.DIFFERENCE:
            reason = RESOLUTIONS[SourceKind(flag.source_kind)]
        else:
            reason = (
                "实际排放量超过核定排放量但未超过许可排放量，已约谈单位并列入次年重点核查，移交监管作为线索"
            )
        review.flag_resolve(actor=acceptors[flag.report_id].principal, flag=flag, reason=reason)


def _file(ctx: DemoContext, plan: Plan, staff: User, year: int, rng: random.Random) -> EmissionReport | None:
    """The unit's part: open the report, fill it in (from the execution report for some), submit;
    return it once and correct it where the plan says so. The review's part follows."""
    if plan.fate == NOT_STARTED:
        return None
    unit = staff.principal
    report = report_create(actor=unit, enterprise=plan.unit, year=year)
    lines = plan.first or plan.lines
    if plan.execution:
        text = "\n".join(f"{x.pollutant.code},{x.permitted_grams},{x.actual_grams},{x.method}" for x in lines)
        execution_import(
            actor=unit,
            report=report,
            lines=lines,
            file=ExecutionFile(
                name=f"{plan.unit.uscc}-{year}年度排污许可证执行报告.xlsx",
                sha256=hashlib.sha256(text.encode()).hexdigest(),
                source_date=min(dt.date(year + 1, 1, 15), ctx.today),
            ),
        )
    else:
        report_lines_save(actor=unit, report=report, lines=lines)
    if plan.fate == DRAFT:
        return report
    report = report_submit(actor=unit, report=report)
    if plan.first is not None:
        assert plan.wrong is not None
        _opinion(ctx, plan, report, rng, accept=False)
        report = report_return(
            actor=_acceptor(ctx, plan, year).principal,
            report=report,
            reason=rng.choice(RETURN_REASONS).format(p=plan.wrong.name),
        )
        if plan.fate == RETURNED:
            return report
        report_lines_save(
            actor=unit,
            report=report,
            lines=plan.lines,
            change_note=rng.choice(CHANGE_NOTES).format(p=plan.wrong.name),
        )
        report = report_submit(actor=unit, report=report, note="已按审核意见更正")
    if plan.fate in (SUBMITTED, RESUBMITTED):
        if plan.opinion:
            _opinion(ctx, plan, report, rng)
        return report
    _opinion(ctx, plan, report, rng)
    return report


def _year(
    ctx: DemoContext,
    year: int,
    latest: bool,
    chosen: list[tuple[Enterprise, str]],
    staff: dict[int, User],
    personas: list[Enterprise],
    rng: random.Random,
) -> list[Plan]:
    entries = _list(ctx, year, latest, chosen)
    plans = [Plan(entry) for entry in entries]
    for plan in plans:
        _plan_lines(plan, year, rng)
    plans = [p for p in plans if p.lines]
    persona_plans = [next((p for p in plans if p.unit.pk == u.pk), None) for u in personas]
    first = [p for p in persona_plans if p is not None]
    if latest:
        _fates(plans, LATEST_MIX, rng, first)
        if len(first) == 2:  # the printed units: one to correct, one to submit
            first[0].fate, first[1].fate = RETURNED, DRAFT
    else:
        _fates(plans, PAST_MIX, rng, [])
    for plan in plans:
        if plan.fate in (CORRECTED, RETURNED, RESUBMITTED):
            wrong = max(plan.lines, key=lambda x: (x.actual_grams or 0, x.pollutant.sort_order))
            plan.wrong = wrong.pollutant
            inflated = _share(wrong.actual_grams or 0, rng.randint(1250, 1400), wrong.pollutant)
            plan.first = [replace(x, actual_grams=inflated) if x is wrong else x for x in plan.lines]
        else:
            plan.execution = plan.fate != NOT_STARTED and rng.random() < 0.25
    submitted = [p for p in plans if p.fate == SUBMITTED]
    if latest and submitted:
        # Over-emission candidates: above the permit (and the allowance), left to supervision.
        for plan in submitted[: max(1, len(plans) // 30)]:
            _over(plan, rng.randint(1030, 1090), of="permitted_grams")
            plan.opinion = False
        submitted[-1].opinion = False
    elif year == ctx.today.year - 3:
        accepted = [
            p
            for p in plans
            if p.fate == ACCEPTED
            and any(x.allowed_grams and x.allowed_grams < (x.permitted_grams or 0) for x in p.lines)
        ]
        if accepted:
            _over(accepted[0], rng.randint(1010, 1040), of="allowed_grams")
    # A handful of figures beyond the tolerance, one at least on a report still under review.
    pool = [(p, x) for p in plans for x in p.lines if (x.actual_grams or 0) >= 500_000]
    if latest and submitted:
        pool.sort(key=lambda pair: pair[0] not in submitted[-1:])
        picks = pool[:1] + rng.sample(pool[1:], min(len(pool) - 1, max(1, len(pool) // 30)))
    else:
        picks = rng.sample(pool, min(len(pool), max(1, len(pool) // 30)))
    outliers = {(p.unit.pk, x.pollutant.pk) for p, x in picks}
    _sources(ctx, plans, year, rng, outliers)
    acceptors: dict[int, User] = {}
    for plan in plans:
        report = _file(ctx, plan, staff[plan.unit.pk], year, rng)
        if report is not None and plan.fate in (ACCEPTED, CORRECTED):
            acceptors[report.pk] = _acceptor(ctx, plan, year)
    _resolve(ctx, year, acceptors)
    for acceptor in (ctx["users"]["reviewer"], ctx["users"]["reviewer2"]):
        ids = [pk for pk, user in acceptors.items() if user == acceptor]
        if not ids:
            continue
        results = review.reports_accept(
            actor=acceptor.principal, ids=ids, reason="技术审核意见已出具，一致性核查提示已处理"
        )
        refused = [r.message for r in results if not r.accepted]
        assert not refused, refused
    return plans


def _determine(ctx: DemoContext, year: int) -> None:
    """The zones' allowances of ``year`` from the accepted reports of the year before: computed
    by one reviewer, issued by the other."""
    reviewer, reviewer2 = ctx["users"]["reviewer"].principal, ctx["users"]["reviewer2"].principal
    for zone in ctx["zones"].values():
        if not selectors.accepted_lines(year=year - 1).filter(version__report__zone=zone).exists():
            continue
        determinations.determination_compute(actor=reviewer, zone=zone, year=year)
        determinations.determination_issue(actor=reviewer2, zone=zone, year=year)


def _override(ctx: DemoContext, year: int, capped: tuple[Zone, Pollutant, int] | None) -> None:
    """One override, after issue: a reviewer proposes the figure before the improvement cut for a
    unit that finished its treatment upgrade, the other confirms; the document's next version
    supersedes the first. Not in the zone and pollutant under total control (it would break the
    cap)."""
    lines = DeterminationLine.objects.filter(
        determination__year=year,
        pollutant__code__in=list(OVERRIDE_REASONS),
        computed_grams__lt=F("base_grams"),
    ).select_related("report_line", "determination", "pollutant")
    if capped is not None:
        lines = lines.exclude(determination__zone=capped[0], pollutant=capped[1])
    order = ("-pollutant__code", "determination__zone__sort_order", "determination__enterprise__name")
    for line in lines.order_by(*order):
        permitted = line.report_line.permitted_grams if line.report_line else None
        grams = min(line.base_grams, permitted) if permitted is not None else line.base_grams
        if grams <= line.allowed_grams:
            continue
        proposed = determinations.determination_override_propose(
            actor=ctx["users"]["reviewer"].principal,
            line=line,
            grams=grams,
            reason=OVERRIDE_REASONS[line.pollutant.code],
        )
        determinations.determination_override_confirm(
            actor=ctx["users"]["reviewer2"].principal, line=proposed
        )
        return


def _extensions_and_reminders(ctx: DemoContext, year: int, plans: list[Plan]) -> None:
    admin = ctx["users"]["admin"].principal
    zone = ctx["zones"]["YCL"]
    listing.deadline_extend(
        actor=admin,
        kind=DeadlineKind.REPORT,
        year=year,
        zone=zone,
        due_on=listing.current_due(DeadlineKind.REPORT, year, zone=zone) + dt.timedelta(days=15),
        reason="阳澄湖半岛片区排污单位申报系统培训推迟，片区申报截止日相应延后",
    )
    late = [p for p in plans if p.fate in (NOT_STARTED, DRAFT)]
    if late:
        unit = late[-1].unit
        listing.deadline_extend(
            actor=admin,
            kind=DeadlineKind.REPORT,
            year=year,
            enterprise=unit,
            due_on=listing.current_due(DeadlineKind.REPORT, year, enterprise=unit) + dt.timedelta(days=30),
            reason="单位在线监测设备数据核对未完成，申请延期报送",
        )
    for code, zone in ctx["zones"].items():
        mine = [p.entry for p in late if p.entry.zone_id == zone.pk]
        if mine:
            listing.reminders_send(
                actor=ctx["users"][f"zone_{code.lower()}"].principal,
                year=year,
                entries=mine,
                message=f"{year} 年度排放量申报已截止，请尽快登录平台填报并提交，逾期将通报",
            )
    listing.reminders_daily(today=ctx.today, year=year)


def seed(ctx: DemoContext) -> None:
    rng = ctx.rng
    users = ctx["users"]
    admin = users["admin"]
    last = ctx.today.year - 1
    years = list(range(last - YEARS + 1, last + 1))
    personas = [users["ent_hmt"].enterprise, users["ent_dsl"].enterprise]
    _rules(ctx, admin, years[0] + 1)
    chosen = {year: _units_of(year, personas) for year in years}
    reporting = {u.pk: u for year in years for u, _basis in chosen[year]}
    staff = _accounts(ctx, [reporting[k] for k in sorted(reporting)])
    ctx["emissions_served"] = set(users["thirdparty"].assigned_zones.values_list("pk", flat=True))
    capped = None
    for year in years:
        plans = _year(ctx, year, year == last, chosen[year], staff, personas, rng)
        if year == last:
            _listed_by_mistake(ctx, year, {p.unit.pk for p in plans})
            _extensions_and_reminders(ctx, year, plans)
        allowance = year + 1
        if allowance == last - 1:
            capped = _total_control(ctx, admin, allowance)
        _determine(ctx, allowance)
        if allowance == ctx.today.year:  # no report reads this year's allowance yet
            _override(ctx, allowance, capped)
    reports = EmissionReport.objects.filter(year__in=years)
    flags = ConsistencyFlag.objects.filter(year__in=years)
    ctx.notes.append(
        f"总量库：{years[0]}–{last} 年度名录与申报 {reports.count()} 份"
        f"（{last} 年度 {reports.filter(year=last).count()} 份，含待审核、退回、草稿；另有未填报单位），"
        f"一致性核查提示 {flags.count()} 条（待处理 {flags.filter(status=FlagStatus.OPEN).count()} 条），"
        f"核定 {years[1]}–{ctx.today.year} 年度"
        + (f"，{capped[0].name}{capped[1].name}设总量控制量" if capped else "")
        + "。"
    )
