"""Random sequences of ledger operations, checked step by step against a small in-memory model."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from totalquota.ledger import selectors, services
from totalquota.ledger.models import AccountKind
from totalquota.lib.errors import RuleViolation

pytestmark = pytest.mark.django_db
START = dt.date(2024, 1, 1)


class LedgerModel(RuleBasedStateMachine):
    """The model: lots in opening order, each with one source; allocations holding parcels keyed by
    (lot, source); holds reserving grams lot by lot. Every operation happens on the next day."""

    world = None
    vocs = None

    def __init__(self):
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.day = 0
        self.counter = 0
        self.lots: list[dict] = []  # {"account", "posted", "held", "source"}
        self.allocations: list[dict] = []  # {"account", "parcels": {(lot_pk, source): grams}}
        self.holds: list[dict] = []  # {"posting", "alloc", "parts": [(lot index, grams)]}
        self.draws: list[dict] = []  # {"posting", "alloc", "parts": [(lot index, grams)], "reversed"}
        self.history: list[tuple[dt.date, int]] = []

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)

    # --- helpers -------------------------------------------------------------------------------
    def next_day(self) -> dt.date:
        self.day += 1
        return START + dt.timedelta(days=self.day)

    def key(self) -> str:
        self.counter += 1
        return f"model-{id(self)}-{self.counter}"

    def zone_posted(self) -> int:
        return sum(lot["posted"] for lot in self.lots)

    def plan(self, grams: int) -> list[tuple[int, int]] | None:
        parts, remaining = [], grams
        for i, lot in enumerate(self.lots):
            free = lot["posted"] - lot["held"]
            if free > 0 and remaining:
                take = min(free, remaining)
                parts.append((i, take))
                remaining -= take
        return None if remaining else parts

    # --- rules ---------------------------------------------------------------------------------
    @initialize()
    def setup(self):
        for _ in range(2):
            self.open_allocation()

    def open_allocation(self):
        account = services.account_open(
            actor=self.world.admin.principal,
            zone=self.world.zone_a,
            pollutant=self.vocs,
            kind=AccountKind.ALLOCATION,
            holder_enterprise=self.world.company,
            opened_on=START,
        )
        self.allocations.append({"account": account, "parcels": defaultdict(int)})

    @rule(grams=st.integers(1, 5_000))
    def intake(self, grams):
        day = self.next_day()
        source = f"reductions.reductionline:{self.counter + 1000}"
        posting = services.lot_open(
            actor=self.world.admin.principal,
            zone=self.world.zone_a,
            pollutant=self.vocs,
            amount_grams=grams,
            source_type="reduction_line",
            source_ref=source,
            source_label="",
            effective_date=day,
            reason="入库",
            clause_id="RES-1",
            idempotency_key=self.key(),
        )
        self.lots.append(
            {"account": posting.transfers.get().credit, "posted": grams, "held": 0, "source": source}
        )
        self.history.append((day, self.zone_posted()))

    @rule(which=st.integers(0, 1), grams=st.integers(1, 6_000), pending=st.booleans())
    def draw(self, which, grams, pending):
        day = self.next_day()
        alloc = self.allocations[which]
        parts = self.plan(grams)
        try:
            posting = services.draw(
                actor=self.world.reviewer.principal,
                zone=self.world.zone_a,
                pollutant=self.vocs,
                amount_grams=grams,
                to_account=alloc["account"],
                effective_date=day,
                reason="分配",
                clause_id="RES-2",
                idempotency_key=self.key(),
                pending=pending,
            )
        except RuleViolation:
            assert parts is None, "the ledger refused a draw the model could cover"
            self.history.append((day, self.zone_posted()))
            return
        assert parts is not None, "the ledger allowed a draw the model could not cover"
        got = [(t.debit_id, t.amount_grams) for t in posting.transfers.order_by("id")]
        assert got == [(self.lots[i]["account"].pk, g) for i, g in parts]
        if pending:
            for i, g in parts:
                self.lots[i]["held"] += g
            self.holds.append({"posting": posting, "alloc": alloc, "parts": parts})
        else:
            for i, g in parts:
                self.lots[i]["posted"] -= g
                alloc["parcels"][(self.lots[i]["account"].pk, self.lots[i]["source"])] += g
            self.draws.append({"posting": posting, "alloc": alloc, "parts": parts, "reversed": False})
        self.history.append((day, self.zone_posted()))

    @precondition(lambda self: self.holds)
    @rule(pick=st.integers(0, 100), share=st.integers(0, 100), void=st.booleans())
    def resolve_hold(self, pick, share, void):
        hold = self.holds.pop(pick % len(self.holds))
        day = self.next_day()
        total = sum(g for _i, g in hold["parts"])
        amount = max(1, total * share // 100)
        if void:
            services.hold_void(
                actor=self.world.reviewer.principal,
                posting=hold["posting"],
                reason="释放",
                idempotency_key=self.key(),
            )
        else:
            services.hold_post(
                actor=self.world.reviewer2.principal,
                posting=hold["posting"],
                amount_grams=amount,
                idempotency_key=self.key(),
                effective_date=day,
            )
        remaining = 0 if void else amount
        posted_parts = []
        for i, g in hold["parts"]:
            self.lots[i]["held"] -= g
            take = min(g, remaining)
            remaining -= take
            if take:
                self.lots[i]["posted"] -= take
                hold["alloc"]["parcels"][(self.lots[i]["account"].pk, self.lots[i]["source"])] += take
                posted_parts.append((i, take))
        self.history.append((day, self.zone_posted()))

    @precondition(lambda self: any(not d["reversed"] for d in self.draws))
    @rule(pick=st.integers(0, 100))
    def reverse_draw(self, pick):
        candidates = [d for d in self.draws if not d["reversed"]]
        draw = candidates[pick % len(candidates)]
        day = self.next_day()
        services.reverse(
            actor=self.world.admin.principal,
            posting=draw["posting"],
            reason="更正",
            idempotency_key=self.key(),
            effective_date=day,
        )
        draw["reversed"] = True
        for i, g in draw["parts"]:
            self.lots[i]["posted"] += g
            draw["alloc"]["parcels"][(self.lots[i]["account"].pk, self.lots[i]["source"])] -= g
        self.history.append((day, self.zone_posted()))

    # --- what must always hold -------------------------------------------------------------------
    @invariant()
    def balances_match(self):
        for lot in self.lots:
            view = selectors.account_balance(lot["account"])
            assert (view.posted, view.held_out) == (lot["posted"], lot["held"])
        zone = selectors.zone_balance(self.world.zone_a, self.vocs)
        assert zone.posted == self.zone_posted()
        assert zone.held_out == sum(lot["held"] for lot in self.lots)
        for alloc in self.allocations:
            assert selectors.account_balance(alloc["account"]).posted == sum(alloc["parcels"].values())

    @invariant()
    def history_matches(self):
        for day, expected in self.history[-3:]:
            got = selectors.zone_balance_as_of(self.world.zone_a, day, self.vocs).get(self.vocs.pk, 0)
            assert got == expected, day

    @invariant()
    def provenance_matches(self):
        for alloc in self.allocations:
            trace = selectors.provenance(alloc["account"])
            want = {(lot, ("reduction_line", src)): g for (lot, src), g in alloc["parcels"].items() if g}
            got = {(p.via.pk, (p.source_type, p.source_ref)): p.grams for p in trace.parcels}
            assert got == want


def test_random_operation_sequences_agree_with_the_model(world, vocs):
    machine = type("LedgerModelInThisPark", (LedgerModel,), {"world": world, "vocs": vocs})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=25, stateful_step_count=14, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
