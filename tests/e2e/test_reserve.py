"""From a quota application to the downloaded ANNEX-1 PDF, in the browser."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.ledger_helpers import open_stock
from totalquota.registry.models import Pollutant

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_enterprise_applies_a_reviewer_approves_and_the_annex_pdf_is_downloaded(
    page, login, world, screenshot, browser
):
    vocs = Pollutant.objects.get(code="VOCS")
    open_stock(world.admin, world.zone_a, vocs, 5_000_000, key="e2e")

    login(page, world.company_user)
    page.goto("/reserve/applications/new/")
    page.select_option("#id_enterprise", str(world.company.pk))
    page.fill("#id_project_name", "年产 500 万片电路板扩建项目")
    page.fill("#id_location", "苏州工业园区星湖街 1 号")
    page.fill("#id_eia_reference", "苏园环建〔2026〕12号")
    page.fill("[name=VOCS__project_env_grams]", "0.8")
    page.fill("[name=VOCS__plant_env_grams]", "1.6")
    page.fill("[name=VOCS__new_discharge_grams]", "0.7")
    screenshot(page, "reserve-application-form")
    page.click("#save-application")
    expect(page.locator("#application-status")).to_have_text("草稿")
    page.click("#submit-application")
    expect(page.locator("#application-status")).to_have_text("已提交")
    expect(page.locator("#application-lines")).to_contain_text("已预留")
    url = page.url

    reviewer_page = page.context.browser.new_context(
        base_url=page.url.split("/reserve")[0],
        locale="zh-CN",
        extra_http_headers={"Accept-Language": "zh-CN"},
    ).new_page()
    login(reviewer_page, world.reviewer)
    reviewer_page.goto(url)
    expect(reviewer_page.locator("#decision-preview")).to_contain_text("批准后")
    screenshot(reviewer_page, "reserve-decision")
    reviewer_page.fill("#id_reason", "符合备案条件")
    reviewer_page.click("#approve")
    expect(reviewer_page.locator("#application-status")).to_have_text("已批准")
    reviewer_page.context.close()

    page.goto(url)
    with page.expect_download() as info:
        page.click("#annex-pdf")
    data = open(info.value.path(), "rb").read()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "苏州工业园区排污总量指标管理信息表" in text
    assert world.company.uscc in text and "挥发性有机物 0.8 1.6" in text
    screenshot(page, "reserve-approved")
