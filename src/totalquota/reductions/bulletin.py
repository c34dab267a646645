"""减排项目通报 (RED-5): per zone, for any period, the projects that entered the library, the
reductions per pollutant, the verified totals and how much of them has been used.

A bulletin is reproducible: it counts projects approved by the end of the period (approvals are
final and their transitions append-only) and usage marks known by then (marks are never
rewritten; a cancellation counts from its own time). Re-running it for a past period gives the
figures that were true at that period's end.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from totalquota.accounts.permissions import Principal, in_zones, restrict
from totalquota.common.xlsx import Heading, chinese_date, write_workbook
from totalquota.lib.units import format_quantity, grams_to_decimal
from totalquota.reductions.models import EXCLUDING_KINDS, ProjectStatus, ReductionLine, UsageKind
from totalquota.reductions.selectors import active_usages, end_of_day, reserve_use_grams
from totalquota.registry.models import Park, Pollutant, Zone

ISSUER_SUFFIX = "生态环境局"


@dataclass
class PollutantRow:
    """One pollutant of a zone: reduced in the period, verified in total, used."""

    pollutant: Pollutant
    projects: int = 0
    period_grams: int = 0
    verified_grams: int = 0
    used: dict[str, int] = field(default_factory=dict)
    reserve_grams: int = 0

    @property
    def excluded_grams(self) -> int:
        return sum(self.used.get(k, 0) for k in EXCLUDING_KINDS)

    @property
    def used_grams(self) -> int:
        """Used for a binding task, 以新带老 or sold, plus allocated from the reserve."""
        return self.excluded_grams + self.reserve_grams

    @property
    def upper_grams(self) -> int:
        return self.used.get(UsageKind.UPPER_RESERVE, 0)

    @property
    def unused_grams(self) -> int:
        return self.verified_grams - self.used_grams

    def fmt(self, grams: int) -> str:
        return format_quantity(grams, self.pollutant.unit)

    def add(self, other: PollutantRow) -> None:
        self.projects += other.projects
        self.period_grams += other.period_grams
        self.verified_grams += other.verified_grams
        self.reserve_grams += other.reserve_grams
        for kind, grams in other.used.items():
            self.used[kind] = self.used.get(kind, 0) + grams


@dataclass
class ProjectRow:
    code: str
    name: str
    enterprise: str
    type_label: str
    decided_on: dt.date
    reductions: list[tuple[Pollutant, int]]

    @property
    def reductions_text(self) -> str:
        return "；".join(f"{p.name} {format_quantity(g, p.unit, suffix=True)}" for p, g in self.reductions)


@dataclass
class ZoneSection:
    zone: Zone
    rows: list[PollutantRow]
    projects: list[ProjectRow]


@dataclass
class Bulletin:
    title: str
    issuer: str
    start: dt.date
    end: dt.date
    zones: list[ZoneSection]
    totals: list[PollutantRow]
    generated_at: dt.datetime
    zone_label: str

    @property
    def period_label(self) -> str:
        return f"{self.start:%Y年%m月%d日} 至 {self.end:%Y年%m月%d日}"


def _park_name() -> str:
    park = Park.objects.order_by("pk").first()
    return park.name if park is not None else "园区"


def bulletin_zones(principal: Principal, zone: Zone | None) -> list[Zone]:
    """The zones a bulletin covers for ``principal``: ``zone`` if given (and in scope), else every
    zone they may see."""
    zones = in_zones(principal, Zone.objects.filter(is_active=True).order_by("sort_order", "code"))
    if zone is not None:
        zones = zones.filter(pk=zone.pk)
    return list(zones)


def build_bulletin(
    *,
    principal: Principal,
    start: dt.date,
    end: dt.date,
    zone: Zone | None = None,
    known_at: dt.datetime | None = None,
) -> Bulletin:
    """The bulletin of ``zone`` (or every zone ``principal`` may see) for ``start``–``end``; with
    ``known_at``, as the records stood at that moment (approvals and usage marks made by then, the
    ledger's transfers recorded by then), so that an issued bulletin can be drawn again exactly."""
    as_of = end_of_day(end)
    if known_at is not None:
        as_of = min(as_of, known_at)
    zones = bulletin_zones(principal, zone)
    lines = (
        restrict(principal, ReductionLine.objects.all(), "reductions.view_bulletin")
        .filter(
            project__status=ProjectStatus.APPROVED,
            project__decided_at__lte=as_of,
            project__zone__in=zones,
        )
        .select_related("project", "project__enterprise", "pollutant")
        .order_by("project__decided_at", "project_id", "pollutant__sort_order")
    )
    used: dict[int, dict[str, int]] = defaultdict(dict)
    for usage in active_usages(as_of).filter(line__in=lines, used_on__lte=end):
        used[usage.line_id][usage.kind] = used[usage.line_id].get(usage.kind, 0) + usage.amount_grams

    start_at = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    by_zone: dict[int, dict[int, PollutantRow]] = {z.pk: {} for z in zones}
    projects: dict[int, dict[int, ProjectRow]] = {z.pk: {} for z in zones}
    seen: dict[tuple[int, int], set[int]] = defaultdict(set)
    for line in lines:
        project = line.project
        rows = by_zone[project.zone_id]
        row = rows.setdefault(line.pollutant_id, PollutantRow(line.pollutant))
        row.verified_grams += line.reduction_grams
        for kind, grams in used.get(line.pk, {}).items():
            row.used[kind] = row.used.get(kind, 0) + grams
        assert project.decided_at is not None
        if project.decided_at >= start_at:
            row.period_grams += line.reduction_grams
            seen[(project.zone_id, line.pollutant_id)].add(project.pk)
            entry = projects[project.zone_id].setdefault(
                project.pk,
                ProjectRow(
                    code=project.code or "",
                    name=project.name,
                    enterprise=project.enterprise.name if project.enterprise else "—",
                    type_label=str(project.get_project_type_display()),
                    decided_on=timezone.localtime(project.decided_at).date(),
                    reductions=[],
                ),
            )
            entry.reductions.append((line.pollutant, line.reduction_grams))
    sections = []
    totals: dict[int, PollutantRow] = {}
    for z in zones:
        ordered = sorted(by_zone[z.pk].values(), key=lambda r: (r.pollutant.sort_order, r.pollutant.code))
        for item in ordered:
            item.projects = len(seen[(z.pk, item.pollutant.pk)])
            item.reserve_grams = reserve_use_grams(z, item.pollutant, start, end, known_at=known_at)
            total = totals.setdefault(item.pollutant.pk, PollutantRow(item.pollutant))
            total.add(item)
        sections.append(ZoneSection(zone=z, rows=ordered, projects=list(projects[z.pk].values())))
    park = _park_name()
    return Bulletin(
        title=f"{park}减排项目通报",
        issuer=f"{park}{ISSUER_SUFFIX}",
        start=start,
        end=end,
        zones=sections,
        totals=sorted(totals.values(), key=lambda r: (r.pollutant.sort_order, r.pollutant.code)),
        generated_at=timezone.localtime(),
        zone_label=zones[0].name if zone is not None and zones else "全部功能区",
    )


SUMMARY_HEADERS = [
    "功能区",
    "污染物",
    "单位",
    "本期入库项目数",
    "本期核定减排量",
    "累计核定减排量",
    "用于约束性减排任务",
    "用于以新带老",
    "排污权出让",
    "储备库分配使用",
    "已使用合计",
    "未使用",
    "报送上级储备库",
]


def _summary_row(zone_name: str, row: PollutantRow) -> list[Any]:
    unit = row.pollutant.unit

    def d(grams: int):
        return grams_to_decimal(grams, unit)

    return [
        zone_name,
        row.pollutant.name,
        unit.value,
        row.projects,
        d(row.period_grams),
        d(row.verified_grams),
        d(row.used.get(UsageKind.BINDING_TASK, 0)),
        d(row.used.get(UsageKind.OFFSET, 0)),
        d(row.used.get(UsageKind.SOLD, 0)),
        d(row.reserve_grams),
        d(row.used_grams),
        d(row.unused_grams),
        d(row.upper_grams),
    ]


def bulletin_xlsx(bulletin: Bulletin, *, exported_by: str = ""):
    """The bulletin as a workbook: summary per zone and pollutant, the period's projects, notes;
    each sheet headed by the title, the period and scope, and the issuer (and who exported it)."""
    summary: list[list[Any]] = []
    for section in bulletin.zones:
        summary.extend(_summary_row(section.zone.name, r) for r in section.rows)
    if len(bulletin.zones) > 1:
        summary.extend(_summary_row("合计", r) for r in bulletin.totals)
    projects = [
        [s.zone.name, p.code, p.name, p.enterprise, p.type_label, p.decided_on, p.reductions_text]
        for s in bulletin.zones
        for p in s.projects
    ]
    notes = [
        ("标题", bulletin.title),
        ("通报期间", bulletin.period_label),
        ("范围", bulletin.zone_label),
        ("发布单位", bulletin.issuer),
        ("生成时间", bulletin.generated_at.strftime("%Y-%m-%d %H:%M:%S")),
        (
            "口径",
            "本期核定减排量：本期审核通过入库项目的减排量；累计核定减排量：截至期末已入库项目的减排量；"
            "已使用：截至期末的使用标记（约束性减排任务、以新带老、排污权出让）与储备库分配使用；"
            "报送上级储备库单列（RED-5、RES-1）。",
        ),
    ]
    return write_workbook(
        [
            ("减排情况汇总", SUMMARY_HEADERS, summary),
            (
                "本期入库项目",
                ["功能区", "项目编号", "项目名称", "排污单位", "类型", "入库日期", "减排量"],
                projects,
            ),
            ("说明", ["项目", "内容"], notes),
        ],
        heading=Heading(
            title=bulletin.title,
            period=f"通报期间：{bulletin.period_label}；范围：{bulletin.zone_label}"
            f"（生成时间：{chinese_date(bulletin.generated_at.date())} {bulletin.generated_at:%H:%M}）",
            issuer=f"发布单位：{bulletin.issuer}" + (f"；导出人：{exported_by}" if exported_by else ""),
        ),
    )
