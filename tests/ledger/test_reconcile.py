import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.ledger.conftest import key
from totalquota.ledger import services
from totalquota.ledger.models import Balance, ZoneDailyChange
from totalquota.ledger.reconcile import reconcile

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_ledger(world, vocs, cod, make_lot, make_allocation):
    make_lot(world.zone_a, vocs, 2_000_000, on=dt.date(2024, 1, 1))
    make_lot(world.zone_a, cod, 9_000_000, on=dt.date(2024, 1, 1))
    lot_b = make_lot(world.zone_b, vocs, 1_000_000, on=dt.date(2024, 2, 1))
    allocation = make_allocation(world.company, vocs)
    for grams in (100_000, 250_000):
        services.draw(
            actor=world.reviewer.principal,
            zone=world.zone_a,
            pollutant=vocs,
            amount_grams=grams,
            to_account=allocation,
            effective_date=dt.date(2024, 5, 1),
            reason="分配",
            clause_id="RES-2",
            idempotency_key=key(),
        )
    hold = services.draw(
        actor=world.reviewer.principal,
        zone=world.zone_a,
        pollutant=vocs,
        amount_grams=300_000,
        to_account=allocation,
        effective_date=dt.date(2024, 6, 1),
        reason="申请中",
        clause_id="RES-2",
        idempotency_key=key(),
        pending=True,
    )
    services.hold_post(
        actor=world.reviewer2.principal, posting=hold, amount_grams=120_000, idempotency_key=key()
    )
    services.zone_transfer(
        actor=world.admin.principal,
        from_lot=lot_b,
        to_zone=world.zone_a,
        amount_grams=500_000,
        effective_date=dt.date(2024, 7, 1),
        reason="调剂",
        idempotency_key=key(),
    )
    return allocation


def test_a_busy_ledger_reconciles(busy_ledger, capsys):
    report = reconcile()
    assert report.ok, report.problems
    assert report.debits_posted == report.credits_posted > 0
    call_command("ledger_reconcile")
    assert "对账通过" in capsys.readouterr().out


def test_reconcile_catches_a_balance_row_edited_behind_the_orm(busy_ledger):
    Balance.objects.filter(account=busy_ledger).update(credits_posted=1)
    report = reconcile()
    assert not report.ok
    assert any(f"账户 {busy_ledger.pk} 的 credits_posted" in p for p in report.problems)
    with pytest.raises(CommandError, match="对账未通过"):
        call_command("ledger_reconcile")


def test_reconcile_catches_a_transfer_edited_with_the_triggers_lifted(busy_ledger):
    from totalquota.common import append_only

    with connection.cursor() as cursor:
        for sql in append_only.drop_sql(connection.vendor, "ledger_transfer"):
            cursor.execute(sql)
        cursor.execute(
            "UPDATE ledger_transfer SET amount_grams = amount_grams + 1 WHERE id = (SELECT MAX(id) FROM ledger_transfer)"
        )
        for sql in append_only.create_sql(connection.vendor, "ledger_transfer"):
            cursor.execute(sql)
    report = reconcile()
    assert not report.ok
    assert any("来源合计" in p for p in report.problems)


def test_reconcile_catches_a_missing_daily_change(busy_ledger):
    ZoneDailyChange.objects.filter(pk=ZoneDailyChange.objects.order_by("id").first().pk).delete()
    assert any("缺少日变动行" in p for p in reconcile().problems)


def _edit_transfers(sql, params=()):
    from totalquota.common import append_only

    with connection.cursor() as cursor:
        for statement in append_only.drop_sql(connection.vendor, "ledger_transfer"):
            cursor.execute(statement)
        cursor.execute(sql, params)
        for statement in append_only.create_sql(connection.vendor, "ledger_transfer"):
            cursor.execute(statement)


@pytest.fixture
def voided(world, vocs, busy_ledger):
    hold = services.draw(
        actor=world.reviewer.principal,
        zone=world.zone_a,
        pollutant=vocs,
        amount_grams=70_000,
        to_account=busy_ledger,
        effective_date=dt.date(2024, 8, 1),
        reason="申请中",
        clause_id="RES-2",
        idempotency_key=key(),
        pending=True,
    )
    return services.hold_void(
        actor=world.reviewer2.principal, posting=hold, reason="不予批准", idempotency_key=key()
    )


def test_reconcile_counts_every_phase(voided):
    report = reconcile()
    assert report.ok, report.problems
    assert set(report.phases) == {"posted", "pending", "post_pending", "void_pending"}
    assert report.phases["void_pending"][1] >= 70_000


@pytest.mark.parametrize("change", ["amount_grams = amount_grams + 1", "amount_grams = 1"])
def test_reconcile_catches_a_void_whose_amount_was_edited(voided, change):
    from totalquota.ledger.models import Phase, Transfer

    void = Transfer.objects.filter(posting=voided, phase=Phase.VOID_PENDING).first()
    assert reconcile().ok
    _edit_transfers(f"UPDATE ledger_transfer SET {change} WHERE id = %s", [void.pk])
    report = reconcile()
    assert any(f"划转 {void.pk}（void_pending） 释放" in p for p in report.problems), report.problems
    with pytest.raises(CommandError, match="对账未通过"):
        call_command("ledger_reconcile", stderr=io.StringIO())


def test_reconcile_catches_a_posting_of_more_than_was_held(busy_ledger):
    from totalquota.ledger.models import Phase, Transfer

    post = Transfer.objects.filter(phase=Phase.POST_PENDING).select_related("pending_ref").first()
    _edit_transfers(
        "UPDATE ledger_transfer SET amount_grams = %s WHERE id = %s",
        [post.pending_ref.amount_grams + 5, post.pk],
    )
    report = reconcile()
    assert any(f"划转 {post.pk}（post_pending） 转记账" in p for p in report.problems), report.problems


def test_reconcile_catches_a_resolution_moved_to_other_accounts(
    voided, busy_ledger, world, vocs, make_allocation
):
    from totalquota.ledger.models import Phase, Transfer

    other = make_allocation(world.company, vocs)
    void = Transfer.objects.filter(posting=voided, phase=Phase.VOID_PENDING).first()
    _edit_transfers("UPDATE ledger_transfer SET credit_id = %s WHERE id = %s", [other.pk, void.pk])
    report = reconcile()
    assert any(f"划转 {void.pk}（void_pending） 的账户" in p for p in report.problems), report.problems
