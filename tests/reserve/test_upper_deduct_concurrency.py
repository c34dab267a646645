"""Two deductions of the same reduction line made at once, on real PostgreSQL."""

from __future__ import annotations

import pytest

from tests.reserve.conftest import T
from tests.reserve.test_intake_upper_recovery import approved_line, this_quarter
from tests.thread_helpers import run_at_once
from totalquota.ledger import selectors as ledger_selectors
from totalquota.reserve import services
from totalquota.reserve.models import UpperDeduction


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_upper_deductions_of_one_line_are_each_posted_once(world, p):
    """Each deduction is numbered under the line's lock: two at once are two postings, not one
    posting recorded twice (the same number made the same idempotency key)."""
    line_ = approved_line(world)
    year, quarter = this_quarter()
    services.intake_confirm(
        actor=world.reviewer.principal,
        run=services.intake_prepare(actor=world.admin.principal, year=year, quarter=quarter),
    )
    before = ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted
    run_at_once(
        lambda n: services.upper_deduct(
            actor=world.admin.principal, line=line_, amount_grams=T // 2, reason=f"已报送上级并被使用 {n}"
        ),
        2,
    )
    deductions = UpperDeduction.objects.filter(line=line_)
    assert deductions.count() == 2
    assert len({d.posting_id for d in deductions}) == 2
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == before - T
