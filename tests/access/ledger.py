"""Access table: the quota ledger (指标台账) pages and API routes."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from totalquota.accounts.roles import Role as R

from . import ApiRoute, Page, allow

PEOPLE = [r for r in R if r != R.SYSTEM]
ALL_PEOPLE = allow(*PEOPLE, roles_list=PEOPLE)
ADMIN = allow(R.ADMIN, roles_list=PEOPLE)
NARROW_404 = {R.ZONE_OFFICER: 404, R.THIRD_PARTY: 404, R.ENTERPRISE: 404}
# The reconcile runs: the bureau's administrators, reviewers and leaders read them.
BUREAU_READS = (R.ADMIN, R.REVIEWER, R.LEADER)


def reconcile_run(w: Any) -> Any:
    """A stored reconcile run (the daily one) for the walk."""
    if not hasattr(w, "reconcile_run"):
        from totalquota.ledger.services import run_reconcile

        w.reconcile_run = run_reconcile(by="scheduled", check_audit=False)
    return w.reconcile_run


def objects(w: Any) -> SimpleNamespace:
    """Ledger records for the walk, made once per test: a lot in zone A, a lot in zone B and an
    allocation of the company (zone A) drawn from the zone A lot."""
    if hasattr(w, "ledger"):
        return w.ledger
    from totalquota.ledger import services
    from totalquota.registry.models import Pollutant

    vocs = Pollutant.objects.get(code="VOCS")
    day = dt.date(2025, 3, 1)

    def lot(zone, n):
        return services.lot_open(
            actor=w.admin.principal,
            zone=zone,
            pollutant=vocs,
            amount_grams=1_000_000,
            source_type="reduction_line",
            source_ref=f"reductions.reductionline:{n}",
            source_label="walk",
            effective_date=day,
            reason="入库",
            clause_id="RES-1",
            idempotency_key=f"walk-lot-{n}",
        )

    intake_a = lot(w.zone_a, 1)
    intake_b = lot(w.zone_b, 2)
    allocation = services.account_open(
        actor=w.admin.principal,
        zone=w.zone_a,
        pollutant=vocs,
        kind="allocation",
        holder_enterprise=w.company,
        opened_on=day,
    )
    services.draw(
        actor=w.reviewer.principal,
        zone=w.zone_a,
        pollutant=vocs,
        amount_grams=100,
        to_account=allocation,
        effective_date=day,
        reason="分配",
        clause_id="RES-2",
        idempotency_key="walk-draw",
    )
    w.ledger = SimpleNamespace(
        lot_a=intake_a.transfers.get().credit,
        lot_b=intake_b.transfers.get().credit,
        allocation=allocation,
        intake_a=intake_a,
    )
    return w.ledger


PAGES = {
    "ledger:overview": Page(ALL_PEOPLE),
    "ledger:account_list": Page(ALL_PEOPLE),
    "ledger:account_detail": Page(
        allow(*PEOPLE, roles_list=PEOPLE, overrides={R.ENTERPRISE: 404}),
        kwargs=lambda w: {"pk": objects(w).lot_a.pk},
    ),
    "ledger:account_detail#other_zone": Page(
        allow(*PEOPLE, roles_list=PEOPLE, overrides=NARROW_404), kwargs=lambda w: {"pk": objects(w).lot_b.pk}
    ),
    "ledger:account_detail#allocation": Page(ALL_PEOPLE, kwargs=lambda w: {"pk": objects(w).allocation.pk}),
    "ledger:transfer_list": Page(ALL_PEOPLE),
    "ledger:posting_detail": Page(
        allow(*PEOPLE, roles_list=PEOPLE, overrides={R.ENTERPRISE: 404}),
        kwargs=lambda w: {"pk": objects(w).intake_a.pk},
    ),
    "ledger:reconcile_list": Page(allow(*BUREAU_READS, roles_list=PEOPLE)),
    "ledger:reconcile_detail": Page(
        allow(*BUREAU_READS, roles_list=PEOPLE), kwargs=lambda w: {"pk": reconcile_run(w).pk}
    ),
    "ledger:reconcile_run": Page(ADMIN, method="post"),
}

API_ROUTES = {
    ("get", "/api/v1/ledger/balances"): ApiRoute(allow(*R, overrides={R.ENTERPRISE: 403})),
    ("get", "/api/v1/ledger/accounts"): ApiRoute(allow(*R)),
    ("get", "/api/v1/ledger/accounts/{account_id}"): ApiRoute(
        allow(*R, overrides=NARROW_404), params=lambda w: {"account_id": objects(w).lot_b.pk}
    ),
    ("get", "/api/v1/ledger/accounts/{account_id}/uses"): ApiRoute(
        allow(*R, overrides=NARROW_404), params=lambda w: {"account_id": objects(w).lot_b.pk}
    ),
    ("get", "/api/v1/ledger/transfers"): ApiRoute(allow(*R)),
    ("get", "/api/v1/ledger/postings/{posting_id}"): ApiRoute(
        allow(*R, overrides={R.ENTERPRISE: 404}), params=lambda w: {"posting_id": objects(w).intake_a.pk}
    ),
    ("post", "/api/v1/ledger/zone-transfers"): ApiRoute(allow(R.ADMIN), body=lambda w: {}),
    ("post", "/api/v1/ledger/postings/{posting_id}/reverse"): ApiRoute(
        allow(R.ADMIN), params=lambda w: {"posting_id": objects(w).intake_a.pk}, body=lambda w: {}
    ),
    ("get", "/api/v1/ledger/reconcile"): ApiRoute(allow(*BUREAU_READS)),
    ("get", "/api/v1/ledger/reconcile/{run_id}"): ApiRoute(
        allow(*BUREAU_READS), params=lambda w: {"run_id": reconcile_run(w).pk}
    ),
    ("post", "/api/v1/ledger/reconcile"): ApiRoute(allow(R.ADMIN)),
}
