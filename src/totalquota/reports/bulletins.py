"""Bulletins that can be verified (RED-5, RES-3, SUP-4): what each states, as known at a moment.

Three kinds, each computed here from the records and stored as the ``figures`` of an
:class:`~totalquota.documents.models.IssuedDocument` (kind ``bulletin``):

- the reduction bulletin (减排项目通报, RED-5): the figures of :mod:`totalquota.reductions.bulletin`;
- the reserve and supply warning bulletin (储备收支预警通报, RES-3): the rows of
  :func:`totalquota.reserve.selectors.zone_warnings`;
- the annual supervision report (年度总量监管报告, SUP-4): per zone and per unit, the actual emissions
  (accepted reports, else verified figures), the reductions entered into the library, the quota
  allocated to the unit (used), the zone's reserve at the period's end.

**As known at.** Every figure is read as the records stood at ``known_at``: ledger transfers with
``created_at <= known_at`` (the ledger's own semantics, see ``ledger.selectors.*_as_of``),
approvals, usage marks, acceptances and verified figures recorded by then. Records are append-only
or final where it matters (transfers, transitions, usage marks, approvals), so computing the same
bulletin again with the same ``known_at`` gives the same figures, whatever was posted, back-dated
or corrected since.

**Why ``known_at`` lies before the computation starts.** ``created_at`` is taken when a row is
inserted, but a transaction becomes visible only when it commits: a ledger write that inserted its
transfer at 10:00:00.000 and commits at 10:00:00.400 is invisible to a bulletin that reads at
10:00:00.200 with ``known_at`` = 10:00:00.200, yet would be counted when the bulletin is drawn again
later. So ``known_at`` is the start of the computation minus :data:`SAFETY_MARGIN` (setting
``BULLETIN_KNOWN_AT_MARGIN_SECONDS``, default five minutes), longer than any ledger transaction
runs (they hold row locks and last milliseconds; a request is cut off after a minute): every row
created at or before ``known_at`` has committed (or rolled back) before the bulletin reads, and the
bulletin, drawn again, reads exactly those rows.

**The ledger digest.** :func:`ledger_digest` is a SHA-256 over the ledger rows a bulletin was
computed from: every transfer in its zones (either side), effective by the period's end and recorded
by ``known_at``, in id order, each as ``id|phase|debit|credit|pollutant|amount|effective date|hold``.
It is recomputable by code at any time, and :func:`verify_bulletin` recomputes figures and digest
as known at issue and says whether they match what the document states.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from totalquota.accounts.permissions import Principal
from totalquota.accounts.roles import Role
from totalquota.common.i18n import in_chinese
from totalquota.emissions.models import VerifiedEmission
from totalquota.emissions.selectors import accepted_lines
from totalquota.enforcement.selectors import findings_by_enterprise
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger.models import AccountKind, Phase, Transfer
from totalquota.lib.units import format_quantity
from totalquota.reductions.bulletin import build_bulletin
from totalquota.reductions.models import ProjectStatus, ReductionLine, UsageKind
from totalquota.reductions.selectors import end_of_day
from totalquota.registry.models import Enterprise, Park, Pollutant, Zone
from totalquota.reports.models import CLAUSES, BulletinKind, BulletinSeries
from totalquota.reserve.selectors import needing_action_first, zone_warnings

POSTED = (Phase.POSTED, Phase.POST_PENDING)
FIGURES_VERSION = 1  # the shape of ``figures``; a renderer reads the version it was issued with

Progress = Callable[[int, int, str], None]


SAFETY_MARGIN = dt.timedelta(minutes=5)  # the default; setting BULLETIN_KNOWN_AT_MARGIN_SECONDS


def safety_margin() -> dt.timedelta:
    """How long before the computation starts ``known_at`` lies (see the module docstring)."""
    seconds = getattr(settings, "BULLETIN_KNOWN_AT_MARGIN_SECONDS", None)
    return SAFETY_MARGIN if seconds is None else dt.timedelta(seconds=int(seconds))


def known_at_for(started: dt.datetime | None = None) -> dt.datetime:
    """The moment a bulletin computed now is known at: the start minus the safety margin, to the
    microsecond (stored in ISO 8601 with its offset)."""
    return (started or timezone.now()) - safety_margin()


def bureau_principal(user: Any) -> Principal:
    """A bulletin is the bureau's, computed park-wide whoever starts its computation (the zone a
    bulletin covers is its subject's, not the reader's scope)."""
    return Principal(user=user, role=Role.REVIEWER, zone_ids=None, enterprise_id=None)


def series_zones(series: BulletinSeries) -> list[Zone]:
    if series.zone_id is not None:
        return [series.zone]  # type: ignore[list-item]
    return list(Zone.objects.filter(is_active=True).order_by("sort_order", "code"))


def park_name() -> str:
    park = Park.objects.order_by("pk").first()
    return park.name if park is not None else "园区"


def q(grams: int | None, unit: str) -> dict[str, Any] | None:
    """A quantity cell: integer grams and the unit it is printed in."""
    return None if grams is None else {"g": int(grams), "u": unit}


def cell_text(cell: Any) -> str:
    if cell is None:
        return "—"
    if isinstance(cell, dict):
        from totalquota.lib.units import Unit

        return format_quantity(cell["g"], Unit(cell["u"]))
    return str(cell)


# --- the ledger digest ---------------------------------------------------------------------------
def ledger_rows(zones: Iterable[Zone] | None, end: dt.date, known_at: dt.datetime):
    """The transfers a bulletin of ``zones`` (``None``: the whole park) up to ``end`` reads, as
    recorded by ``known_at``, in id order."""
    rows = Transfer.objects.filter(effective_date__lte=end, created_at__lte=known_at)
    if zones is not None:
        ids = [z.pk for z in zones]
        rows = rows.filter(Q(debit__zone_id__in=ids) | Q(credit__zone_id__in=ids))
    return rows.order_by("id").values_list(
        "id",
        "phase",
        "debit_id",
        "credit_id",
        "pollutant_id",
        "amount_grams",
        "effective_date",
        "pending_ref_id",
    )


def _line(
    tid: Any, phase: Any, debit: Any, credit: Any, pollutant: Any, amount: Any, effective: Any, ref: Any
) -> str:
    return f"{tid}|{phase}|{debit}|{credit}|{pollutant}|{amount}|{effective}|{ref or ''}\n"


# On PostgreSQL the same lines are joined and hashed by the server (a million rows in about two
# seconds instead of fetching them): ``sha256`` over their concatenation is the streamed digest.
# The rows come in id order from the ordered subquery (an index scan of the primary key), and the
# aggregate keeps that order: PostgreSQL aggregates the rows in the order the subquery hands them
# over when the plan is not parallel, which ``ledger_digest`` makes sure of for its transaction.
# (``string_agg(… ORDER BY t.id)`` would sort the million rows again: twice the time.)
PG_DIGEST = (
    "SELECT encode(sha256(convert_to(coalesce(string_agg("
    "t.id::text || '|' || t.phase || '|' || t.debit_id::text || '|' || t.credit_id::text || '|' || "
    "t.pollutant_id::text || '|' || t.amount_grams::text || '|' || to_char(t.effective_date, 'YYYY-MM-DD') "
    "|| '|' || coalesce(t.pending_ref_id::text, '') || E'\\n', ''), ''), 'UTF8')), 'hex') "
    "FROM ({rows}) AS t"
)


def ledger_digest(
    zones: Iterable[Zone] | None, end: dt.date, known_at: dt.datetime, *, in_database: bool = True
) -> str:
    """SHA-256 (hex) over :func:`ledger_rows`, one line per transfer (module docstring); computed
    by PostgreSQL itself when the database is PostgreSQL (``in_database``), else streamed here."""
    rows = ledger_rows(zones, end, known_at)
    if in_database and connection.vendor == "postgresql":
        sql, params = rows.query.sql_with_params()
        with transaction.atomic(), connection.cursor() as cursor:
            # A parallel plan would hand the aggregate the rows of several workers interleaved:
            # this transaction reads them in one process, in the subquery's order.
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            cursor.execute(PG_DIGEST.format(rows=sql), params)
            return str(cursor.fetchone()[0])
    digest = hashlib.sha256()
    for row in rows.iterator(chunk_size=20_000):
        digest.update(_line(*row).encode())
    return digest.hexdigest()


# --- the three kinds -----------------------------------------------------------------------------
def _reduction(
    series: BulletinSeries, known_at: dt.datetime, principal: Principal, progress: Progress
) -> dict:
    zones = series_zones(series)
    b = build_bulletin(
        principal=principal, start=series.start, end=series.end, zone=series.zone, known_at=known_at
    )
    progress(len(zones), len(zones), "减排项目与使用情况")
    headers = [
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

    def row(zone_name: str, r: Any) -> list[Any]:
        u = r.pollutant.display_unit
        return [
            zone_name,
            r.pollutant.name,
            u,
            r.projects,
            q(r.period_grams, u),
            q(r.verified_grams, u),
            q(r.used.get(UsageKind.BINDING_TASK, 0), u),
            q(r.used.get(UsageKind.OFFSET, 0), u),
            q(r.used.get(UsageKind.SOLD, 0), u),
            q(r.reserve_grams, u),
            q(r.used_grams, u),
            q(r.unused_grams, u),
            q(r.upper_grams, u),
        ]

    summary = [row(s.zone.name, r) for s in b.zones for r in s.rows]
    if len(b.zones) > 1:
        summary += [row("合计", r) for r in b.totals]
    projects = [
        [s.zone.name, p.code, p.name, p.enterprise, p.type_label, p.decided_on.isoformat(), p.reductions_text]
        for s in b.zones
        for p in s.projects
    ]
    chart = {
        "title": "各污染物累计核定减排量与已使用量",
        "categories": [f"{r.pollutant.name}（{r.pollutant.display_unit}）" for r in b.totals],
        "series": [
            {
                "name": "累计核定减排量",
                "values": [q(r.verified_grams, r.pollutant.display_unit) for r in b.totals],
            },
            {"name": "已使用合计", "values": [q(r.used_grams, r.pollutant.display_unit) for r in b.totals]},
        ],
    }
    return {
        "title": b.title,
        "intro": (
            "根据《排污总量指标管理实施细则》关于减排项目考核通报的规定（RED-5），现将各功能区污染物减排情况、"
            "核定的污染物减排总量以及减排量使用情况通报如下。"
        ),
        "tables": [
            {"key": "summary", "title": "减排情况汇总", "headers": headers, "rows": summary},
            {
                "key": "projects",
                "title": "本期入库项目",
                "headers": ["功能区", "项目编号", "项目名称", "排污单位", "类型", "入库日期", "减排量"],
                "rows": projects,
            },
        ],
        "chart": chart,
        "notes": [
            "本期核定减排量：本期审核通过入库项目的减排量；累计核定减排量：截至期末已入库项目的减排量；"
            "已使用：截至期末的使用标记（约束性减排任务、以新带老、排污权出让）与储备库分配使用；"
            "报送上级储备库单列（RED-5、RES-1）。"
        ],
    }


def _cover_text(r: Any) -> str:
    """Months of cover left (RES-3 forecast): one decimal, rounded down; 不限 without drawdown."""
    months = r.months_of_cover
    return "不限" if months is None else format(months, "f")


def _warning(series: BulletinSeries, known_at: dt.datetime, principal: Principal, progress: Progress) -> dict:
    zones = series_zones(series)
    rows: list[Any] = []
    for n, zone in enumerate(zones, start=1):
        rows += zone_warnings(series.start, series.end, zones=[zone], only_active=True, known_at=known_at)
        progress(n, len(zones), zone.name)
    headers = [
        "功能区",
        "污染物",
        "单位",
        "期末储备",
        "待批需求",
        "期间收入",
        "期间支出",
        "月均支出",
        "可覆盖月数",
        "预计耗尽日期",
        "级别",
        "原因",
    ]
    # The zones that need action first, the shortest cover first (as the warnings page leads).
    rows = needing_action_first(rows)
    table = []
    for r in rows:
        u = r.pollutant.display_unit
        table.append(
            [
                r.zone.name,
                r.pollutant.name,
                u,
                q(r.balance, u),
                q(r.demand, u),
                q(r.income, u),
                q(r.spending, u),
                q(r.drawdown_per_month_grams, u),
                _cover_text(r),
                r.exhausted_on.isoformat() if r.exhausted_on else "—",
                str(r.level_label),
                "；".join(str(x) for x in r.reasons),
            ]
        )
    flagged = [r for r in rows if r.needs_action]
    counts: dict[str, int] = defaultdict(int)
    for r in flagged:
        counts[r.zone.name] += 1
    return {
        "title": f"{park_name()}储备收支预警通报",
        "intro": (
            "根据《排污总量指标管理实施细则》四(bis).3（RES-3），对各功能区储备总量指标收入与支出情况进行分析，"
            f"现将收支失衡、储备不足以覆盖待批需求的功能区和污染物通报如下（共 {len(flagged)} 项需关注或预警）。"
        ),
        "tables": [{"key": "warnings", "title": "储备收支预警", "headers": headers, "rows": table}],
        "chart": {
            "title": "各功能区需关注或预警的污染物数",
            "categories": [z.name for z in zones],
            "series": [{"name": "关注或预警项数", "values": [counts.get(z.name, 0) for z in zones]}],
        },
        "notes": [
            "期末储备：期末各批次储备余额（含预留）；待批需求：期末尚未办结的申请所预留的指标；"
            "期间收入与支出：期间内计入、划出储备批次的指标；月均支出：期末前最近若干完整季度划出储备批次的月均量；"
            "可覆盖月数：扣除待批需求后的储备按月均支出可维持的月数，无支出为不限（RES-3）。"
        ],
    }


def _findings(zone: Zone, years: list[int], known_at: dt.datetime) -> dict[int, list[int]]:
    """Per enterprise id: findings, confirmed penalties, their total in fen, credit entries of the
    period's years in ``zone``, as recorded by ``known_at`` (SUP-4, the enforcement records)."""
    result: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for year in years:
        for ent, summary in findings_by_enterprise(year, zone, known_at=known_at).items():
            row = result[ent]
            row[0] += summary.findings
            row[1] += summary.penalties
            row[2] += summary.penalty_fen
            row[3] += summary.credit_entries
    return dict(result)


def yuan(fen: int) -> str:
    return format(Decimal(fen).scaleb(-2), "f")


def _supervision(
    series: BulletinSeries, known_at: dt.datetime, principal: Principal, progress: Progress
) -> dict:
    zones = series_zones(series)
    start, end = series.start, series.end
    cut = min(end_of_day(end), known_at)
    start_at = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    pollutants = list(Pollutant.objects.order_by("sort_order", "code"))
    unit_of = {p.pk: p.display_unit for p in pollutants}
    years = list(range(start.year, end.year + 1))
    zone_rows: list[list[Any]] = []
    unit_rows: list[list[Any]] = []
    chart_actual: dict[int, int] = defaultdict(int)
    chart_used: dict[int, int] = defaultdict(int)
    headers_zone = ["功能区", "污染物", "单位", "实际排放量", "核定减排量", "期末储备", "已使用指标"]
    headers_unit = [
        "功能区",
        "排污单位",
        "统一社会信用代码",
        "污染物",
        "单位",
        "实际排放量",
        "核定减排量",
        "已使用指标",
    ]
    headers_unit.append("违法违规发现数")
    headers_findings = [
        "功能区",
        "排污单位",
        "统一社会信用代码",
        "违法违规发现数",
        "处罚决定数",
        "罚款金额（元）",
        "信用记录数",
    ]
    finding_rows: list[list[Any]] = []
    # The ledger's part in two pairs of grouped queries for the whole scope (the transfers table is
    # the big one): quota allocated to each unit in the period, net of recoveries, and each zone's
    # reserve at the period's end.
    used_all: dict[int, dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
    transfers = Transfer.objects.filter(
        phase__in=POSTED, effective_date__gte=start, effective_date__lte=end, created_at__lte=known_at
    )
    zone_ids = [z.pk for z in zones]
    for side, sign in (("credit", 1), ("debit", -1)):
        for zid, ent, pid, grams in (
            transfers.filter(**{f"{side}__kind": AccountKind.ALLOCATION, f"{side}__zone_id__in": zone_ids})
            .values(f"{side}__zone_id", f"{side}__holder_enterprise_id", "pollutant_id")
            .annotate(s=Sum("amount_grams"))
            .values_list(f"{side}__zone_id", f"{side}__holder_enterprise_id", "pollutant_id", "s")
        ):
            used_all[zid][(ent, pid)] += sign * grams
    reserve_all = ledger_selectors.zones_balance_as_of(end, known_at=known_at, zones=zones)
    for n, zone in enumerate(zones, start=1):
        actual: dict[tuple[int, int], int] = defaultdict(int)
        reported: set[tuple[int, int, int]] = set()
        for year in years:
            for ent, pid, grams in (
                accepted_lines(year=year, known_at=known_at)
                .filter(version__report__zone=zone, actual_grams__isnull=False)
                .values_list("version__report__enterprise_id", "pollutant_id", "actual_grams")
            ):
                actual[(ent, pid)] += grams
                reported.add((ent, pid, year))
        for ent, pid, year, grams in VerifiedEmission.objects.filter(
            enterprise__zone=zone, year__in=years, recorded_at__lte=known_at
        ).values_list("enterprise_id", "pollutant_id", "year", "actual_grams"):
            if (ent, pid, year) not in reported:  # a verified figure only where no accepted report holds it
                actual[(ent, pid)] += grams
        reduced: dict[tuple[int, int], int] = defaultdict(int)
        for ent, pid, grams in ReductionLine.objects.filter(
            project__zone=zone,
            project__status=ProjectStatus.APPROVED,
            project__decided_at__gte=start_at,
            project__decided_at__lte=cut,
            project__enterprise__isnull=False,
        ).values_list("project__enterprise_id", "pollutant_id", "reduction_grams"):
            reduced[(ent, pid)] += grams
        used = used_all.get(zone.pk, {})
        reserve = {pid: g for (z, pid), g in reserve_all.items() if z == zone.pk}
        found = _findings(zone, years, known_at)
        keys = set(actual) | set(reduced) | set(used)
        names = {
            e.pk: e
            for e in Enterprise.objects.filter(pk__in={k[0] for k in keys} | set(found)).only("name", "uscc")
        }
        order = {p.pk: i for i, p in enumerate(pollutants)}
        for ent, pid in sorted(keys, key=lambda k: (names[k[0]].name, k[0], order[k[1]])):
            u = unit_of[pid]
            line: list[Any] = [
                zone.name,
                names[ent].name,
                names[ent].uscc,
                next(p.name for p in pollutants if p.pk == pid),
                u,
                q(actual.get((ent, pid)), u),
                q(reduced.get((ent, pid), 0), u),
                q(used.get((ent, pid), 0), u),
            ]
            line.append(found.get(ent, [0])[0])
            unit_rows.append(line)
        for ent in sorted(found, key=lambda e: (names[e].name, e)):
            n, penalties, fen, credit = found[ent]
            finding_rows.append(
                [zone.name, names[ent].name, names[ent].uscc, n, penalties, yuan(fen), credit]
            )
        if found:
            totals = [sum(v[i] for v in found.values()) for i in range(4)]
            finding_rows.append([zone.name, "小计", "", totals[0], totals[1], yuan(totals[2]), totals[3]])
        for p in pollutants:
            a = sum(g for (e, pid), g in actual.items() if pid == p.pk)
            r = sum(g for (e, pid), g in reduced.items() if pid == p.pk)
            us = sum(g for (e, pid), g in used.items() if pid == p.pk)
            res = reserve.get(p.pk, 0)
            if not (a or r or us or res):
                continue
            chart_actual[p.pk] += a
            chart_used[p.pk] += us
            u = p.display_unit
            zone_rows.append([zone.name, p.name, u, q(a, u), q(r, u), q(res, u), q(us, u)])
        progress(n, len(zones), zone.name)
    shown = [p for p in pollutants if chart_actual.get(p.pk) or chart_used.get(p.pk)]
    title_year = f"{start.year}" if start.year == end.year else f"{start.year}—{end.year}"
    return {
        "title": f"{park_name()}{title_year}年度排污总量监管报告",
        "intro": (
            "根据《排污总量指标管理实施细则》六.4（SUP-4），对各功能区和排污单位的实际排放量、核定减排量、"
            "储备量和已使用指标情况进行年度监管，现报告如下。"
        ),
        "tables": [
            {"key": "zones", "title": "各功能区汇总", "headers": headers_zone, "rows": zone_rows},
            {"key": "units", "title": "各排污单位明细", "headers": headers_unit, "rows": unit_rows},
            {
                "key": "findings",
                "title": "违法违规与信用记录",
                "headers": headers_findings,
                "rows": finding_rows,
            },
        ],
        "chart": {
            "title": "各污染物实际排放量与已使用指标",
            "categories": [f"{p.name}（{p.display_unit}）" for p in shown],
            "series": [
                {"name": "实际排放量", "values": [q(chart_actual[p.pk], p.display_unit) for p in shown]},
                {"name": "已使用指标", "values": [q(chart_used[p.pk], p.display_unit) for p in shown]},
            ],
        },
        "notes": [
            "实际排放量：期间各年度审核通过的排放量申报（外排环境量），无申报的以核实排放量计；"
            "核定减排量：期间审核通过入库的减排项目；期末储备：期末功能区储备余额；"
            "已使用指标：期间分配给排污单位的建设项目指标（扣除回收）；违法违规与信用记录：期间各年度登记的发现问题、"
            "经确认的处罚决定及记入的信用记录（SUP-4）。"
        ],
    }


BUILDERS = {
    BulletinKind.REDUCTION: _reduction,
    BulletinKind.WARNING: _warning,
    BulletinKind.SUPERVISION: _supervision,
}


def bulletin_figures(
    series: BulletinSeries,
    *,
    known_at: dt.datetime,
    user: Any,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Everything a bulletin of ``series`` states, as known at ``known_at`` (plain JSON, Chinese
    text: an official document), with its ``basis``: ``as_of`` (the period's end), ``period``,
    ``known_at`` (ISO 8601 with offset) and ``ledger_digest``."""
    report = progress or (lambda done, total, message: None)
    zones = series_zones(series)
    with in_chinese():
        body = BUILDERS[BulletinKind(series.kind)](series, known_at, bureau_principal(user), report)
    body.update(
        {
            "version": FIGURES_VERSION,
            "kind": series.kind,
            "clause": CLAUSES[BulletinKind(series.kind)],
            "scope": series.scope_label,
            "zone_id": series.zone_id,
            "issuer": f"{park_name()}生态环境局",
            "basis": {
                "as_of": series.end.isoformat(),
                "period": [series.start.isoformat(), series.end.isoformat()],
                "known_at": known_at.isoformat(),
                "ledger_digest": ledger_digest(
                    None if series.zone_id is None else zones, series.end, known_at
                ),
            },
        }
    )
    # Exactly what the JSON column will hold (and give back), so that a comparison is of like with like.
    return json.loads(json.dumps(body, ensure_ascii=False))


def known_at_of(figures: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(figures["basis"]["known_at"])


@dataclass(frozen=True)
class Verification:
    """The outcome of drawing an issued bulletin again as known at its issue."""

    figures_match: bool
    digest_match: bool
    recomputed_digest: str
    stated_digest: str
    differences: list[str]

    @property
    def matches(self) -> bool:
        return self.figures_match and self.digest_match


def verify_bulletin(document: Any) -> Verification:
    """Recompute the figures and the ledger digest of an issued bulletin as known at its issue
    (``basis.known_at``) and compare them with what it states."""
    series = document.subject
    stated = document.figures
    again = bulletin_figures(series, known_at=known_at_of(stated), user=document.issued_by)
    differences = sorted(k for k in set(stated) | set(again) if stated.get(k) != again.get(k))
    return Verification(
        figures_match=not differences,
        digest_match=stated["basis"]["ledger_digest"] == again["basis"]["ledger_digest"],
        recomputed_digest=again["basis"]["ledger_digest"],
        stated_digest=stated["basis"]["ledger_digest"],
        differences=differences,
    )
