"""Warnings with a forecast (RES-3): the months of cover left after pending demand at the drawdown
of the last whole quarters, the levels it raises, the warnings page that leads with the zones that
need action, its exports, and the daily check that announces each rise once."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import ROUND_DOWN, Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.factories import EnterpriseFactory
from tests.reserve.conftest import T, line
from tests.reserve.test_pages import pdf_text
from tests.test_english_pages import chinese_left, english_client, readable_text, typed_values
from tests.thread_helpers import run_at_once
from tests.xlsx_helpers import read_export, response_bytes
from totalquota.ledger import services as ledger
from totalquota.ledger.models import AccountKind, Phase, Transfer
from totalquota.outbox.models import OutboxEvent
from totalquota.registry.models import Enterprise, RuleParameter, Zone
from totalquota.reserve import selectors, services
from totalquota.reserve.models import WarningState

pytestmark = pytest.mark.django_db

_keys = itertools.count(1)
# A past period, so that the as-of day is fixed: the drawdown is that of 2024 Q2 … 2025 Q1.
START, END = dt.date(2025, 4, 1), dt.date(2025, 6, 30)


@pytest.fixture
def spend(world):
    """Draw ``grams`` of ``pollutant`` from ``zone``'s lots into a construction project's
    allocation, effective ``on``; the transfer's amount is returned."""

    def draw(zone, pollutant, grams, on):
        holder = Enterprise.objects.filter(zone=zone).order_by("pk").first()
        allocation = ledger.account_open(
            actor=world.admin.principal,
            zone=zone,
            pollutant=pollutant,
            kind=AccountKind.ALLOCATION,
            holder_enterprise=holder,
            opened_on=on,
            label="建设项目",
        )
        ledger.draw(
            actor=world.reviewer.principal,
            zone=zone,
            pollutant=pollutant,
            amount_grams=grams,
            to_account=allocation,
            effective_date=on,
            reason="项目分配",
            clause_id="RES-2",
            idempotency_key=f"forecast-{next(_keys)}",
        )
        return grams

    return draw


def row_of(rows, zone, code):
    return next(r for r in rows if r.zone == zone and r.pollutant.code == code)


def months(remaining: int, per_month: int) -> Decimal:
    return (Decimal(remaining) / Decimal(per_month)).quantize(Decimal("0.1"), rounding=ROUND_DOWN)


def test_the_forecast_is_the_rest_after_demand_over_the_drawdown_of_the_last_four_whole_quarters(
    world, p, stock, spend
):
    stock(world.zone_a, "VOCS", 10 * T, on=dt.date(2024, 1, 1))
    stock(world.zone_b, "VOCS", 10 * T, on=dt.date(2024, 1, 1))
    before = spend(world.zone_a, p["VOCS"], 500_000, dt.date(2024, 3, 31))  # the quarter before the window
    inside = [
        spend(world.zone_a, p["VOCS"], 1_234_567, dt.date(2024, 4, 1)),
        spend(world.zone_a, p["VOCS"], 654_321, dt.date(2024, 11, 20)),
        spend(world.zone_a, p["VOCS"], 300_001, dt.date(2025, 3, 31)),
    ]
    after = spend(world.zone_a, p["VOCS"], 400_000, dt.date(2025, 4, 15))  # the as-of quarter itself
    spend(world.zone_b, p["VOCS"], 2 * T, dt.date(2024, 6, 1))  # another zone's spending
    # Independently of the page: the grams the ledger moved out of zone A's lots in the window.
    window = Transfer.objects.filter(
        debit__zone=world.zone_a,
        debit__kind=AccountKind.LOT,
        phase=Phase.POSTED,
        effective_date__range=(dt.date(2024, 4, 1), dt.date(2025, 3, 31)),
    )
    assert sum(t.amount_grams for t in window) == sum(inside)
    per_month = sum(inside) // 12
    remaining = 10 * T - before - sum(inside) - after

    row = row_of(selectors.zone_warnings(START, END), world.zone_a, "VOCS")

    assert row.drawdown_per_month_grams == per_month == 182_407
    assert row.balance == remaining and row.demand == 0
    assert row.months_of_cover == months(remaining, per_month) == Decimal("37.8")
    # 37 whole months after 2025-06-30 is 2028-07-30; then 0.87… of the 31 days to 2028-08-30.
    part = (remaining - 37 * per_month) * 31 // per_month
    assert row.exhausted_on == dt.date(2028, 7, 30) + dt.timedelta(days=part) == dt.date(2028, 8, 26)
    # 37.8 months is above both cover lines; the level is the period's own spending without income.
    assert not any("个月" in r for r in row.reasons) and row.level == "warning"
    other = row_of(selectors.zone_warnings(START, END), world.zone_b, "VOCS")
    assert other.drawdown_per_month_grams == 2 * T // 12


def test_pending_demand_comes_off_before_the_cover_is_counted(world, p, stock, spend, draft):
    stock(world.zone_a, "VOCS", 3 * T, on=last_quarter_day() - dt.timedelta(days=1))
    spent = spend(world.zone_a, p["VOCS"], 1_200_000, last_quarter_day())
    application = draft([line(p["VOCS"], project_env=600_000)])
    services.application_submit(actor=world.company_user.principal, application=application)
    today = timezone.localdate()
    row = row_of(selectors.zone_warnings(today.replace(month=1, day=1), today), world.zone_a, "VOCS")
    assert row.demand == 600_000 and row.balance == 3 * T - spent
    assert row.drawdown_per_month_grams == spent // 12 == 100_000
    assert row.months_of_cover == months(3 * T - spent - 600_000, spent // 12) == Decimal("12.0")


def test_no_drawdown_means_unlimited_cover(world, p, stock):
    stock(world.zone_a, "COD", 5 * T, on=dt.date(2024, 1, 1))
    row = row_of(selectors.zone_warnings(START, END), world.zone_a, "COD")
    assert row.drawdown_per_month_grams == 0
    assert row.months_of_cover is None and row.exhausted_on is None and row.level == "normal"


def test_nothing_left_after_demand_is_no_cover_and_runs_out_on_the_day(world, p, stock, spend):
    stock(world.zone_a, "VOCS", 1_200_000, on=dt.date(2024, 1, 1))
    spend(world.zone_a, p["VOCS"], 1_200_000, dt.date(2024, 6, 1))
    row = row_of(selectors.zone_warnings(START, END), world.zone_a, "VOCS")
    assert row.balance == 0 and row.months_of_cover == Decimal("0.0")
    assert row.exhausted_on == END and row.level == "warning"


@pytest.mark.parametrize(
    ("cover", "level"),
    [
        ("6D-1", "warning"),
        ("6D", "attention"),
        ("12D-1", "attention"),
        ("12D", "normal"),
    ],
)
def test_the_cover_lines_are_strict_at_their_boundaries(world, p, stock, spend, cover, level):
    per_month = 100_000
    left = {
        "6D-1": 6 * per_month - 1,
        "6D": 6 * per_month,
        "12D-1": 12 * per_month - 1,
        "12D": 12 * per_month,
    }[cover]
    stock(world.zone_a, "VOCS", 12 * per_month + left, on=dt.date(2024, 1, 1))
    spend(world.zone_a, p["VOCS"], 12 * per_month, dt.date(2024, 8, 1))
    row = row_of(selectors.zone_warnings(START, END), world.zone_a, "VOCS")
    assert row.drawdown_per_month_grams == per_month and row.balance == left
    assert row.level == level
    assert any("个月" in r for r in row.reasons) == (level != "normal")


def test_the_lines_and_the_window_are_rule_parameters(world, p, stock, spend):
    stock(world.zone_a, "VOCS", 1_900_000, on=dt.date(2024, 1, 1))
    spend(world.zone_a, p["VOCS"], 1_200_000, dt.date(2024, 8, 1))
    row = row_of(selectors.zone_warnings(START, END), world.zone_a, "VOCS")
    assert row.months_of_cover == Decimal("7.0") and row.level == "attention"
    RuleParameter.objects.create(
        key="warning_cover_warning_months", value=8, effective_from=dt.date(2025, 1, 1), clause_id="RES-3"
    )
    RuleParameter.objects.create(
        key="warning_drawdown_quarters", value=2, effective_from=dt.date(2025, 1, 1), clause_id="RES-3"
    )
    # Two quarters (2024 Q4, 2025 Q1) hold no spending: no drawdown, unlimited cover.
    row = row_of(selectors.zone_warnings(START, END), world.zone_a, "VOCS")
    assert row.months_of_cover is None and row.level == "normal"
    assert row.snapshot["drawdown_quarters"]["value"] == 2
    row = row_of(selectors.zone_warnings(dt.date(2024, 10, 1), dt.date(2024, 12, 31)), world.zone_a, "VOCS")
    assert row.months_of_cover == Decimal("7.0") and row.level == "attention"  # the old rules then


# --- the page -------------------------------------------------------------------------------------


def last_quarter_day() -> dt.date:
    today = timezone.localdate()
    return dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1) - dt.timedelta(days=10)


@pytest.fixture
def three_zones(world, p, stock, spend):
    """Zone A VOCS at 3.0 months (warning), zone B VOCS at 9.0 (attention), zone C VOCS at 30.0
    (normal), zone A COD without drawdown (normal): each lot opened the day before its spending in
    the last whole quarter, so that the period's spending never outruns its income."""
    on, opened = last_quarter_day(), last_quarter_day() - dt.timedelta(days=1)
    per_month = 100_000
    zone_c = Zone.objects.get(code="C")
    EnterpriseFactory(zone=zone_c, name="苏州丙科技有限公司")
    for zone, left in ((world.zone_a, 3), (zone_c, 30), (world.zone_b, 9)):
        stock(zone, "VOCS", (12 + left) * per_month, on=opened)
        spend(zone, p["VOCS"], 12 * per_month, on)
    stock(world.zone_a, "COD", 5 * T, on=opened)


def test_the_page_leads_with_the_zones_that_need_action_and_folds_the_normal_ones(client, world, three_zones):
    client.force_login(world.leader)
    page = client.get(reverse("reserve:warnings"))
    shown = [(r.zone.code, r.pollutant.code, r.level, r.months_of_cover) for r in page.context["shown"]]
    rows = page.context["rows"]
    assert shown == [("A", "VOCS", "warning", Decimal("3.0")), ("B", "VOCS", "attention", Decimal("9.0"))]
    assert all(r.level != "normal" for r in page.context["shown"])
    normal = [r for r in rows if r.level == "normal"]
    assert normal and not any(r in page.context["shown"] for r in normal)
    html = page.content.decode()
    assert f"另有 {len(normal)} 项正常，已折叠" in html
    counts = page.context["counts"]
    assert counts["normal"] == len(normal) and sum(counts.values()) == len(rows)
    everything = client.get(reverse("reserve:warnings"), {"show": "all"})
    assert [r.zone.code for r in everything.context["shown"]][: len(shown)] == [s[0] for s in shown]
    assert len(everything.context["shown"]) == len(rows)
    text = everything.content.decode()
    assert text.count('<td class="num">0.1</td>') >= 3  # 0.1 t/a drawn a month in each VOCS row
    cod = row_of(rows, world.zone_a, "COD")
    assert cod.months_of_cover is None
    assert text.count('title="无消耗">—</span>') >= 1


def test_the_exports_carry_the_forecast(client, world, three_zones):
    client.force_login(world.reviewer)
    rows = read_export(response_bytes(client.get(reverse("reserve:warnings"), {"format": "xlsx"})))
    head = rows[0]
    cover, drawdown, out = head.index("可保障月数"), head.index("月均消耗"), head.index("预计耗尽日期")
    a = next(r for r in rows[1:] if r[0] == world.zone_a.name and r[1] == "挥发性有机物")
    assert Decimal(str(a[cover])) == Decimal("3.0") and Decimal(str(a[drawdown])) == Decimal("0.1")
    assert a[out] is not None and a[out] != "—"
    cod = next(r for r in rows[1:] if r[0] == world.zone_a.name and r[1] == "化学需氧量")
    assert cod[cover] == "无消耗" and cod[out] == "—"
    assert rows[1][0] == world.zone_a.name  # the export leads with the zones needing action too
    text = re.sub(r"\s+", "", pdf_text(client.get(reverse("reserve:warnings"), {"format": "pdf"}).content))
    assert "可保障月数" in text and "预计可保障3.0个月" in text and "无消耗" in text


def test_the_page_is_english(world, three_zones):
    client = english_client(world.leader)
    for query in ({}, {"show": "all"}):
        response = client.get(reverse("reserve:warnings"), query)
        text = readable_text(response.content.decode())
        assert chinese_left(text, typed_values()) == [], text
        assert "Months of cover" in text


# --- the daily check --------------------------------------------------------------------------------


def raised() -> list[dict]:
    return list(
        OutboxEvent.objects.filter(topic="reserve.warning.raised")
        .order_by("id")
        .values_list("payload", flat=True)
    )


def test_the_check_announces_each_rise_once(world, p, stock, spend):
    today = timezone.localdate()
    lot_day = last_quarter_day() - dt.timedelta(days=1)
    stock(world.zone_a, "VOCS", 12 * 100_000 + 9 * 100_000, on=lot_day)  # 9 months left: attention
    spend(world.zone_a, p["VOCS"], 12 * 100_000, last_quarter_day())
    stock(world.zone_b, "COD", 5 * T, on=lot_day)  # no drawdown: normal
    call_command("reserve_warnings", "--check")
    first = raised()
    assert first == [
        {
            "zone_id": world.zone_a.pk,
            "pollutant_id": p["VOCS"].pk,
            "level": "attention",
            "months_of_cover": "9.0",
            "balance_grams": 9 * 100_000,
            "demand_grams": 0,
        }
    ]
    call_command("reserve_warnings", "--check")
    assert raised() == first  # the same day again: nothing new
    state = WarningState.objects.get(zone=world.zone_a, pollutant=p["VOCS"])
    assert state.level == "attention" and state.checked_on == today
    assert WarningState.objects.get(zone=world.zone_b, pollutant=p["COD"]).level == "normal"


def test_only_a_rise_is_announced(world, p, stock, spend):
    lot_day = last_quarter_day() - dt.timedelta(days=1)
    stock(world.zone_a, "VOCS", 12 * 100_000 + 9 * 100_000, on=lot_day)
    spend(world.zone_a, p["VOCS"], 12 * 100_000, last_quarter_day())
    assert len(services.warnings_check()) == 1
    # A fall (a large intake: normal again) is stored and not announced.
    stock(world.zone_a, "VOCS", 100 * T, on=lot_day)
    assert services.warnings_check() == [] and len(raised()) == 1
    assert WarningState.objects.get(zone=world.zone_a, pollutant=p["VOCS"]).level == "normal"
    # Spending the reserve down again (0.4 t left at 8.475 t a month: warning) is a new rise.
    spend(world.zone_a, p["VOCS"], 100_500_000, last_quarter_day() + dt.timedelta(days=1))
    assert len(services.warnings_check()) == 1
    assert [(e["level"], e["months_of_cover"]) for e in raised()] == [
        ("attention", "9.0"),
        ("warning", "0.0"),
    ]
    # From warning back to attention is no rise either.
    stock(world.zone_a, "VOCS", 7 * 8_475_000, on=lot_day)
    assert services.warnings_check() == []
    assert WarningState.objects.get(zone=world.zone_a, pollutant=p["VOCS"]).level == "attention"


def test_the_schedule_queues_one_daily_check(db):
    from django_tasks_db.models import DBTaskResult

    from totalquota.reserve import tasks

    call_command("reserve_warnings", "--schedule")
    call_command("reserve_warnings", "--schedule")
    assert DBTaskResult.objects.filter(task_path=tasks.check_daily.module_path, status="READY").count() == 1


def test_the_command_needs_an_option(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("reserve_warnings")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_checks_at_once_announce_a_rise_once(world, p, stock, spend):
    stock(world.zone_a, "VOCS", 12 * 100_000 + 3 * 100_000, on=last_quarter_day() - dt.timedelta(days=1))
    spend(world.zone_a, p["VOCS"], 12 * 100_000, last_quarter_day())
    results = run_at_once(lambda n: len(services.warnings_check()), 2)
    assert sorted(results) == [0, 1]
    assert len(raised()) == 1


def test_the_api_gives_the_forecast(client, world, three_zones):
    client.force_login(world.leader)
    rows = client.get("/api/v1/reserve/warnings").json()
    a = next(r for r in rows if r["zone"] == world.zone_a.code and r["pollutant"] == "VOCS")
    cod = next(r for r in rows if r["zone"] == world.zone_a.code and r["pollutant"] == "COD")
    assert a["months_of_cover"] == "3.0" and a["drawdown_per_month_grams"] == 100_000
    assert a["exhausted_on"] is not None and a["level"] == "warning"
    assert cod["months_of_cover"] is None and cod["exhausted_on"] is None
