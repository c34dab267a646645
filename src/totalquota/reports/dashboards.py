"""The dashboards (看板) of issue #11: what each one shows, as figures and ECharts options.

The views parse and authorise; this module reads through :mod:`.selectors_dashboard` and the other
apps' selectors and puts the figures in the shape the templates and ``static/js/charts.js`` draw.
Every chart option is plain JSON (numbers in the pollutant's display unit); the quantities printed
in tables stay integer grams and are written by the ``grams_for`` filter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from totalquota.accounts.permissions import Principal, restrict
from totalquota.documents.models import DocumentKind, IssuedDocument
from totalquota.emissions.deadlines import ReportState, unit_dues
from totalquota.emissions.models import Determination, EmissionReport
from totalquota.enforcement import selectors as enforcement
from totalquota.ledger.models import TransferCode
from totalquota.lib import dates
from totalquota.lib.errors import ValidationFailed
from totalquota.lib.units import grams_to_decimal
from totalquota.reductions.selectors import overdue_projects
from totalquota.registry.models import Pollutant, Zone
from totalquota.reports import selectors_dashboard as figures
from totalquota.reports.selectors_dashboard import Basis
from totalquota.reserve.models import OPEN_STATUSES, QuotaApplication
from totalquota.reserve.selectors import zone_warnings

# The pollutant a chart shows first when the page does not name one (the most applied for).
DEFAULT_POLLUTANT = "VOCS"


# --- the as-of basis ------------------------------------------------------------------------------
def parse_basis(query: QueryDict) -> Basis:
    """The basis a dashboard's query asks for: ``as_of`` (YYYY-MM-DD) and ``view`` (``known``: as
    known at the time, with ``known_at`` typed or from an issued ``bulletin``; ``today``: with
    today's knowledge). Bad input is refused (422) before anything is read."""
    bulletin_id = query.get("bulletin", "").strip()
    if bulletin_id:
        document = (
            IssuedDocument.objects.filter(kind=DocumentKind.BULLETIN, pk=bulletin_id).first()
            if bulletin_id.isdigit()
            else None
        )
        basis = figures.bulletin_basis(document) if document is not None else None
        if basis is None:
            raise ValidationFailed(_("未找到记录了计算依据的已签发通报"))
        return basis
    text = query.get("as_of", "").strip()
    if not text:
        return Basis()
    try:
        as_of = dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(_("日期格式应为 YYYY-MM-DD")) from None
    today = timezone.localdate()
    if as_of > today:
        raise ValidationFailed(_("历史日期不能晚于今天"))
    if as_of < dates.SCOPE_START:
        # The reserve is kept on the platform from the 14th Five-Year Plan on (SCOPE-1).
        raise ValidationFailed(
            _("历史日期不能早于 %(day)s（储备库自该日起在平台记录）")
            % {"day": dates.SCOPE_START.isoformat()},
            clause="SCOPE-1",
        )
    view = query.get("view", "today")
    if view == "today":
        return Basis(as_of=as_of)
    if view != "known":
        raise ValidationFailed(_("视图应为“如当时所知”或“按现有资料”"))
    typed = query.get("known_at", "").strip()
    if not typed:
        # As the ledger stood at the end of the day itself.
        end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min)
        return Basis(as_of=as_of, known_at=timezone.make_aware(end) - dt.timedelta(microseconds=1))
    try:
        known_at = dt.datetime.fromisoformat(typed)
    except ValueError:
        raise ValidationFailed(_("知悉时间格式应为 YYYY-MM-DDTHH:MM")) from None
    if timezone.is_naive(known_at):
        known_at = timezone.make_aware(known_at)
    if known_at > timezone.now():
        raise ValidationFailed(_("知悉时间不能晚于现在"))
    return Basis(as_of=as_of, known_at=known_at)


def basis_label(basis: Basis) -> str:
    """What the page says about the figures it shows."""
    if basis.mode == "now":
        return _("当前数据")
    if basis.mode == "today":
        return _("截至 %(day)s · 按现有资料（含事后补录和已受理的更正）") % {"day": basis.as_of}
    assert basis.known_at is not None
    known = timezone.localtime(basis.known_at).strftime("%Y-%m-%d %H:%M")
    if basis.bulletin is not None:
        return _("截至 %(day)s · 如当时所知（通报 %(code)s 签发时的台账，%(known)s）") % {
            "day": basis.as_of,
            "code": basis.bulletin.code,
            "known": known,
        }
    return _("截至 %(day)s · 如当时所知（%(known)s 时的台账）") % {"day": basis.as_of, "known": known}


# --- chart options --------------------------------------------------------------------------------
def _num(grams: int, pollutant: Pollutant) -> float:
    return float(grams_to_decimal(grams, pollutant.unit))


def category_axis(categories: list[str]) -> dict[str, Any]:
    """A category axis that labels every category: long zone names wrap instead of being skipped."""
    return {
        "type": "category",
        "data": categories,
        "axisLabel": {"interval": 0, "width": 96, "overflow": "breakAll", "hideOverlap": False},
    }


def bar_chart(categories: list[str], series: list[dict[str, Any]], *, unit: str = "") -> dict[str, Any]:
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 56, "right": 16, "top": 40, "bottom": 56},
        "xAxis": category_axis(categories),
        "yAxis": {"type": "value", "name": unit},
        "series": series,
    }


def bars(name: str, data: list[float], **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "bar", "data": data, **extra}


@dataclass
class Dashboard:
    """Everything one dashboard page shows."""

    title: str
    basis: Basis
    charts: list[dict[str, Any]] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)

    def chart(self, title: str, option: dict[str, Any]) -> None:
        self.charts.append({"title": str(title), "option": option})


def pick_pollutant(pollutants: list[Pollutant], code: str | None) -> Pollutant | None:
    wanted = code or DEFAULT_POLLUTANT
    return next((p for p in pollutants if p.code == wanted), pollutants[0] if pollutants else None)


def _quarter_label(period: tuple[int, int]) -> str:
    return f"{period[0]}Q{period[1]}"


def _flow_series(flows: figures.Flows, pollutant: Pollutant) -> list[dict[str, Any]]:
    income = [
        (TransferCode.INTAKE, _("季度入库")),
        (TransferCode.RECOVERY, _("指标收回")),
        (TransferCode.UPPER_GRANT, _("上级下达")),
    ]
    series = [
        bars(str(label), [_num(g, pollutant) for g in flows.series(pollutant.pk, code)], stack="income")
        for code, label in income
    ]
    spent = flows.series(pollutant.pk, TransferCode.ALLOCATION)
    series.append(bars(_("分配（支出）"), [_num(g, pollutant) for g in spent], stack="spending"))
    return series


# --- park and zone ---------------------------------------------------------------------------------
def deadlines(principal: Principal, zone: Zone | None, today: dt.date) -> list[dict[str, Any]]:
    """Overdue and open work: emission reports of last year overdue (TOT-2), reduction projects
    overdue (RED-3), quota applications waiting for a decision (RES-2)."""
    year = today.year - 1
    dues = unit_dues(principal, year, today=today, zone=zone)
    late = sum(1 for d in dues if d.state == ReportState.OVERDUE)
    soon = sum(1 for d in dues if d.state == ReportState.DUE_SOON)
    projects = overdue_projects(principal, today=today)
    applications = restrict(
        principal, QuotaApplication.objects.filter(status__in=OPEN_STATUSES), "reserve.view"
    )
    if zone is not None:
        projects = projects.filter(zone=zone)
        applications = applications.filter(zone=zone)
    return [
        {
            "key": "reports_overdue",
            "label": _("%(year)s 年度排放量逾期未报") % {"year": year},
            "count": late,
            "note": _("另有 %(n)s 家临近截止") % {"n": soon} if soon else "",
            "url": reverse("emissions:overdue"),
            "level": "danger" if late else "success",
        },
        {
            "key": "reductions_overdue",
            "label": _("逾期未申报的减排项目"),
            "count": projects.count(),
            "note": "",
            "url": reverse("reductions:overdue"),
            "level": "danger" if projects.exists() else "success",
        },
        {
            "key": "applications_open",
            "label": _("待决定的总量指标申请"),
            "count": applications.count(),
            "note": "",
            "url": reverse("reserve:application_list") + "?status=submitted",
            "level": "warning" if applications.exists() else "success",
        },
    ]


def reserve_dashboard(
    principal: Principal, zones: list[Zone], basis: Basis, pollutant_code: str | None, *, title: str
) -> Dashboard:
    """The park dashboard (all active zones) or a zone's (one): balances per zone and pollutant,
    income against spending by quarter, pending demand against balance, warnings, deadlines."""
    board = Dashboard(title=title, basis=basis)
    zone_ids = [z.pk for z in zones]
    all_pollutants = list(Pollutant.objects.all())
    balances = figures.lot_balances(zone_ids, basis)
    day = basis.day
    # Warnings, pending demand and deadlines are always with today's knowledge (RES-3): the reserve
    # selectors compute them from the current records; the page says so in the "known" view.
    warnings = zone_warnings(day.replace(month=1, day=1), day, zones=zones)
    active = {w.pollutant.pk for w in warnings if w.balance or w.demand or w.income or w.spending}
    active |= {p for (_z, p), g in balances.items() if g}
    pollutants = [p for p in all_pollutants if p.pk in active]
    rows = [
        {"zone": z, "cells": [{"pollutant": p, "grams": balances.get((z.pk, p.pk), 0)} for p in pollutants]}
        for z in zones
    ]
    totals = [
        {"pollutant": p, "grams": sum(balances.get((z, p.pk), 0) for z in zone_ids)} for p in pollutants
    ]
    chosen = pick_pollutant(pollutants, pollutant_code)
    if chosen is not None:
        flows = figures.flows_by_quarter(zone_ids, basis, pollutant_id=chosen.pk)
        unit = chosen.display_unit
        names = [z.name for z in zones]
        board.chart(
            _("各功能区储备余额：%(p)s（%(u)s）") % {"p": chosen.display_name, "u": unit},
            bar_chart(
                names,
                [bars(_("余额"), [_num(balances.get((z, chosen.pk), 0), chosen) for z in zone_ids])],
                unit=unit,
            ),
        )
        board.chart(
            _("收入与支出（按季度）：%(p)s（%(u)s）") % {"p": chosen.display_name, "u": unit},
            bar_chart([_quarter_label(q) for q in flows.periods], _flow_series(flows, chosen), unit=unit),  # type: ignore[arg-type]
        )
        mine = {w.zone.pk: w for w in warnings if w.pollutant.pk == chosen.pk}
        board.chart(
            _("待批需求与储备余额：%(p)s（%(u)s，按现有资料）") % {"p": chosen.display_name, "u": unit},
            bar_chart(
                names,
                [
                    bars(_("余额"), [_num(mine[z].balance if z in mine else 0, chosen) for z in zone_ids]),
                    bars(_("待批需求"), [_num(mine[z].demand if z in mine else 0, chosen) for z in zone_ids]),
                ],
                unit=unit,
            ),
        )
    flagged = [w for w in warnings if w.level != "normal"]
    flagged.sort(key=lambda w: (0 if w.level == "warning" else 1, w.zone.sort_order, w.pollutant.sort_order))
    board.context = {
        "pollutants": pollutants,
        "chosen": chosen,
        "rows": rows,
        "totals": totals,
        "warnings": flagged,
        "has_cover": any(hasattr(w, "months_of_cover") for w in flagged),
        "deadlines": deadlines(principal, zones[0] if len(zones) == 1 else None, timezone.localdate()),
        "zones": zones,
    }
    return board


# --- leader ----------------------------------------------------------------------------------------
def _change(now: int, before: int) -> dict[str, Any]:
    """Year-on-year change: the difference in grams and the percentage (``None`` from zero)."""
    percent = None if before == 0 else round((now - before) * 100 / abs(before), 1)
    return {"grams": now - before, "percent": percent}


def leader_dashboard(principal: Principal, basis: Basis, pollutant_code: str | None) -> Dashboard:
    """One page for the leading group: the park's reserve, income and spending over the last five
    years with the year-on-year change, the zones needing action and the overdue work."""
    board = Dashboard(title=_("领导总览"), basis=basis)
    zones = list(Zone.objects.filter(is_active=True))
    zone_ids = [z.pk for z in zones]
    all_pollutants = list(Pollutant.objects.all())
    years = figures.year_end_balances(zone_ids, basis)
    flows = figures.flows_by_year(zone_ids, basis)
    periods: list[int] = flows.periods  # type: ignore[assignment]
    this, last = periods[-1], periods[-2]
    used = {p for (_y, p) in flows.grams} | {p for row in years.values() for p, g in row.items() if g}
    pollutants = [p for p in all_pollutants if p.pk in used]
    table = []
    for p in pollutants:
        income = {
            y: sum(flows.series(p.pk, c)[i] for c in figures.INCOME_CODES) for i, y in enumerate(periods)
        }
        spent = dict(zip(periods, flows.series(p.pk, TransferCode.ALLOCATION), strict=True))
        table.append(
            {
                "pollutant": p,
                "balance": years[this].get(p.pk, 0),
                "balance_before": years[last].get(p.pk, 0),
                "balance_change": _change(years[this].get(p.pk, 0), years[last].get(p.pk, 0)),
                "income": income[this],
                "income_before": income[last],
                "income_change": _change(income[this], income[last]),
                "spent": spent[this],
                "spent_before": spent[last],
                "spent_change": _change(spent[this], spent[last]),
            }
        )
    chosen = pick_pollutant(pollutants, pollutant_code)
    if chosen is not None:
        unit = chosen.display_unit
        labels = [str(y) for y in periods]
        board.chart(
            _("园区储备余额趋势（年末）：%(p)s（%(u)s）") % {"p": chosen.display_name, "u": unit},
            {
                **bar_chart(labels, [], unit=unit),
                "series": [
                    {
                        "name": _("年末余额"),
                        "type": "line",
                        "data": [_num(years[y].get(chosen.pk, 0), chosen) for y in periods],
                    }
                ],
            },
        )
        income_series = [
            sum(v) for v in zip(*(flows.series(chosen.pk, c) for c in figures.INCOME_CODES), strict=True)
        ]
        board.chart(
            _("园区收入与支出（按年）：%(p)s（%(u)s）") % {"p": chosen.display_name, "u": unit},
            bar_chart(
                labels,
                [
                    bars(_("收入"), [_num(g, chosen) for g in income_series]),
                    bars(
                        _("分配（支出）"),
                        [_num(g, chosen) for g in flows.series(chosen.pk, TransferCode.ALLOCATION)],
                    ),
                ],
                unit=unit,
            ),
        )
    day = basis.day
    warnings = [
        w for w in zone_warnings(day.replace(month=1, day=1), day, zones=zones) if w.level != "normal"
    ]
    warnings.sort(key=lambda w: (0 if w.level == "warning" else 1, w.zone.sort_order, w.pollutant.sort_order))
    board.context = {
        "pollutants": pollutants,
        "chosen": chosen,
        "table": table,
        "this_year": this,
        "last_year": last,
        "warnings": warnings,
        "has_cover": any(hasattr(w, "months_of_cover") for w in warnings),
        "deadlines": deadlines(principal, None, timezone.localdate()),
    }
    return board


# --- enterprise ------------------------------------------------------------------------------------
def enterprise_dashboard(principal: Principal, basis: Basis) -> Dashboard:
    """A unit's own page: its quota (allocations), applications, emission reports, determinations,
    findings and credit entries."""
    assert principal.enterprise_id is not None
    board = Dashboard(title=_("本单位看板"), basis=basis)
    quota = figures.unit_quota(principal.enterprise_id, basis)
    pollutants = [p for p in Pollutant.objects.all() if quota.get(p.pk)]
    board.context = {
        "quota": [{"pollutant": p, "grams": quota[p.pk]} for p in pollutants],
        "applications": list(
            restrict(principal, QuotaApplication.objects.all(), "reserve.view")
            .select_related("zone")
            .order_by("-created_at", "-pk")[:10]
        ),
        "reports": list(
            restrict(principal, EmissionReport.objects.all(), "emissions.view")
            .select_related("current_version", "accepted_version")
            .order_by("-year")[:10]
        ),
        "determinations": list(
            restrict(principal, Determination.objects.all(), "emissions.view")
            .select_related("document")
            .prefetch_related("lines__pollutant")
            .order_by("-year")[:5]
        ),
        # 监督发现 (SUP-4): the unit's findings at every stage and the credit entries on it.
        "findings": list(enforcement.findings(principal).order_by("-created_at", "-pk")[:10]),
        "credit_entries": list(enforcement.credit_entries(principal).order_by("-recorded_on", "-pk")[:10]),
    }
    if pollutants:
        board.chart(
            _("本单位总量指标（按污染物）"),
            bar_chart(
                [_("%(p)s（%(u)s）") % {"p": p.display_name, "u": p.display_unit} for p in pollutants],
                [bars(_("已分配指标"), [_num(quota[p.pk], p) for p in pollutants])],
            ),
        )
    return board
