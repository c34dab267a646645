"""Pages an official uses all day, at 1366 × 900: wide tables scroll inside their card with the first
column in view, filter labels stay on one line, and the long unit picker is searchable."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db(transaction=True)

LONG_ADDRESS = "苏州工业园区星湖街 328 号创意产业园二期 12 幢 3 层 301 室（东侧厂房）"

# Per cell: its width in characters of the table's font; per table: the scroll box and where the
# first column is before and after scrolling to the far right.
# The lines an element's text takes: the distinct tops of its text's boxes.
LINES = """const lines = (el) => { const r = document.createRange(); r.selectNodeContents(el);
  return new Set(Array.from(r.getClientRects()).filter(b => b.width > 0).map(b => Math.round(b.top))).size; };"""

MEASURE = (
    """(selector) => {
  """
    + LINES
    + """
  const table = document.querySelector(selector);
  const box = table.closest('.table-responsive');
  const em = parseFloat(getComputedStyle(table).fontSize);
  const cells = Array.from(table.querySelectorAll('th, td')).filter(c => c.offsetParent !== null && c.textContent.trim());
  const narrowest = Math.min(...cells.map(c => c.getBoundingClientRect().width / em));
  const first = table.querySelector('tbody tr td:first-child');
  const before = first.getBoundingClientRect().left;
  box.scrollLeft = box.scrollWidth;
  const after = first.getBoundingClientRect().left;
  const boxLeft = box.getBoundingClientRect().left;
  const headers = Array.from(table.querySelectorAll('thead th'));
  const lastHeader = headers[headers.length - 1].getBoundingClientRect();
  const addresses = Array.from(table.querySelectorAll('td.wrap')).map(c => c.getBoundingClientRect().width / em);
  return {
    narrowest, scrolls: box.scrollWidth > box.clientWidth, scrolled: box.scrollLeft > 0,
    firstBefore: before - boxLeft, firstAfter: after - boxLeft,
    lastHeaderInView: lastHeader.right <= box.getBoundingClientRect().right + 1,
    headerLines: Math.max(...headers.map(lines)),
    narrowestAddress: Math.min(...addresses), pageScrolls: document.documentElement.scrollWidth > window.innerWidth,
  };
}"""
)

LABEL_LINES = (
    """(selector) => { """
    + LINES
    + """
  return Array.from(document.querySelectorAll(selector)).map(l => [l.textContent.trim(), lines(l)]); }"""
)


def test_the_enterprise_list_scrolls_with_its_first_column_fixed_and_no_cell_squeezed(
    page, login, world, screenshot
):
    for n in range(12):
        EnterpriseFactory(
            zone=world.zone_a, name=f"苏州工业园区长名称精密机械制造第{n}有限公司", address=LONG_ADDRESS
        )
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, world.admin)
    page.goto("/registry/enterprises/")
    table = "table.list-table"
    expect(page.locator(f"{table} thead th")).to_have_count(11)
    m = page.evaluate(MEASURE, table)
    assert m["narrowest"] >= 2.4, m  # no column narrower than its two-character header (在册)
    assert m["narrowestAddress"] >= 14, m  # the address reads as a line, not a column of characters
    assert m["headerLines"] == 1, m
    assert m["scrolls"] and m["scrolled"], m  # the table scrolls inside its card …
    assert not m["pageScrolls"], m  # … not the page
    assert abs(m["firstBefore"]) < 2 and abs(m["firstAfter"]) < 2, m  # the first column stays in view
    assert m["lastHeaderInView"], m  # scrolled to the end, the last column is there: nothing cut off
    screenshot(page, "enterprise-list-1366")

    labels = page.evaluate(LABEL_LINES, ".list-filters label")
    assert labels and all(lines == 1 for _text, lines in labels), labels


def test_the_warnings_filter_labels_stay_on_one_line(page, login, world, screenshot):
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, world.admin)
    page.goto("/reserve/warnings/")
    labels = page.evaluate(LABEL_LINES, "#warnings-filter label")
    assert [text for text, _lines in labels] == ["起始日期", "截止日期"]
    assert all(lines == 1 for _text, lines in labels), labels
    screenshot(page, "reserve-warnings-1366")


def test_the_unit_picker_of_an_application_finds_a_unit_by_part_of_its_name(page, login, world, screenshot):
    for n in range(90):
        EnterpriseFactory(zone=world.zone_a, name=f"苏州测试{n:02d}精密机械有限公司")
    wanted = EnterpriseFactory(zone=world.zone_a, name="苏州工业园区瀚海光学科技有限公司")
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, world.officer)  # the zone officer applies for a unit of the zone's 92
    page.goto("/reserve/applications/new/")
    assert page.locator("#id_enterprise option").count() >= 92
    control = page.locator(".ts-wrapper:has(#id_enterprise-ts-control) .ts-control")
    expect(control).to_be_visible()
    control.click()
    page.keyboard.type("瀚海")
    options = page.locator(".ts-dropdown .option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_text(wanted.name)
    screenshot(page, "searchable-unit-picker")
    options.first.click()
    assert page.locator("#id_enterprise").input_value() == str(wanted.pk)
    control.click()
    page.keyboard.type("不存在的单位")
    expect(page.locator(".ts-dropdown .no-results")).to_have_text("没有匹配的选项")
