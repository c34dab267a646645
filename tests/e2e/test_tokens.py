"""The bureau admin issues a token in the browser; a system client reads its zone with it; revoked, it stops."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_issues_a_zone_token_that_reads_only_its_zone_until_revoked(page, login, world, screenshot):
    login(page, world.admin)
    page.goto("/accounts/tokens/new/")
    page.fill("#id_name", "执法系统（A 区）")
    page.select_option("#id_client", str(world.client.pk))
    page.select_option("#id_role", "system")
    page.select_option("#id_zone", str(world.zone_a.pk))
    page.click("form button[type=submit].btn-primary")
    text = page.locator("#token-text").inner_text().strip()
    assert re.fullmatch(r"tq_[0-9a-f]{8}_\S+", text)
    screenshot(page, "token-issued")

    api = Client()
    body = api.get("/api/v1/enterprises", HTTP_AUTHORIZATION=f"Bearer {text}").json()
    assert [e["name"] for e in body["items"]] == ["苏州甲电子有限公司"]

    page.goto("/accounts/tokens/")
    page.click(f"button[data-token='{text[3:11]}']")
    expect(page.locator(".alert-success")).to_contain_text("已撤销")
    assert api.get("/api/v1/enterprises", HTTP_AUTHORIZATION=f"Bearer {text}").status_code == 401
