"""The pages work under the Content-Security-Policy: charts draw, selects submit, and an injected
inline script is refused (so the policy is really in force in the browser)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.ledger_helpers import open_stock
from totalquota.registry.models import Pollutant

pytestmark = pytest.mark.django_db(transaction=True)


def test_charts_draw_and_selects_submit_under_the_policy(page, login, world):
    for zone, code, grams in ((world.zone_a, "VOCS", 6_500_000), (world.zone_b, "COD", 3_200_000)):
        open_stock(world.admin, zone, Pollutant.objects.get(code=code), grams, key=f"csp:{zone.code}:{code}")
    login(page, world.admin)
    response = page.request.get("/")
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    home_chart = page.locator("[data-chart] canvas").first
    expect(home_chart).to_be_visible()
    home_chart.hover()  # tooltips are drawn on hover
    page.wait_for_timeout(300)

    page.goto("/ledger/")
    chart = page.locator("#balance-chart canvas")
    expect(chart).to_be_visible()
    chart.hover()
    page.wait_for_timeout(300)
    select = page.locator("select[data-autosubmit]")
    values = select.locator("option").evaluate_all("options => options.map(o => o.value)")
    select.select_option(next(v for v in values if v != select.input_value()))
    page.wait_for_url("**chart=*")
    expect(page.locator("#balance-chart canvas")).to_be_visible()


def test_an_injected_inline_script_is_refused(page, login, world):
    login(page, world.officer)
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.injected = true;"; document.body.appendChild(s); }"""
    )
    assert page.evaluate("() => window.injected === true") is False
    page.policy_refusals_expected = 1
    page.wait_for_timeout(200)
    assert any("inline script" in text for text in page.policy_refusals)


def test_the_api_documentation_renders_under_the_policy(page, login, world):
    login(page, world.admin)
    page.goto("/api/v1/docs")
    # The document has grown past a hundred operations: on a loaded machine Swagger UI takes a
    # while to draw them all.
    expect(page.locator(".swagger-ui .info .title")).to_be_visible(timeout=30_000)
    page.locator(".opblock-summary").first.click()  # an operation opens
    expect(page.locator(".opblock-body").first).to_be_visible()
