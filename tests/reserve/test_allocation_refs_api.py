"""Ledger accounts of allocations, through the API, name the application and the line they belong
to, and so do their transfers; lots name none."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.reserve.conftest import line
from totalquota.ledger.models import AccountKind
from totalquota.reserve import services

pytestmark = pytest.mark.django_db
T = 1_000_000


def test_an_allocation_account_and_its_transfers_name_their_application_and_line(world, p, stock, draft):
    lot = stock(world.zone_a, "VOCS", 5 * T)
    app = services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=800_000)])
    )
    vocs = app.lines.get()
    api = Client(raise_request_exception=False)
    api.force_login(world.reviewer)

    accounts = api.get("/api/v1/ledger/accounts", {"kind": AccountKind.ALLOCATION}).json()["items"]
    assert [
        (a["id"], a["application_id"], a["application_code"], a["application_line_id"]) for a in accounts
    ] == [(vocs.allocation_id, app.pk, app.code, vocs.pk)]
    detail = api.get(f"/api/v1/ledger/accounts/{vocs.allocation_id}").json()
    assert (detail["application_id"], detail["application_code"], detail["application_line_id"]) == (
        app.pk,
        app.code,
        vocs.pk,
    )
    lot_detail = api.get(f"/api/v1/ledger/accounts/{lot.pk}").json()
    assert (
        lot_detail["application_id"],
        lot_detail["application_code"],
        lot_detail["application_line_id"],
    ) == (
        None,
        None,
        None,
    )

    transfers = api.get("/api/v1/ledger/transfers").json()["items"]
    hold = [t for t in transfers if t["credit"] == vocs.allocation.code]
    assert hold and all(
        (t["application_id"], t["application_code"], t["application_line_id"]) == (app.pk, app.code, vocs.pk)
        for t in hold
    )
    opening = [t for t in transfers if t["credit"] == lot.code]
    assert opening and all(t["application_id"] is None for t in opening)

    # The enterprise sees its own allocation with the same references.
    own = Client(raise_request_exception=False)
    own.force_login(world.company_user)
    mine = own.get("/api/v1/ledger/accounts", {"kind": AccountKind.ALLOCATION}).json()["items"]
    assert [a["application_code"] for a in mine] == [app.code]
