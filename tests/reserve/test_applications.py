"""Quota applications: routing, ratios, holds, decisions and every refusal (RES-2)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.reserve.conftest import T, line
from totalquota.audit.models import AuditEvent
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger import services as ledger
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from totalquota.reserve import services
from totalquota.reserve.models import ApplicationStatus, QuotaApplication, Route
from totalquota.reserve.selectors import decision_preview

pytestmark = pytest.mark.django_db


def submit(world, app):
    return services.application_submit(actor=world.company_user.principal, application=app)


def test_within_every_threshold_an_application_is_filed_and_held(world, p, stock, draft):
    stock(world.zone_a, "VOCS", 5 * T)
    stock(world.zone_a, "NH3N", 1 * T)
    app = submit(world, draft([line(p["VOCS"], project_env=800_000), line(p["NH3N"], project_env=100_000)]))
    assert app.route == Route.FILING
    vocs = app.lines.get(pollutant=p["VOCS"])
    assert vocs.route == Route.FILING and "不超过 1 t/a" in vocs.route_reason
    assert vocs.deduction_grams == 800_000 and services.line_hold_state(vocs) == "open"
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).available == 4_200_000
    assert vocs.rule_snapshot["filing_threshold"]["clause_id"] == "RES-2"


def test_one_pollutant_over_its_threshold_sends_the_whole_application_to_review(world, p, stock, draft):
    stock(world.zone_a, "VOCS", 5 * T)
    stock(world.zone_a, "TP", 1 * T)
    app = submit(world, draft([line(p["VOCS"], project_env=900_000), line(p["TP"], project_env=100_001)]))
    assert app.route == Route.REVIEW
    tp = app.lines.get(pollutant=p["TP"])
    assert tp.route == Route.REVIEW and "超过 0.1 t/a" in tp.route_reason


def test_any_heavy_metal_increase_needs_review(world, p, stock, draft):
    stock(world.zone_a, "PB", 50_000)
    app = submit(world, draft([line(p["PB"], project_env=1)]))
    assert app.route == Route.REVIEW and "无备案阈值" in app.lines.get().route_reason


def test_ozone_out_of_attainment_doubles_the_vocs_deduction_rounding_up(world, p, stock, draft):
    stock(world.zone_a, "VOCS", 5 * T)
    services.attainment_record(
        actor=world.admin.principal,
        year=dt.date.today().year - 1,
        indicator="O3",
        attained=False,
        source="园区环境质量公报",
    )
    app = submit(world, draft([line(p["VOCS"], project_env=2 * T, new=1_234_567)]))
    vocs = app.lines.get()
    assert (vocs.ratio_num, vocs.ratio_den) == (2, 1)
    assert vocs.deduction_grams == 2_469_134
    assert "不达标" in vocs.computation and vocs.rule_snapshot["balance_ratio"]["value"] == [2, 1]


def test_a_fractional_ratio_rounds_the_deduction_up_to_the_gram(world, p, stock, draft):
    from totalquota.registry.services import rule_parameter_set

    rule_parameter_set(
        actor=world.admin.principal,
        key="balance_ratio",
        value=[3, 2],
        pollutant=p["COD"],
        effective_from=dt.date(2022, 1, 1),
        source="测试：1.5 倍",
    )
    stock(world.zone_a, "COD", 5 * T)
    vocs = submit(world, draft([line(p["COD"], project_env=T, new=333_333)])).lines.get()
    assert vocs.deduction_grams == 500_000  # 333,333 x 1.5 = 499,999.5 -> 500,000


def test_approval_posts_the_holds_into_an_allocation_and_writes_the_permitted_quantity(
    world, p, stock, draft
):
    lot = stock(world.zone_a, "VOCS", 5 * T)
    app = submit(world, draft([line(p["VOCS"], project_env=800_000, plant_env=1_500_000, new=700_000)]))
    services.application_approve(actor=world.reviewer.principal, application=app, reason="符合备案条件")
    app.refresh_from_db()
    vocs = app.lines.get()
    assert app.status == ApplicationStatus.APPROVED and vocs.permitted_env_grams == 800_000
    assert ledger_selectors.account_balance(vocs.allocation).posted == 700_000
    assert ledger_selectors.account_balance(lot).posted == 4_300_000
    assert ledger_selectors.provenance(vocs.allocation).by_lot() == {lot: 700_000}
    assert vocs.allocation.holder_enterprise == world.company


def test_review_needs_a_proposal_and_a_second_reviewer(world, p, stock, draft):
    stock(world.zone_a, "VOCS", 5 * T)
    app = submit(world, draft([line(p["VOCS"], project_env=2 * T)]))
    with pytest.raises(RuleViolation, match="另一名审核人员"):
        services.application_approve(actor=world.reviewer.principal, application=app)
    services.application_propose(actor=world.reviewer.principal, application=app, proposal="拟同意")
    with pytest.raises(Forbidden, match="四眼原则"):
        services.application_approve(actor=world.reviewer.principal, application=app)
    services.application_approve(actor=world.reviewer2.principal, application=app)
    assert QuotaApplication.objects.get(pk=app.pk).status == ApplicationStatus.APPROVED


def test_rejection_and_withdrawal_release_the_holds(world, p, stock, draft):
    stock(world.zone_a, "VOCS", 5 * T)
    first = submit(world, draft([line(p["VOCS"], project_env=T)]))
    second = submit(world, draft([line(p["VOCS"], project_env=T)]))
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).available == 3 * T
    with pytest.raises(ValidationFailed, match="理由"):
        services.application_reject(actor=world.reviewer.principal, application=first, reason="")
    services.application_reject(actor=world.reviewer.principal, application=first, reason="不符合产业政策")
    services.application_withdraw(actor=world.company_user.principal, application=second, reason="项目调整")
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).available == 5 * T
    assert services.line_hold_state(first.lines.get()) == "voided"


def test_a_zone_that_cannot_cover_leaves_the_line_short_and_approval_is_refused(world, p, stock, draft):
    stock(world.zone_a, "VOCS", 300_000)
    app = submit(world, draft([line(p["VOCS"], project_env=800_000)]))
    vocs = app.lines.get()
    assert services.line_hold_state(vocs) == "partial"  # what the zone had is held for it
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).available == 0
    assert "不足 0.5 t/a" in app.transitions.last().reason
    before = AuditEvent.objects.count()
    with pytest.raises(RuleViolation, match="尚未足额预留"):
        services.application_approve(actor=world.reviewer.principal, application=app)
    assert AuditEvent.objects.count() == before
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == 300_000


def test_a_bureau_zone_transfer_then_a_rehold_covers_the_shortfall(world, p, stock, draft):
    stock(world.zone_a, "VOCS", 300_000)
    other = stock(world.zone_b, "VOCS", 2 * T)
    app = submit(world, draft([line(p["VOCS"], project_env=800_000)]))
    ledger.zone_transfer(
        actor=world.admin.principal,
        from_lot=other,
        to_zone=world.zone_a,
        amount_grams=600_000,
        effective_date=dt.date.today(),
        reason="支持甲电子扩建",
        idempotency_key="zt-1",
    )
    assert services.application_rehold(actor=world.reviewer.principal, application=app) == []
    services.application_approve(actor=world.reviewer.principal, application=app)
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == 100_000


def test_the_reviewer_can_pick_the_lots(world, p, stock, draft):
    old = stock(world.zone_a, "VOCS", T, on=dt.date(2023, 1, 1))
    new = stock(world.zone_a, "VOCS", T, on=dt.date(2024, 1, 1))
    app = submit(world, draft([line(p["VOCS"], project_env=600_000)]))
    vocs = app.lines.get()
    services.application_rehold(
        actor=world.reviewer.principal, application=app, plans={vocs.pk: [(new, 600_000)]}
    )
    services.application_approve(actor=world.reviewer.principal, application=app)
    assert ledger_selectors.account_balance(old).posted == T
    assert ledger_selectors.account_balance(new).posted == 400_000
    with pytest.raises(Conflict):
        services.application_rehold(actor=world.reviewer.principal, application=app)


def test_the_preview_shows_what_approval_would_do(world, p, stock, draft):
    stock(world.zone_a, "VOCS", 2 * T)
    submit(world, draft([line(p["VOCS"], project_env=900_000)]))
    app = submit(world, draft([line(p["VOCS"], project_env=900_000)]))
    preview = decision_preview(app)[0]
    assert preview.zone_balance == 2 * T and preview.balance_after == 1_100_000
    assert preview.other_demand == 900_000 and preview.level_after == "attention"


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"project_env": 2 * T, "plant_env": T}, "全厂许可量（外排环境量）不能小于本项目"),
        ({"project_env": T, "plant_env": T, "new": 2 * T}, "不能小于其中包含的全厂新增"),
        ({"project_env": T, "project_sewer": 5, "plant_sewer": 4}, "全厂许可量（接管量）"),
        ({"project_env": -1}, "非负整数"),
    ],
)
def test_inconsistent_figures_are_refused_and_nothing_is_written(world, p, draft, values, fragment):
    before = QuotaApplication.objects.count(), AuditEvent.objects.count()
    with pytest.raises(RuleViolation, match=fragment) as caught:
        draft([line(p["VOCS"], **values)])
    assert caught.value.clause == "ANNEX-1"
    assert (QuotaApplication.objects.count(), AuditEvent.objects.count()) == before


def test_nobody_applies_for_a_unit_outside_their_scope(world, p, draft):
    with pytest.raises(Forbidden, match="本单位"):
        draft([line(p["VOCS"], project_env=T)], enterprise=world.other_company)
    with pytest.raises(Forbidden, match="本功能区"):
        draft([line(p["VOCS"], project_env=T)], actor=world.officer.principal, enterprise=world.other_company)
    assert not QuotaApplication.objects.exists()


def test_a_submitted_application_cannot_be_submitted_or_edited_again(world, p, stock, draft):
    stock(world.zone_a, "VOCS", T)
    app = submit(world, draft([line(p["VOCS"], project_env=100_000)]))
    with pytest.raises(Conflict):
        submit(world, app)
    with pytest.raises(Conflict):
        services.application_update(actor=world.company_user.principal, application=app, project_name="改名")
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).held_out == 100_000


def test_an_expired_hold_is_seen_and_can_be_held_again(world, p, stock, draft):
    stock(world.zone_a, "VOCS", T)
    app = submit(world, draft([line(p["VOCS"], project_env=100_000)]))
    vocs = app.lines.get()
    ledger.holds_expire(now=vocs.hold.created_at + dt.timedelta(days=400))
    assert services.line_hold_state(vocs) == "expired"
    with pytest.raises(RuleViolation, match="尚未足额预留"):
        services.application_approve(actor=world.reviewer.principal, application=app)
    services.application_rehold(actor=world.reviewer.principal, application=app)
    services.application_approve(actor=world.reviewer.principal, application=app)
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == 900_000
