"""Demo reduction library: rounds, and projects of every type and status across the four zones,
declared, checked and reviewed through the services by the demo people, with real evidence files
(small PDFs with Chinese text, PNG photos) and usage marks on some approved lines."""

from __future__ import annotations

import datetime as dt
import random
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from totalquota.common.pdf import render_pdf
from totalquota.demo.context import DemoContext
from totalquota.lib.units import format_quantity
from totalquota.reductions import selectors, services
from totalquota.reductions.models import AccountingFactor, ProjectStatus, ReductionProject
from totalquota.registry.models import Pollutant

S = ProjectStatus


def _png(width: int = 48, height: int = 32, seed: int = 0) -> bytes:
    """A small real PNG (a grey-green gradient standing in for a site photo)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in ((x * 3 + seed) % 256, 150, (y * 5) % 256))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _tiny_pdf(lines: list[str]) -> bytes:
    """A small valid one-page PDF with ASCII text in a standard font (no embedded font), for the
    bulk of the demo evidence; a few documents are rendered with Chinese text by WeasyPrint."""
    text = (
        "BT /F1 11 Tf 50 780 Td 14 TL "
        + " ".join(
            "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*"
            for line in lines
        )
        + " ET"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text.encode("ascii") + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@dataclass(frozen=True)
class Template:
    name: str
    project_type: str
    subtype: str
    with_enterprise: bool
    lines: Any  # (rng) -> list[(pollutant code, method, inputs, factor codes)]
    operating_status: str = "operating"


def _d(rng: random.Random, low: float, high: float, places: int = 2) -> str:
    return f"{rng.uniform(low, high):.{places}f}"


def _closure(basis: str, *baselines: tuple[Any, ...]) -> Any:
    """The lines of a closure: each ``(pollutant code, low, high[, places])`` a baseline drawn in
    that range, all stated in the document ``basis``."""
    return lambda r: [
        (code, "closure", {"baseline": _d(r, *bounds), "basis": basis}, {}) for code, *bounds in baselines
    ]


TEMPLATES = [
    Template(
        "{unit}涂装车间关停",
        "structural",
        "line_shutdown",
        True,
        _closure("2023 年排污许可证执行报告", ("VOCS", 1, 9), ("PM", 0.1, 1.5, 3)),
        "shut_down",
    ),
    Template(
        "{unit}整体关闭搬迁",
        "structural",
        "unit_closure",
        True,
        _closure("2023 年环境统计年报", ("COD", 2, 20), ("NH3N", 0.2, 2, 3), ("VOCS", 0.5, 4)),
        "dismantled",
    ),
    Template(
        "{unit}喷涂线油性漆改水性漆",
        "process",
        "material_substitution",
        True,
        lambda r: [
            (
                "VOCS",
                "solvent",
                {
                    "material_before": _d(r, 60, 200, 1),
                    "content_before": _d(r, 50, 70, 1),
                    "capture_before": "60",
                    "removal_before": "70",
                    "material_after": _d(r, 60, 200, 1),
                    "content_after": _d(r, 5, 12, 1),
                    "capture_after": "60",
                    "removal_after": "70",
                    "basis": "涂料 MSDS 及 VOCs 检测报告；治理设施设计文件",
                },
                {},
            )
        ],
    ),
    Template(
        "{unit}燃油锅炉改燃气锅炉",
        "process",
        "energy_substitution",
        True,
        lambda r: [
            (
                "NOX",
                "fuel",
                {"fuel_before": _d(r, 200, 900, 1), "fuel_after": _d(r, 15, 60, 1), "basis": "燃料购销台账"},
                {"factor_before": "AP42-1.3-NOX-DIST", "factor_after": "AP42-1.4-NOX-LNB"},
            ),
            (
                "PM",
                "fuel",
                {"fuel_before": _d(r, 200, 900, 1), "fuel_after": "0", "basis": "燃料购销台账"},
                {"factor_before": "AP42-1.3-PM-DIST"},
            ),
        ],
    ),
    Template(
        "{unit}光氧改蓄热式催化燃烧",
        "deep_treatment",
        "treatment_upgrade",
        True,
        lambda r: [
            (
                "VOCS",
                "treatment",
                {
                    "generated": _d(r, 10, 80),
                    "capture_before": "80",
                    "removal_before": "30",
                    "capture_after": "90",
                    "removal_after": "95",
                    "basis": "设计文件及验收监测报告",
                },
                {},
            )
        ],
    ),
    Template(
        "{unit}集气罩改密闭收集",
        "deep_treatment",
        "capture_upgrade",
        True,
        lambda r: [
            (
                "VOCS",
                "treatment",
                {
                    "generated": _d(r, 5, 40),
                    "capture_before": "40",
                    "removal_before": "85",
                    "capture_after": "95",
                    "removal_after": "85",
                    "basis": "设计文件",
                },
                {},
            )
        ],
    ),
    Template(
        "{unit}污水处理站提标改造",
        "deep_treatment",
        "wastewater_upgrade",
        True,
        lambda r: [
            (
                "COD",
                "wastewater",
                {
                    "flow_before": "120000",
                    "concentration_before": _d(r, 80, 150, 0),
                    "flow_after": "120000",
                    "concentration_after": _d(r, 30, 50, 0),
                    "basis": "在线监测月报",
                },
                {},
            ),
            (
                "NH3N",
                "wastewater",
                {
                    "flow_before": "120000",
                    "concentration_before": _d(r, 8, 15, 1),
                    "flow_after": "120000",
                    "concentration_after": _d(r, 1, 4, 1),
                    "basis": "在线监测月报",
                },
                {},
            ),
            (
                "TN",
                "wastewater",
                {
                    "flow_before": "120000",
                    "concentration_before": _d(r, 25, 40, 1),
                    "flow_after": "120000",
                    "concentration_after": _d(r, 10, 15, 1),
                    "basis": "在线监测月报",
                },
                {},
            ),
        ],
    ),
    Template(
        "{unit}电镀线关停",
        "structural",
        "line_shutdown",
        True,
        _closure("2023 年监督性监测报告", ("CR", 2, 12, 3), ("PB", 0.5, 3, 3), ("COD", 1, 5)),
        "shut_down",
    ),
    Template(
        "{zone}加油站油气回收改造",
        "other",
        "vapour_recovery",
        False,
        lambda r: [
            (
                "VOCS",
                "vapour",
                {
                    "throughput": _d(r, 3000, 9000, 0),
                    "efficiency_before": "0",
                    "efficiency_after": "90",
                    "basis": "销售台账及油气回收检测报告",
                },
                {"factor": "AP42-5.2-REFUEL-UNC"},
            )
        ],
    ),
    Template(
        "{zone}国三及以下柴油货车淘汰",
        "other",
        "vehicle_scrapping",
        False,
        lambda r: [
            (
                "NOX",
                "documented",
                {
                    "source": "statistics",
                    "document": "园区机动车淘汰补贴统计表（2025）",
                    "baseline": _d(r, 5, 20),
                    "reduction": _d(r, 3, 5),
                },
                {},
            ),
            (
                "PM",
                "documented",
                {
                    "source": "statistics",
                    "document": "园区机动车淘汰补贴统计表（2025）",
                    "baseline": _d(r, 0.5, 2, 3),
                    "reduction": _d(r, 0.2, 0.5, 3),
                },
                {},
            ),
        ],
        "shut_down",
    ),
    Template(
        "{zone}规模餐饮店关闭",
        "other",
        "restaurant_closure",
        False,
        _closure("油烟在线监测数据", ("PM", 0.1, 0.8, 3)),
        "shut_down",
    ),
    Template(
        "{unit}排污许可核减",
        "structural",
        "line_shutdown",
        True,
        lambda r: [
            (
                "SO2",
                "documented",
                {
                    "source": "permit",
                    "document": "排污许可证变更（2025 年）",
                    "baseline": _d(r, 2, 6),
                    "reduction": _d(r, 0.5, 2),
                },
                {},
            )
        ],
    ),
]

# Where each demo project ends up, in order; zones take turns.
PLAN = (
    [S.APPROVED] * 20
    + [S.SUBMITTED] * 4
    + [S.PRECHECKED] * 3
    + [S.RETURNED] * 3
    + [S.REJECTED] * 2
    + [S.DRAFT] * 5
    + [S.ZONE_PENDING] * 2
    + [S.SUGGESTED] * 2
    + [S.DECLINED]
)
ZONE_ORDER = ["HMT", "DSL", "JJL", "YCL"]
USAGE_KINDS = ["binding_task", "offset", "sold", "upper_reserve"]


def _rounds(ctx: DemoContext) -> None:
    """Quarterly rounds from the first quarter of last year to this quarter, with the dates the
    bureau's "open the next round" offers (reductions.selectors.round_defaults): each open for its
    whole quarter, for the previous quarter's completions, the first quarter's closing at the end
    of February; this quarter's round is open today."""
    admin = ctx.actor
    current = selectors.quarter_of(ctx.today)
    for year in (ctx.today.year - 1, ctx.today.year):
        for quarter in range(1, 5):
            if (year, quarter) > current:
                break
            services.round_create(actor=admin.principal, **selectors.round_defaults(year, quarter))


def _completion(rng: random.Random, today: dt.date) -> dt.date:
    """A completion date whose year is still open for declaring today (RED-3), at least 20 days ago."""
    first = dt.date(today.year - 1, 1, 1)
    if today > selectors.year_closes_on(today.year - 1):
        first = dt.date(today.year, 1, 1)
    span = max((today - dt.timedelta(days=20) - first).days, 0)
    return first + dt.timedelta(days=rng.randint(0, span))


def _closed_year(today: dt.date) -> int:
    """The latest completion year already closed for declaring today (RED-3)."""
    return today.year - 1 if today > selectors.year_closes_on(today.year - 1) else today.year - 2


def seed(ctx: DemoContext) -> None:
    rng = random.Random(ctx.rng.random())
    today = ctx.today
    users = ctx["users"]
    zones = ctx["zones"]
    enterprises = ctx["enterprises"]
    officers = {code: users[f"zone_{code.lower()}"] for code in zones}
    company_users = {u.enterprise_id: u for u in users.values() if getattr(u, "enterprise_id", None)}
    reviewers = [users["reviewer"], users["reviewer2"]]
    third_party = users["thirdparty"]
    third_party_zones = {"HMT", "DSL"}
    pollutants = {p.code: p for p in Pollutant.objects.all()}
    factor_ids = dict(AccountingFactor.objects.values_list("code", "pk"))
    _rounds(ctx)

    by_zone = {code: [e for e in enterprises if e.zone_id == zone.pk] for code, zone in zones.items()}
    created: list[Any] = []
    for index, target in enumerate(PLAN):
        code = ZONE_ORDER[index % len(ZONE_ORDER)]
        template = TEMPLATES[(index * 5 + index // 4) % len(TEMPLATES)]
        if target == S.PRECHECKED and code not in third_party_zones:
            code = "HMT" if index % 2 else "DSL"
        if target == S.ZONE_PENDING:
            # Handed over by one of the demo enterprise accounts (units in HMT and DSL).
            code = ["HMT", "DSL"][index % 2]
            template = TEMPLATES[2 + 2 * (index % 2)]
        zone = zones[code]
        officer = officers[code]
        unit = None
        preparer = officer
        if template.with_enterprise:
            # The two demo enterprise accounts prepare their own units' projects.
            own = [e for e in by_zone[code] if e.pk in company_users]
            unit = own[0] if target == S.ZONE_PENDING and own else rng.choice(by_zone[code])
        if unit is not None and unit.pk in company_users and target in (S.ZONE_PENDING, S.APPROVED):
            preparer = company_users[unit.pk]
        late = target == S.DRAFT and index % 2 == 0
        if late:  # completed in a year already closed: a late declaration (逾期申报)
            completion = dt.date(_closed_year(today), rng.randint(3, 9), rng.randint(1, 28))
        else:
            completion = _completion(rng, today)
        start = completion - dt.timedelta(days=rng.randint(90, 360))
        acceptance = min(completion + dt.timedelta(days=rng.randint(10, 40)), today)
        name = template.name.format(unit=(unit.name.replace("有限公司", "") if unit else ""), zone=zone.name)
        data = {
            "name": name,
            "project_type": template.project_type,
            "subtype": template.subtype,
            "zone": zone,
            "enterprise": unit,
            "address": unit.address if unit else f"苏州工业园区{zone.name}",
            "builder": unit.name if unit else f"{zone.name}管理办公室",
            "contact_name": (unit.contact_name if unit and unit.contact_name else "李敏"),
            "contact_phone": (unit.contact_phone if unit and unit.contact_phone else "0512-66680000"),
            "start_date": start,
            "completion_date": completion,
            "acceptance_date": acceptance,
            "investment": "0"
            if template.subtype in ("unit_closure", "line_shutdown")
            else _d(rng, 20, 600, 1),
            "operating_status": template.operating_status,
            "eia_approval_number": f"苏园环建〔{start.year - rng.randint(2, 8)}〕{rng.randint(10, 300)} 号"
            if unit
            else "",
            "permit_change": "已申请变更，许可排放量相应核减"
            if template.project_type != "other" and unit
            else "",
            "description": "演示数据：按《主要污染物总量减排技术指南》核算。",
        }
        if target in (S.SUGGESTED, S.DECLINED):
            suggester = users["partner"] if index % 2 else reviewers[1]
            project = services.project_suggest(
                actor=suggester.principal,
                suggestion_note=rng.choice(
                    ["2025 年引导资金补助项目", "专项排查发现已关停", "排污许可变更信息比对"]
                ),
                **{
                    k: v
                    for k, v in data.items()
                    if k
                    in (
                        "name",
                        "project_type",
                        "subtype",
                        "zone",
                        "enterprise",
                        "address",
                        "builder",
                        "description",
                    )
                },
            )
            if target == S.DECLINED:
                services.project_decline(
                    actor=officer.principal, project=project, reason="关停发生在“十四五”之前，不符合 RED-1"
                )
            created.append(project)
            continue
        project = services.project_create(actor=preparer.principal, **data)
        if late and not any(p.late_accepted_at for p in created):
            services.project_accept_late(
                actor=reviewers[0].principal,
                project=project,
                reason="关停确认文件由主管部门补出具，同意逾期申报",
            )
            project.refresh_from_db()
        for pollutant, method, inputs, factors in template.lines(rng):
            services.line_set(
                actor=preparer.principal,
                project=project,
                pollutant=pollutants[pollutant],
                method=method,
                inputs=inputs,
                factors={k: factor_ids[v] for k, v in factors.items()},
            )
        if target == S.DRAFT and index % 3 == 0:
            created.append(project)
            continue  # an early draft, evidence still to come
        _evidence(project, preparer, rng)
        if code in third_party_zones and target == S.DRAFT:
            services.opinion_add(
                actor=third_party.principal,
                project=project,
                conclusion="guidance",
                text="请在核算依据中注明执行报告的年度和页码。",
            )
        if target == S.DRAFT:
            created.append(project)
            continue
        if preparer != officer:
            services.project_handover(actor=preparer.principal, project=project, note="请功能区审核报送")
            if target == S.ZONE_PENDING:
                created.append(project)
                continue
        services.project_submit(actor=officer.principal, project=project, note="季度集中申报")
        if code in third_party_zones and target in (S.PRECHECKED, S.APPROVED, S.REJECTED):
            conclusion = "disagree" if target == S.REJECTED else "agree"
            services.opinion_add(
                actor=third_party.principal,
                project=project,
                conclusion=conclusion,
                text="核算方法与《技术指南》一致，参数有据可查。"
                if conclusion == "agree"
                else "关停时间早于“十四五”，建议不予入库。",
            )
        reviewer = reviewers[index % 2]
        if target == S.RETURNED:
            services.project_return(
                actor=reviewer.principal,
                project=project,
                reason="请补充关停确认文件及基准年排放量的监测报告。",
            )
        elif target == S.REJECTED:
            services.project_reject(
                actor=reviewer.principal,
                project=project,
                reason="关停发生在“十四五”之前，不属于 RED-1 所列减排项目。",
            )
        elif target == S.APPROVED:
            if index % 5 == 1:
                # Returned once, revised, resubmitted: the history shows the whole loop.
                services.project_return(
                    actor=reviewer.principal, project=project, reason="核算依据页码不清，请补充。"
                )
                services.evidence_add(
                    actor=officer.principal,
                    project=project,
                    kind="other",
                    upload=SimpleUploadedFile(f"{project.code}-补充说明.png", _png(seed=index), "image/png"),
                    note="补充现场照片",
                )
                services.project_submit(actor=officer.principal, project=project, note="按意见补充后重新报送")
            services.project_approve(
                actor=reviewer.principal, project=project, reason="类型、核算与许可变更均已核实。"
            )
            if index % 3 == 0:
                line = project.lines.order_by("pk")[0]
                kind = USAGE_KINDS[(index // 3) % len(USAGE_KINDS)]
                half = format_quantity(line.reduction_grams // 2, line.pollutant.unit)
                services.usage_mark(
                    actor=users["admin"].principal,
                    line=line,
                    kind=kind,
                    amount=half if kind in ("sold", "upper_reserve") else None,
                    reference=rng.choice(
                        ["苏园环〔2025〕18 号", "排污权出让合同 2025-07", "以新带老批复 2025-3"]
                    ),
                    used_on=today - dt.timedelta(days=rng.randint(1, 30)),
                )
        created.append(project)
    ctx["reduction_projects"] = created
    approved = ReductionProject.objects.filter(status=S.APPROVED).count()
    ctx.notes.append(f"减排库：{len(created)} 个演示项目，其中 {approved} 个已入库。")


def _evidence(project: Any, actor: Any, rng: random.Random) -> None:
    lines = list(project.lines.select_related("pollutant"))
    kinds = ["acceptance", "accounting"]
    if any(line.inputs.get("source") == "permit" for line in lines):
        kinds.append("permit")
    if project.investment_yuan:
        kinds.append("investment")
    labels = {
        "acceptance": "竣工验收意见",
        "accounting": "减排核算过程及依据",
        "permit": "排污许可证变更凭证",
        "investment": "投资证明",
    }
    for kind in kinds:
        if kind == "acceptance" and project.pk % 6 == 0:
            # A few documents as the bureau would see them: Chinese text, rendered to A4.
            content = render_pdf(
                "reductions/demo_evidence.html", {"project": project, "title": labels[kind], "lines": lines}
            )
        else:
            content = _tiny_pdf(
                [
                    f"Demo evidence ({kind})",
                    f"Project {project.code}",
                    f"Completed {project.completion_date}",
                    *(f"{line.pollutant.code}: {line.reduction_grams} g/a" for line in lines),
                ]
            )
        services.evidence_add(
            actor=actor.principal,
            project=project,
            kind=kind,
            upload=SimpleUploadedFile(f"{project.code}-{labels[kind]}.pdf", content, "application/pdf"),
        )
    if rng.random() < 0.5:
        services.evidence_add(
            actor=actor.principal,
            project=project,
            kind="other",
            upload=SimpleUploadedFile(f"{project.code}-现场照片.png", _png(seed=project.pk), "image/png"),
            note="现场照片",
        )
