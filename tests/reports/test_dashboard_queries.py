"""Each dashboard reads a fixed number of queries, whatever the size of the ledger and the park."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import EnterpriseFactory
from totalquota.emissions.models import ListEntry
from totalquota.ledger.models import SourceType

# Queries per page (the session and user included), the same for both data sizes below.
PAGES = {
    "park": ("reviewer", "/supervision/dashboards/park/", {}, 33),
    "park_known": ("reviewer", "/supervision/dashboards/park/", {"as_of": "2025-09-30", "view": "known"}, 36),
    "park_today": ("reviewer", "/supervision/dashboards/park/", {"as_of": "2025-09-30"}, 35),
    "zone": ("officer", "/supervision/dashboards/zone/{zone_a}/", {}, 31),
    "leader": ("leader", "/supervision/dashboards/overview/", {}, 33),
    "leader_known": (
        "leader",
        "/supervision/dashboards/overview/",
        {"as_of": "2025-09-30", "view": "known"},
        36,
    ),
    "unit": ("company_user", "/supervision/dashboards/unit/", {}, 12),
    "unit_today": ("company_user", "/supervision/dashboards/unit/", {"as_of": "2025-09-30"}, 13),
}


def grow(world, size, vocs, cod, intake, allocate):
    """``size`` units per zone on last year's management list, each with a VOCS and a COD project,
    and ``size`` quarterly intakes per zone and pollutant over two years."""
    for zone in (world.zone_a, world.zone_b):
        for n in range(size):
            for pollutant in (vocs, cod):
                intake(zone, pollutant, 5_000_000, on=dt.date(2024, 1 + (n % 4) * 3, 5))
                intake(zone, pollutant, 300_000, on=dt.date(2025, 7, 2), source=SourceType.UPPER_GRANT)
        units = [world.company if zone == world.zone_a else world.other_company]
        units += [EnterpriseFactory(zone=zone) for _ in range(size - 1)]
        for unit in units:
            ListEntry.objects.create(
                year=2025, enterprise=unit, zone=zone, added_by=world.admin, basis="重点排污单位"
            )
            allocate(unit, vocs, 400_000, on=dt.date(2025, 3, 3))
            allocate(unit, cod, 700_000, on=dt.date(2025, 8, 3))


@pytest.mark.parametrize("size", [1, 4])
@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_dashboard_reads_the_same_number_of_queries_with_more_data(
    client, world, vocs, cod, intake, allocate, django_assert_num_queries, page, size
):
    grow(world, size, vocs, cod, intake, allocate)
    who, url, query, queries = PAGES[page]
    client.force_login(getattr(world, who))
    url = url.format(zone_a=world.zone_a.pk)
    client.get(url, query)  # the first request of a session settles its user lookup
    with django_assert_num_queries(queries):
        response = client.get(url, query)
    assert response.status_code == 200
