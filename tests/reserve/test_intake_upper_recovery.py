"""Intake (RES-1), the upper-level reserve (RES-2) and recovery (RES-4)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.reductions.conftest import ready_project
from tests.reserve.conftest import T, line
from totalquota.emissions import services as emissions
from totalquota.ledger import selectors as ledger_selectors
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from totalquota.reductions import services as reductions
from totalquota.reserve import services
from totalquota.reserve.models import ExclusionReason, IntakeRun, RecoveryKind
from totalquota.reserve.selectors import recovery_candidates


def operating_since(app, day):
    """Set a project's formal operation date in the past (the service allows only after approval)."""
    from totalquota.reserve.models import QuotaApplication

    QuotaApplication.objects.filter(pk=app.pk).update(operation_started_on=day)


def verified(world, pollutant, year, grams, source):
    """A reviewer's verified emission with its evidence (the RES-4 (2) fallback)."""
    from tests.reductions.conftest import pdf

    return emissions.verified_emission_record(
        actor=world.reviewer.principal,
        enterprise=world.company,
        pollutant=pollutant,
        year=year,
        actual_grams=grams,
        source=source,
        evidence=pdf("监测报告.pdf"),
    )


pytestmark = pytest.mark.django_db


def approved_line(world, **overrides):
    today = timezone.localdate()
    project = ready_project(world, today, **overrides)
    reductions.project_submit(actor=world.officer.principal, project=project)
    reductions.project_approve(actor=world.reviewer2.principal, project=project)
    return project.lines.get()


def this_quarter():
    today = timezone.localdate()
    return today.year, (today.month - 1) // 3 + 1


def test_an_intake_previews_every_line_then_credits_one_lot_per_line_once(world, p):
    whole = approved_line(world, name="甲厂喷涂线关停")
    partly = approved_line(world, name="甲厂锅炉淘汰")
    reductions.usage_mark(
        actor=world.reviewer.principal,
        line=partly,
        kind="binding_task",
        amount="1",
        reference="年度任务书",
        used_on=timezone.localdate(),
    )
    run = services.intake_prepare(
        actor=world.admin.principal, year=this_quarter()[0], quarter=this_quarter()[1]
    )
    items = {i.line_id: i for i in run.items.all()}
    assert items[whole.pk].intake_grams == 2_500_000
    assert items[partly.pk].intake_grams == 1_500_000
    assert items[partly.pk].reasons[0]["code"] == ExclusionReason.BINDING_TASK
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == 0  # nothing before confirming
    services.intake_confirm(actor=world.reviewer.principal, run=run)
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == 4_000_000
    with pytest.raises(Conflict, match="不能重复入库"):
        services.intake_confirm(actor=world.reviewer.principal, run=run)
    with pytest.raises(Conflict, match="已有已确认的入库批次"):
        services.intake_prepare(
            actor=world.admin.principal, year=this_quarter()[0], quarter=this_quarter()[1]
        )
    assert IntakeRun.objects.count() == 1
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == 4_000_000


def test_a_line_can_be_excluded_as_otherwise_ineligible_with_a_reason(world, p):
    approved_line(world)
    run = services.intake_prepare(
        actor=world.admin.principal, year=this_quarter()[0], quarter=this_quarter()[1]
    )
    item = run.items.get()
    with pytest.raises(ValidationFailed, match="原因"):
        services.intake_exclude(actor=world.admin.principal, item=item, reason="")
    services.intake_exclude(actor=world.admin.principal, item=item, reason="企业已另行申请排污权交易")
    services.intake_confirm(actor=world.reviewer.principal, run=run)
    item.refresh_from_db()
    assert item.intake_grams == 0 and item.reasons[-1]["code"] == ExclusionReason.OTHER
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == 0


def test_an_upper_level_grant_becomes_a_lot_with_its_source(world, p):
    request = services.upper_request(
        actor=world.admin.principal,
        zone=world.zone_a,
        pollutant=p["NOX"],
        amount_grams=3 * T,
        reason="重大项目园区储备不足",
    )
    services.upper_grant(
        actor=world.reviewer.principal, request=request, granted_grams=2 * T, reference="苏环总〔2026〕8号"
    )
    lot = ledger_selectors.lots_available(world.zone_a, p["NOX"])[0][0]
    assert lot.source_type == "upper_grant" and "苏环总" in lot.source_label
    assert ledger_selectors.zone_balance(world.zone_a, p["NOX"]).posted == 2 * T
    with pytest.raises(Conflict):
        services.upper_grant(actor=world.reviewer2.principal, request=request, granted_grams=T, reference="x")


def test_the_requester_does_not_record_the_upper_levels_answer(world, p):
    request = services.upper_request(
        actor=world.admin.principal, zone=world.zone_a, pollutant=p["NOX"], amount_grams=T, reason="储备不足"
    )
    with pytest.raises(Forbidden, match="四眼原则"):
        services.upper_grant(actor=world.admin.principal, request=request, granted_grams=T, reference="x")
    with pytest.raises(Forbidden, match="四眼原则"):
        services.upper_refuse(actor=world.admin.principal, request=request, reference="x")
    request.refresh_from_db()
    assert request.status == "requested" and request.posting is None
    assert ledger_selectors.zone_balance(world.zone_a, p["NOX"]).posted == 0


def test_a_line_used_upward_is_deducted_from_the_park_reserve(world, p):
    line_ = approved_line(world)
    run = services.intake_prepare(
        actor=world.admin.principal, year=this_quarter()[0], quarter=this_quarter()[1]
    )
    services.intake_confirm(actor=world.reviewer.principal, run=run)
    proposal = services.adjustment_upper_deduction(
        actor=world.admin.principal, line=line_, amount_grams=T, reason="已报送市级储备库并被使用"
    )
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == 2_500_000
    with pytest.raises(Forbidden, match="四眼原则"):
        services.adjustment_confirm(actor=world.admin.principal, adjustment=proposal)
    services.adjustment_confirm(actor=world.reviewer.principal, adjustment=proposal)
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == 1_500_000
    uses = {
        u.account.kind: u.grams
        for u in ledger_selectors.forward_trace("reduction_line", f"reductions.reductionline:{line_.pk}")
    }
    assert uses["upper_level"] == T


def recover_decided(world, *, line, kind, reason, surplus_grams=None, today=None):
    """A recovery as RES-4 runs it: one reviewer proposes, the unit is told (but for case (1)) and
    lets the answer period pass, another reviewer decides."""
    today = today or timezone.localdate()
    case = services.recovery_propose(
        actor=world.reviewer.principal,
        line=line,
        kind=kind,
        reason=reason,
        surplus_grams=surplus_grams,
        today=today,
    )
    if case.needs_notice:
        case = services.recovery_notify(actor=world.reviewer.principal, case=case, today=today)
        today = case.answer_due + dt.timedelta(days=1)
    return services.recovery_approve(actor=world.reviewer2.principal, case=case, today=today)


def approved_application(world, p, stock, draft, grams):
    stock(world.zone_a, "VOCS", 5 * T)
    app = services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=grams)])
    )
    services.application_approve(actor=world.reviewer.principal, application=app)
    return app


def test_a_project_that_will_not_be_built_returns_its_whole_deduction_to_its_lots(world, p, stock, draft):
    app = approved_application(world, p, stock, draft, 800_000)
    vocs = app.lines.get()
    case = recover_decided(world, line=vocs, kind=RecoveryKind.NOT_BUILT, reason="企业书面承诺不再建设")
    assert case.recovered_grams == 800_000
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == 5 * T
    assert ledger_selectors.account_balance(vocs.allocation).posted == 0


def test_underused_quota_is_found_and_recovered_as_a_lot_traceable_to_the_allocation(world, p, stock, draft):
    app = approved_application(world, p, stock, draft, T)
    today = timezone.localdate()
    services.application_mark_operating(actor=world.officer.principal, application=app, started_on=today)
    assert recovery_candidates(today=today + dt.timedelta(days=366)) == []  # no figure yet
    # In operation since 1 March 2024: 2024 and the year to 1 March 2025 are its first year; the
    # first calendar year that began after it is 2026 (RES-4 Decision "which figures").
    operating_since(app, dt.date(2024, 3, 1))
    verified(world, p["VOCS"], 2025, 500_000, "2025 年排污许可执行报告")
    year_later = today + dt.timedelta(days=366)
    assert recovery_candidates(today=year_later) == []  # 2025 began inside the first year
    verified(world, p["VOCS"], 2026, 600_000, "2026 年排污许可执行报告")
    [candidate] = recovery_candidates(today=year_later)
    assert candidate.suggested_surplus_grams == 400_000
    case = recover_decided(
        world,
        line=candidate.line,
        kind=RecoveryKind.UNDERUSED,
        reason="经核实确认富余",
        surplus_grams=350_000,
        today=year_later,
    )
    vocs = app.lines.get()
    assert vocs.permitted_env_grams == 650_000 and case.recovered_grams == 350_000
    lot = case.posting.transfers.get().credit
    assert lot.source_type == "recovery" and lot.source_ref == f"ledger.account:{vocs.allocation_id}"
    assert ledger_selectors.account_balance(vocs.allocation).posted == 650_000
    assert case.rule_snapshot["recovery_threshold"]["value"] == 8000


def test_exactly_eighty_percent_is_not_a_candidate(world, p, stock, draft):
    app = approved_application(world, p, stock, draft, T)
    today = timezone.localdate()
    operating_since(app, dt.date(2024, 1, 1))
    verified(world, p["VOCS"], 2025, 800_000, "监测报告")
    assert recovery_candidates(today=today + dt.timedelta(days=400)) == []
    with pytest.raises(RuleViolation, match="80%"):
        services.recovery_propose(
            actor=world.reviewer.principal,
            line=app.lines.get(),
            kind=RecoveryKind.UNDERUSED,
            reason="x",
            surplus_grams=200_000,
            today=today + dt.timedelta(days=400),
        )


def test_recovery_refuses_more_than_the_permitted_quantity(world, p, stock, draft):
    app = approved_application(world, p, stock, draft, T)
    with pytest.raises(RuleViolation, match="不能超过现许可量"):
        services.recovery_propose(
            actor=world.reviewer.principal,
            line=app.lines.get(),
            kind=RecoveryKind.OTHER,
            reason="x",
            surplus_grams=T + 1,
        )
    assert app.lines.get().permitted_env_grams == T


def test_the_reduction_bulletin_counts_quota_allocated_from_the_reserve_as_used(world, p, draft):
    from totalquota.reductions.selectors import reserve_use_grams

    approved_line(world)
    run = services.intake_prepare(
        actor=world.admin.principal, year=this_quarter()[0], quarter=this_quarter()[1]
    )
    services.intake_confirm(actor=world.reviewer.principal, run=run)
    app = services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=600_000)])
    )
    services.application_approve(actor=world.reviewer.principal, application=app)
    today = timezone.localdate()
    assert reserve_use_grams(world.zone_a, p["VOCS"], today.replace(month=1, day=1), today) == 600_000
