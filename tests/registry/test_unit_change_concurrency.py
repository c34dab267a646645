"""Changes of units posted at once on PostgreSQL: a unit closed by many requests is closed once, and
two units merged into each other at the same moment end with one merge, without a deadlock or a 500."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import Client

from tests.thread_helpers import run_at_once
from totalquota.registry.models import ChangeKind, Enterprise, UnitVersion

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
TIMEOUT = 120
WORKERS = 8


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_a_unit_closed_at_once_is_closed_once(world):
    clients = [_client([world.admin, world.officer][n % 2]) for n in range(WORKERS)]
    body = {"kind": "close", "effective_on": "2024-03-01", "reason": "注销登记"}

    def close(n: int) -> int:
        url = f"/api/v1/enterprises/{world.company.pk}/changes"
        return clients[n].post(url, body, content_type="application/json").status_code

    codes = Counter(run_at_once(close, WORKERS, timeout=TIMEOUT))
    assert codes == {201: 1, 422: WORKERS - 1}, codes
    assert UnitVersion.objects.filter(enterprise=world.company, kind=ChangeKind.CLOSE).count() == 1


def test_two_units_merged_into_each_other_at_once_end_with_one_merge(world):
    a, b = world.company, world.other_company
    clients = [_client(world.admin) for _n in range(WORKERS)]

    def merge(n: int) -> int:
        unit, survivor = (a, b) if n % 2 else (b, a)
        body = {
            "kind": "merge",
            "effective_on": "2024-03-01",
            "reason": "吸收合并",
            "survivor_id": survivor.pk,
        }
        url = f"/api/v1/enterprises/{unit.pk}/changes"
        return clients[n].post(url, body, content_type="application/json").status_code

    codes = Counter(run_at_once(merge, WORKERS, timeout=TIMEOUT))
    assert codes == {201: 1, 422: WORKERS - 1}, codes
    assert UnitVersion.objects.filter(kind=ChangeKind.MERGE).count() == 1
    assert Enterprise.objects.filter(is_active=False).count() == 1
