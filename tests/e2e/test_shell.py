"""Every role signs in, reaches its home page, opens the enterprise list, searches and exports."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.xlsx_helpers import read_export
from totalquota.accounts.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = [r for r in Role if r != Role.SYSTEM]


@pytest.mark.parametrize("role", PEOPLE, ids=[r.value for r in PEOPLE])
def test_each_role_signs_in_and_works_with_the_enterprise_list(page, login, world, role):
    person = world.persona(role)
    login(page, person)
    assert page.locator("h1").first.inner_text() == "工作台"
    assert person.get_role_display() in page.locator("#user-role").text_content()

    page.click("[data-nav-section=registry]")
    page.click("text=排污单位")
    page.wait_for_url("**/registry/enterprises/")
    visible = page.locator("table.list-table tbody tr").all_inner_texts()
    if role in (Role.ZONE_OFFICER, Role.ENTERPRISE, Role.THIRD_PARTY):
        assert len(visible) == 1 and "苏州甲电子有限公司" in visible[0]
    else:
        assert len(visible) == 2

    page.fill("#id_q", "甲电子")
    page.press("#id_q", "Enter")
    page.wait_for_url("**q=*")
    rows = page.locator("table.list-table tbody tr")
    expect(page.locator("#result-count")).to_have_text("共 1 条")
    expect(rows).to_have_count(1)
    assert "苏州甲电子有限公司" in rows.first.inner_text()

    with page.expect_download() as download_info:
        page.click("#export-xlsx")
    download = download_info.value
    assert download.suggested_filename.startswith("排污单位名录-") and download.suggested_filename.endswith(
        "日.xlsx"
    )
    table = read_export(open(download.path(), "rb").read())
    assert table[0][0] == "单位名称" and [r[0] for r in table[1:]] == ["苏州甲电子有限公司"]


def test_a_wrong_password_shows_a_chinese_error(page, world):
    page.goto("/accounts/login/")
    page.fill("#id_username", world.officer.username)
    page.fill("#id_password", "not-the-password")
    page.click("#login-submit")
    assert "用户名或密码错误" in page.locator(".alert-danger").inner_text()


def test_the_language_switch_turns_the_shell_english(page, login, world):
    login(page, world.leader)
    page.click("#language-form button")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("#language-form button")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-hans"


def test_screenshots_of_the_main_pages(page, login, world, screenshot):
    from tests.ledger_helpers import open_stock
    from totalquota.registry.models import Pollutant

    for zone, code, grams in (
        (world.zone_a, "VOCS", 6_500_000),
        (world.zone_b, "VOCS", 3_200_000),
        (world.zone_a, "COD", 12_000_000),
        (world.zone_b, "NOX", 4_400_000),
    ):
        open_stock(world.admin, zone, Pollutant.objects.get(code=code), grams, key=f"shot:{zone.code}:{code}")
    login(page, world.admin)
    page.wait_for_timeout(300)
    screenshot(page, "home-admin")
    page.goto("/registry/enterprises/")
    screenshot(page, "enterprise-list")
    page.goto(f"/registry/enterprises/{world.company.pk}/")
    screenshot(page, "enterprise-detail")
    page.goto("/registry/enterprises/import/")
    screenshot(page, "enterprise-import")
    page.goto("/ledger/")
    page.wait_for_timeout(300)
    screenshot(page, "ledger-overview")
    lot = page.goto("/ledger/accounts/")
    assert lot is not None and lot.ok
    screenshot(page, "ledger-accounts")
    page.goto("/reserve/warnings/")
    assert (screenshot(page, "reserve-warnings")).stat().st_size > 10_000
