"""Demo reserve: this quarter's intake, applications in every state (those going to review with
their basis and balance plan, RES-2), an upper-level grant, recoveries."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from totalquota.demo.context import DemoContext
from totalquota.demo.reductions import _tiny_pdf
from totalquota.registry.models import Pollutant
from totalquota.reserve import services
from totalquota.reserve.models import IntakeItem, RecoveryKind

T = 1_000_000


def _line(pollutant, project_env, *, plant_env=None, new=None, sewer=0):
    return {
        "pollutant": pollutant,
        "project_env_grams": project_env,
        "plant_env_grams": plant_env or project_env,
        "new_discharge_grams": project_env if new is None else new,
        "project_sewer_grams": sewer,
        "plant_sewer_grams": sewer,
    }


DOCUMENTS = {"basis": ("依据", "Basis"), "balance_plan": ("总量平衡方案", "Balance plan")}


def _documents(user, application, kinds=tuple(DOCUMENTS)) -> None:
    """The documents a review reads (RES-2), as small real PDFs the content check accepts."""
    for kind in kinds:
        label, english = DOCUMENTS[kind]
        content = _tiny_pdf(
            [
                f"{english} of quota application {application.code}",
                f"EIA reference: {application.eia_reference.encode('ascii', 'replace').decode()}",
                *(
                    f"{line.pollutant.code}: new discharge {line.new_discharge_grams} g/a"
                    for line in application.lines.select_related("pollutant")
                ),
            ]
        )
        services.document_add(
            actor=user.principal,
            application=application,
            kind=kind,
            upload=SimpleUploadedFile(f"{application.code}-{label}.pdf", content, "application/pdf"),
        )


# The park's ambient quality, 2021 on (苏州工业园区环境质量状况公报): ozone is the park's lasting
# problem, fine particles met the standard from 2022, the other air indicators and the assessed
# water sections always did.
# indicator -> the years not attained.
PARK_NOT_ATTAINED = {
    "O3": {2021, 2022, 2023, 2025, 2026},
    "PM25": {2021},
    "PM10": set(),
    "NO2": set(),
    "SO2": set(),
    "WATER": set(),
}
# The zones' own assessments where they differ or are published separately: (zone, indicator) ->
# the years not attained. 高端制造 never attained ozone; 独墅湖 recovered in 2024 and 2026; 阳澄湖's
# lake sections missed the water standard (total phosphorus) in odd years. 金鸡湖 publishes only
# its water sections: its air is read through the park's records.
ZONE_NOT_ATTAINED = {
    ("HMT", "O3"): {2021, 2022, 2023, 2024, 2025, 2026},
    ("HMT", "PM25"): {2021},
    ("HMT", "WATER"): set(),
    ("DSL", "O3"): {2021, 2022, 2023, 2025},
    ("DSL", "WATER"): set(),
    ("YCL", "O3"): {2021, 2023, 2025},
    ("YCL", "WATER"): {2021, 2023, 2025},
    ("JJL", "WATER"): {2022},
}
FIRST_ASSESSED_YEAR = 2021


def _attainment(ctx: DemoContext, admin) -> None:
    """Environmental quality assessments of the park and of its zones, from 2021 to this year."""
    zones = ctx["zones"]
    for year in range(FIRST_ASSESSED_YEAR, ctx.today.year + 1):
        for indicator, missed in PARK_NOT_ATTAINED.items():
            services.attainment_record(
                actor=admin.principal,
                year=year,
                indicator=indicator,
                attained=year not in missed,
                source=f"{year} 年苏州工业园区环境质量状况公报",
            )
        for (code, indicator), missed in ZONE_NOT_ATTAINED.items():
            zone = zones[code]
            what = "地表水考核断面水质监测结果" if indicator == "WATER" else "环境空气质量监测年报"
            services.attainment_record(
                actor=admin.principal,
                year=year,
                indicator=indicator,
                attained=year not in missed,
                source=f"{year} 年{zone.name}{what}",
                zone=zone,
            )


def seed(ctx: DemoContext) -> None:
    users = ctx["users"]
    admin, reviewer, reviewer2 = users["admin"], users["reviewer"], users["reviewer2"]
    today = ctx.today
    p = {x.code: x for x in Pollutant.objects.all()}

    _attainment(ctx, admin)
    run = services.intake_prepare(
        actor=admin.principal, year=today.year, quarter=(today.month - 1) // 3 + 1, effective_date=today
    )
    first = IntakeItem.objects.filter(run=run, intake_grams__gt=0).order_by("id").first()
    if first is not None:
        services.intake_exclude(
            actor=admin.principal, item=first, reason="该项目减排量已用于区域削减替代试点，不纳入园区储备"
        )
    # Four eyes (RES-1): the administrator prepares the run, a reviewer confirms it.
    services.intake_confirm(actor=reviewer.principal, run=run)

    hmt_user, dsl_user = users["ent_hmt"], users["ent_dsl"]
    hmt, dsl = hmt_user.enterprise, dsl_user.enterprise

    def apply(user, unit, name, lines):
        return services.application_create(
            actor=user.principal,
            enterprise=unit,
            project_name=name,
            location=unit.address or "苏州工业园区",
            eia_reference=f"苏园环建〔{today.year}〕{len(name)}号",
            lines=lines,
            description="演示申请",
        )

    def submit(user, unit, name, lines, *, documents=True):
        application = apply(user, unit, name, lines)
        if documents:
            _documents(user, application)
        return services.application_submit(actor=user.principal, application=application)

    filed = submit(
        hmt_user,
        hmt,
        "年产 300 万平方米柔性线路板技改项目",
        [
            _line(p["VOCS"], 800_000, plant_env=2_600_000, new=600_000),
            _line(p["COD"], 500_000, plant_env=1_800_000, new=400_000, sewer=3_000_000),
        ],
        documents=False,  # a filing: nothing to review
    )
    services.application_approve(actor=reviewer.principal, application=filed, reason="符合备案条件，予以备案")
    # RES-4: one reviewer proposes, the unit is told and answers, another reviewer decides.
    case = services.recovery_propose(
        actor=reviewer2.principal,
        line=filed.lines.get(pollutant=p["COD"]),
        kind=RecoveryKind.OTHER,
        reason="企业优化工艺，主动申请核减化学需氧量许可量",
        surplus_grams=100_000,
    )
    case = services.recovery_notify(actor=reviewer2.principal, case=case)
    case = services.recovery_answer(
        actor=hmt_user.principal, case=case, answer="同意核减，工艺优化后化学需氧量排放已稳定下降"
    )
    services.recovery_approve(actor=reviewer.principal, case=case, reason="单位已同意，予以收回")

    reviewed = submit(
        hmt_user,
        hmt,
        "新建半导体封装测试生产线项目",
        [
            _line(p["VOCS"], 1_800_000, plant_env=4_000_000, new=1_500_000),
            _line(p["NOX"], 1_200_000, plant_env=2_000_000, new=1_100_000),
        ],
    )
    services.application_propose(
        actor=reviewer.principal,
        application=reviewed,
        proposal="削减替代来源落实，臭氧不达标按 2:1 削减，拟同意",
    )
    services.application_approve(actor=reviewer2.principal, application=reviewed, reason="同意")

    proposed = submit(dsl_user, dsl, "生物医药研发中试平台项目", [_line(p["VOCS"], 1_300_000, new=1_200_000)])
    services.application_propose(
        actor=reviewer2.principal, application=proposed, proposal="拟同意，待另一审核人员批准"
    )

    rejected = submit(dsl_user, dsl, "溶剂型涂料生产线扩能项目", [_line(p["VOCS"], 2_000_000, new=2_000_000)])
    services.application_reject(
        actor=reviewer.principal, application=rejected, reason="不符合园区产业导向，溶剂型涂料产能不予新增"
    )

    withdrawn = submit(hmt_user, hmt, "表面处理车间改造项目", [_line(p["TP"], 50_000)])
    services.application_withdraw(
        actor=hmt_user.principal, application=withdrawn, reason="项目方案调整，重新申报"
    )

    # A draft whose balance plan is still to come.
    _documents(hmt_user, apply(hmt_user, hmt, "仓储物流中心配套项目", [_line(p["NOX"], 300_000)]), ["basis"])

    officer = users["zone_dsl"]
    big = submit(officer, dsl, "大型数据中心配套燃气锅炉项目", [_line(p["NOX"], 60 * T, new=60 * T)])
    request = services.upper_request(
        actor=admin.principal,
        zone=dsl.zone,
        pollutant=p["NOX"],
        amount_grams=80 * T,  # the grant below is what was asked: never more (RES-2)
        reason=f"申请 {big.code} 所需氮氧化物削减替代量超出园区储备（含后续扩建所需）",
        application=big,
    )
    services.upper_grant(  # recorded by a reviewer: the requester does not record the answer (four eyes)
        actor=reviewer.principal,
        request=request,
        granted_grams=80 * T,
        reference=f"苏环总量〔{today.year}〕6号",
    )
    services.application_rehold(actor=reviewer.principal, application=big)
    ctx.notes.append("储备库：已入库本季度减排量，演示申请涵盖备案、审核、拟办、驳回、撤回、草稿与上级储备。")
