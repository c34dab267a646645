"""Declaration and review of reduction projects (RED-3, RED-4): every transition and refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, transaction

from tests.reductions.conftest import pdf, pollutant, project_data
from totalquota.audit.models import AuditEvent
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from totalquota.reductions import services
from totalquota.reductions.models import (
    Opinion,
    ProjectStatus,
    ProjectTransition,
    ReductionLine,
    ReductionProject,
)
from totalquota.registry.models import RuleParameter
from totalquota.registry.services import rule_parameter_set

pytestmark = pytest.mark.django_db
S = ProjectStatus


def history(project):
    return [(t.from_status, t.to_status, t.action) for t in project.transitions.order_by("at", "pk")]


def nothing_written(before):
    return (
        ReductionProject.objects.count(),
        ReductionLine.objects.count(),
        AuditEvent.objects.count(),
    ) == before


def counts():
    return ReductionProject.objects.count(), ReductionLine.objects.count(), AuditEvent.objects.count()


# --- declaration --------------------------------------------------------------------------------
def test_a_zone_officer_starts_a_draft_in_their_zone(world, today):
    project = services.project_create(actor=world.officer, **project_data(today, enterprise=world.company))
    assert project.status == S.DRAFT and project.zone == world.zone_a
    assert project.code.startswith("JP") and project.year == (today - dt.timedelta(days=60)).year
    assert project.investment_yuan == 855_000
    assert history(project) == [("", "draft", "create")]
    assert AuditEvent.objects.filter(action="reduction.create", object_id=str(project.pk)).exists()


def test_completion_before_start_is_refused_citing_red_3_and_nothing_is_written(world, today):
    before = counts()
    with pytest.raises(RuleViolation) as caught:
        services.project_create(
            actor=world.officer,
            **project_data(today, start_date=today, completion_date=today - dt.timedelta(days=1)),
        )
    assert (
        caught.value.clause == "RED-3"
        and "竣工时间" in caught.value.message
        and "不能早于开工时间" in str(caught.value)
    )
    assert nothing_written(before)


def test_acceptance_before_completion_is_refused(world, today):
    before = counts()
    with pytest.raises(RuleViolation, match=r"验收时间.*不能早于竣工时间"):
        services.project_create(
            actor=world.officer,
            **project_data(
                today,
                completion_date=today - dt.timedelta(days=10),
                acceptance_date=today - dt.timedelta(days=11),
            ),
        )
    assert nothing_written(before)


def test_a_subtype_must_belong_to_its_type(world, today):
    with pytest.raises(RuleViolation, match="具体类型应为"):
        services.project_create(actor=world.officer, **project_data(today, subtype="vapour_recovery"))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-3", "不能为负数"),
        ("1.00001", "精度过高"),
        ("abc", "不是有效的数字"),
        ("1,5", "千位分隔符"),
        ("1e3", "科学计数法"),
        ("١٢", "0-9"),
        (True, "应为数字"),
    ],
)
def test_bad_investment_amounts_are_refused(world, today, value, message):
    with pytest.raises(ValidationFailed, match=message):
        services.project_create(actor=world.officer, **project_data(today, investment=value))


def test_a_full_width_investment_is_read_as_ascii(world, today):
    project = services.project_create(actor=world.officer, **project_data(today, investment="８５．５"))
    assert project.investment_yuan == 855_000


def test_a_zone_officer_cannot_declare_in_another_zone(world, today):
    with pytest.raises(ValidationFailed, match="无权在功能区"):
        services.project_create(actor=world.other_officer, **project_data(today, zone=world.zone_a))


def test_enterprise_staff_declare_only_for_their_own_unit(world, today):
    own = services.project_create(actor=world.company_user, **project_data(today))
    assert own.enterprise == world.company and own.zone == world.zone_a and own.origin == "enterprise"
    with pytest.raises(ValidationFailed, match="本单位"):
        services.project_create(
            actor=world.company_user, **project_data(today, enterprise=world.other_company)
        )


def test_a_scrapped_vehicle_fleet_needs_no_enterprise(world, today):
    project = services.project_create(
        actor=world.officer,
        **project_data(today, project_type="other", subtype="vehicle_scrapping", name="国三柴油货车淘汰"),
    )
    assert project.enterprise is None


def test_an_enterprise_of_another_zone_is_refused(world, today):
    with pytest.raises(ValidationFailed, match="不在功能区"):
        services.project_create(
            actor=world.admin, **project_data(today, zone=world.zone_a, enterprise=world.other_company)
        )


# --- lines --------------------------------------------------------------------------------------
def test_a_line_keeps_its_inputs_and_computation_and_is_replaced_not_duplicated(world, today):
    project = services.project_create(actor=world.officer, **project_data(today))
    voc = pollutant("VOCS")
    services.line_set(
        actor=world.officer,
        project=project,
        pollutant=voc,
        method="closure",
        inputs={"baseline": "2.5", "basis": "执行报告"},
    )
    line = services.line_set(
        actor=world.officer,
        project=project,
        pollutant=voc,
        method="documented",
        inputs={
            "source": "acceptance",
            "document": "园环验〔2025〕3 号",
            "baseline": "3",
            "reduction": "1.25",
        },
    )
    assert project.lines.count() == 1
    assert (line.baseline_grams, line.reduction_grams, line.post_grams) == (3_000_000, 1_250_000, 1_750_000)
    assert line.inputs["reduction"] == "1.25" and "园环验〔2025〕3 号" in line.computation
    assert AuditEvent.objects.filter(action="reduction.line_set").count() == 2


def test_a_line_with_a_chosen_factor_stores_the_factors_snapshot(world, today):
    from totalquota.reductions.models import AccountingFactor

    project = services.project_create(
        actor=world.officer, **project_data(today, project_type="other", subtype="vapour_recovery")
    )
    factor = AccountingFactor.objects.get(code="AP42-5.2-REFUEL-UNC")
    line = services.line_set(
        actor=world.officer,
        project=project,
        pollutant=pollutant("VOCS"),
        method="vapour",
        inputs={
            "throughput": "10000",
            "efficiency_before": "0",
            "efficiency_after": "90",
            "basis": "销售台账",
        },
        factors={"factor": factor.pk},
    )
    assert line.reduction_grams == 11_880_000
    assert line.inputs["factor"]["factor_id"] == factor.pk and line.inputs["factor"]["value"] == "1320"
    assert "AP-42" in line.inputs["factor"]["source"]


def test_a_factor_of_another_pollutant_is_refused(world, today):
    from totalquota.reductions.models import AccountingFactor

    project = services.project_create(
        actor=world.officer, **project_data(today, project_type="process", subtype="energy_substitution")
    )
    nox = AccountingFactor.objects.get(code="AP42-1.4-NOX-UNC")
    with pytest.raises(ValidationFailed, match="不适用于"):
        services.line_set(
            actor=world.officer,
            project=project,
            pollutant=pollutant("SO2"),
            method="fuel",
            inputs={"fuel_before": "10", "fuel_after": "0", "basis": "台账"},
            factors={"factor_before": nox.pk},
        )


def test_a_method_for_another_medium_is_refused(world, today):
    project = services.project_create(actor=world.officer, **project_data(today))
    with pytest.raises(RuleViolation, match="不适用于化学需氧量") as caught:
        services.line_set(
            actor=world.officer,
            project=project,
            pollutant=pollutant("COD"),
            method="vapour",
            inputs={},
        )
    assert caught.value.clause == "RED-2"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"baseline": "-1", "basis": "x"}, "不能为负数"),
        ({"baseline": "1.0000001", "basis": "x"}, "精度过高"),
        ({"baseline": "", "basis": "x"}, "请填写"),
    ],
)
def test_negative_over_precise_or_missing_amounts_are_refused_and_nothing_is_written(
    world, today, inputs, message
):
    project = services.project_create(actor=world.officer, **project_data(today))
    before = counts()
    with pytest.raises(RuleViolation, match=message) as caught:
        services.line_set(
            actor=world.officer, project=project, pollutant=pollutant("VOCS"), method="closure", inputs=inputs
        )
    assert caught.value.clause == "RED-2"
    assert nothing_written(before)


def test_a_reduction_larger_than_the_baseline_is_refused(world, today):
    project = services.project_create(actor=world.officer, **project_data(today))
    before = counts()
    with pytest.raises(RuleViolation, match="不能大于基准排放量"):
        services.line_set(
            actor=world.officer,
            project=project,
            pollutant=pollutant("NOX"),
            method="documented",
            inputs={"source": "permit", "document": "许可证", "baseline": "1", "reduction": "1.5"},
        )
    assert nothing_written(before)


def test_heavy_metal_lines_are_entered_in_kilograms(world, today):
    project = services.project_create(actor=world.officer, **project_data(today))
    line = services.line_set(
        actor=world.officer,
        project=project,
        pollutant=pollutant("PB"),
        method="closure",
        inputs={"baseline": "3.5", "basis": "监测"},
    )
    assert line.reduction_grams == 3_500
    with pytest.raises(RuleViolation, match="最多 3 位小数"):
        services.line_set(
            actor=world.officer,
            project=project,
            pollutant=pollutant("PB"),
            method="closure",
            inputs={"baseline": "3.0001", "basis": "监测"},
        )


# --- submission ---------------------------------------------------------------------------------
def test_an_incomplete_project_cannot_be_submitted_and_says_what_is_missing(world, today):
    project = services.project_create(
        actor=world.officer, name="只有名称", project_type="structural", subtype="unit_closure"
    )
    with pytest.raises(RuleViolation) as caught:
        services.project_submit(actor=world.officer, project=project)
    assert caught.value.clause == "RED-3"
    assert "建设单位未填写" in caught.value.message and "至少填写一项污染物的减排量" in caught.value.message
    project.refresh_from_db()
    assert project.status == S.DRAFT


def test_a_project_without_its_acceptance_document_cannot_be_submitted(make_project, world):
    project = make_project(evidence=False)
    with pytest.raises(RuleViolation, match="缺少佐证材料：竣工验收材料") as caught:
        services.project_submit(actor=world.officer, project=project)
    assert caught.value.clause == "RED-3"


def test_a_project_not_yet_completed_cannot_be_submitted(make_project, world, today):
    project = make_project(completion_date=today + dt.timedelta(days=5), acceptance_date=None)
    with pytest.raises(RuleViolation, match="竣工后方可申报"):
        services.project_submit(actor=world.officer, project=project)


def test_the_zone_officer_submits_a_complete_project(make_project, world):
    project = make_project()
    services.project_submit(actor=world.officer, project=project, note="第四季度申报")
    project.refresh_from_db()
    assert project.status == S.SUBMITTED and project.submitted_at is not None
    assert history(project)[-1] == ("draft", "submitted", "submit")
    assert project.transitions.last().rules[0]["key"] == "reduction_required_evidence"


def test_only_the_projects_zone_submits_it(make_project, world):
    project = make_project()
    with pytest.raises(Forbidden):
        services.project_submit(actor=world.other_officer, project=project)


def test_an_enterprise_hands_its_project_to_the_zone_which_sends_it_back_or_submits_it(make_project, world):
    project = make_project(actor=world.company_user)
    services.project_handover(actor=world.company_user, project=project)
    project.refresh_from_db()
    assert project.status == S.ZONE_PENDING
    with pytest.raises(Conflict, match="已提交功能区"):
        services.project_update(actor=world.company_user, project=project, name="改名")
    services.project_send_back(actor=world.officer, project=project, reason="请补充投资证明")
    project.refresh_from_db()
    assert project.status == S.DRAFT
    services.project_handover(actor=world.company_user, project=project)
    services.project_submit(actor=world.officer, project=project)
    project.refresh_from_db()
    assert [t[2] for t in history(project)] == ["create", "handover", "send_back", "handover", "submit"]


def test_sending_back_without_comments_is_refused(make_project, world):
    project = make_project(actor=world.company_user)
    services.project_handover(actor=world.company_user, project=project)
    with pytest.raises(ValidationFailed, match="修改意见"):
        services.project_send_back(actor=world.officer, project=project, reason=" ")


def test_submitted_projects_are_frozen(make_project, world):
    project = make_project()
    services.project_submit(actor=world.officer, project=project)
    with pytest.raises(Conflict, match="不能修改"):
        services.project_update(actor=world.officer, project=project, name="改名")
    with pytest.raises(Conflict):
        services.evidence_add(
            actor=world.officer, project=project, kind="investment", upload=pdf("b.pdf", b"2")
        )


# --- suggestions --------------------------------------------------------------------------------
def test_a_partner_suggests_a_project_and_the_zone_adopts_it(world, today):
    suggestion = services.project_suggest(
        actor=world.partner,
        name="某厂燃煤锅炉拆除",
        project_type="structural",
        subtype="line_shutdown",
        zone=world.zone_a,
        enterprise=world.company,
        suggestion_note="2025 年引导资金补助项目",
    )
    assert suggestion.status == S.SUGGESTED
    with pytest.raises(Forbidden):
        services.project_adopt(actor=world.other_officer, project=suggestion)
    services.project_adopt(actor=world.officer, project=suggestion)
    suggestion.refresh_from_db()
    assert suggestion.status == S.DRAFT
    assert [t[2] for t in history(suggestion)] == ["suggest", "adopt"]


def test_a_suggestion_needs_its_reason_and_declining_it_needs_one_too(world):
    with pytest.raises(ValidationFailed, match="增补建议理由"):
        services.project_suggest(
            actor=world.partner, name="x", project_type="other", subtype="other", zone=world.zone_a
        )
    suggestion = services.project_suggest(
        actor=world.partner,
        name="x",
        project_type="other",
        subtype="other",
        zone=world.zone_a,
        suggestion_note="专项排查",
    )
    with pytest.raises(ValidationFailed, match="须说明理由"):
        services.project_decline(actor=world.officer, project=suggestion, reason="")
    services.project_decline(actor=world.officer, project=suggestion, reason="已纳入其他项目")
    suggestion.refresh_from_db()
    assert suggestion.status == S.DECLINED


# --- third party --------------------------------------------------------------------------------
def test_a_third_party_guides_before_submission_and_prechecks_after(make_project, world):
    project = make_project()
    services.opinion_add(
        actor=world.third_party, project=project, conclusion="guidance", text="请补充排污许可执行报告页码"
    )
    project.refresh_from_db()
    assert project.status == S.DRAFT
    with pytest.raises(Conflict, match="报送后才能出具预审结论"):
        services.opinion_add(actor=world.third_party, project=project, conclusion="agree", text="同意")
    services.project_submit(actor=world.officer, project=project)
    services.opinion_add(
        actor=world.third_party, project=project, conclusion="agree", text="核算方法正确，建议入库"
    )
    project.refresh_from_db()
    assert project.status == S.PRECHECKED
    assert history(project)[-1] == ("submitted", "prechecked", "precheck")
    assert Opinion.objects.filter(project=project).count() == 2


def test_a_third_party_outside_its_assigned_zones_cannot_write_opinions(world, today):
    from tests.reductions.conftest import ready_project

    project = ready_project(world, today, actor=world.other_officer, enterprise=world.other_company)
    with pytest.raises(Forbidden):
        services.opinion_add(actor=world.third_party, project=project, conclusion="guidance", text="x")


def test_a_third_party_never_decides(make_project, world):
    project = make_project()
    services.project_submit(actor=world.officer, project=project)
    with pytest.raises(Forbidden):
        services.project_approve(actor=world.third_party, project=project)


# --- review -------------------------------------------------------------------------------------
def test_returned_fixed_resubmitted_and_approved_with_every_step_kept(make_project, world):
    project = make_project()
    services.project_submit(actor=world.officer, project=project)
    with pytest.raises(ValidationFailed, match="修改意见") as caught:
        services.project_return(actor=world.reviewer, project=project, reason="")
    assert caught.value.clause == "RED-4"
    services.project_return(actor=world.reviewer, project=project, reason="请核对基准年排放量")
    project.refresh_from_db()
    assert project.status == S.RETURNED
    services.line_set(
        actor=world.officer,
        project=project,
        pollutant=pollutant("VOCS"),
        method="closure",
        inputs={"baseline": "2.4", "basis": "2024 年执行报告（更正）"},
    )
    project.refresh_from_db()
    assert project.status == S.DRAFT
    services.project_submit(actor=world.officer, project=project)
    services.project_approve(actor=world.reviewer, project=project, reason="核算无误")
    project.refresh_from_db()
    assert project.status == S.APPROVED and project.decided_by == world.reviewer
    assert [t[2] for t in history(project)] == ["create", "submit", "return", "revise", "submit", "approve"]
    returned = project.transitions.get(action="return")
    assert (
        returned.actor == world.reviewer
        and returned.reason == "请核对基准年排放量"
        and returned.at is not None
    )


def test_rejection_needs_a_reason(make_project, world):
    project = make_project()
    services.project_submit(actor=world.officer, project=project)
    with pytest.raises(RuleViolation, match="须说明原因") as caught:
        services.project_reject(actor=world.reviewer, project=project, reason="  ")
    assert caught.value.clause == "RED-4"
    services.project_reject(actor=world.reviewer, project=project, reason="关停发生在“十四五”之前")
    project.refresh_from_db()
    assert project.status == S.REJECTED
    with pytest.raises(Conflict):
        services.project_approve(actor=world.reviewer2, project=project)


def test_whoever_took_part_in_preparing_a_project_cannot_approve_it(world, today):
    suggestion = services.project_suggest(
        actor=world.reviewer,
        name="园区餐饮集中区关闭",
        project_type="other",
        subtype="restaurant_closure",
        zone=world.zone_a,
        suggestion_note="专项排查发现",
        **{k: v for k, v in project_data(today).items() if k not in ("name", "project_type", "subtype")},
    )
    services.project_adopt(actor=world.officer, project=suggestion)
    services.line_set(
        actor=world.officer,
        project=suggestion,
        pollutant=pollutant("PM"),
        method="closure",
        inputs={"baseline": "0.8", "basis": "监测"},
    )
    services.evidence_add(actor=world.officer, project=suggestion, kind="acceptance", upload=pdf())
    services.evidence_add(
        actor=world.officer, project=suggestion, kind="accounting", upload=pdf("核算.pdf", b"c")
    )
    services.project_submit(actor=world.officer, project=suggestion)
    with pytest.raises(Forbidden) as caught:
        services.project_approve(actor=world.reviewer, project=suggestion)
    assert caught.value.clause == "RED-4" and "四眼" in caught.value.message
    suggestion.refresh_from_db()
    assert suggestion.status == S.SUBMITTED
    services.project_approve(actor=world.reviewer2, project=suggestion)
    suggestion.refresh_from_db()
    assert suggestion.status == S.APPROVED


def test_approval_rechecks_evidence_under_the_rules_in_force_that_day(make_project, world, today):
    project = make_project()
    services.project_submit(actor=world.officer, project=project)
    # The bureau now also requires proof of investment for every project.
    current = RuleParameter.objects.get(key="reduction_required_evidence", effective_to__isnull=True)
    rule_parameter_set(
        actor=world.admin.principal,
        key="reduction_required_evidence",
        value="acceptance,investment",
        effective_from=max(today, current.effective_from + dt.timedelta(days=1)),
    )
    before = (project.transitions.count(), AuditEvent.objects.count())
    with pytest.raises(RuleViolation, match="投入资金证明") as caught:
        services.project_approve(actor=world.reviewer, project=project)
    assert caught.value.clause == "RED-4"
    project.refresh_from_db()
    assert project.status == S.SUBMITTED
    assert (project.transitions.count(), AuditEvent.objects.count()) == before


def test_a_documented_figure_needs_the_document_it_is_taken_from(make_project, world):
    project = make_project()
    services.line_set(
        actor=world.officer,
        project=project,
        pollutant=pollutant("NOX"),
        method="documented",
        inputs={"source": "permit", "document": "排污许可证副本", "baseline": "2", "reduction": "0.5"},
    )
    with pytest.raises(RuleViolation, match="排污许可证及变更凭证"):
        services.project_submit(actor=world.officer, project=project)
    services.evidence_add(actor=world.officer, project=project, kind="permit", upload=pdf("许可证.pdf", b"p"))
    services.project_submit(actor=world.officer, project=project)


def test_transitions_and_opinions_cannot_be_rewritten(make_project, world):
    project = make_project()
    row = project.transitions.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        ProjectTransition.objects.filter(pk=row.pk).update(reason="改写")
    with pytest.raises(DatabaseError), transaction.atomic():
        ProjectTransition.objects.filter(pk=row.pk).delete()
