"""The first use of a zone x pollutant row, by two transactions at once, on real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections, transaction

from tests.ledger_helpers import open_stock
from totalquota.ledger import selectors
from totalquota.ledger import services as ledger
from totalquota.ledger.models import ZoneBalance
from totalquota.ledger.services import locks
from totalquota.registry.models import Pollutant


def _wait_until_blocked(timeout: float = 20) -> bool:
    """Whether another backend of this database is waiting on a lock (polled)."""
    end = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < end:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_zone_row_created_by_another_transaction_meanwhile_is_waited_for_without_deadlock(
    world, monkeypatch
):
    """Zone A has no VOCs row yet. Another transaction creates it (not committed) and will then
    lock zone B's row. A transfer from zone B into zone A must wait for that creation before it
    holds zone B's row; holding it while waiting is a lock-order violation PostgreSQL answers with
    ``deadlock detected``."""
    vocs = Pollutant.objects.get(code="VOCS")
    lot_b = open_stock(world.admin, world.zone_b, vocs, 1_000_000, key="zone-row-b")
    assert world.zone_a.pk < world.zone_b.pk  # so zone A's row sorts first
    assert not ZoneBalance.objects.filter(zone=world.zone_a, pollutant=vocs).exists()
    monkeypatch.setattr(locks, "_known_zone_rows", set())
    inserted, go_on = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first_user() -> None:
        try:
            with transaction.atomic():
                ZoneBalance.objects.create(zone=world.zone_a, pollutant=vocs)
                inserted.set()
                assert go_on.wait(30)
                ledger.lock_zones([(world.zone_b, vocs)])
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def transfer() -> None:
        try:
            assert inserted.wait(30)
            ledger.zone_transfer(
                actor=world.admin.principal,
                from_lot=lot_b,
                to_zone=world.zone_a,
                amount_grams=400_000,
                effective_date=dt.date(2025, 1, 1),
                reason="调剂",
                idempotency_key="zone-row-transfer",
            )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=first_user, daemon=True),
        threading.Thread(target=transfer, daemon=True),
    ]
    for t in threads:
        t.start()
    assert inserted.wait(30)
    assert _wait_until_blocked(), "the transfer should be waiting for the other transaction"
    go_on.set()
    for t in threads:
        t.join(timeout=60)
    assert not [t for t in threads if t.is_alive()]
    assert not errors, errors
    assert selectors.zone_balance(world.zone_a, vocs).posted == 400_000
    assert ZoneBalance.objects.filter(zone=world.zone_a, pollutant=vocs).count() == 1
