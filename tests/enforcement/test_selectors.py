"""What the bulletins read of enforcement: per unit and per zone, for a year."""

from __future__ import annotations

from tests.enforcement.conftest import proposed
from totalquota.enforcement import selectors, services
from totalquota.enforcement.selectors import FindingsSummary


def event(world, unit, ref, year=2025):
    return services.finding_create(
        actor=world.admin.principal,
        source="event",
        enterprise=unit,
        year=year,
        event_reference=ref,
        facts="超排",
    )


def decide(world, finding, fen):
    services.finding_notify(actor=world.admin.principal, finding=finding)
    services.finding_answer(
        actor=(
            world.company_user if finding.enterprise_id == world.company.pk else world.other_company_user
        ).principal,
        finding=finding,
        text="无异议",
    )
    services.finding_propose(
        actor=world.officer.principal
        if finding.zone_id == world.zone_a.pk
        else world.other_officer.principal,
        finding=finding,
        decision_number=f"园环罚〔2026〕{finding.pk}号",
        penalty_fen=fen,
        legal_basis="依据",
    )
    return services.finding_confirm(actor=world.reviewer.principal, finding=finding)


def test_findings_are_summed_per_unit_per_zone_and_for_the_park(world, answered):
    decide(world, event(world, world.company, "A-1"), 1_000_00)
    proposed(world, answered)  # 2025, proposed only: a finding, no penalty yet
    decide(world, event(world, world.other_company, "B-1"), 250_00)
    event(world, world.other_company, "B-2")
    event(world, world.company, "A-old", year=2024)

    assert selectors.findings_by_enterprise(2025) == {
        world.company.pk: FindingsSummary(findings=2, penalties=1, penalty_fen=1_000_00, credit_entries=1),
        world.other_company.pk: FindingsSummary(
            findings=2, penalties=1, penalty_fen=250_00, credit_entries=1
        ),
    }
    assert selectors.findings_by_enterprise(2025, zone=world.zone_b) == {
        world.other_company.pk: FindingsSummary(
            findings=2, penalties=1, penalty_fen=250_00, credit_entries=1
        ),
    }
    assert selectors.findings_summary(2025) == FindingsSummary(4, 2, 1_250_00, 2)
    assert selectors.findings_summary(2025, zone=world.zone_a.pk) == FindingsSummary(2, 1, 1_000_00, 1)
    assert selectors.findings_summary(2024) == FindingsSummary(1, 0, 0, 0)
    assert selectors.findings_by_zone(2025)[world.zone_b.pk] == FindingsSummary(2, 1, 250_00, 1)
    assert [e.decision.penalty_fen for e in selectors.credit_entries_of(world.company)] == [1_000_00]
