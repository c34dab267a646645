"""Reads an integrating system needs beside the pages: where a lot's grams went (forward trace), a
balance as the ledger stood at a moment (``as_known_at``) and ANNEX-1 as a workbook."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.reserve.conftest import T, line
from tests.reserve.test_intake_upper_recovery import approved_application
from totalquota.ledger.models import Account

pytestmark = pytest.mark.django_db


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_a_lot_names_the_allocations_its_grams_went_to(client, world, p, stock, draft):
    app = approved_application(world, p, stock, draft, T)
    allocation = app.lines.get().allocation
    lot = Account.objects.get(kind="lot", zone=world.zone_a, pollutant=p["VOCS"])
    uses = get(client, world.officer, f"/api/v1/ledger/accounts/{lot.pk}/uses")
    assert uses.status_code == 200
    by_kind = {u["kind"]: u for u in uses.json()}
    assert by_kind["allocation"]["account_id"] == allocation.pk
    assert by_kind["allocation"]["holder_enterprise_id"] == world.company.pk
    assert sum(u["grams"] for u in uses.json()) == 5 * T  # the rest is still in the lot
    # An allocation is not a source of its own: nothing to trace.
    assert get(client, world.officer, f"/api/v1/ledger/accounts/{allocation.pk}/uses").json() == []
    # Another zone's officer does not learn the lot exists.
    assert get(client, world.other_officer, f"/api/v1/ledger/accounts/{lot.pk}/uses").status_code == 404
    assert get(client, world.officer, "/api/v1/ledger/accounts/999999/uses").status_code == 404


def test_a_balance_as_the_ledger_stood_leaves_out_what_was_recorded_later(client, world, p, stock):
    stock(world.zone_a, "VOCS", 2 * T, on=dt.date(2024, 1, 1))
    moment = timezone.now()
    stock(world.zone_a, "VOCS", 3 * T, on=dt.date(2024, 6, 1))  # recorded after the moment, back-dated

    def posted(query):
        answer = get(client, world.admin, f"/api/v1/ledger/balances?zone=A&pollutant=VOCS&{query}")
        assert answer.status_code == 200, answer.json()
        return answer.json()[0]["posted_grams"]

    assert posted("as_of=2024-12-31") == 5 * T
    known = moment.isoformat().replace("+", "%2B")
    assert posted(f"as_of=2024-12-31&as_known_at={known}") == 2 * T
    assert posted(f"as_known_at={known}") == 2 * T  # as of today
    assert posted(f"as_of=2024-03-01&as_known_at={timezone.now().isoformat().replace('+', '%2B')}") == 2 * T
    for bad in ("as_known_at=yesterday", "as_known_at=1989-01-01T00:00:00", "as_known_at=2024-13-01T00:00"):
        answer = get(client, world.admin, f"/api/v1/ledger/balances?{bad}")
        assert answer.status_code == 422, bad
    # The enterprise reads only its own accounts, as before.
    assert get(client, world.company_user, f"/api/v1/ledger/balances?as_known_at={known}").status_code == 403


def test_annex_1_is_downloaded_as_the_same_workbook_the_page_sends(client, world, p, stock, draft):
    app = approved_application(world, p, stock, draft, T)
    answer = get(client, world.company_user, f"/api/v1/reserve/applications/{app.pk}/annex.xlsx")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    api_bytes = b"".join(answer.streaming_content) if answer.streaming else answer.content
    page = get(client, world.company_user, f"/reserve/applications/{app.pk}/annex.xlsx")
    page_bytes = b"".join(page.streaming_content) if page.streaming else page.content
    assert api_bytes == page_bytes
    text = " ".join(
        str(c.value)
        for row in load_workbook(io.BytesIO(api_bytes)).active.iter_rows()
        for c in row
        if c.value
    )
    assert app.code in text or app.project_name in text
    pending = draft([line(p["VOCS"], project_env=T)])
    refused = get(client, world.company_user, f"/api/v1/reserve/applications/{pending.pk}/annex.xlsx")
    assert refused.status_code == 409 and refused.json()["clause"] == "ANNEX-1"
    assert (
        get(client, world.other_officer, f"/api/v1/reserve/applications/{app.pk}/annex.xlsx").status_code
        == 404
    )
