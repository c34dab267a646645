"""A determination's derivation in words, in the reader's language (pages and API).

The derivation is stored as data (:mod:`totalquota.emissions.determination`); this writes each
step as a sentence with its figures in the pollutant's unit, its sources and the rule parameters
with their clauses.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from totalquota.lib.units import Unit, format_quantity
from totalquota.registry.models import Medium


def _q(grams: Any, unit: Unit) -> str:
    return "—" if grams is None else format_quantity(int(grams), unit, suffix=True)


def _pct(bp: Any) -> str:
    return "—" if bp is None else format(Decimal(int(bp)).scaleb(-2).normalize(), "f") + "%"


def _source(source: dict[str, Any] | None) -> str:
    if not source:
        return ""
    return _("申报 #%(report)s 第 %(version)s 版，明细 #%(line)s") % {
        "report": source.get("report_id"),
        "version": source.get("version"),
        "line": source.get("line_id"),
    }


def _parameter(rule: dict[str, Any] | None) -> str:
    rule = rule or {}
    return _("规则参数 #%(id)s，%(since)s 起施行，依据 %(clause)s") % {
        "id": rule.get("parameter_id", "—"),
        "since": rule.get("effective_from", "—"),
        "clause": rule.get("clause_id", "TOT-3"),
    }


def _records(records: list[dict[str, Any]]) -> str:
    if not records:
        return _("无评估记录")
    parts = []
    for r in records:
        state = _("达标") if r.get("attained") else _("未达标")
        scope = r.get("zone") or _("全园区")
        parts.append(f"{r.get('indicator')} {r.get('year')} {scope} {state}（{r.get('source', '')}）")
    return "；".join(parts)


def explain(steps: list[dict[str, Any]], unit: Unit | str) -> list[str]:
    """One sentence per step of ``steps``."""
    unit = Unit(unit)
    out: list[str] = []
    for s in steps:
        kind = s.get("step")
        fig = _q(s.get("figure"), unit)
        if kind == "no_base":
            out.append(
                _("未核定：%(source)s 既无上年度核定排放量也无许可排放量，没有基数（%(clause)s）")
                % {"source": _source(s.get("source")), "clause": s.get("clause", "TOT-3")}
            )
        elif kind == "base":
            what = (
                _("上年度核定排放量")
                if s.get("field") == "allowed_grams"
                else _("许可排放量（无上年度核定排放量）")
            )
            out.append(
                _("基数：%(figure)s，取%(what)s，来自%(source)s（%(clause)s）")
                % {"figure": fig, "what": what, "source": _source(s.get("source")), "clause": s.get("clause")}
            )
        elif kind == "quality":
            medium = str(Medium(s["medium"]).label) if s.get("medium") in Medium.values else s.get("medium")
            attained = s.get("attained")
            state = (
                _("无评估记录，视为未判定不达标")
                if attained is None
                else (_("达标") if attained else _("未达标"))
            )
            out.append(
                _("上年度环境质量（%(medium)s）：%(state)s；所据记录：%(records)s")
                % {"medium": medium, "state": state, "records": _records(s.get("records") or [])}
            )
        elif kind == "improvement":
            params = {
                "pct": _pct(s.get("bp")),
                "bp": s.get("bp"),
                "rule": _parameter(s.get("rule")),
                "before": _q(s.get("before"), unit),
                "figure": fig,
            }
            if s.get("applied"):
                out.append(
                    _(
                        "未达标，按改善目标削减 %(pct)s（%(rule)s）：%(before)s × (10000 − %(bp)s) / 10000，向下取整至克 = %(figure)s"
                    )
                    % params
                )
            else:
                out.append(_("不削减（改善目标 %(pct)s，%(rule)s）：%(figure)s") % params)
        elif kind == "permitted_cap":
            params = {
                "permitted": _q(s.get("permitted"), unit),
                "figure": fig,
                "before": _q(s.get("before"), unit),
            }
            if s.get("permitted") is None:
                out.append(_("申报未载明许可排放量，不作限制：%(figure)s") % params)
            elif s.get("applied"):
                out.append(
                    _("%(before)s 超过许可排放量 %(permitted)s，以许可排放量为限：%(figure)s") % params
                )
            else:
                out.append(_("不超过许可排放量 %(permitted)s：%(figure)s") % params)
        elif kind == "total_control":
            params = {
                "cap": _q(s.get("cap"), unit),
                "room": _q(s.get("room"), unit),
                "fixed": _q(s.get("fixed"), unit),
                "total": _q(s.get("zone_total"), unit),
                "before": _q(s.get("before"), unit),
                "figure": fig,
                "rule": _parameter(s.get("rule")),
            }
            if s.get("cap") is None:
                out.append(_("功能区总量控制量未设上限（%(rule)s）：%(figure)s") % params)
            elif s.get("applied"):
                out.append(
                    _(
                        "功能区测算合计 %(total)s 超过可用总量控制量 %(room)s（总量控制量 %(cap)s，已下达 %(fixed)s；%(rule)s），"
                        "按比例削减：%(before)s × %(room)s / %(total)s，向下取整至克 = %(figure)s"
                    )
                    % params
                )
            else:
                out.append(
                    _("功能区测算合计 %(total)s 未超过可用总量控制量 %(room)s（%(rule)s）：%(figure)s")
                    % params
                )
        elif kind == "result":
            out.append(_("测算核定排放量：%(figure)s") % {"figure": fig})
    return out
