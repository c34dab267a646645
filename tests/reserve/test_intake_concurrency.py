"""Administrators preparing the same quarter's intake at the same moment, through the page.

The service first looks for a pending run of the quarter; two transactions that look at once both
find none. The database's one-pending-run-per-quarter constraint keeps one: the others are told,
on the form, that the quarter already has a run waiting for confirmation. No answer is a 500.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from totalquota.accounts.roles import Role
from totalquota.reserve.models import IntakeRun

ADMINS = 8
TIMEOUT = 60


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_quarter_prepared_by_many_administrators_at_once_has_one_pending_run(world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL; SQLite serialises writers by design")
    admins = [UserFactory(username=f"intake-admin-{n}", role=Role.ADMIN) for n in range(ADMINS)]
    clients = []
    for admin in admins:
        client = Client(raise_request_exception=False)
        client.force_login(admin)
        clients.append(client)
    form = {"year": "2025", "quarter": "2", "effective_date": "2025-07-01"}
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(ADMINS, timeout=TIMEOUT)

    def prepare(client: Client) -> None:
        try:
            start.wait()
            response = client.post(reverse("reserve:intake_create"), form)
            with lock:
                statuses.append(response.status_code)
                if response.status_code == 200:
                    assert "已有待确认的入库批次" in response.content.decode()
        except BaseException as exc:  # reported below, not lost in the thread
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=prepare, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a request hung"
    assert not errors, errors
    assert sorted(statuses) == [200] * (ADMINS - 1) + [302], statuses  # one redirect to its run
    assert IntakeRun.objects.filter(year=2025, quarter=2, confirmed_at__isnull=True).count() == 1
