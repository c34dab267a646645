"""Four eyes in the browser: an administrator prepares the quarter's intake, is refused when
confirming it, and a reviewer confirms it (RES-1)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.reserve.test_intake_upper_recovery import approved_line
from totalquota.ledger import selectors as ledger_selectors
from totalquota.registry.models import Pollutant
from totalquota.reserve.models import IntakeRun

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_administrator_prepares_the_intake_and_a_reviewer_confirms_it(page, login, world, browser):
    approved_line(world)
    today = timezone.localdate()
    login(page, world.admin)
    page.goto("/reserve/intake/new/")
    page.fill("#id_year", str(today.year))
    page.select_option("#id_quarter", str((today.month - 1) // 3 + 1))
    page.click("form.card button[type=submit]")
    expect(page.locator("#intake-items tbody tr")).to_have_count(1)
    expect(page.locator("#intake-items")).not_to_contain_text("没有待入库")
    # The preparer is not offered the confirmation, and the history names who prepared it.
    expect(page.locator("#confirm-intake")).to_have_count(0)
    expect(page.locator("#history")).to_contain_text(str(world.admin))
    url = page.url

    reviewer_page = browser.new_context(
        base_url=page.url.split("/reserve")[0],
        locale="zh-CN",
        extra_http_headers={"Accept-Language": "zh-CN"},
    ).new_page()
    login(reviewer_page, world.reviewer)
    # The reviewer finds the run through the list's status filter.
    reviewer_page.goto("/reserve/intake/?status=prepared")
    reviewer_page.click(f"#list-results a[href='{url.split(page.url.split('/reserve')[0])[1]}']")
    reviewer_page.click("#confirm-intake")
    expect(reviewer_page.locator(".alert-success")).to_contain_text("已确认入库")
    expect(reviewer_page.locator("h1")).to_contain_text("已确认")
    reviewer_page.context.close()

    run = IntakeRun.objects.get()
    assert run.created_by == world.admin and run.confirmed_by == world.reviewer
    vocs = Pollutant.objects.get(code="VOCS")
    assert ledger_selectors.zone_balance(world.zone_a, vocs).posted == 2_500_000
