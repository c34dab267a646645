"""The management list's pages: the list with its filters and export, the proposal preview,
an entry with its history and its forms, the deadlines page; and their English."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.emissions.conftest import YEAR, as_
from tests.emissions.helpers_listing import clock_fixture, put_on_list  # noqa: F401
from tests.factories import EnterpriseFactory
from tests.test_english_pages import chinese_left, english_client, readable_text, typed_values
from tests.xlsx_helpers import read_xlsx
from totalquota.emissions.models import ListEntry
from totalquota.emissions.services import listing
from totalquota.registry.models import ManagementCategory


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_list_page_filters_and_exports_with_heading_rows(world, clock):
    put_on_list(world, world.company, world.other_company)
    listing.list_remove(
        actor=as_(world.admin), entry=ListEntry.objects.get(enterprise=world.other_company), reason="关闭"
    )
    client = signed_in(world.reviewer)
    page = client.get("/emissions/list/", {"year": YEAR, "listed": "true"}).content.decode()
    assert world.company.name in page and world.other_company.name not in page
    export = client.get("/emissions/list/", {"year": YEAR, "export": "xlsx"})
    rows = read_xlsx(b"".join(export.streaming_content))
    assert rows[0][0] == "重点排污单位名录（TOT-1）"
    assert "排放年度：2025" in rows[1][0]
    assert rows[3][:3] == ("排放年度", "排污单位", "统一社会信用代码")
    assert {r[1] for r in rows[4:]} == {world.company.name, world.other_company.name}


def test_a_zone_officer_sees_their_zones_entries_only(world, clock):
    put_on_list(world, world.company, world.other_company)
    page = signed_in(world.officer).get("/emissions/list/").content.decode()
    assert world.company.name in page and world.other_company.name not in page
    other = ListEntry.objects.get(enterprise=world.other_company)
    assert signed_in(world.officer).get(f"/emissions/list/{other.pk}/").status_code == 404
    assert (
        signed_in(world.officer).post(f"/emissions/list/{other.pk}/remove/", {"reason": "x"}).status_code
        == 404
    )
    other.refresh_from_db()
    assert other.listed


def test_the_proposal_previews_and_adds_the_units_ticked(world, clock):
    key = EnterpriseFactory(
        zone=world.zone_a, name="甲区重点单位", management_category=ManagementCategory.KEY
    )
    client = signed_in(world.officer)
    preview = client.get("/emissions/list/propose/", {"year": YEAR, "categories": ["key"]})
    assert preview.status_code == 200
    body = preview.content.decode()
    assert "甲区重点单位" in body and world.company.name not in body and world.other_company.name not in body
    done = client.post(
        "/emissions/list/propose/",
        {"year": YEAR, "categories": ["key"], "enterprise": [key.pk], "basis": "重点管理排污许可证"},
    )
    assert done.status_code == 302
    assert list(ListEntry.objects.values_list("enterprise__name", "basis")) == [
        ("甲区重点单位", "重点管理排污许可证")
    ]


def test_a_proposal_without_a_basis_is_shown_again_and_nothing_written(world, clock):
    client = signed_in(world.officer)
    response = client.post(
        "/emissions/list/propose/", {"year": YEAR, "enterprise": [world.company.pk], "basis": ""}
    )
    assert response.status_code == 422
    assert not ListEntry.objects.exists()


def test_removing_on_the_page_needs_a_reason(world, clock):
    entry = put_on_list(world)
    client = signed_in(world.officer)
    assert client.post(f"/emissions/list/{entry.pk}/remove/", {"reason": ""}).status_code == 422
    entry.refresh_from_db()
    assert entry.listed
    assert client.post(f"/emissions/list/{entry.pk}/remove/", {"reason": "停产"}).status_code == 302
    page = client.get(f"/emissions/list/{entry.pk}/").content.decode()
    assert "停产" in page and "entry-history" in page


@pytest.mark.parametrize(
    "url",
    [
        "/emissions/list/",
        "/emissions/list/history/",
        "/emissions/list/propose/?year=2025",
        "/emissions/list/import/",
        "/emissions/deadlines/",
        "/emissions/deadlines/extend/",
        "/emissions/overdue/?year=2025&state=all",
        "/emissions/reminders/",
    ],
)
def test_the_pages_are_english(world, clock, url):
    entry = put_on_list(world)
    listing.list_remove(actor=as_(world.admin), entry=entry, reason="关闭")
    listing.list_restore(actor=as_(world.admin), entry=entry)
    for user in (world.admin, world.officer):
        response = english_client(user).get(url)
        assert response.status_code == (403 if "extend" in url and user == world.officer else 200)
        typed = [*typed_values(), "重点管理排污许可证", "关闭"]
        assert chinese_left(readable_text(response.content.decode()), typed) == [], url


def test_an_entry_page_is_english(world, clock):
    entry = put_on_list(world)
    response = english_client(world.admin).get(f"/emissions/list/{entry.pk}/")
    assert (
        chinese_left(readable_text(response.content.decode()), [*typed_values(), "重点管理排污许可证"]) == []
    )
