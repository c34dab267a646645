"""The provenance picture in the browser: the Sankey draws, and clicking a band opens its page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.ledger_helpers import open_stock
from totalquota.ledger import services as ledger
from totalquota.ledger.models import AccountKind
from totalquota.registry.models import Pollutant

pytestmark = pytest.mark.django_db(transaction=True)

DRAWN = """el => {
  const canvas = el.querySelector('canvas');
  if (!canvas) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted;
}"""


def test_the_sankey_draws_and_a_band_opens_its_records(page, login, world, screenshot):
    from django.utils import timezone

    vocs = Pollutant.objects.get(code="VOCS")
    open_stock(world.admin, world.zone_a, vocs, 4_000_000, key="e2e-prov", label="期初储备")
    allocation = ledger.account_open(
        actor=world.admin.principal,
        zone=world.zone_a,
        pollutant=vocs,
        kind=AccountKind.ALLOCATION,
        holder_enterprise=world.company,
        opened_on=timezone.localdate(),
        label="电路板扩建项目",
    )
    ledger.draw(
        actor=world.reviewer.principal,
        zone=world.zone_a,
        pollutant=vocs,
        amount_grams=3_000_000,
        to_account=allocation,
        effective_date=timezone.localdate(),
        reason="项目分配",
        clause_id="RES-2",
        idempotency_key="e2e-prov-draw",
    )
    login(page, world.leader)
    page.goto("/supervision/provenance/?pollutant=VOCS")
    chart = page.locator("#provenance-chart")
    expect(chart).to_have_attribute("data-drawn", "1")
    page.wait_for_function(f"() => ({DRAWN})(document.getElementById('provenance-chart')) > 1000")
    screenshot(page, "supervision-provenance")
    # The first band runs from the source (left column) to the zone (middle), across the chart's
    # middle height: click a quarter of the way across.
    box = chart.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + 36 + (box["height"] - 48) / 2)
    page.wait_for_url(re.compile(r"/supervision/provenance/band/\?"))
    expect(page.locator("#band-total")).to_have_text("3")
    expect(page.locator("#band-records")).to_contain_text("期初储备")
    expect(page.locator("#band-transfers")).to_contain_text("分配")
