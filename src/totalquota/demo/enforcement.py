"""The demo park's enforcement and credit records (SUP-4): findings made from the library's
over-emission flags, one in each stage, and one each from an enforcement event and an inspection.

- a draft, not yet told to the unit;
- a notice the unit may still answer (the unit's login sees it and the answer button);
- an answered finding whose penalty the zone officer has prepared, awaiting a reviewer;
- a penalty confirmed by a second reviewer, with its credit entry on the unit;
- a finding closed without penalty (the unit showed its figures were mistyped);
- an enforcement event still in its answer period, and an inspection left as a draft.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from totalquota.accounts.models import User
from totalquota.accounts.roles import Role
from totalquota.demo.context import DemoContext
from totalquota.emissions.models import OVER_EMISSION, ConsistencyFlag, FlagStatus
from totalquota.enforcement import services
from totalquota.enforcement.models import CreditEntry, Finding
from totalquota.lib.units import format_quantity

DAY = dt.timedelta(days=1)


def _staff(unit: Any) -> Any:
    return User.objects.filter(enterprise=unit, role=Role.ENTERPRISE, is_active=True).order_by("pk").first()


def _officer(ctx: DemoContext, zone: Any) -> Any:
    return ctx["users"].get(f"zone_{zone.code.lower()}", ctx["users"]["reviewer"])


def _facts(flag: ConsistencyFlag) -> str:
    unit = flag.pollutant.unit
    return (
        f"{flag.year} 年度{flag.pollutant.name}{flag.get_kind_display()}："
        f"申报实际排放量 {format_quantity(flag.reported_grams, unit, suffix=True)}，"
        f"比对值 {format_quantity(flag.other_grams, unit, suffix=True)}（据一致性核查提示）。"
    )


def _advance(
    finding: Finding,
    stage: str,
    n: int,
    officer: Any,
    staff: Any,
    started: dt.date,
    reviewer: Any,
    second: Any,
) -> None:
    """Take ``finding`` to ``stage`` as the people of the park would, on the days they would."""
    if stage == "draft":
        return
    services.finding_notify(actor=officer, finding=finding, today=started)
    if stage == "notified":
        return
    if staff is not None:
        services.finding_answer(
            actor=staff.principal,
            finding=finding,
            text="本单位对监测数据复核后认为超出部分系计量误差，请求从轻处理，并已提交整改方案。",
            today=started + 5 * DAY,
        )
    decided = started + 20 * DAY
    if stage == "closed":
        services.finding_dismiss(
            actor=officer, finding=finding, reason="单位提供的台账证明申报数录入错误，实际未超量排放。"
        )
        services.finding_confirm(actor=reviewer, finding=finding, today=decided)
        return
    services.finding_propose(
        actor=officer,
        finding=finding,
        decision_number=f"苏园环罚〔{decided.year}〕{n + 1:03d}号",
        penalty_fen=(50_000 + 10_000 * n) * 100,
        legal_basis="《中华人民共和国大气污染防治法》第一百条、《排污许可管理条例》第三十四条",
        severity="serious" if n == 1 else "general",
        today=decided,
    )
    if stage == "decided":
        services.finding_confirm(actor=second, finding=finding, today=decided + 2 * DAY)


def seed(ctx: DemoContext) -> None:
    users = ctx["users"]
    today = ctx.today
    reviewer, reviewer2 = users["reviewer"].principal, users["reviewer2"].principal
    personas = {users[name].enterprise_id for name in ("ent_hmt", "ent_dsl")}
    flags = list(
        ConsistencyFlag.objects.filter(kind__in=OVER_EMISSION)
        .exclude(status=FlagStatus.SUPERSEDED)
        .select_related("enterprise", "zone", "pollutant")
        .order_by("-year", "enterprise__uscc", "pollutant__sort_order", "kind")
    )
    # The personas' own flags first, so their logins find a finding to answer.
    flags.sort(key=lambda f: f.enterprise_id not in personas)
    # Different units where the flags allow, then further flags of the same units.
    chosen: list[ConsistencyFlag] = []
    for flag in flags:
        if all(f.enterprise_id != flag.enterprise_id for f in chosen):
            chosen.append(flag)
    chosen += [f for f in flags if f not in chosen]
    chosen = chosen[:5]
    stages = ["notified", "decided", "proposed", "closed", "draft"]
    for n, stage in enumerate(stages):
        started = today - 3 * DAY if stage == "notified" else today - dt.timedelta(days=50 - 8 * n)
        if n < len(chosen):
            flag = chosen[n]
            unit, officer = flag.enterprise, _officer(ctx, flag.zone).principal
            finding = services.finding_create(
                actor=officer, source="over_emission", flag=flag, facts=_facts(flag), today=started
            )
        else:  # fewer flags than stages: the rest come from the enforcement system's events
            unit = users["ent_hmt"].enterprise
            officer = _officer(ctx, unit.zone).principal
            finding = services.finding_create(
                actor=officer,
                source="event",
                enterprise=unit,
                year=started.year,
                event_reference=f"ZF-{started.year}-{200 + n:04d}",
                facts="执法系统推送：在线监测数据显示挥发性有机物排放浓度连续超标。",
                today=started,
            )
        _advance(finding, stage, n, officer, _staff(unit), started, reviewer, reviewer2)
    # Findings from other sources: an event of the enforcement system and an inspection.
    unit = next((f.enterprise for f in chosen), None)
    if unit is not None:
        officer = _officer(ctx, unit.zone).principal
        event = services.finding_create(
            actor=officer,
            source="event",
            enterprise=unit,
            year=today.year,
            event_reference=f"ZF-{today.year}-0318",
            facts="执法系统推送：雨水排放口采样化学需氧量超标 1.8 倍。",
            today=today - 2 * DAY,
        )
        services.finding_notify(actor=officer, finding=event, today=today - DAY)
        services.finding_create(
            actor=reviewer,
            source="inspection",
            enterprise=unit,
            year=today.year,
            inspection_date=today - 6 * DAY,
            inspectors="生态环境局 陈静、王磊",
            facts="现场检查发现废气收集设施未正常运行，运行台账缺失。",
            today=today,
        )
    ctx.notes.append(
        f"监督执法：发现问题 {Finding.objects.count()} 件（来自超量排放提示、执法事件与现场检查，"
        f"各办理阶段均有），信用记录 {CreditEntry.objects.count()} 条（SUP-4）。"
    )
