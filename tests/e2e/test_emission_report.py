"""A listed unit fills in and submits its emission report; a reviewer returns it with a comment; the
unit corrects it and resubmits; a technical opinion is on file; a second reviewer sees what changed
and accepts. The accepted version is the one the API gives as accepted."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.emissions.conftest import YEAR, listed
from totalquota.emissions.models import EmissionReport, ReportStatus, TechnicalOpinion

pytestmark = pytest.mark.django_db(transaction=True)


def logout(page):
    page.click("#user-menu")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/accounts/login/**")


def add_row(page, code: str) -> None:
    page.select_option("#add-pollutant", code)
    page.click("#add-pollutant-row")
    expect(page.locator(f"#row-{code}")).to_be_visible()


def fill_row(page, code: str, **cells: str) -> None:
    row = page.locator(f"#row-{code}")
    for name, value in cells.items():
        field = row.locator(f"[name$='-{name}']")
        if name == "method":
            field.select_option(value)
        else:
            field.fill(value)


def test_a_unit_reports_a_reviewer_returns_it_the_unit_corrects_and_a_second_reviewer_accepts(
    page, login, world, screenshot
):
    listed(world)
    # --- the unit fills in and submits ------------------------------------------------------------
    login(page, world.company_user)
    page.goto("/emissions/reports/")
    page.get_by_role("link", name="填报排放量申报").click()
    page.click("#start-report")
    page.wait_for_url("**/lines/")
    add_row(page, "COD")
    fill_row(
        page,
        "COD",
        actual="12.5",
        sewer="30",
        method="online",
        data_source="2025 年在线监测年度数据",
        difference_note="排污许可证未载明化学需氧量许可量，按实际排放申报",
    )
    add_row(page, "VOCS")
    fill_row(
        page,
        "VOCS",
        actual="3.2",
        method="balance",
        data_source="2025 年溶剂使用台账",
        difference_note="许可证未载明，按物料衡算申报",
    )
    # A figure finer than a gram is refused on its cell and nothing is saved.
    fill_row(page, "VOCS", actual="3.20000001")
    page.click("#save-lines")
    expect(page.locator("#row-VOCS .cell-error")).to_contain_text("精度过高")
    fill_row(page, "VOCS", actual="3.2")
    page.click("#save-lines")
    expect(page.locator("#line-table")).to_contain_text("12.5")
    page.fill("#submit-note", "按期报送")
    page.click("#submit-report")
    expect(page.locator("#report-header")).to_contain_text("已提交")
    report = EmissionReport.objects.get()
    logout(page)

    # --- a reviewer returns it with a comment ------------------------------------------------------
    login(page, world.reviewer)
    page.goto(f"/emissions/reports/{report.pk}/")
    page.fill("#return-reason", "化学需氧量与在线监测年度总量不符，请核实")
    page.click("#return-report")
    expect(page.locator("#report-header")).to_contain_text("已退回修改")
    logout(page)

    # --- the unit corrects and resubmits ------------------------------------------------------------
    login(page, world.company_user)
    page.goto(f"/emissions/reports/{report.pk}/")
    expect(page.locator("#history")).to_contain_text("化学需氧量与在线监测年度总量不符")
    page.click("#edit-lines")
    fill_row(page, "COD", actual="11.8")
    page.fill("#id_change_note", "化学需氧量按在线监测年度总量更正为 11.8 t/a")
    page.click("#save-lines")
    expect(page.locator("#line-table")).to_contain_text("11.8")
    page.click("#submit-report")
    expect(page.locator("#report-header")).to_contain_text("已重新提交")
    logout(page)

    # --- a technical opinion (the review pages write it; here the test does) ----------------------
    report.refresh_from_db()
    TechnicalOpinion.objects.create(
        report=report,
        version=report.current_version,
        author=world.third_party,
        organisation="苏州环科技术服务有限公司",
        conclusion="accept",
        text="更正后与在线监测年度总量一致，建议通过",
    )

    # --- a second reviewer sees what changed and accepts -----------------------------------------
    login(page, world.reviewer2)
    page.goto(f"/emissions/reports/{report.pk}/")
    diff = page.locator("#diff-table")
    expect(diff).to_contain_text("12.5 t/a")
    expect(diff).to_contain_text("11.8 t/a")
    expect(page.locator("#diff-note")).to_contain_text("按在线监测年度总量更正")
    page.locator("#diff").scroll_into_view_if_needed()
    screenshot(page, "emissions-report-review")
    page.click("#accept-report")
    expect(page.locator("#accepted-version")).to_contain_text("第 2 版")
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED and report.accepted_version.number == 2
    body = page.request.get(f"/api/v1/emission-reports/{report.pk}").json()
    assert {x["pollutant"]: x["actual"] for x in body["accepted"]} == {"COD": "11.8", "VOCS": "3.2"}
    assert report.year == YEAR
