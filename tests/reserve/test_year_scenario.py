"""A year of one zone's VOCs reserve, with every balance worked out by hand.

intake: two approved closures of 2.5 t, one used 1 t for a binding task  -> 4.0 t
filing: new discharge 0.8 t at 1:1                                         -> 3.2 t
ozone out of attainment last year: the ratio becomes 2:1
review: new discharge 1.2 t at 2:1 = 2.4 t (proposed, approved by another) -> 0.8 t
review: new discharge 0.5 t at 2:1 = 1.0 t > 0.8 t: held short, approval refused
upper level grants 0.5 t; held again, approved                             -> 0.3 t
a year later the filed project emits 0.5 t (< 80 % of 0.8 t): 0.3 t back   -> 0.6 t
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.reserve.conftest import line
from tests.reserve.test_intake_upper_recovery import (
    approved_line,
    operating_since,
    recover_decided,
    this_quarter,
    verified,
)
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger.reconcile import reconcile
from totalquota.lib.errors import RuleViolation
from totalquota.reductions import services as reductions
from totalquota.reserve import services
from totalquota.reserve.models import RecoveryKind, Route
from totalquota.reserve.selectors import recovery_candidates

pytestmark = pytest.mark.django_db


def test_a_year_of_the_reserve_ends_where_the_hand_worked_figures_say(world, p, draft):
    vocs = p["VOCS"]
    reserve = lambda: ledger_selectors.zone_balance(world.zone_a, vocs).posted  # noqa: E731
    today = timezone.localdate()

    approved_line(world, name="喷涂线关停")
    used = approved_line(world, name="锅炉淘汰")
    reductions.usage_mark(
        actor=world.reviewer.principal,
        line=used,
        kind="binding_task",
        amount="1",
        reference="任务书",
        used_on=today,
    )
    run = services.intake_prepare(
        actor=world.admin.principal, year=this_quarter()[0], quarter=this_quarter()[1]
    )
    services.intake_confirm(actor=world.reviewer.principal, run=run)
    assert reserve() == 4_000_000

    filed = services.application_submit(
        actor=world.company_user.principal, application=draft([line(vocs, project_env=800_000)])
    )
    assert filed.route == Route.FILING
    services.application_approve(actor=world.reviewer.principal, application=filed)
    assert reserve() == 3_200_000

    services.attainment_record(
        actor=world.admin.principal,
        year=today.year - 1,
        indicator="O3",
        attained=False,
        source="环境质量公报",
    )
    reviewed = services.application_submit(
        actor=world.company_user.principal, application=draft([line(vocs, project_env=1_200_000)])
    )
    assert reviewed.route == Route.REVIEW and reviewed.lines.get().deduction_grams == 2_400_000
    services.application_propose(actor=world.reviewer.principal, application=reviewed, proposal="拟同意")
    services.application_approve(actor=world.reviewer2.principal, application=reviewed)
    assert reserve() == 800_000

    short = services.application_submit(
        actor=world.officer.principal,
        application=draft([line(vocs, project_env=500_000)], actor=world.officer.principal),
    )
    assert short.lines.get().deduction_grams == 1_000_000
    services.application_propose(
        actor=world.reviewer.principal, application=short, proposal="储备不足，拟申请上级储备"
    )
    with pytest.raises(RuleViolation, match="尚未足额预留"):
        services.application_approve(actor=world.reviewer2.principal, application=short)
    assert reserve() == 800_000

    request = services.upper_request(
        actor=world.admin.principal,
        zone=world.zone_a,
        pollutant=vocs,
        amount_grams=500_000,
        reason="园区储备不足",
        application=short,
    )
    services.upper_grant(
        actor=world.reviewer.principal, request=request, granted_grams=500_000, reference="苏环〔2026〕1号"
    )
    assert reserve() == 1_300_000
    assert services.application_rehold(actor=world.reviewer.principal, application=short) == []
    services.application_approve(actor=world.reviewer2.principal, application=short)
    assert reserve() == 300_000

    services.application_mark_operating(
        actor=world.company_user.principal, application=filed, started_on=today
    )
    operating_since(filed, dt.date(today.year - 2, 1, 1))  # so that last year counts (RES-4)
    verified(world, vocs, today.year - 1, 500_000, "执行报告")
    later = today + dt.timedelta(days=370)
    [candidate] = recovery_candidates(today=later)
    assert candidate.line.application_id == filed.pk and candidate.suggested_surplus_grams == 300_000
    recover_decided(
        world,
        line=candidate.line,
        kind=RecoveryKind.UNDERUSED,
        reason="核实",
        surplus_grams=300_000,
        today=later,
    )
    assert reserve() == 600_000
    assert ledger_selectors.park_balance(vocs).posted == 600_000
    allocations = [
        ledger_selectors.account_balance(a.lines.get().allocation).posted for a in (filed, reviewed, short)
    ]
    assert allocations == [500_000, 2_400_000, 1_000_000]
    report = reconcile()
    assert report.ok, report.problems
