"""The ledger as people use it: the overview, the lists, an account's trace, a zone transfer and a
correction through the forms, and the API."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from tests.ledger.conftest import key
from tests.xlsx_helpers import export_name, read_export, response_bytes
from totalquota.ledger import selectors, services
from totalquota.ledger.models import Posting
from totalquota.reserve.models import QuotaAdjustment

pytestmark = pytest.mark.django_db


@pytest.fixture
def reserve(world, vocs, make_lot, make_allocation):
    lot_a = make_lot(world.zone_a, vocs, 2_000_000, on=dt.date(2024, 1, 1), ref="reductions.reductionline:1")
    lot_b = make_lot(world.zone_b, vocs, 1_000_000, on=dt.date(2024, 2, 1), ref="reductions.reductionline:2")
    allocation = make_allocation(world.company, vocs)
    draw = services.draw(
        actor=world.reviewer.principal,
        zone=world.zone_a,
        pollutant=vocs,
        amount_grams=500_000,
        to_account=allocation,
        effective_date=dt.date(2024, 6, 1),
        reason="项目分配",
        clause_id="RES-2",
        idempotency_key=key(),
    )
    return lot_a, lot_b, allocation, draw


def test_the_overview_shows_each_zone_now_and_as_of_a_past_date(client, world, reserve):
    client.force_login(world.leader)
    page = client.get(reverse("ledger:overview"))
    rows = {r["zone"].code: r for r in page.context["rows"]}
    vocs_a = next(c for c in rows["A"]["cells"] if c["pollutant"].code == "VOCS")
    assert vocs_a["posted"] == 1_500_000
    past = client.get(reverse("ledger:overview"), {"as_of": "2024-03-01"})
    rows = {r["zone"].code: r for r in past.context["rows"]}
    assert next(c for c in rows["A"]["cells"] if c["pollutant"].code == "VOCS")["posted"] == 2_000_000
    export = client.get(reverse("ledger:overview"), {"as_of": "2024-03-01", "export": "xlsx"})
    table = read_export(response_bytes(export))
    assert export_name(export) == "储备余额-2024年3月1日.xlsx"
    vocs_column = table[0].index("挥发性有机物（t/a）")
    assert [r[vocs_column] for r in table[1:] if r[0] == world.zone_a.name] == [2]


def test_a_zone_officer_sees_only_their_zone_on_the_overview(client, world, reserve):
    client.force_login(world.officer)
    page = client.get(reverse("ledger:overview"))
    assert [r["zone"].code for r in page.context["rows"]] == ["A"]


def test_an_allocation_page_traces_every_gram_to_its_lot_and_line(client, world, reserve):
    lot_a, _lot_b, allocation, _draw = reserve
    client.force_login(world.company_user)
    page = client.get(reverse("ledger:account_detail", args=[allocation.pk]))
    html = page.content.decode()
    assert lot_a.code in html and "0.5" in html
    assert page.context["trace"].balance == 500_000


def test_the_enterprise_lists_only_its_own_allocations(client, world, reserve):
    client.force_login(world.company_user)
    page = client.get(reverse("ledger:account_list"))
    assert [obj.kind for obj, _cells in page.context["rows"]] == ["allocation"]
    assert client.get(reverse("ledger:overview")).status_code == 302


def test_the_transfer_list_exports_what_it_shows(client, world, reserve):
    client.force_login(world.reviewer)
    response = client.get(reverse("ledger:transfer_list"), {"code": "allocation", "export": "xlsx"})
    rows = read_export(response_bytes(response))
    assert len(rows) == 2 and rows[1][2] == "分配"


def test_a_zone_transfer_is_proposed_by_one_admin_and_posted_when_another_person_confirms(
    client, world, reserve, vocs
):
    lot_a = reserve[0]
    client.force_login(world.admin)
    form = client.get(reverse("reserve:adjustment_zone_transfer") + f"?lot={lot_a.pk}")
    assert form.status_code == 200 and form.context["form"].initial["from_lot"] == str(lot_a.pk)
    data = {
        "from_lot": lot_a.pk,
        "to_zone": world.zone_b.pk,
        "amount": "0.3",
        "effective_date": "2025-01-02",
        "reason": "独墅湖区重点项目",
    }
    postings = Posting.objects.count()
    response = client.post(reverse("reserve:adjustment_zone_transfer"), data, follow=True)
    page = response.content.decode()
    assert "已拟定调剂" in page and "待确认" in page
    adjustment = QuotaAdjustment.objects.get()
    # Nothing moved yet, and the proposer is offered no confirm button (four eyes).
    assert Posting.objects.count() == postings
    assert selectors.zone_balance(world.zone_b, vocs).posted == 1_000_000
    assert 'id="confirm-adjustment"' not in page and 'id="withdraw-adjustment"' in page
    refused = client.post(reverse("reserve:adjustment_confirm", args=[adjustment.pk]), follow=True)
    assert "四眼原则" in refused.content.decode()
    assert selectors.zone_balance(world.zone_b, vocs).posted == 1_000_000

    client.force_login(world.reviewer)
    page = client.get(adjustment.get_absolute_url()).content.decode()
    assert 'id="confirm-adjustment"' in page and 'id="withdraw-adjustment"' not in page
    done = client.post(reverse("reserve:adjustment_confirm", args=[adjustment.pk]), follow=True)
    assert "已确认，储备调整已记账" in done.content.decode()
    client.post(reverse("reserve:adjustment_confirm", args=[adjustment.pk]))  # pressed twice: posted once
    assert selectors.zone_balance(world.zone_b, vocs).posted == 1_300_000
    assert selectors.zone_balance(world.zone_a, vocs).posted == 1_200_000
    adjustment.refresh_from_db()
    assert adjustment.status == "confirmed" and adjustment.decided_by == world.reviewer
    assert adjustment.posting.actor == world.reviewer and adjustment.posting.code == "zone_transfer"
    assert list(adjustment.transitions.values_list("action", flat=True)) == ["propose", "confirm"]


def test_a_rejected_or_withdrawn_adjustment_posts_nothing(client, world, reserve, vocs):
    lot_a = reserve[0]
    client.force_login(world.admin)
    data = {"from_lot": lot_a.pk, "to_zone": world.zone_b.pk, "amount": "0.3", "effective_date": "2025-01-02"}
    client.post(reverse("reserve:adjustment_zone_transfer"), data | {"reason": "第一次"})
    client.post(reverse("reserve:adjustment_zone_transfer"), data | {"reason": "第二次"})
    first, second = QuotaAdjustment.objects.order_by("pk")
    client.force_login(world.reviewer)
    without = client.post(reverse("reserve:adjustment_reject", args=[first.pk]), {"reason": ""}, follow=True)
    assert "退回须说明理由" in without.content.decode()
    client.post(reverse("reserve:adjustment_reject", args=[first.pk]), {"reason": "事由不足"})
    assert client.post(reverse("reserve:adjustment_withdraw", args=[second.pk])).status_code == 403
    second.refresh_from_db()
    assert second.status == "proposed"  # only the proposer withdraws
    client.force_login(world.admin)
    client.post(reverse("reserve:adjustment_withdraw", args=[second.pk]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("rejected", "withdrawn")
    assert first.posting is None and second.posting is None
    assert selectors.zone_balance(world.zone_b, vocs).posted == 1_000_000
    listing = client.get(reverse("reserve:adjustment_list"), {"status": "rejected"})
    assert listing.status_code == 200 and [a.pk for a in listing.context["object_list"]] == [first.pk]
    export = client.get(reverse("reserve:adjustment_list"), {"export": "xlsx"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_zone_transfer_without_a_reason_or_with_too_much_is_refused(client, world, reserve, vocs):
    lot_a = reserve[0]
    client.force_login(world.admin)
    base = {"from_lot": lot_a.pk, "to_zone": world.zone_b.pk, "effective_date": "2025-01-02"}
    response = client.post(
        reverse("reserve:adjustment_zone_transfer"), {**base, "amount": "0.3", "reason": ""}
    )
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    response = client.post(
        reverse("reserve:adjustment_zone_transfer"), {**base, "amount": "9", "reason": "调剂"}
    )
    assert "不得透支" in response.content.decode()
    response = client.post(
        reverse("reserve:adjustment_zone_transfer"), {**base, "amount": "0.0000001", "reason": "调剂"}
    )
    assert "精度过高" in response.content.decode()
    assert selectors.zone_balance(world.zone_b, vocs).posted == 1_000_000
    assert not QuotaAdjustment.objects.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "1989-12-31", "2101-01-01", "9999-12-31"])
def test_a_zone_transfer_with_an_implausible_date_is_refused_on_the_page_and_writes_nothing(
    client, world, reserve, vocs, day
):
    client.force_login(world.admin)
    before = (Posting.objects.count(), selectors.zone_balance(world.zone_b, vocs).posted)
    response = client.post(
        reverse("reserve:adjustment_zone_transfer"),
        {
            "from_lot": reserve[0].pk,
            "to_zone": world.zone_b.pk,
            "effective_date": day,
            "amount": "0.3",
            "reason": "调剂",
        },
    )
    assert response.status_code == 200
    assert "1990-01-01 至 2100-12-31" in str(response.context["form"].errors["effective_date"])
    assert (Posting.objects.count(), selectors.zone_balance(world.zone_b, vocs).posted) == before
    assert not QuotaAdjustment.objects.exists()


def test_a_correction_is_proposed_from_the_posting_and_the_grams_go_back_when_confirmed(
    client, world, reserve, vocs
):
    draw = reserve[3]
    client.force_login(world.admin)
    page = client.get(reverse("ledger:posting_detail", args=[draw.pk])).content.decode()
    assert 'id="correction-form"' in page
    url = reverse("reserve:adjustment_correct", args=[draw.pk])
    assert "请填写更正事由" in client.post(url, {"reason": ""}, follow=True).content.decode()
    response = client.post(url, {"reason": "录入错误"}, follow=True)
    assert "已拟定更正" in response.content.decode()
    again = client.post(url, {"reason": "录入错误"}, follow=True)  # one open correction per posting
    assert "已有待确认的更正" in again.content.decode()
    adjustment = QuotaAdjustment.objects.get()
    assert (
        adjustment.kind == "correction" and adjustment.target == draw and adjustment.amount_grams == 500_000
    )
    assert selectors.zone_balance(world.zone_a, vocs).posted == 1_500_000
    client.force_login(world.reviewer)
    assert (
        'id="correction-form"'
        not in client.get(reverse("ledger:posting_detail", args=[draw.pk])).content.decode()
    )
    client.post(reverse("reserve:adjustment_confirm", args=[adjustment.pk]))
    assert selectors.zone_balance(world.zone_a, vocs).posted == 2_000_000
    assert Posting.objects.filter(reverses=draw).count() == 1


def test_the_api_gives_balances_now_and_as_of_and_an_accounts_provenance(client, world, reserve):
    allocation = reserve[2]
    client.force_login(world.reviewer)
    now = client.get("/api/v1/ledger/balances", {"zone": "A", "pollutant": "VOCS"}).json()
    assert now == [
        {
            "zone": "A",
            "zone_name": world.zone_a.name,
            "pollutant": "VOCS",
            "unit": "t/a",
            "posted_grams": 1_500_000,
            "held_grams": 0,
            "available_grams": 1_500_000,
            "posted": "1.5",
            "as_of": None,
        }
    ]
    past = client.get(
        "/api/v1/ledger/balances", {"zone": "A", "pollutant": "VOCS", "as_of": "2024-03-01"}
    ).json()
    assert past[0]["posted_grams"] == 2_000_000
    detail = client.get(f"/api/v1/ledger/accounts/{allocation.pk}").json()
    assert detail["posted_grams"] == 500_000
    assert [(p["source_ref"], p["grams"]) for p in detail["provenance"]] == [
        ("reductions.reductionline:1", 500_000)
    ]
    bad = client.get("/api/v1/ledger/balances", {"as_of": "not-a-date"})
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"


def test_the_overview_chart_data_is_one_json_object_the_page_script_can_draw(client, world, reserve):
    client.force_login(world.leader)
    page = client.get(reverse("ledger:overview"))
    html = page.content.decode()
    start = html.index('<script id="chart-data" type="application/json">') + len(
        '<script id="chart-data" type="application/json">'
    )
    data = json.loads(html[start : html.index("</script>", start)])
    assert isinstance(data, dict), "the chart data was encoded twice"
    assert world.zone_a.name in json.dumps(data, ensure_ascii=False)
