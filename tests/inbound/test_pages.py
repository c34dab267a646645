"""The 外部系统事件 pages: the list searches, filters and exports; the detail shows the payload and
links to what the event did; only the bureau's reviewers and administrators open them."""

from __future__ import annotations

from django.test import Client

from tests.inbound.conftest import post
from tests.inbound.test_events import violation
from tests.xlsx_helpers import read_export, response_bytes
from totalquota.enforcement.models import Finding
from totalquota.inbound.models import InboundEvent


def test_reviewers_find_filter_export_and_open_an_event(world, partners):
    assert post("enforcement", violation(world), partners.enforcement).status_code == 201
    event = InboundEvent.objects.get()
    finding = Finding.objects.get()
    client = Client()
    client.force_login(world.reviewer)
    page = client.get("/inbound/", {"q": world.company.uscc, "source": "enforcement", "state": "applied"})
    assert page.status_code == 200 and "ZF-1" in page.content.decode()
    assert "ZF-1" not in client.get("/inbound/", {"state": "needs_review"}).content.decode()
    export = client.get("/inbound/", {"export": "xlsx"})
    assert export.status_code == 200
    assert any("ZF-1" in [str(c) for c in row] for row in read_export(response_bytes(export)))
    detail = client.get(f"/inbound/{event.pk}/").content.decode()
    assert "苏园环罚〔2026〕88号" in detail and finding.get_absolute_url() in detail
    assert finding.code in detail


def test_the_menu_shows_the_page_to_the_bureau_only(world):
    for user, shown in ((world.admin, True), (world.reviewer, True), (world.officer, False)):
        client = Client()
        client.force_login(user)
        assert ('href="/inbound/"' in client.get("/").content.decode()) is shown
        assert client.get("/inbound/").status_code == (200 if shown else 403)
