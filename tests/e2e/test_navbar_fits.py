"""The top bar at 1366 × 900, in both languages and for the role with the most menus: every entry,
the language switch included, is on screen and the page does not scroll sideways."""

from __future__ import annotations

import pytest

LANGUAGE_SWITCH = "#language-form button"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ["admin", "reviewer", "officer", "company_user"])
def test_the_top_bar_fits_at_1366_in_both_languages(page, login, world, language, role):
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, getattr(world, role))
    if language == "en":
        page.click(LANGUAGE_SWITCH)
        page.wait_for_selector('html[lang="en"]')
    assert page.locator("html").get_attribute("lang") == language
    width = 1366
    for item in page.locator("#mainnav .nav-link, " + LANGUAGE_SWITCH).all():
        box = item.bounding_box()
        assert box is not None, item.inner_text()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (item.inner_text(), box)
        assert box["y"] + box["height"] <= 80, (item.inner_text(), box)  # one row: nothing wrapped
    switch = page.locator(LANGUAGE_SWITCH).bounding_box()
    assert switch is not None and switch["x"] + switch["width"] <= width
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    page.locator(LANGUAGE_SWITCH).click()  # the switch works from where it is
    page.wait_for_selector(f'html[lang="{"zh-hans" if language == "en" else "en"}"]')
