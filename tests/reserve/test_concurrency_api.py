"""Many enterprises of two zones file at once through the HTTP API on real PostgreSQL.

Each enterprise's own system (a bearer token scoped to it) creates and submits an application for
VOCs 0.5 t/a; the bureau's reviewers, signed in, approve them. Each zone holds 10.0 t/a at a ratio
of 1:1, so exactly 20 per zone are approved and the others refused with a problem document: no
answer is a 5xx, nothing deadlocks or hangs, nothing stays held, and the ledger reconciles.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.utils import timezone

from tests.factories import EnterpriseFactory
from tests.ledger_helpers import open_stock
from tests.thread_helpers import run_at_once
from totalquota.accounts.roles import Role
from totalquota.accounts.services import token_issue
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger.models import Phase, Transfer
from totalquota.registry.models import AttainmentStatus, Pollutant
from totalquota.reserve import services
from totalquota.reserve.models import ApplicationStatus, QuotaApplication

PER_ZONE = 24  # 20 fit in each zone; the other 4 must be refused
T = 1_000_000  # grams in a tonne
TIMEOUT = 120  # seconds a thread may take before the test calls it a hang


def _session(user: Any) -> tuple[Client, dict[str, str]]:
    """A signed-in reviewer's browser: session cookie plus the CSRF token unsafe methods need."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(user)
    client.get("/")  # sets the CSRF cookie
    return client, {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def _filers(world, zone, count: int) -> list[tuple[str, Any, str]]:
    """``count`` enterprises of ``zone``, each with its own system's bearer token."""
    filers = []
    for n in range(count):
        enterprise = EnterpriseFactory(zone=zone, name=f"苏州并发{zone.code}{n:02d}制造有限公司")
        _token, secret = token_issue(
            actor=world.admin.principal,
            name=f"{enterprise.name}对接",
            client=world.client,
            role=Role.ENTERPRISE,
            enterprise=enterprise,
        )
        filers.append((zone.code, enterprise, secret))
    return filers


def _run(world, filers, pollutants_of) -> tuple[Counter, Counter]:
    """Every filer at once, after a barrier: create, submit, and a reviewer (one of two, never
    the preparer) approves. Returns the count of (zone, step, HTTP status) and the approvals per
    zone; fails on a hang, an exception in a thread, a 5xx or a 4xx that is not a problem document."""
    reviewers = [world.reviewer, world.reviewer2]
    statuses: list[tuple[str, str, int]] = []  # (zone, step, HTTP status)
    problems: list[str] = []  # a 4xx that is not a problem document, or a 5xx, described
    approved: Counter[str] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(len(filers), timeout=TIMEOUT)

    def note(zone: str, step: str, response: Any) -> None:
        with lock:
            statuses.append((zone, step, response.status_code))
            if response.status_code >= 500:
                problems.append(f"{step} {zone}: {response.status_code} {response.content[:300]!r}")
            elif response.status_code >= 400 and response["Content-Type"] != "application/problem+json":
                problems.append(f"{step} {zone}: {response.status_code} is not a problem document")

    def file(n: int) -> None:
        zone, enterprise, secret = filers[n]
        try:
            api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {secret}")
            reviewer, csrf = _session(reviewers[n % 2])
            start.wait()
            body = {
                "enterprise_id": enterprise.pk,
                "project_name": "年产 10 万件涂装线扩建项目",
                "location": "苏州工业园区星湖街 1 号",
                "eia_reference": f"苏园环建〔2026〕{n + 1}号",
                "lines": [
                    {"pollutant": code, "project_env": "0.5", "plant_env": "0.5", "new_discharge": "0.5"}
                    for code in pollutants_of(n)
                ],
            }
            created = api.post("/api/v1/reserve/applications", body, content_type="application/json")
            note(zone, "create", created)
            if created.status_code != 201:
                return
            pk = created.json()["id"]
            submitted = api.post(f"/api/v1/reserve/applications/{pk}/submit")
            note(zone, "submit", submitted)
            if submitted.status_code != 200:
                return
            decision = reviewer.post(
                f"/api/v1/reserve/applications/{pk}/approve",
                {"reason": "同意"},
                content_type="application/json",
                **csrf,
            )
            note(zone, "approve", decision)
            if decision.status_code == 200:
                with lock:
                    approved[zone] += 1
        except BaseException as exc:  # reported below; a thread must not swallow failures
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=file, args=(n,), daemon=True) for n in range(len(filers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=TIMEOUT)
    assert not [t for t in threads if t.is_alive()], "a request hung (lock wait or deadlock)"
    assert not errors, errors
    by_step = Counter((zone, step, status) for zone, step, status in statuses)
    assert not problems, (sorted(by_step.items()), problems[:3])
    return by_step, approved


def _ratio_one_to_one(world) -> None:
    # Ozone attained last year: VOCs and NOx take the general ratio 1:1 (not the 2:1 of non-attainment).
    services.attainment_record(
        actor=world.admin.principal,
        year=timezone.localdate().year - 1,
        indicator="O3",
        attained=True,
        source="年度环境质量公报",
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_zones_file_submit_and_approve_in_parallel_through_the_api(world):
    vocs = Pollutant.objects.get(code="VOCS")
    _ratio_one_to_one(world)
    zones = {"A": world.zone_a, "B": world.zone_b}
    for code, zone in zones.items():
        open_stock(world.admin, zone, vocs, 10 * T, key=f"conc-{code}", on=dt.date(2024, 1, 1))
    filers = _filers(world, world.zone_a, PER_ZONE) + _filers(world, world.zone_b, PER_ZONE)
    by_step, approved = _run(world, filers, lambda n: ["VOCS"])

    for zone in zones:
        # Every create and every submit is accepted (a submit short of quota is accepted and shown short).
        assert by_step[(zone, "create", 201)] == PER_ZONE, by_step
        assert by_step[(zone, "submit", 200)] == PER_ZONE, by_step
        assert approved[zone] == 20, by_step
        assert by_step[(zone, "approve", 422)] == PER_ZONE - 20, by_step

    for zone in zones.values():
        apps = QuotaApplication.objects.filter(zone=zone)
        assert apps.filter(status=ApplicationStatus.APPROVED).count() == 20
        # The refused ones stay submitted, short, holding nothing.
        short = apps.filter(status=ApplicationStatus.SUBMITTED)
        assert short.count() == PER_ZONE - 20
        for app in short:
            assert [services.line_hold_state(line) for line in app.lines.all()] == ["missing"]
        for app in apps.filter(status=ApplicationStatus.APPROVED):
            line = app.lines.get()
            assert line.deduction_grams == T // 2 and (line.ratio_num, line.ratio_den) == (1, 1)
            assert ledger_selectors.account_balance(line.allocation).posted == T // 2
        balance = ledger_selectors.zone_balance(zone, vocs)
        assert (balance.posted, balance.available) == (0, 0)
    open_holds = Transfer.objects.filter(phase=Phase.PENDING, resolution__isnull=True)
    assert not open_holds.exists(), list(open_holds)
    assert len(set(QuotaApplication.objects.values_list("code", flat=True))) == 2 * PER_ZONE
    call_command("ledger_reconcile")  # raises CommandError when anything does not add up


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_applications_of_two_pollutants_and_of_one_do_not_deadlock_each_other(world):
    """An application of VOCs and NOx holds VOCs, records that, then holds NOx; one of NOx alone
    holds NOx and records that. Unless both zone rows are locked before the first hold, the first
    waits for the NOx row while the second waits for the first's audit event."""
    _ratio_one_to_one(world)
    for code in ("VOCS", "NOX"):
        open_stock(world.admin, world.zone_a, Pollutant.objects.get(code=code), 20 * T, key=f"conc-{code}")
    filers = _filers(world, world.zone_a, 16)
    by_step, approved = _run(world, filers, lambda n: ["VOCS", "NOX"] if n % 2 else ["NOX"])
    assert approved["A"] == 16, by_step  # there is enough of both for everyone
    assert not Transfer.objects.filter(phase=Phase.PENDING, resolution__isnull=True).exists()
    call_command("ledger_reconcile")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_attainment_entered_by_many_reviewers_at_once_is_recorded_once_without_a_500(world):
    workers = 16
    browsers = [_session([world.reviewer, world.reviewer2][n % 2]) for n in range(workers)]
    form = {"year": "2025", "indicator": "O3", "attained": "on", "source": "2025 年环境质量公报"}

    def enter(n: int) -> tuple[int, str]:
        browser, csrf = browsers[n]
        response = browser.post("/reserve/attainment/new/", form, **csrf)
        return response.status_code, response.content.decode()

    answers = run_at_once(enter, workers, timeout=TIMEOUT)
    codes = Counter(status for status, _body in answers)
    assert codes == {302: 1, 200: workers - 1}, codes  # one saved, the others shown the form again
    assert all("2025 年全园区该指标的达标状况已录入" in body for status, body in answers if status == 200)
    assert AttainmentStatus.objects.filter(year=2025, indicator="O3").count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_applications_submitted_at_once_hold_the_zone_exactly_once_the_last_in_part(world):
    """24 units submit 0.5 t at once against 10.25 t: 20 are held in full, one holds the last
    0.25 t (part held, RES-2), three hold nothing; never more than the zone has."""
    vocs = Pollutant.objects.get(code="VOCS")
    _ratio_one_to_one(world)
    open_stock(world.admin, world.zone_a, vocs, 10 * T + T // 4, key="conc-part", on=dt.date(2024, 1, 1))
    filers = _filers(world, world.zone_a, PER_ZONE)
    by_step, approved = _run(world, filers, lambda n: ["VOCS"])

    assert by_step[("A", "submit", 200)] == PER_ZONE, by_step
    assert approved["A"] == 20 and by_step[("A", "approve", 422)] == PER_ZONE - 20, by_step
    short = QuotaApplication.objects.filter(zone=world.zone_a, status=ApplicationStatus.SUBMITTED)
    states = sorted(services.line_hold_state(line) for app in short for line in app.lines.all())
    assert states == ["missing", "missing", "missing", "partial"], states
    partial = next(line for app in short for line in app.lines.all() if line.hold_id)
    assert ledger_selectors.open_hold_grams(partial.hold) == T // 4
    balance = ledger_selectors.zone_balance(world.zone_a, vocs)
    assert (balance.posted, balance.held_out, balance.available) == (T // 4, T // 4, 0)
    call_command("ledger_reconcile")
