"""Two administrators confirm one prepared import at once, and one file is uploaded twice at once,
through the API on PostgreSQL: the import's row lock (and the file's unique index) let one through;
the other is a 409. Every row is posted once."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.thread_helpers import run_at_once
from totalquota.accounts.roles import Role
from totalquota.history.models import HistoryEntry, HistoryImport, ImportStatus
from totalquota.ledger.models import Posting
from totalquota.ledger.reconcile import reconcile

from .helpers import allocation, history_xlsx, lot, upload

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def content(world) -> bytes:
    return history_xlsx(
        lots=[lot("L1", "2", "2021-03-01"), lot("L2", "1", "2021-06-01")],
        allocations=[allocation("P1", world.company.uscc, "2.5", "2021-07-01")],
    )


def clients_of(*users) -> list[Client]:
    result = []
    for user in users:
        client = Client(raise_request_exception=False)
        client.force_login(user)
        result.append(client)
    return result


def test_two_admins_confirming_at_once_post_every_row_once(world):
    admin2, admin3 = (
        UserFactory(username="admin2", role=Role.ADMIN),
        UserFactory(username="admin3", role=Role.ADMIN),
    )
    (preparer,) = clients_of(world.admin)
    prepared = preparer.post("/api/v1/history/imports", {"file": upload(content(world))})
    assert prepared.status_code == 201
    pk = prepared.json()["id"]
    clients = clients_of(admin2, admin3)

    def confirm(n: int) -> int:
        return clients[n].post(f"/api/v1/history/imports/{pk}/confirm").status_code

    assert sorted(run_at_once(confirm, 2)) == [200, 409]
    assert HistoryImport.objects.get(pk=pk).status == ImportStatus.CONFIRMED
    assert HistoryEntry.objects.count() == 3
    assert Posting.objects.count() == 3
    assert reconcile().ok


def test_the_same_file_uploaded_twice_at_once_is_prepared_once(world):
    admin2 = UserFactory(username="admin2", role=Role.ADMIN)
    clients = clients_of(world.admin, admin2)
    data = content(world)

    def prepare(n: int) -> int:
        return clients[n].post("/api/v1/history/imports", {"file": upload(data)}).status_code

    assert sorted(run_at_once(prepare, 2)) == [201, 409]
    assert HistoryImport.objects.count() == 1
