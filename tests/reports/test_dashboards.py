"""The dashboards' figures against the ledger, the two as-of views, and who sees which dashboard."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from totalquota.documents.models import DocumentKind, IssuedDocument
from totalquota.ledger.models import Phase, SourceType, Transfer
from totalquota.registry.models import Zone

PARK = "/supervision/dashboards/park/"
POSTED = (Phase.POSTED, Phase.POST_PENDING)


def cells(response) -> dict[tuple[int, str], int]:
    """``{(zone id, pollutant code): grams}`` as the balances table shows them."""
    html = response.content.decode()
    table = html[html.index('id="dashboard-balances"') :]
    table = table[: table.index("</table>")]
    return {
        (int(zone), code): int(grams)
        for zone, row in re.findall(r'<tr data-zone="(\d+)">(.*?)</tr>', table, re.S)
        for code, grams in re.findall(r'data-pollutant="(\w+)" data-grams="(-?\d+)"', row)
    }


def charts(response) -> list[dict]:
    html = response.content.decode()
    found = re.search(
        r'<script id="dashboard-charts-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, "the page carries its charts' data"
    return json.loads(found.group(1))


def ledger_balance(zone, pollutant, *, as_of=None, known_at=None) -> int:
    """The zone's reserve summed here, transfer by transfer, from the ledger's own rows."""
    total = 0
    for t in Transfer.objects.filter(pollutant=pollutant, phase__in=POSTED):
        if as_of is not None and t.effective_date > as_of:
            continue
        if known_at is not None and t.created_at > known_at:
            continue
        total += t.amount_grams * ((t.credit_lot_zone_id == zone.pk) - (t.debit_lot_zone_id == zone.pk))
    return total


@pytest.fixture
def reserve(world, vocs, cod, intake, allocate):
    """Two zones' reserves over 2024-2025: intakes, an upper-level grant and allocations."""
    intake(world.zone_a, vocs, 4_000_000, on=dt.date(2024, 3, 1))
    intake(world.zone_a, vocs, 2_500_000, on=dt.date(2025, 1, 10))
    intake(world.zone_a, vocs, 700_000, on=dt.date(2025, 4, 2), source=SourceType.UPPER_GRANT)
    intake(world.zone_b, vocs, 3_000_000, on=dt.date(2025, 2, 1))
    intake(world.zone_a, cod, 9_000_000, on=dt.date(2025, 2, 1))
    allocate(world.company, vocs, 1_200_000, on=dt.date(2025, 5, 20))
    allocate(world.company, cod, 2_000_000, on=dt.date(2025, 7, 1))
    allocate(world.other_company, vocs, 800_000, on=dt.date(2025, 8, 1))
    return world


def test_the_park_dashboard_shows_each_zones_reserve_as_the_ledger_sums_it(client, reserve, vocs, cod):
    client.force_login(reserve.reviewer)
    shown = cells(client.get(PARK))
    for zone in (reserve.zone_a, reserve.zone_b):
        for pollutant in (vocs, cod):
            assert shown[(zone.pk, pollutant.code)] == ledger_balance(zone, pollutant)
    assert shown[(reserve.zone_a.pk, "VOCS")] == 4_000_000 + 2_500_000 + 700_000 - 1_200_000


def test_income_and_spending_by_quarter_are_the_ledgers_intakes_grants_and_allocations(client, reserve, vocs):
    client.force_login(reserve.admin)
    flows = charts(client.get(PARK, {"as_of": "2025-12-31", "pollutant": "VOCS"}))[1]["option"]
    quarters = flows["xAxis"]["data"]
    series = {s["name"]: s["data"] for s in flows["series"]}
    want: dict[str, dict[str, float]] = {"intake": {}, "upper_grant": {}, "allocation": {}}
    for t in Transfer.objects.filter(pollutant=vocs, phase__in=POSTED, code__in=list(want)):
        quarter = f"{t.effective_date.year}Q{(t.effective_date.month - 1) // 3 + 1}"
        want[t.code][quarter] = want[t.code].get(quarter, 0) + t.amount_grams / 1_000_000
    assert series["季度入库"] == [want["intake"].get(q, 0) for q in quarters]
    assert series["上级下达"] == [want["upper_grant"].get(q, 0) for q in quarters]
    assert series["分配（支出）"] == [want["allocation"].get(q, 0) for q in quarters]
    assert sum(series["分配（支出）"]) == 2.0  # 1.2 t/a in zone A and 0.8 t/a in zone B


def test_a_back_dated_intake_shows_with_todays_knowledge_and_not_as_known_before_it(
    client, reserve, vocs, intake
):
    known_at = timezone.now()
    late = intake(
        reserve.zone_a, vocs, 333_000, on=dt.date(2025, 2, 15)
    )  # recorded now, effective in February
    client.force_login(reserve.reviewer)
    known = client.get(PARK, {"as_of": "2025-03-31", "view": "known", "known_at": known_at.isoformat()})
    today = client.get(PARK, {"as_of": "2025-03-31", "view": "today"})
    assert "如当时所知" in known.content.decode() and 'data-mode="known"' in known.content.decode()
    assert 'data-mode="today"' in today.content.decode()
    then, now = cells(known), cells(today)
    key = (reserve.zone_a.pk, "VOCS")
    assert now[key] - then[key] == late.balance.credits_posted == 333_000
    assert then[key] == ledger_balance(reserve.zone_a, vocs, as_of=dt.date(2025, 3, 31), known_at=known_at)
    assert now[key] == ledger_balance(reserve.zone_a, vocs, as_of=dt.date(2025, 3, 31))
    assert {k: v for k, v in then.items() if k != key} == {k: v for k, v in now.items() if k != key}


def test_an_issued_bulletin_gives_the_known_at_view_of_its_issue(client, reserve, vocs, intake):
    known_at = timezone.now()
    bulletin = IssuedDocument.objects.create(
        kind=DocumentKind.BULLETIN,
        year=2025,
        number=1,
        code="园环通〔2025〕1号",
        subject_type=ContentType.objects.get_for_model(Zone),  # the bulletin's own record comes later
        subject_id=reserve.zone_a.pk,
        holder="",
        subject_label="2025 年第一季度储备收支预警通报",
        issued_on=dt.date(2025, 4, 5),
        figures={"basis": {"as_of": "2025-03-31", "known_at": known_at.isoformat()}},
        verification_code="test-bulletin-1",
        issued_by=reserve.admin,
    )
    intake(reserve.zone_a, vocs, 111_000, on=dt.date(2025, 3, 1))  # imported after the bulletin
    client.force_login(reserve.reviewer)
    offered = client.get(PARK).content.decode()
    assert f'<option value="{bulletin.pk}">{bulletin.code}' in offered
    page = client.get(PARK, {"bulletin": bulletin.pk})
    assert bulletin.code in page.content.decode()
    shown = cells(page)[(reserve.zone_a.pk, "VOCS")]
    assert shown == ledger_balance(reserve.zone_a, vocs, as_of=dt.date(2025, 3, 31), known_at=known_at)
    assert cells(client.get(PARK, {"as_of": "2025-03-31"}))[(reserve.zone_a.pk, "VOCS")] == shown + 111_000


@pytest.mark.parametrize(
    "query",
    [
        {"as_of": "2025-13-01"},
        {"as_of": "2999-01-01"},
        {"as_of": "2025-01-01", "view": "sometimes"},
        {"as_of": "2025-01-01", "view": "known", "known_at": "yesterday"},
        {"bulletin": "12345"},
        {"bulletin": "x"},
        {"as_of": "0001-01-01"},
        {"as_of": "2000-01-01"},
        {"as_of": "2020-12-31", "view": "known"},
    ],
)
@pytest.mark.parametrize("page", [PARK, "/supervision/dashboards/overview/", "/supervision/dashboards/unit/"])
def test_a_bad_as_of_query_is_refused_with_422(client, world, query, page):
    client.force_login(
        {PARK: world.reviewer}.get(page) or (world.leader if "overview" in page else world.company_user)
    )
    assert client.get(page, query).status_code == 422


def test_a_day_no_warning_rule_was_in_force_on_is_refused_not_a_server_error(client, world):
    from totalquota.registry.models import RuleParameter

    RuleParameter.objects.filter(key__startswith="warning_").update(effective_from=dt.date(2024, 1, 1))
    client.force_login(world.reviewer)
    refused = client.get(PARK, {"as_of": "2023-06-30"})
    assert refused.status_code == 422 and "没有生效的规则参数" in refused.content.decode()


def test_a_zone_officer_sees_their_zone_and_not_another(client, reserve, vocs):
    client.force_login(reserve.officer)
    own = client.get("/supervision/dashboards/zone/", follow=True)
    assert own.status_code == 200
    shown = cells(own)
    assert set(z for z, _c in shown) == {reserve.zone_a.pk}
    assert shown[(reserve.zone_a.pk, "VOCS")] == ledger_balance(reserve.zone_a, vocs)
    assert client.get(f"/supervision/dashboards/zone/{reserve.zone_b.pk}/").status_code == 404
    assert client.get(PARK).status_code == 403


def test_the_leader_overview_compares_the_year_with_the_last(client, reserve, vocs):
    client.force_login(reserve.leader)
    page = client.get("/supervision/dashboards/overview/", {"as_of": "2025-12-31"})
    html = page.content.decode()
    row = re.search(r'<tr data-pollutant="VOCS">(.*?)</tr>', html, re.S).group(1)
    fields = dict(re.findall(r'data-grams="(-?\d+)" data-field="(\w+)"', row)[i][::-1] for i in range(3))
    park = ledger_balance(reserve.zone_a, vocs) + ledger_balance(reserve.zone_b, vocs)
    assert int(fields["balance"]) == park
    assert int(fields["income"]) == 2_500_000 + 700_000 + 3_000_000
    assert int(fields["spent"]) == 1_200_000 + 800_000
    # 2024 ended with 4 t/a; 2025 with 8.2 t/a: +105%.
    assert "+105.0%" in row
    trend = charts(page)[0]["option"]
    assert trend["xAxis"]["data"] == ["2021", "2022", "2023", "2024", "2025"]
    assert trend["series"][0]["data"] == [0.0, 0.0, 0.0, 4.0, 8.2]


def test_a_unit_sees_its_own_quota_and_not_its_neighbours(client, reserve):
    client.force_login(reserve.company_user)
    html = client.get("/supervision/dashboards/unit/").content.decode()
    quota = dict(
        re.findall(r'<tr data-pollutant="(\w+)"><td>.*?</td><td class="num" data-grams="(\d+)"', html)
    )
    assert quota == {"VOCS": "1200000", "COD": "2000000"}  # not the other unit's 0.8 t/a of VOCS
    client.force_login(reserve.other_company_user)
    html = client.get("/supervision/dashboards/unit/").content.decode()
    assert dict(
        re.findall(r'<tr data-pollutant="(\w+)"><td>.*?</td><td class="num" data-grams="(\d+)"', html)
    ) == {"VOCS": "800000"}
    assert client.get(PARK).status_code == 403


def test_a_units_quota_as_of_a_day_before_its_allocation_is_empty(client, reserve):
    client.force_login(reserve.company_user)
    html = client.get("/supervision/dashboards/unit/", {"as_of": "2025-06-15"}).content.decode()
    assert dict(
        re.findall(r'<tr data-pollutant="(\w+)"><td>.*?</td><td class="num" data-grams="(\d+)"', html)
    ) == {"VOCS": "1200000"}


def test_the_home_page_offers_each_role_its_dashboard(client, world):
    for user, url in (
        (world.reviewer, PARK),
        (world.officer, "/supervision/dashboards/zone/"),
        (world.leader, "/supervision/dashboards/overview/"),
        (world.company_user, "/supervision/dashboards/unit/"),
    ):
        client.force_login(user)
        assert f'href="{url}"' in client.get("/").content.decode()
