"""Reconcile runs (台账对账): stored by the service, the command, the daily task, the page's button
and the API; a failed one tells the administrators; only an administrator starts one."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.test import Client
from django.urls import reverse

from tests.thread_helpers import run_at_once
from tests.xlsx_helpers import read_export, response_bytes
from totalquota.audit.models import AuditEvent
from totalquota.ledger import services
from totalquota.ledger.models import Balance, ReconcileRun
from totalquota.notifications.models import Notification
from totalquota.outbox import deliver_pending

pytestmark = pytest.mark.django_db

API = "/api/v1/ledger/reconcile"


@pytest.fixture
def ledger(world, vocs, make_lot):
    return make_lot(world.zone_a, vocs, 2_000_000, on=dt.date(2024, 1, 1))


def broken(lot) -> None:
    """A balance row edited behind the ledger's back: the next reconcile must not agree."""
    Balance.objects.filter(account=lot).update(credits_posted=1)


def test_a_run_by_an_administrator_is_stored_with_what_it_checked(world, ledger):
    run = services.run_reconcile(by=world.admin.principal)
    run.refresh_from_db()
    assert run.ok is True and run.problems == [] and run.problem_count == 0
    assert run.trigger == "person" and run.triggered_by == world.admin
    assert run.accounts_checked >= 2 and run.transfers_checked >= 1 and run.audit_events_checked >= 1
    assert run.debits_posted == run.credits_posted == 2_000_000
    assert run.finished_at >= run.started_at
    assert AuditEvent.objects.filter(action="ledger.reconcile", object_id=str(run.pk)).exists()


def test_a_failed_run_lists_its_discrepancies_and_tells_the_administrators(world, ledger):
    broken(ledger)
    run = services.run_reconcile(by="scheduled")
    assert run.ok is False and run.trigger == "scheduled" and run.triggered_by is None
    assert run.problem_count == len(run.problems) >= 1
    assert any(f"账户 {ledger.pk} 的 credits_posted" in p for p in run.problems)
    deliver_pending()
    notes = Notification.objects.filter(message="reconcile_failed")
    assert {n.recipient.username for n in notes} == {"admin"}
    (note,) = notes
    assert note.title == f"台账对账未通过：R{run.pk}"
    assert note.link == reverse("ledger:reconcile_detail", args=[run.pk])


def test_a_run_that_passes_tells_nobody(world, ledger):
    services.run_reconcile(by="scheduled")
    deliver_pending()
    assert not Notification.objects.filter(message="reconcile_failed").exists()


def test_a_run_that_cannot_finish_is_kept_as_failed_with_its_error(world, ledger, monkeypatch):
    import totalquota.ledger.reconcile as module

    def stops(**kwargs):
        raise RuntimeError("数据库连接中断")

    monkeypatch.setattr(module, "reconcile", stops)
    run = services.run_reconcile(by="scheduled")
    run.refresh_from_db()
    assert run.ok is False and run.finished_at is not None
    assert run.error == "RuntimeError: 数据库连接中断" and run.problem_count == 1
    deliver_pending()
    assert Notification.objects.filter(message="reconcile_failed", recipient=world.admin).count() == 1


def test_only_an_administrator_starts_a_run(world, ledger):
    for person in (world.reviewer, world.leader, world.company_user):
        with pytest.raises(PermissionDenied):
            services.run_reconcile(by=person.principal)
    assert ReconcileRun.objects.count() == 0
    with pytest.raises(ValueError):
        services.run_reconcile(by="someone")  # type: ignore[arg-type]
    assert ReconcileRun.objects.count() == 0


def test_the_command_stores_its_run(world, ledger):
    call_command("ledger_reconcile", stdout=io.StringIO())
    assert ReconcileRun.objects.get().trigger == "command"
    broken(ledger)
    with pytest.raises(CommandError, match="对账未通过"):
        call_command("ledger_reconcile", stdout=io.StringIO(), stderr=io.StringIO())
    assert list(ReconcileRun.objects.values_list("trigger", "ok")) == [("command", False), ("command", True)]


def test_the_schedule_queues_one_nightly_run_and_the_task_queues_the_next(world, ledger):
    from django_tasks_db.models import DBTaskResult

    from totalquota.ledger import tasks

    call_command("ledger_reconcile", "--schedule", stdout=io.StringIO())
    call_command("ledger_reconcile", "--schedule", stdout=io.StringIO())
    queued = DBTaskResult.objects.filter(task_path=tasks.reconcile_daily.module_path, status="READY")
    assert queued.count() == 1
    assert ReconcileRun.objects.count() == 0
    first = queued.get()
    assert first.run_after == tasks.next_run()
    # The task itself: tonight's run, stored as scheduled; the next one is queued after it.
    queued.delete()
    run_id = tasks.reconcile_daily.call()
    assert ReconcileRun.objects.get(pk=run_id).trigger == "scheduled"
    assert queued.count() == 1


# --- API ---------------------------------------------------------------------------------------


def test_the_api_lists_runs_with_the_latest_whatever_the_filters(client, world, ledger):
    passed = services.run_reconcile(by="scheduled")
    broken(ledger)
    failed = services.run_reconcile(by=world.admin.principal)
    client.force_login(world.leader)
    page = client.get(API).json()
    assert page["count"] == 2
    assert [r["id"] for r in page["items"]] == [failed.pk, passed.pk]
    assert page["latest"]["id"] == failed.pk and page["latest"]["status"] == "failed"
    assert page["latest"]["triggered_by"] == str(world.admin)
    assert page["latest"]["problem_count"] >= 1 and page["latest"]["problems"]
    only_ok = client.get(API, {"ok": "true"}).json()
    assert [r["id"] for r in only_ok["items"]] == [passed.pk] and only_ok["latest"]["id"] == failed.pk
    assert client.get(API, {"trigger": "scheduled"}).json()["items"][0]["trigger"] == "scheduled"
    assert client.get(API, {"trigger": "cron"}).status_code == 422
    one = client.get(f"{API}/{passed.pk}").json()
    assert one["status"] == "ok" and one["accounts_checked"] >= 2
    assert client.get(f"{API}/999999").status_code == 404


def test_the_api_answers_an_empty_history_with_no_latest(client, world):
    client.force_login(world.reviewer)
    assert client.get(API).json() == {"items": [], "count": 0, "latest": None}


def test_the_api_runs_now_for_an_administrator_only(client, world, ledger):
    for person in (world.reviewer, world.leader, world.company_user):
        client.force_login(person)
        assert client.post(API).status_code == 403
    assert ReconcileRun.objects.count() == 0
    client.force_login(world.admin)
    response = client.post(API)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "ok" and body["ok"] is True and body["trigger"] == "person"
    assert ReconcileRun.objects.get().pk == body["id"]


def test_the_same_idempotency_key_runs_once(client, world, ledger):
    client.force_login(world.admin)
    first = client.post(API, headers={"Idempotency-Key": "nightly-check-1"})
    again = client.post(API, headers={"Idempotency-Key": "nightly-check-1"})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content
    assert ReconcileRun.objects.count() == 1
    assert client.post(API, headers={"Idempotency-Key": "nightly-check-2"}).status_code == 201
    assert ReconcileRun.objects.count() == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_posts_with_one_key_at_once_make_one_run_and_no_500(world, vocs, make_lot):
    make_lot(world.zone_a, vocs, 1_000_000)
    workers = 6
    clients = [Client(raise_request_exception=False) for _ in range(workers)]
    for c in clients:
        c.force_login(world.admin)

    def send(n: int) -> tuple[int, str]:
        response = clients[n].post(API, headers={"Idempotency-Key": "race-reconcile"})
        return response.status_code, response.get("Idempotent-Replayed", "")

    try:
        answers = run_at_once(send, workers, timeout=120)
    finally:
        connections.close_all()
    assert ReconcileRun.objects.count() == 1
    statuses = Counter(status for status, _replayed in answers)
    assert set(statuses) <= {201, 409}, answers
    assert len([a for a in answers if a == (201, "")]) == 1


# --- pages -------------------------------------------------------------------------------------


def test_the_page_shows_the_latest_status_and_the_button_to_an_administrator(client, world, ledger):
    broken(ledger)
    run = services.run_reconcile(by="scheduled")
    client.force_login(world.leader)
    page = client.get(reverse("ledger:reconcile_list")).content.decode()
    assert f"R{run.pk}" in page and 'id="latest-status">对账未通过' in page
    assert 'id="reconcile-now"' not in page
    client.force_login(world.admin)
    page = client.get(reverse("ledger:reconcile_list")).content.decode()
    assert 'id="reconcile-now"' in page
    detail = client.get(reverse("ledger:reconcile_detail", args=[run.pk])).content.decode()
    assert f"账户 {ledger.pk} 的 credits_posted" in detail


def test_the_button_runs_now_and_shows_the_run(client, world, ledger):
    client.force_login(world.admin)
    response = client.post(reverse("ledger:reconcile_run"), follow=True)
    run = ReconcileRun.objects.get()
    assert response.redirect_chain[-1][0] == reverse("ledger:reconcile_detail", args=[run.pk])
    assert run.ok and run.triggered_by == world.admin
    assert "对账通过" in response.content.decode()
    client.force_login(world.reviewer)
    assert client.post(reverse("ledger:reconcile_run")).status_code == 403
    assert ReconcileRun.objects.count() == 1


def test_the_list_filters_searches_and_exports(client, world, ledger):
    services.run_reconcile(by="scheduled")
    broken(ledger)
    failed = services.run_reconcile(by=world.admin.principal)
    client.force_login(world.reviewer)
    url = reverse("ledger:reconcile_list")

    def listed(**query) -> str:
        """The list's table (the latest run's card above it names a run too)."""
        return client.get(url, query).content.decode().split('id="list-results"', 1)[1]

    only_failed = listed(ok="false")
    assert f">R{failed.pk}<" in only_failed and "每日定时" not in only_failed
    assert f">R{failed.pk}<" in listed(q="admin")
    assert f">R{failed.pk}<" not in listed(q="nobody-such")
    rows = read_export(response_bytes(client.get(url, {"export": "xlsx", "trigger": "person"})))
    assert rows[0][:2] == ("记录", "结果")
    assert [row[:2] for row in rows[1:]] == [(f"R{failed.pk}", "对账未通过")]
