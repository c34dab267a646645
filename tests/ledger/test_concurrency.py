"""Sixteen workers draw from the same lots at once on real PostgreSQL, asking twice what is there."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from django.db import connections

from totalquota.ledger import selectors, services
from totalquota.ledger.models import Account, AccountKind, Posting, Transfer
from totalquota.ledger.reconcile import reconcile
from totalquota.lib.errors import RuleViolation

WORKERS = 16
DRAWS_PER_WORKER = 6


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_draws_never_overdraw_and_every_refusal_leaves_nothing(
    world, vocs, make_lot, make_allocation
):
    lots = [
        make_lot(world.zone_a, vocs, grams, on=dt.date(2024, 1, n + 1))
        for n, grams in enumerate([3_000_000, 2_000_000, 1_000_000])
    ]
    total = sum(selectors.account_balance(lot).posted for lot in lots)
    allocations = [make_allocation(world.company, vocs) for _ in range(WORKERS)]
    rng = random.Random(7)
    # Every worker asks for amounts that add up to twice the reserve across all workers.
    plans = []
    for _ in range(WORKERS):
        amounts = [rng.randint(1, 4) for _ in range(DRAWS_PER_WORKER)]
        plans.append(amounts)
    scale = 2 * total / sum(sum(p) for p in plans)
    plans = [[max(1, int(a * scale)) for a in p] for p in plans]
    demand = sum(sum(p) for p in plans)
    assert demand >= 2 * total - WORKERS * DRAWS_PER_WORKER

    accepted: list[tuple[str, int]] = []
    refused: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(WORKERS)
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i, grams in enumerate(plans[n]):
                idem = f"worker-{n}-{i}"
                try:
                    services.draw(
                        actor=world.reviewer.principal,
                        zone=world.zone_a,
                        pollutant=vocs,
                        amount_grams=grams,
                        to_account=allocations[n],
                        effective_date=dt.date(2025, 1, 1),
                        reason="并发分配",
                        clause_id="RES-2",
                        idempotency_key=idem,
                    )
                    with lock:
                        accepted.append((idem, grams))
                except RuleViolation:
                    with lock:
                        refused.append(idem)
        except BaseException as exc:  # reported below; a thread must not swallow failures
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(accepted) + len(refused) == WORKERS * DRAWS_PER_WORKER
    assert refused, "twice the reserve was asked for, so some draws must be refused"

    still_in_lots = sum(selectors.account_balance(Account.objects.get(pk=lot.pk)).posted for lot in lots)
    assert all(selectors.account_balance(lot).posted >= 0 for lot in lots)
    # What left the lots (total minus what is still in them) is exactly what the accepted draws took.
    assert sum(g for _k, g in accepted) == total - still_in_lots
    assert sum(selectors.account_balance(a).posted for a in allocations) == total - still_in_lots
    # A refused draw left no posting, no transfer and no hold behind.
    assert not Posting.objects.filter(idempotency_key__in=refused).exists()
    assert Transfer.objects.filter(credit__kind=AccountKind.ALLOCATION).count() >= len(accepted)
    assert selectors.zone_balance(world.zone_a, vocs).posted == still_in_lots
    report = reconcile()
    assert report.ok, report.problems
