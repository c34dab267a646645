"""A zone officer declares a reduction project with evidence, today, in the open round; a reviewer
returns it; it is fixed, resubmitted and approved; it then appears in the library and in the zone's
bulletin (PDF too). The bureau opens the next declaration round."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.reductions.conftest import MINIMAL_PDF
from totalquota.reductions import selectors, services

pytestmark = pytest.mark.django_db(transaction=True)

NAME = "星湖街喷涂车间关停"


def logout(page):
    page.click("#user-menu")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/accounts/login/**")


def pdf_file(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": MINIMAL_PDF + name.encode()}


def open_round_today(world):
    """This quarter's round, open from ten days ago to twenty days ahead, whatever today is."""
    today = timezone.localdate()
    year, quarter = selectors.quarter_of(today)
    return services.round_create(
        actor=world.admin.principal,
        year=year,
        quarter=quarter,
        opens_on=today - dt.timedelta(days=10),
        deadline=today + dt.timedelta(days=20),
        covers_from=today - dt.timedelta(days=30),
        covers_to=today - dt.timedelta(days=11),
    )


def test_a_project_goes_from_declaration_through_review_into_the_library_and_the_bulletin(
    page, login, world, screenshot
):
    today = timezone.localdate()
    round_ = open_round_today(world)
    # --- the zone officer declares ----------------------------------------------------------------
    login(page, world.officer)
    page.click("[data-nav-section=reductions]")
    page.get_by_role("link", name="减排项目").first.click()
    page.wait_for_url("**/reductions/")
    page.get_by_role("link", name="填报减排项目").click()
    page.fill("#id_name", NAME)
    page.select_option("#id_enterprise", label="苏州甲电子有限公司")
    page.select_option("#id_project_type", "structural")
    page.select_option("#id_subtype", "line_shutdown")
    page.fill("#id_builder", "苏州甲电子有限公司")
    page.fill("#id_address", "苏州工业园区星湖街 100 号")
    page.fill("#id_contact_name", "王伟")
    page.fill("#id_contact_phone", "0512-62000001")
    # Completed a month ago: its year is still open, so this is no late declaration.
    page.fill("#id_start_date", (today - dt.timedelta(days=200)).isoformat())
    page.fill("#id_completion_date", (today - dt.timedelta(days=30)).isoformat())
    page.fill("#id_acceptance_date", (today - dt.timedelta(days=20)).isoformat())
    page.fill("#id_investment", "0")
    page.select_option("#id_operating_status", "shut_down")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("h1")).to_have_text(NAME)
    expect(page.locator("#missing-info")).to_contain_text("至少填写一项污染物的减排量")
    # Declared today: in the round open today, not overdue, not late.
    expect(page.locator("#declaration-round")).to_contain_text(round_.title)
    expect(page.locator("#due-date")).to_contain_text(round_.title)
    expect(page.locator("#due-date")).not_to_contain_text("已逾期")
    expect(page.locator("#late-declaration")).to_have_count(0)
    page.goto("/reductions/overdue/")
    expect(page.locator("main")).not_to_contain_text(NAME)
    page.go_back()

    page.click("#add-line")
    page.select_option("#pick-pollutant", "VOCS")
    page.wait_for_load_state()
    page.select_option("#pick-method", "closure")
    page.wait_for_load_state()
    page.fill("#id_baseline", "2.5")
    page.fill("#id_basis", "2024 年排污许可证执行报告")
    page.click("#preview-line")
    expect(page.locator("#preview")).to_contain_text("减排量 2.500000 t/a")
    screenshot(page, "reductions-line-form")
    page.click("#save-line")
    expect(page.locator("#line-table .line-reduction")).to_have_text("2.5")

    for kind, name in (("acceptance", "关停确认意见.pdf"), ("accounting", "核算说明.pdf")):
        page.select_option("#evidence-form select[name=kind]", kind)
        page.set_input_files("#evidence-form input[type=file]", files=[pdf_file(name)])
        page.click("#upload-evidence")
        expect(page.locator("#evidence-table")).to_contain_text(name)
    expect(page.locator("#evidence-requirements .bi-x-circle")).to_have_count(0)
    page.fill("#submit-note", "第四季度申报")
    page.click("#submit-project")
    expect(page.locator("[data-status]").first).to_have_text("待审核")
    screenshot(page, "reductions-project")
    project_url = page.url
    logout(page)

    # --- the reviewer returns it --------------------------------------------------------------------
    login(page, world.reviewer)
    expect(page.locator("#attention")).to_contain_text("待审核的减排项目")
    page.goto(project_url)
    page.check("input[name=decision][value=return]")
    page.fill("#review-reason", "基准年应取 2024 年度实际排放量，请更正")
    screenshot(page, "reductions-review")
    page.click("#review-submit")
    expect(page.locator("[data-status]").first).to_have_text("退回修改")
    logout(page)

    # --- the officer fixes and resubmits -------------------------------------------------------------
    login(page, world.officer)
    page.goto(project_url)
    expect(page.locator("#history")).to_contain_text("基准年应取 2024 年度实际排放量")
    page.locator("#line-table").get_by_role("link", name="修改").click()
    expect(page.locator("#id_baseline")).to_have_value("2.5")
    page.fill("#id_baseline", "2.4")
    page.click("#save-line")
    expect(page.locator("[data-status]").first).to_have_text("草稿")
    page.click("#submit-project")
    expect(page.locator("[data-status]").first).to_have_text("待审核")
    logout(page)

    # --- the reviewer approves -------------------------------------------------------------------------
    login(page, world.reviewer)
    page.goto(project_url)
    page.check("input[name=decision][value=approve]")
    page.click("#review-submit")
    expect(page.locator("[data-status]").first).to_have_text("已入库")
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(6)  # created, submitted, returned, revised, resubmitted, approved

    # --- the library and the bulletin ----------------------------------------------------------------
    page.click("[data-nav-section=reductions]")
    page.get_by_role("link", name="减排库").first.click()
    row = page.locator("table.list-table tbody tr", has_text=NAME)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("2.4 t/a")
    screenshot(page, "reductions-library")

    page.goto("/reductions/bulletin/")
    page.select_option("#id_zone", label="高端制造与国际贸易区")
    page.click("#bulletin-run")
    bulletin = page.locator("#bulletin")
    expect(bulletin).to_contain_text("苏州工业园区减排项目通报")
    expect(bulletin).to_contain_text(NAME)
    expect(bulletin.locator(".bulletin-table").first).to_contain_text("2.4")
    screenshot(page, "reductions-bulletin")
    with page.expect_download() as download_info:
        page.click("#bulletin-pdf")
    content = open(download_info.value.path(), "rb").read()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).replace(" ", "")
    assert "苏州工业园区减排项目通报" in text and NAME in text and "2.4" in text


def test_the_bureau_opens_the_next_round_with_the_default_dates(page, login, world):
    this_quarter = selectors.round_defaults(*selectors.quarter_of(timezone.localdate()))
    current = services.round_create(actor=world.admin.principal, **this_quarter)
    expected = selectors.next_round_defaults(timezone.localdate())
    assert (expected["year"], expected["quarter"]) > (current.year, current.quarter)
    login(page, world.admin)
    page.goto("/reductions/rounds/")
    page.get_by_role("link", name="开放下一轮").click()
    page.wait_for_url("**/reductions/rounds/next/")
    expect(page.locator("#id_year")).to_have_value(str(expected["year"]))
    expect(page.locator("#id_opens_on")).to_have_value(expected["opens_on"].isoformat())
    expect(page.locator("#id_deadline")).to_have_value(expected["deadline"].isoformat())
    # The dates may be changed before saving.
    earlier = expected["deadline"] - dt.timedelta(days=3)
    page.fill("#id_deadline", earlier.isoformat())
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/reductions/rounds/")
    row = page.locator("table.list-table tbody tr", has_text=expected["title"])
    expect(row).to_have_count(1)
    # Opening it again is refused on the form, and nothing is written.
    page.goto("/reductions/rounds/next/")
    page.fill("#id_year", str(expected["year"]))
    page.select_option("#id_quarter", str(expected["quarter"]))
    page.get_by_role("button", name="保存").click()
    expect(page.locator("main")).to_contain_text("申报轮次已存在")
    page.goto("/reductions/rounds/")
    expect(page.locator("table.list-table tbody tr", has_text=expected["title"])).to_have_count(1)
