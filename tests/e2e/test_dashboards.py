"""Each dashboard draws its charts in the browser; a screenshot of each goes to the README."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from totalquota.ledger import services
from totalquota.ledger.models import AccountKind, SourceType
from totalquota.registry.models import Pollutant

pytestmark = pytest.mark.django_db(transaction=True)

# A canvas counts as drawn when it holds more than a handful of distinct pixel colours.
DRAWN = """(el) => {
  const c = el.querySelector('canvas'); if (!c) return 0;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const seen = new Set();
  for (let i = 0; i < d.length; i += 4 * 7) { seen.add(d[i] + ',' + d[i+1] + ',' + d[i+2] + ',' + d[i+3]); }
  return seen.size;
}"""


def a_year_of_reserve(world) -> None:
    """Quarterly intakes in three zones, an upper-level grant and two units' allocations."""
    n = 0
    for pollutant in Pollutant.objects.filter(code__in=["VOCS", "COD"]):
        for zone, base in (
            (world.zone_a, 6),
            (world.zone_b, 4),
            (world.zone_a.__class__.objects.get(code="C"), 3),
        ):
            for quarter in range(4):
                n += 1
                source = SourceType.UPPER_GRANT if quarter == 2 else SourceType.REDUCTION_LINE
                services.lot_open(
                    actor=world.admin.principal,
                    zone=zone,
                    pollutant=pollutant,
                    amount_grams=(base + quarter) * 1_000_000,
                    source_type=source,
                    source_ref=f"reductions.reductionline:{n}",
                    source_label=f"减排项目 {n}",
                    effective_date=dt.date(2026, 1 + quarter * 3, 10),
                    reason="季度入库",
                    clause_id="RES-1",
                    code="upper_grant" if source == SourceType.UPPER_GRANT else "intake",
                    idempotency_key=f"e2e-dash-{n}",
                )
        for enterprise, grams in ((world.company, 2_500_000), (world.other_company, 1_700_000)):
            account = services.account_open(
                actor=world.admin.principal,
                zone=enterprise.zone,
                pollutant=pollutant,
                kind=AccountKind.ALLOCATION,
                holder_enterprise=enterprise,
                opened_on=dt.date(2026, 5, 1),
                label="建设项目",
            )
            services.draw(
                actor=world.admin.principal,
                zone=enterprise.zone,
                pollutant=pollutant,
                amount_grams=grams,
                to_account=account,
                effective_date=dt.date(2026, 5, 1),
                reason="分配",
                clause_id="RES-2",
                idempotency_key=f"e2e-dash-draw-{enterprise.pk}-{pollutant.pk}",
            )


def charts_drawn(page, expected: int) -> None:
    charts = page.locator("[data-chart]")
    expect(charts).to_have_count(expected)
    for i in range(expected):
        chart = charts.nth(i)
        expect(chart.locator("canvas")).to_have_count(1)
        assert chart.evaluate(DRAWN) > 20, f"chart {i} is blank"


@pytest.mark.parametrize(
    "who, url, charts, name",
    [
        ("reviewer", "/supervision/dashboards/park/", 3, "dashboard-park"),
        ("officer", "/supervision/dashboards/zone/", 3, "dashboard-zone"),
        ("leader", "/supervision/dashboards/overview/", 2, "dashboard-leader"),
        ("company_user", "/supervision/dashboards/unit/", 1, "dashboard-unit"),
    ],
)
def test_each_dashboard_draws_its_charts(page, login, world, screenshot, who, url, charts, name):
    a_year_of_reserve(world)
    login(page, getattr(world, who))
    page.goto(url)
    expect(page.locator("#basis-label")).to_be_visible()
    charts_drawn(page, charts)
    screenshot(page, name)


def test_the_ledger_overview_draws_its_chart(page, login, world):
    a_year_of_reserve(world)
    login(page, world.admin)
    page.goto("/ledger/")
    chart = page.locator("#balance-chart")
    expect(chart.locator("canvas")).to_have_count(1)
    assert chart.evaluate(DRAWN) > 20


def test_the_home_chart_labels_every_zone(page, login, world):
    a_year_of_reserve(world)
    login(page, world.admin)
    page.goto("/")
    chart = page.locator("[data-chart]").first
    expect(chart.locator("canvas")).to_have_count(1)
    # Every zone's name is on the axis (ECharts keeps the labels of the option it drew).
    labels = chart.evaluate(
        "(el) => echarts.getInstanceByDom(el).getModel().getComponent('xAxis').axis.getViewLabels().length"
    )
    assert labels == 3
