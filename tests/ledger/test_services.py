"""The ledger's operations and refusals, as the reserve will use them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from tests.ledger.conftest import key
from totalquota.audit.models import AuditEvent
from totalquota.ledger import selectors, services
from totalquota.ledger.models import Account, AccountKind, Balance, Phase, Posting, SourceType, Transfer
from totalquota.lib.errors import Conflict, RuleViolation, ValidationFailed

pytestmark = pytest.mark.django_db
D = dt.date(2025, 7, 1)


def draw(world, zone, pollutant, grams, to, **kw):
    kw.setdefault("idempotency_key", key("draw"))
    return services.draw(
        actor=world.reviewer.principal,
        zone=zone,
        pollutant=pollutant,
        amount_grams=grams,
        to_account=to,
        effective_date=kw.pop("on", D),
        reason="项目指标分配",
        clause_id="RES-2",
        **kw,
    )


def balances(*accounts):
    return [selectors.account_balance(a).posted for a in accounts]


def test_an_intake_opens_a_lot_that_remembers_its_source(world, vocs, make_lot):
    lot = make_lot(world.zone_a, vocs, 2_500_000, ref="reductions.reductionline:7")
    assert lot.kind == AccountKind.LOT and lot.source_type == SourceType.REDUCTION_LINE
    assert lot.source_ref == "reductions.reductionline:7"
    assert selectors.account_balance(lot).posted == 2_500_000
    assert selectors.zone_balance(world.zone_a, vocs).posted == 2_500_000
    assert selectors.park_balance(vocs).posted == 2_500_000
    source = Account.objects.get(kind=AccountKind.REDUCTION_SOURCE, zone=world.zone_a, pollutant=vocs)
    assert selectors.account_balance(source).posted == -2_500_000  # the outside world's side
    assert AuditEvent.objects.filter(action="ledger.lot_open").count() == 1


def test_draws_take_the_oldest_lots_first_and_say_which_gave_how_much(world, vocs, make_lot, make_allocation):
    old = make_lot(world.zone_a, vocs, 1_000_000, on=dt.date(2024, 3, 1))
    new = make_lot(world.zone_a, vocs, 5_000_000, on=dt.date(2025, 3, 1))
    allocation = make_allocation(world.company, vocs)
    posting = draw(world, world.zone_a, vocs, 1_500_000, allocation)
    parts = [(d.code, g) for d, _c, g, _p in selectors.posting_parts(posting)]
    assert parts == [(old.code, 1_000_000), (new.code, 500_000)]
    assert balances(old, new, allocation) == [0, 4_500_000, 1_500_000]
    assert selectors.zone_balance(world.zone_a, vocs).posted == 4_500_000


def test_a_caller_may_name_the_lots(world, vocs, make_lot, make_allocation):
    old = make_lot(world.zone_a, vocs, 1_000_000, on=dt.date(2024, 3, 1))
    new = make_lot(world.zone_a, vocs, 5_000_000, on=dt.date(2025, 3, 1))
    allocation = make_allocation(world.company, vocs)
    draw(world, world.zone_a, vocs, 2_000_000, allocation, lots=[(new, 2_000_000)])
    assert balances(old, new) == [1_000_000, 3_000_000]


def test_an_overdraw_is_refused_and_writes_nothing(world, vocs, make_lot, make_allocation):
    make_lot(world.zone_a, vocs, 1_000_000)
    allocation = make_allocation(world.company, vocs)
    before = (Transfer.objects.count(), Posting.objects.count(), AuditEvent.objects.count())
    with pytest.raises(RuleViolation, match="不得透支") as caught:
        draw(world, world.zone_a, vocs, 1_000_001, allocation)
    assert caught.value.clause == "RES-2"
    assert (Transfer.objects.count(), Posting.objects.count(), AuditEvent.objects.count()) == before
    assert selectors.zone_balance(world.zone_a, vocs).posted == 1_000_000


@pytest.mark.parametrize("grams", [0, -5, 1.5, "100", True])
def test_zero_negative_and_non_integer_amounts_are_refused(world, vocs, make_lot, make_allocation, grams):
    make_lot(world.zone_a, vocs, 1_000_000)
    allocation = make_allocation(world.company, vocs)
    with pytest.raises(ValidationFailed):
        draw(world, world.zone_a, vocs, grams, allocation)
    assert not Transfer.objects.filter(code="allocation").exists()


@pytest.mark.parametrize(
    "day", [dt.date(1, 1, 1), dt.date(1989, 12, 31), dt.date(2101, 1, 1), dt.date(9999, 12, 31)]
)
def test_an_implausible_effective_date_is_refused_before_anything_is_written(
    world, vocs, make_lot, make_allocation, day
):
    make_lot(world.zone_a, vocs, 1_000_000)
    allocation = make_allocation(world.company, vocs)
    before = (Account.objects.count(), Transfer.objects.count(), Posting.objects.count())
    with pytest.raises(ValidationFailed, match="生效日期") as caught:
        draw(world, world.zone_a, vocs, 1_000, allocation, on=day)
    assert caught.value.field == "effective_date"
    with pytest.raises(ValidationFailed, match="生效日期"):
        make_lot(world.zone_b, vocs, 1_000, on=day)
    assert (Account.objects.count(), Transfer.objects.count(), Posting.objects.count()) == before


def test_different_pollutants_on_the_two_sides_are_refused(world, vocs, cod, make_lot, make_allocation):
    lot = make_lot(world.zone_a, vocs, 1_000_000)
    allocation = make_allocation(world.company, cod)
    with pytest.raises(RuleViolation, match="污染物"):
        draw(world, world.zone_a, vocs, 10, allocation)
    with pytest.raises(RuleViolation, match="污染物"):
        services.transfer(
            actor=world.admin.principal,
            debit=lot,
            credit=allocation,
            amount_grams=10,
            code="allocation",
            effective_date=D,
            reason="x",
            clause_id="RES-2",
            idempotency_key=key(),
        )
    assert selectors.account_balance(lot).posted == 1_000_000


def test_lots_of_another_zone_cannot_be_named(world, vocs, make_lot, make_allocation):
    other = make_lot(world.zone_b, vocs, 1_000_000)
    allocation = make_allocation(world.company, vocs)
    with pytest.raises(RuleViolation, match="调剂"):
        draw(world, world.zone_a, vocs, 10, allocation, lots=[(other, 10)])


def test_a_closed_account_takes_no_more_transfers(world, vocs, make_lot, make_allocation):
    make_lot(world.zone_a, vocs, 1_000_000)
    allocation = make_allocation(world.company, vocs)
    services.account_close(actor=world.admin.principal, account=allocation)
    with pytest.raises(RuleViolation, match="已关闭"):
        draw(world, world.zone_a, vocs, 10, allocation)


def test_an_account_with_quota_cannot_be_closed(world, vocs, make_lot):
    lot = make_lot(world.zone_a, vocs, 10)
    with pytest.raises(RuleViolation, match="尚有余额"):
        services.account_close(actor=world.admin.principal, account=lot)


def test_the_same_key_and_content_returns_the_first_posting(world, vocs, make_lot, make_allocation):
    make_lot(world.zone_a, vocs, 1_000_000)
    allocation = make_allocation(world.company, vocs)
    first = draw(world, world.zone_a, vocs, 300_000, allocation, idempotency_key="app-1:VOCS")
    again = draw(world, world.zone_a, vocs, 300_000, allocation, idempotency_key="app-1:VOCS")
    assert again.pk == first.pk
    assert selectors.account_balance(allocation).posted == 300_000


def test_the_same_key_with_other_content_is_a_conflict(world, vocs, make_lot, make_allocation):
    make_lot(world.zone_a, vocs, 1_000_000)
    allocation = make_allocation(world.company, vocs)
    draw(world, world.zone_a, vocs, 300_000, allocation, idempotency_key="app-1:VOCS")
    with pytest.raises(Conflict, match="幂等键"):
        draw(world, world.zone_a, vocs, 400_000, allocation, idempotency_key="app-1:VOCS")
    assert selectors.account_balance(allocation).posted == 300_000


def test_a_hold_keeps_quota_from_others_until_posted(world, vocs, make_lot, make_allocation):
    lot = make_lot(world.zone_a, vocs, 1_000_000)
    allocation = make_allocation(world.company, vocs)
    hold = draw(world, world.zone_a, vocs, 800_000, allocation, pending=True)
    view = selectors.account_balance(lot)
    assert (view.posted, view.held_out, view.available) == (1_000_000, 800_000, 200_000)
    other = make_allocation(world.company, vocs)
    with pytest.raises(RuleViolation, match="不得透支"):
        draw(world, world.zone_a, vocs, 300_000, other)
    services.hold_post(actor=world.reviewer2.principal, posting=hold, idempotency_key=key("post"))
    assert balances(lot, allocation) == [200_000, 800_000]
    assert selectors.account_balance(lot).held_out == 0
    assert selectors.hold_state(hold) == "posted"


def test_a_hold_can_be_posted_in_part_and_the_rest_is_released(world, vocs, make_lot, make_allocation):
    first = make_lot(world.zone_a, vocs, 500_000, on=dt.date(2024, 1, 1))
    second = make_lot(world.zone_a, vocs, 500_000, on=dt.date(2025, 1, 1))
    allocation = make_allocation(world.company, vocs)
    hold = draw(world, world.zone_a, vocs, 900_000, allocation, pending=True)
    services.hold_post(
        actor=world.reviewer.principal, posting=hold, amount_grams=600_000, idempotency_key=key()
    )
    assert balances(first, second, allocation) == [0, 400_000, 600_000]
    assert selectors.zone_balance(world.zone_a, vocs).held_out == 0
    assert selectors.zone_balance(world.zone_a, vocs).available == 400_000


def test_a_voided_hold_gives_everything_back(world, vocs, make_lot, make_allocation):
    lot = make_lot(world.zone_a, vocs, 1_000_000)
    allocation = make_allocation(world.company, vocs)
    hold = draw(world, world.zone_a, vocs, 700_000, allocation, pending=True)
    services.hold_void(
        actor=world.reviewer.principal, posting=hold, reason="申请被驳回", idempotency_key=key()
    )
    assert selectors.account_balance(lot).available == 1_000_000
    assert selectors.hold_state(hold) == "voided"


def test_a_hold_resolves_only_once(world, vocs, make_lot, make_allocation):
    make_lot(world.zone_a, vocs, 1_000_000)
    allocation = make_allocation(world.company, vocs)
    hold = draw(world, world.zone_a, vocs, 700_000, allocation, pending=True)
    services.hold_void(actor=world.reviewer.principal, posting=hold, reason="撤回", idempotency_key=key())
    with pytest.raises(Conflict, match="已处理"):
        services.hold_post(actor=world.reviewer.principal, posting=hold, idempotency_key=key())
    assert selectors.account_balance(allocation).posted == 0


def test_the_database_itself_lets_a_hold_resolve_only_once(world, vocs, make_lot, make_allocation):
    make_lot(world.zone_a, vocs, 1_000_000)
    allocation = make_allocation(world.company, vocs)
    hold = draw(world, world.zone_a, vocs, 700_000, allocation, pending=True)
    services.hold_void(actor=world.reviewer.principal, posting=hold, reason="撤回", idempotency_key=key())
    pending = Transfer.objects.get(posting=hold)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(
            posting=hold,
            debit=pending.debit,
            credit=pending.credit,
            pollutant=vocs,
            amount_grams=700_000,
            code="allocation",
            phase=Phase.POST_PENDING,
            effective_date=D,
            pending_ref=pending,
        )


def test_holds_expire_after_their_time(world, vocs, make_lot, make_allocation):
    lot = make_lot(world.zone_a, vocs, 1_000_000)
    allocation = make_allocation(world.company, vocs)
    hold = draw(world, world.zone_a, vocs, 700_000, allocation, pending=True, timeout=dt.timedelta(days=3))
    assert services.holds_expire(now=hold.created_at + dt.timedelta(days=2)) == []
    expired = services.holds_expire(now=hold.created_at + dt.timedelta(days=4))
    assert [p.hold_id for p in expired] == [hold.pk]
    assert selectors.hold_state(hold) == "expired"
    assert selectors.account_balance(lot).available == 1_000_000
    with pytest.raises(Conflict):
        services.hold_post(actor=world.reviewer.principal, posting=hold, idempotency_key=key())


def test_the_default_hold_period_is_a_rule_parameter(world, vocs, make_lot, make_allocation):
    make_lot(world.zone_a, vocs, 1_000_000)
    allocation = make_allocation(world.company, vocs)
    hold = draw(world, world.zone_a, vocs, 1, allocation, pending=True)
    transfer = hold.transfers.get()
    assert dt.timedelta(days=89) < transfer.timeout_at - hold.created_at <= dt.timedelta(days=90)


def test_a_zone_transfer_makes_a_lot_in_the_other_zone_that_remembers_where_it_came_from(
    world, vocs, make_lot
):
    lot = make_lot(world.zone_a, vocs, 1_000_000)
    posting = services.zone_transfer(
        actor=world.admin.principal,
        from_lot=lot,
        to_zone=world.zone_b,
        amount_grams=400_000,
        effective_date=D,
        reason="独墅湖区重大项目急需",
        idempotency_key=key(),
    )
    new_lot = posting.transfers.get().credit
    assert new_lot.zone == world.zone_b and new_lot.source_type == SourceType.ZONE_TRANSFER
    assert new_lot.source_ref == f"ledger.account:{lot.pk}"
    assert selectors.zone_balance(world.zone_a, vocs).posted == 600_000
    assert selectors.zone_balance(world.zone_b, vocs).posted == 400_000
    assert selectors.park_balance(vocs).posted == 1_000_000


def test_a_reversal_puts_the_grams_back_where_they_came_from_and_links_them(
    world, vocs, make_lot, make_allocation
):
    old = make_lot(world.zone_a, vocs, 1_000_000, on=dt.date(2024, 1, 1))
    new = make_lot(world.zone_a, vocs, 1_000_000, on=dt.date(2025, 1, 1))
    allocation = make_allocation(world.company, vocs)
    posting = draw(world, world.zone_a, vocs, 1_500_000, allocation)
    correction = services.reverse(
        actor=world.admin.principal, posting=posting, reason="项目不再建设", idempotency_key=key()
    )
    assert balances(old, new, allocation) == [1_000_000, 1_000_000, 0]
    assert {t.reverses.posting_id for t in correction.transfers.all()} == {posting.pk}
    with pytest.raises(Conflict, match="已被更正"):
        services.reverse(
            actor=world.admin.principal, posting=posting, reason="再来一次", idempotency_key=key()
        )
    with pytest.raises(RuleViolation, match="不能再被更正"):
        services.reverse(
            actor=world.admin.principal, posting=correction, reason="撤销更正", idempotency_key=key()
        )


def test_a_reversal_that_would_overdraw_is_refused(world, vocs, make_lot, make_allocation):
    make_lot(world.zone_a, vocs, 1_000_000)
    allocation = make_allocation(world.company, vocs)
    intake = Posting.objects.get(operation="lot_open")
    draw(world, world.zone_a, vocs, 600_000, allocation)
    with pytest.raises(RuleViolation):
        services.reverse(
            actor=world.admin.principal, posting=intake, reason="入库有误", idempotency_key=key()
        )
    assert selectors.zone_balance(world.zone_a, vocs).posted == 400_000


def test_the_database_refuses_to_change_or_delete_transfers(world, vocs, make_lot):
    make_lot(world.zone_a, vocs, 1_000_000)
    transfer = Transfer.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        Transfer.objects.filter(pk=transfer.pk).update(amount_grams=2)
    with pytest.raises(DatabaseError), transaction.atomic():
        Transfer.objects.filter(pk=transfer.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Posting.objects.filter(pk=transfer.posting_id).update(reason="改写历史")
    assert Transfer.objects.get().amount_grams == 1_000_000


def test_the_database_check_refuses_an_overdrawn_lot_written_behind_the_service(world, vocs, make_lot):
    lot = make_lot(world.zone_a, vocs, 1_000_000)
    with pytest.raises(IntegrityError), transaction.atomic():
        Balance.objects.filter(account=lot).update(debits_posted=1_000_001)
    assert selectors.account_balance(lot).posted == 1_000_000


def test_balances_as_of_any_past_date_come_from_the_transfers(world, vocs, make_lot, make_allocation):
    lot = make_lot(world.zone_a, vocs, 1_000_000, on=dt.date(2024, 1, 10))
    make_lot(world.zone_a, vocs, 2_000_000, on=dt.date(2024, 6, 1))
    allocation = make_allocation(world.company, vocs)
    draw(world, world.zone_a, vocs, 1_200_000, allocation, on=dt.date(2024, 9, 1))
    zone_on = lambda day: selectors.zone_balance_as_of(world.zone_a, day, vocs).get(vocs.pk, 0)  # noqa: E731
    assert zone_on(dt.date(2023, 12, 31)) == 0
    assert zone_on(dt.date(2024, 1, 10)) == 1_000_000
    assert zone_on(dt.date(2024, 6, 30)) == 3_000_000
    assert zone_on(dt.date(2024, 9, 1)) == 1_800_000
    assert selectors.account_balance_as_of(lot, dt.date(2024, 8, 31)) == 1_000_000
    assert selectors.account_balance_as_of(lot, dt.date(2024, 9, 1)) == 0
    assert selectors.park_balance_as_of(dt.date(2024, 6, 30), vocs) == 3_000_000
    assert zone_on(dt.date(2030, 1, 1)) == selectors.zone_balance(world.zone_a, vocs).posted


def test_as_known_at_ignores_later_back_dated_postings(world, vocs, make_lot):
    make_lot(world.zone_a, vocs, 1_000_000, on=dt.date(2024, 1, 10))
    printed_at = Transfer.objects.get().created_at
    make_lot(world.zone_a, vocs, 500_000, on=dt.date(2023, 12, 1))  # recorded later, back-dated
    assert selectors.zone_balance_as_of(world.zone_a, dt.date(2024, 1, 31), vocs)[vocs.pk] == 1_500_000
    as_printed = selectors.zone_balance_as_of(world.zone_a, dt.date(2024, 1, 31), vocs, known_at=printed_at)
    assert as_printed[vocs.pk] == 1_000_000


def test_a_lot_cannot_be_opened_without_a_source(world, vocs):
    with pytest.raises(ValidationFailed, match="来源"):
        services.lot_open(
            actor=world.admin.principal,
            zone=world.zone_a,
            pollutant=vocs,
            amount_grams=1,
            source_type="reduction_line",
            source_ref="",
            source_label="",
            effective_date=D,
            reason="x",
            clause_id="RES-1",
            idempotency_key=key(),
        )
    with pytest.raises(ValidationFailed, match="lot_open"):
        services.account_open(
            actor=world.admin.principal, zone=world.zone_a, pollutant=vocs, kind="lot", opened_on=D
        )
