"""Every gram of an allocation traced back to its lots and reduction lines, and forward again."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.ledger.conftest import key
from totalquota.ledger import selectors, services
from totalquota.ledger.models import SourceType

pytestmark = pytest.mark.django_db
D = dt.date(2025, 7, 1)
LINE_1, LINE_2, LINE_3 = (f"reductions.reductionline:{n}" for n in (101, 102, 103))


def draw(world, zone, pollutant, grams, to, **kw):
    return services.draw(
        actor=world.reviewer.principal,
        zone=zone,
        pollutant=pollutant,
        amount_grams=grams,
        to_account=to,
        effective_date=D,
        reason="分配",
        clause_id="RES-2",
        idempotency_key=key(),
        **kw,
    )


def test_an_allocation_drawn_from_two_lots_names_both_lots_and_both_lines(
    world, vocs, make_lot, make_allocation
):
    lot_1 = make_lot(world.zone_a, vocs, 1_000_000, on=dt.date(2024, 1, 1), ref=LINE_1)
    lot_2 = make_lot(world.zone_a, vocs, 3_000_000, on=dt.date(2024, 2, 1), ref=LINE_2)
    allocation = make_allocation(world.company, vocs)
    draw(world, world.zone_a, vocs, 2_500_000, allocation)
    trace = selectors.provenance(allocation)
    assert trace.balance == 2_500_000 == sum(p.grams for p in trace.parcels)
    assert trace.by_lot() == {lot_1: 1_000_000, lot_2: 1_500_000}
    assert trace.by_source() == {("reduction_line", LINE_1): 1_000_000, ("reduction_line", LINE_2): 1_500_000}


def test_the_forward_trace_of_a_line_lists_every_allocation_it_fed(world, vocs, make_lot, make_allocation):
    make_lot(world.zone_a, vocs, 1_000_000, ref=LINE_1)
    first = make_allocation(world.company, vocs)
    second = make_allocation(world.company, vocs)
    draw(world, world.zone_a, vocs, 300_000, first)
    draw(world, world.zone_a, vocs, 200_000, second)
    uses = selectors.forward_trace(SourceType.REDUCTION_LINE, LINE_1)
    assert [(u.account, u.grams) for u in uses][:2] == [(first, 300_000), (second, 200_000)]
    assert sum(u.grams for u in uses) == 1_000_000  # the rest is still in the lot
    assert [
        (u.account, u.grams) for u in selectors.allocations_fed_by(SourceType.REDUCTION_LINE, LINE_1)
    ] == [(first, 300_000), (second, 200_000)]


def test_provenance_follows_quota_through_a_recovery_lot_and_a_zone_transfer(
    world, vocs, make_lot, make_allocation
):
    make_lot(world.zone_a, vocs, 1_000_000, on=dt.date(2024, 1, 1), ref=LINE_1)
    make_lot(world.zone_a, vocs, 1_000_000, on=dt.date(2024, 2, 1), ref=LINE_2)
    first = make_allocation(world.company, vocs)
    draw(world, world.zone_a, vocs, 1_500_000, first)
    # The project emits less than permitted: 600,000 g are recovered into a new lot (RES-4 (2)).
    recovery = services.lot_open(
        actor=world.reviewer.principal,
        zone=world.zone_a,
        pollutant=vocs,
        amount_grams=600_000,
        source_type=SourceType.RECOVERY,
        source_ref=f"ledger.account:{first.pk}",
        source_label="实际排放低于许可量收回",
        funding_account=first,
        effective_date=D,
        reason="核查收回",
        clause_id="RES-4",
        code="recovery",
        idempotency_key=key(),
    )
    recovery_lot = recovery.transfers.get().credit
    assert selectors.provenance(recovery_lot).by_source() == {("reduction_line", LINE_1): 600_000}
    # Then the recovered quota goes to another zone, and from there to a project.
    moved = services.zone_transfer(
        actor=world.admin.principal,
        from_lot=recovery_lot,
        to_zone=world.zone_b,
        amount_grams=600_000,
        effective_date=D,
        reason="调剂",
        idempotency_key=key(),
    )
    lot_b = moved.transfers.get().credit
    second = make_allocation(world.other_company, vocs)
    draw(world, world.zone_b, vocs, 250_000, second)
    trace = selectors.provenance(second)
    assert trace.by_lot() == {lot_b: 250_000}
    assert trace.by_source() == {("reduction_line", LINE_1): 250_000}
    assert trace.parcels[0].root_lot.source_ref == LINE_1
    remaining = selectors.provenance(first)
    assert remaining.balance == 900_000
    assert remaining.by_source() == {("reduction_line", LINE_1): 400_000, ("reduction_line", LINE_2): 500_000}
    fed = selectors.allocations_fed_by(SourceType.REDUCTION_LINE, LINE_1)
    assert {(u.account, u.grams) for u in fed} == {(first, 400_000), (second, 250_000)}


def test_an_upper_level_deduction_shows_as_used_upward(world, vocs, make_lot):
    lot = make_lot(world.zone_a, vocs, 1_000_000, ref=LINE_3)
    upper = services.external_account(world.zone_a, vocs, "upper_level")
    services.transfer(
        actor=world.admin.principal,
        debit=lot,
        credit=upper,
        amount_grams=400_000,
        code="upper_deduction",
        effective_date=D,
        reason="该减排量已报送上级储备库并被使用",
        clause_id="RES-2",
        idempotency_key=key(),
    )
    uses = {u.account.kind: u.grams for u in selectors.forward_trace(SourceType.REDUCTION_LINE, LINE_3)}
    assert uses == {"upper_level": 400_000, "lot": 600_000}


def test_a_reversed_draw_leaves_no_trace_on_the_allocation(world, vocs, make_lot, make_allocation):
    make_lot(world.zone_a, vocs, 1_000_000, ref=LINE_1)
    allocation = make_allocation(world.company, vocs)
    posting = draw(world, world.zone_a, vocs, 400_000, allocation)
    services.reverse(
        actor=world.admin.principal, posting=posting, reason="项目不再建设", idempotency_key=key()
    )
    assert selectors.provenance(allocation).parcels == []
    assert selectors.allocations_fed_by(SourceType.REDUCTION_LINE, LINE_1) == []
