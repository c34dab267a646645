"""Administrators preparing the same quarter's intake at the same moment, through the page.

The service first looks for a pending run of the quarter; two transactions that look at once both
find none. The database's one-pending-run-per-quarter constraint keeps one: the others are told,
on the form, that the quarter already has a run waiting for confirmation. No answer is a 500.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.thread_helpers import run_at_once
from totalquota.accounts.roles import Role
from totalquota.reserve.models import IntakeRun

ADMINS = 8
TIMEOUT = 60


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_quarter_prepared_by_many_administrators_at_once_has_one_pending_run(world):
    admins = [UserFactory(username=f"intake-admin-{n}", role=Role.ADMIN) for n in range(ADMINS)]
    clients = []
    for admin in admins:
        client = Client(raise_request_exception=False)
        client.force_login(admin)
        clients.append(client)
    form = {"year": "2025", "quarter": "2", "effective_date": "2025-07-01"}

    def prepare(n: int) -> int:
        response = clients[n].post(reverse("reserve:intake_create"), form)
        if response.status_code == 200:
            assert "已有待确认的入库批次" in response.content.decode()
        return response.status_code

    statuses = run_at_once(prepare, ADMINS, timeout=TIMEOUT)
    assert sorted(statuses) == [200] * (ADMINS - 1) + [302], statuses  # one redirect to its run
    assert IntakeRun.objects.filter(year=2025, quarter=2, confirmed_at__isnull=True).count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_exclusions_racing_a_confirmation_through_the_pages_queue_and_never_deadlock(world, p):
    from tests.reserve.test_intake_upper_recovery import approved_line, this_quarter
    from totalquota.reserve import services

    lines = [approved_line(world, name=f"甲厂第{n}条产线关停") for n in range(4)]
    year, quarter = this_quarter()
    run = services.intake_prepare(actor=world.admin.principal, year=year, quarter=quarter)
    items = list(run.items.order_by("pk"))
    assert len(items) == len(lines)
    admins = [UserFactory(username=f"intake-racer-{n}", role=Role.ADMIN) for n in range(len(items) + 1)]
    clients = []
    for admin in admins:
        client = Client(raise_request_exception=False)
        client.force_login(admin)
        clients.append(client)

    def act(n: int) -> int:
        if n == len(items):
            return clients[n].post(reverse("reserve:intake_confirm", args=[run.pk])).status_code
        url = reverse("reserve:intake_exclude", args=[items[n].pk])
        return clients[n].post(url, {"reason": "企业已另行申请排污权交易"}).status_code

    statuses = run_at_once(act, len(admins), timeout=TIMEOUT)
    assert all(s in (200, 302) for s in statuses), statuses  # refused ones land back on the run page
    run.refresh_from_db()
    assert run.confirmed_at is not None
    # Each item is either excluded before the confirmation (nothing of it credited) or credited whole.
    from totalquota.ledger import selectors as ledger_selectors

    credited = sum(i.intake_grams for i in run.items.all())
    assert ledger_selectors.zone_balance(world.zone_a, p["VOCS"]).posted == credited
