"""The provenance picture: bands from the sources (reduction projects by type, recovery, upper-level
grants, the opening reserve) through the zones' reserves to the construction projects, each equal
to the ledger's transfers behind it, with the page of each band, its filters and its scope."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.ledger_helpers import open_stock
from tests.reserve.conftest import T, line
from tests.reserve.test_intake_upper_recovery import approved_line, recover_decided, this_quarter
from tests.test_english_pages import chinese_left, english_client, readable_text, typed_values
from tests.xlsx_helpers import read_export, response_bytes
from totalquota.ledger import services as ledger
from totalquota.ledger.models import Account, AccountKind, Phase, SourceType, Transfer
from totalquota.reserve import services
from totalquota.reserve.models import RecoveryKind

pytestmark = pytest.mark.django_db

POSTED = (Phase.POSTED, Phase.POST_PENDING)
_keys = itertools.count(1)


def into(account) -> int:
    """Grams posted into ``account`` and not reversed: the ledger's own transfers."""
    rows = Transfer.objects.filter(credit=account, phase__in=POSTED, reversed_by__isnull=True)
    return sum(rows.values_list("amount_grams", flat=True))


def from_lot_into_uses(lot) -> int:
    """Grams posted from ``lot`` into allocations or the upper level (not reversed)."""
    rows = Transfer.objects.filter(
        debit=lot, credit__kind__in=("allocation", "upper_level"), phase__in=POSTED, reversed_by__isnull=True
    )
    return sum(rows.values_list("amount_grams", flat=True))


def approve(world, enterprise_user, grams, *, name):
    application = services.application_create(
        actor=enterprise_user.principal,
        enterprise=enterprise_user.enterprise,
        project_name=name,
        location="苏州工业园区",
        eia_reference="苏园环建〔2026〕1号",
        lines=[line(world_p(), project_env=grams)],
    )
    from tests.reserve.conftest import add_review_documents

    add_review_documents(application, enterprise_user.principal)
    services.application_submit(actor=enterprise_user.principal, application=application)
    application.refresh_from_db()
    if application.route == "review":
        services.application_propose(
            actor=world.reviewer.principal, application=application, proposal="拟同意"
        )
        services.application_approve(actor=world.reviewer2.principal, application=application, reason="同意")
    else:
        services.application_approve(actor=world.reviewer.principal, application=application)
    application.refresh_from_db()
    return application


def world_p():
    from totalquota.registry.models import Pollutant

    return Pollutant.objects.get(code="VOCS")


@pytest.fixture
def flows(world):
    """Zone A's VOCs reserve: an opening lot (1 t, oldest), two reduction lots from projects of two
    types (2.5 t each, this quarter's intake), an upper-level grant (1 t); application 1 takes 3 t
    (opening 1 t + 2 t of the structural line), 0.5 t of it comes back by recovery; application 2
    then takes the rest (4.5 t: structural, process, grant, recovery). Zone B: an opening lot and
    a last-year draw (outside the period) and this year's 1.5 t application of the other unit."""
    vocs = world_p()
    open_stock(world.admin, world.zone_a, vocs, T, key="prov-a", on=dt.date(2024, 1, 1), label="期初")
    structural = approved_line(world, name="甲厂喷涂线关停")
    process = approved_line(
        world,
        name="甲厂溶剂替代",
        project_type="process",
        subtype="material_substitution",
        operating_status="operating",
    )
    run = services.intake_prepare(
        actor=world.admin.principal, year=this_quarter()[0], quarter=this_quarter()[1]
    )
    services.intake_confirm(actor=world.reviewer.principal, run=run)
    request = services.upper_request(
        actor=world.admin.principal, zone=world.zone_a, pollutant=vocs, amount_grams=T, reason="储备不足"
    )
    services.upper_grant(
        actor=world.reviewer.principal, request=request, granted_grams=T, reference="苏环总〔2026〕8号"
    )
    first = approve(world, world.company_user, 3 * T, name="一期")
    recover_decided(
        world, line=first.lines.get(), kind=RecoveryKind.OTHER, reason="部分不再使用", surplus_grams=T // 2
    )
    second = approve(world, world.company_user, 4 * T + T // 2, name="二期")
    open_stock(world.admin, world.zone_b, vocs, 5 * T, key="prov-b", on=dt.date(2024, 1, 1), label="期初")
    old = ledger.account_open(
        actor=world.admin.principal,
        zone=world.zone_b,
        pollutant=vocs,
        kind=AccountKind.ALLOCATION,
        holder_enterprise=world.other_company,
        opened_on=dt.date(2024, 5, 1),
        label="往年项目",
    )
    ledger.draw(
        actor=world.reviewer.principal,
        zone=world.zone_b,
        pollutant=vocs,
        amount_grams=T,
        to_account=old,
        effective_date=dt.date(2024, 5, 1),
        reason="往年分配",
        clause_id="RES-2",
        idempotency_key=f"prov-{next(_keys)}",
    )
    third = approve(world, world.other_company_user, T + T // 2, name="乙厂项目")
    lot = {
        src: Account.objects.get(kind=AccountKind.LOT, zone=world.zone_a, pollutant=vocs, source_type=src)
        for src in (SourceType.OPENING, SourceType.UPPER_GRANT, SourceType.RECOVERY)
    }
    lot["structural"] = Account.objects.get(source_ref=f"reductions.reductionline:{structural.pk}")
    lot["process"] = Account.objects.get(source_ref=f"reductions.reductionline:{process.pk}")
    today = timezone.localdate()
    period = {
        "pollutant": "VOCS",
        "start": (today - dt.timedelta(days=60)).isoformat(),
        "end": (today + dt.timedelta(days=60)).isoformat(),
    }
    return SimpleNamespace(
        vocs=vocs,
        first=first,
        second=second,
        third=third,
        old=old,
        lot=lot,
        period=period,
        structural=structural,
        process=process,
    )


def bands_of(page) -> dict[tuple[str, str], int]:
    return {(b.source.label, b.target.label): b.grams for b, _url in page.context["bands"]}


def allocation_of(application):
    return application.lines.get().allocation


def test_every_band_is_the_sum_of_the_ledger_transfers_behind_it(client, world, flows):
    client.force_login(world.leader)
    page = client.get(reverse("reports:provenance"), flows.period)
    picture = page.context["picture"]
    by_key = {(b.source.key, b.target.key): b.grams for b in picture.bands}
    a, b = f"zone:{world.zone_a.pk}", f"zone:{world.zone_b.pk}"
    # Zone → use: what the ledger posted into each project's allocation (net of the recovery's
    # own transfer out, which is a later inflow to the reserve, not a correction).
    assert by_key[(a, f"use:{allocation_of(flows.first).pk}")] == into(allocation_of(flows.first)) == 3 * T
    assert (
        by_key[(a, f"use:{allocation_of(flows.second).pk}")]
        == into(allocation_of(flows.second))
        == 4 * T + T // 2
    )
    assert (
        by_key[(b, f"use:{allocation_of(flows.third).pk}")] == into(allocation_of(flows.third)) == T + T // 2
    )
    # Source → zone: what left each lot for a use.
    assert by_key[("src:opening", a)] == from_lot_into_uses(flows.lot["opening"]) == T
    assert by_key[("src:reduction:structural", a)] == from_lot_into_uses(flows.lot["structural"]) == 2_500_000
    assert by_key[("src:reduction:process", a)] == from_lot_into_uses(flows.lot["process"]) == 2_500_000
    assert by_key[("src:upper_grant", a)] == from_lot_into_uses(flows.lot["upper_grant"]) == T
    assert by_key[("src:recovery", a)] == from_lot_into_uses(flows.lot["recovery"]) == T // 2
    # Zone B's opening lot, this year only: the 2024 draw is outside the period.
    assert by_key[("src:opening", b)] == T + T // 2
    assert f"use:{flows.old.pk}" not in {n.key for n in picture.nodes}
    # Every gram accounted: each zone's bands in equal its bands out, the sources the uses.
    for zone in (a, b):
        assert sum(g for (s, t), g in by_key.items() if t == zone) == sum(
            g for (s, t), g in by_key.items() if s == zone
        )
    assert picture.total_grams == 9 * T
    assert "9" in page.content.decode()


def test_a_band_opens_the_records_and_transfers_whose_grams_make_it(client, world, flows):
    client.force_login(world.reviewer)
    page = client.get(reverse("reports:provenance"), flows.period)
    for band, url in page.context["bands"]:
        detail = client.get(url)
        assert detail.status_code == 200
        d = detail.context["detail"]
        assert d.grams == band.grams == sum(t.grams for t in d.transfers) == sum(r.grams for r in d.records)
        html = detail.content.decode()
        for t in d.transfers:
            assert t.transfer.posting.get_absolute_url() in html
            assert client.get(t.transfer.posting.get_absolute_url()).status_code == 200
    structural = next(u for b, u in page.context["bands"] if b.source.key == "src:reduction:structural")
    detail = client.get(structural)
    records = detail.context["detail"].records
    assert [(r.label, r.grams) for r in records] == [("甲厂喷涂线关停", 2_500_000)]
    assert flows.structural.project.get_absolute_url() in detail.content.decode()
    # The structural line's 2.5 t went to both applications: 2 t to the first, 0.5 t to the second.
    assert sorted(t.grams for t in detail.context["detail"].transfers) == [500_000, 2 * T]
    use = next(u for b, u in page.context["bands"] if b.target.key == f"use:{allocation_of(flows.first).pk}")
    detail = client.get(use)
    assert flows.first.get_absolute_url() in detail.content.decode()
    rows = read_export(response_bytes(client.get(use + "&format=xlsx")))
    assert rows[0][0] == "记录" and rows[1][3] == 3


def test_the_filters_choose_the_pollutant_and_the_period(client, world, flows):
    client.force_login(world.admin)
    cod = client.get(reverse("reports:provenance"), {**flows.period, "pollutant": "COD"})
    assert cod.context["bands"] == [] and "该期间没有指标使用" in cod.content.decode()
    last_year = client.get(
        reverse("reports:provenance"), {"pollutant": "VOCS", "start": "2024-01-01", "end": "2024-12-31"}
    )
    assert {(b.source.key, b.target.key): b.grams for b, _u in last_year.context["bands"]} == {
        ("src:opening", f"zone:{world.zone_b.pk}"): T,
        (f"zone:{world.zone_b.pk}", f"use:{flows.old.pk}"): T,
    }
    bad = client.get(
        reverse("reports:provenance"), {"pollutant": "VOCS", "start": "2026-05-01", "end": "2026-01-01"}
    )
    assert bad.status_code == 200 and "起始日期不能晚于截止日期" in bad.content.decode()
    band = client.get(
        reverse("reports:provenance_band"), {**flows.period, "from": "src:opening", "to": "zone:999999"}
    )
    assert band.status_code == 404
    broken = client.get(
        reverse("reports:provenance_band"), {"start": "2026-13-01", "end": "x", "from": "a", "to": "b"}
    )
    assert broken.status_code == 422
    rows = read_export(
        response_bytes(client.get(reverse("reports:provenance"), {**flows.period, "format": "xlsx"}))
    )
    assert rows[0] == ("来源", "去向", "单位", "数量")
    assert sum(r[3] for r in rows[1:] if r[0] == world.zone_a.name) == 7.5


def test_a_zone_officer_sees_their_zones_flows_only_and_others_are_refused(client, world, flows):
    client.force_login(world.officer)
    page = client.get(reverse("reports:provenance"), flows.period)
    zones = {n.label for n in page.context["picture"].nodes if n.column == 1}
    assert zones == {world.zone_a.name} and page.context["picture"].total_grams == 7 * T + T // 2
    b_band = {**flows.period, "from": f"zone:{world.zone_b.pk}", "to": f"use:{allocation_of(flows.third).pk}"}
    assert client.get(reverse("reports:provenance_band"), b_band).status_code == 404
    client.force_login(world.other_officer)
    assert (
        client.get(reverse("reports:provenance"), flows.period).context["picture"].total_grams == T + T // 2
    )
    assert client.get(reverse("reports:provenance_band"), b_band).status_code == 200
    for person in (world.company_user, world.third_party):
        client.force_login(person)
        assert client.get(reverse("reports:provenance"), flows.period).status_code == 403
        assert client.get(reverse("reports:provenance_band"), b_band).status_code == 403


def test_a_reversed_allocation_is_no_use(client, world, flows):
    recover_decided(world, line=flows.third.lines.get(), kind=RecoveryKind.NOT_BUILT, reason="不再建设")
    client.force_login(world.leader)
    page = client.get(reverse("reports:provenance"), flows.period)
    assert f"use:{allocation_of(flows.third).pk}" not in {n.key for n in page.context["picture"].nodes}
    assert page.context["picture"].total_grams == 7 * T + T // 2


def test_the_pages_are_english(world, flows):
    client = english_client(world.leader)
    page = client.get(reverse("reports:provenance"), flows.period)
    assert chinese_left(readable_text(page.content.decode()), typed_values()) == []
    for _band, url in page.context["bands"][:3]:
        detail = client.get(url)
        assert chinese_left(readable_text(detail.content.decode()), typed_values()) == []
