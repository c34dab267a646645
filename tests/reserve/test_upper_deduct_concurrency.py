"""Two deductions of the same reduction line made at once, on real PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.reserve.conftest import T
from tests.reserve.test_intake_upper_recovery import approved_line, this_quarter
from totalquota.ledger import selectors as ledger_selectors
from totalquota.reserve import services
from totalquota.reserve.models import UpperDeduction


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_upper_deductions_of_one_line_are_each_posted_once(world, p):
    """Each deduction is numbered under the line's lock: two at once are two postings, not one
    posting recorded twice (the same number made the same idempotency key)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL; SQLite serialises writers by design")
    line_ = approved_line(world)
    year, quarter = this_quarter()
    services.intake_confirm(
        actor=world.admin, run=services.intake_prepare(actor=world.admin, year=year, quarter=quarter)
    )
    before = ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted
    workers = 2
    barrier = threading.Barrier(workers, timeout=60)
    errors: list[BaseException] = []

    def deduct(n: int) -> None:
        try:
            barrier.wait()
            services.upper_deduct(
                actor=world.admin, line=line_, amount_grams=T // 2, reason=f"已报送上级并被使用 {n}"
            )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deduct, args=(n,), daemon=True) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not [t for t in threads if t.is_alive()]
    assert not errors, errors
    deductions = UpperDeduction.objects.filter(line=line_)
    assert deductions.count() == 2
    assert len({d.posting_id for d in deductions}) == 2
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == before - T
