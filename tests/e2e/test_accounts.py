"""A zone officer opens two units' accounts from the registry, downloads the password sheet, and
one unit signs in with its one-time password, is made to change it, and reaches its home page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import HOME
from tests.factories import EnterpriseFactory
from tests.xlsx_helpers import read_xlsx

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_zone_officer_opens_two_accounts_and_a_unit_signs_in_and_changes_its_password(
    page, browser, live_server, login, world, screenshot
):
    first = EnterpriseFactory(zone=world.zone_a, name="苏州星海精密机械有限公司")
    second = EnterpriseFactory(zone=world.zone_a, name="苏州宇达电子科技有限公司")
    outside = EnterpriseFactory(zone=world.zone_b, name="苏州丙化工有限公司")
    login(page, world.officer)
    page.goto("/registry/enterprises/")
    page.get_by_role("link", name="开通账号").click()
    expect(page.locator("h1")).to_have_text("开通排污单位账号")
    expect(page.locator("table")).not_to_contain_text(outside.name)
    page.check(f"#unit-{first.pk}")
    page.check(f"#unit-{second.pk}")
    screenshot(page, "unit-accounts-open")
    page.click("#open-selected")
    expect(page.locator("#handover-done")).to_contain_text("已开通 2 个排污单位账号")
    with page.expect_download() as info:
        page.click("#download-xlsx")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx") and "排污单位账号开通" in download.suggested_filename
    rows = {r[1]: r for r in read_xlsx(open(download.path(), "rb").read())[1:]}
    assert set(rows) == {first.name, second.name}
    username, password = rows[first.name][3], rows[first.name][4]
    assert username == first.uscc

    unit = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1366, "height": 860}
    )
    tab = unit.new_page()
    tab.goto("/accounts/login/")
    tab.fill("#id_username", username)
    tab.fill("#id_password", password)
    tab.click("#login-submit")
    tab.wait_for_url("**/accounts/password/")
    expect(tab.locator("main")).to_contain_text("一次性初始密码")
    tab.goto("/reductions/projects/")  # every page leads back to the change
    tab.wait_for_url("**/accounts/password/")
    tab.fill("#id_old_password", password)
    tab.fill("#id_new_password1", "short-1")
    tab.fill("#id_new_password2", "short-1")
    tab.click("main form button[type=submit]")
    expect(tab.locator("main")).to_contain_text("密码太短，至少需要 12 个字符")
    tab.fill("#id_old_password", password)
    tab.fill("#id_new_password1", "Bamboo-river-2027")
    tab.fill("#id_new_password2", "Bamboo-river-2027")
    tab.click("main form button[type=submit]")
    tab.wait_for_url(HOME)
    expect(tab.locator(".alert-success")).to_contain_text("密码已修改")
    expect(tab.locator("#user-menu")).to_contain_text("苏州星海精密机械环保专员")
    unit.close()
