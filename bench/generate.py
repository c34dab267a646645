"""Scale generator: ten years of a park's quota ledger, loaded in bulk and consistent to the gram.

    python -m bench.generate --db postgres            # >= 1,000,000 transfers into bench_ledger
    python -m bench.generate --db sqlite --transfers 200000

It simulates 2016-2025 for a park of four zones and 5,000 enterprises: every quarter each zone's
reduction lines enter the reserve as lots; enterprises' construction projects hold quota (oldest
lots first) and the holds are posted days later or released. The simulation keeps the same
balances, zone rows, daily changes, transfer origins and hash-chained audit events the services
write, so ``manage.py ledger_reconcile`` passes on the result. Rows are bulk-loaded (COPY on
PostgreSQL); the database is dropped and recreated first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import time
from collections import defaultdict, deque

from bench._setup import recreate, start_django

START = dt.date(2016, 1, 1)
YEARS = 10
COMMON = ["VOCS", "NOX", "COD", "PM", "NH3N", "TN", "SO2", "TP"]
WEIGHTS = [30, 20, 15, 10, 8, 7, 6, 4]


class Rows:
    """Rows per model in column order, written in bulk at the end."""

    def __init__(self):
        self.data: dict[type, list[tuple]] = defaultdict(list)
        self.columns: dict[type, list[str]] = {}

    def add(self, model, **values) -> None:
        if model not in self.columns:
            self.columns[model] = [f.column for f in model._meta.concrete_fields]
        self.data[model].append(tuple(values[c] for c in self.columns[model]))

    def write(self, order: list[type]) -> None:
        from django.db import connection, transaction

        for model in order:
            rows = self.data.get(model, [])
            if not rows:
                continue
            table = model._meta.db_table
            cols = self.columns[model]
            start = time.perf_counter()
            if connection.vendor == "postgresql":
                with transaction.atomic():
                    raw = connection.cursor().cursor
                    with raw.copy(f'COPY "{table}" ({", ".join(cols)}) FROM STDIN') as copy:
                        for row in rows:
                            copy.write_row(row)
            else:
                sql = f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})'
                with transaction.atomic():
                    cursor = connection.cursor().cursor
                    for i in range(0, len(rows), 50_000):
                        cursor.executemany(sql, rows[i : i + 50_000])
            print(f"  {table:<28} {len(rows):>10,} rows  {time.perf_counter() - start:6.1f} s", flush=True)
        if connection.vendor == "postgresql":
            from django.core.management.color import no_style

            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), order):
                    cursor.execute(sql)
                cursor.execute("ANALYZE")


def uscc_for(n: int) -> str:
    from totalquota.lib import uscc

    return uscc.complete(f"91320594MA{n:07d}")


def generate(target_transfers: int, enterprises: int, seed: int) -> dict[str, int]:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from totalquota.accounts.models import User
    from totalquota.audit.chain import GENESIS, v1_digest
    from totalquota.audit.models import AuditChainHead, AuditEvent
    from totalquota.ledger.models import (
        Account,
        Balance,
        Posting,
        Transfer,
        TransferOrigin,
        ZoneBalance,
        ZoneDailyChange,
    )
    from totalquota.registry.models import Enterprise, Park, Pollutant, Zone

    rng = random.Random(seed)
    rows = Rows()
    park = Park.objects.create(code="SIP", name="苏州工业园区")
    zones = [
        Zone.objects.create(park=park, code=code, name=name, sort_order=i)
        for i, (code, name) in enumerate(
            [
                ("HMT", "高端制造与国际贸易区"),
                ("DSL", "独墅湖科教创新区"),
                ("YCL", "阳澄湖半岛旅游度假区"),
                ("JJL", "金鸡湖商务区"),
            ],
            start=1,
        )
    ]
    pollutants = {p.code: p for p in Pollutant.objects.all()}
    admin = User.objects.create(username="bench-admin", role="admin", password=make_password(None))
    now = timezone.now()
    for n in range(1, enterprises + 1):
        code = uscc_for(n)
        rows.add(
            Enterprise,
            id=n,
            name=f"苏州基准{n:05d}科技有限公司",
            uscc=code,
            permit_number=f"{code}001V",
            industry_code="C3982",
            industry_name="电子电路制造",
            zone_id=zones[n % 4].pk,
            address="",
            contact_name="",
            contact_phone="",
            contact_email="",
            management_category="simplified",
            is_active=True,
            merged_into_id=None,
            created_at=now,
            updated_at=now,
        )
    enterprise_zone = {n: zones[n % 4].pk for n in range(1, enterprises + 1)}

    ids = defaultdict(int)

    def next_id(name: str) -> int:
        ids[name] += 1
        return ids[name]

    balances: dict[int, list[int]] = {}  # account id -> [dp, cp, dpend, cpend]
    floor_zero: dict[int, bool] = {}
    zone_rows: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    daily: dict[tuple[int, int, dt.date], list[int]] = defaultdict(lambda: [0, 0])
    audit: list[tuple] = []  # (seq, at, action, object_id, after)
    lot_info: dict[int, tuple[int, int, str]] = {}  # lot id -> (zone id, pollutant id, source ref)
    codes: dict[str, int] = defaultdict(int)
    lot_order: dict[int, tuple[int, int, dt.date]] = {}

    def account(zone_id, pollutant, kind, opened_on, *, holder=None, source_type="", source_ref="", label=""):
        pk = next_id("account")
        prefix = {"lot": "", "allocation": "A-", "reduction_source": "R-"}[kind]
        zone_code = next(z.code for z in zones if z.pk == zone_id)
        stem = f"{prefix}{zone_code}-{pollutant.code}-{opened_on.year}"
        codes[stem] += 1
        rows.add(
            Account,
            id=pk,
            code=f"{stem}-{codes[stem]:05d}",
            zone_id=zone_id,
            pollutant_id=pollutant.pk,
            kind=kind,
            holder_enterprise_id=holder,
            source_type=source_type,
            source_ref=source_ref,
            source_label=label,
            label="",
            opened_on=opened_on,
            closed_at=None,
            created_at=now,
        )
        balances[pk] = [0, 0, 0, 0]
        floor_zero[pk] = kind in ("lot", "allocation")
        if kind == "lot":
            lot_order[pk] = (zone_id, pollutant.pk, opened_on)
        return pk

    external = {
        (z.pk, p.pk): account(z.pk, p, "reduction_source", START) for z in zones for p in pollutants.values()
    }

    def stamp(day: dt.date, n: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC) + dt.timedelta(microseconds=n)

    transfers = 0

    def posting(operation, code, day, key, obj_id, hold_id=None):
        pk = next_id("posting")
        rows.add(
            Posting,
            id=pk,
            operation=operation,
            code=code,
            effective_date=day,
            actor_id=admin.pk,
            reason="基准数据",
            clause_id="RES-2",
            object_type="bench.project",
            object_id=str(obj_id),
            idempotency_key=key,
            fingerprint=hashlib.sha256(key.encode()).hexdigest(),
            hold_id=hold_id,
            reverses_id=None,
            created_at=stamp(day, pk),
        )
        audit.append(
            (
                len(audit) + 1,
                stamp(day, pk),
                f"ledger.{operation}",
                str(pk),
                {"operation": operation, "key": key},
            )
        )
        return pk

    def transfer(
        post_id, debit, credit, pollutant_id, grams, code, phase, day, *, pending_ref=None, origins=()
    ):
        nonlocal transfers
        pk = next_id("transfer")
        transfers += 1
        debit_lot = lot_info.get(debit)
        credit_lot = lot_info.get(credit)
        rows.add(
            Transfer,
            id=pk,
            posting_id=post_id,
            debit_id=debit,
            credit_id=credit,
            pollutant_id=pollutant_id,
            amount_grams=grams,
            code=code,
            phase=phase,
            effective_date=day,
            pending_ref_id=pending_ref,
            timeout_at=stamp(day, 0) + dt.timedelta(days=90) if phase == "pending" else None,
            reverses_id=None,
            debit_lot_zone_id=debit_lot[0] if debit_lot else None,
            credit_lot_zone_id=credit_lot[0] if credit_lot else None,
            created_at=stamp(day, pk),
        )
        for via, root, ref, g in origins:
            rows.add(
                TransferOrigin,
                id=next_id("origin"),
                transfer_id=pk,
                via_id=via,
                root_lot_id=root,
                source_type="reduction_line",
                source_ref=ref,
                amount_grams=g,
            )
        d, c = balances[debit], balances[credit]
        held = 0
        if phase == "posted":
            d[0] += grams
            c[1] += grams
        elif phase == "pending":
            d[2] += grams
            c[3] += grams
        else:
            held = pending_amount[pending_ref]
            d[2] -= held
            c[3] -= held
            if phase == "post_pending":
                d[0] += grams
                c[1] += grams
        for side, acct in ((0, debit), (1, credit)):
            info = lot_info.get(acct)
            if info is None:
                continue
            zr = zone_rows[(info[0], info[1])]
            if phase == "posted":
                zr[side] += grams
                daily[(info[0], info[1], day)][1 - side] += grams
            elif phase == "pending":
                zr[2 + side] += grams
            else:
                zr[2 + side] -= held
                if phase == "post_pending":
                    zr[side] += grams
                    daily[(info[0], info[1], day)][1 - side] += grams
        return pk

    pending_amount: dict[int, int] = {}
    queues: dict[tuple[int, int], deque] = defaultdict(deque)  # (zone, pollutant) -> [lot id, free grams]
    quarters = YEARS * 4
    intake_share = 0.18  # about this share of transfers are intakes
    lots_per_quarter = max(1, int(target_transfers * intake_share / quarters / (4 * len(COMMON))))
    ops_per_quarter = int(target_transfers * (1 - intake_share) / quarters / 2.7) + 1
    line = 0
    project = 0
    for q in range(quarters):
        year, quarter = START.year + q // 4, q % 4
        first = dt.date(year, 3 * quarter + 1, 1)
        intake_day = first + dt.timedelta(days=9)
        for zone in zones:
            for code in COMMON:
                pollutant = pollutants[code]
                for _ in range(lots_per_quarter):
                    line += 1
                    ref = f"reductions.reductionline:{line}"
                    grams = rng.randint(20, 160) * 1_000
                    lot = account(
                        zone.pk,
                        pollutant,
                        "lot",
                        intake_day,
                        source_type="reduction_line",
                        source_ref=ref,
                        label="",
                    )
                    lot_info[lot] = (zone.pk, pollutant.pk, ref)
                    post = posting("lot_open", "intake", intake_day, f"intake:{line}", line)
                    transfer(
                        post,
                        external[(zone.pk, pollutant.pk)],
                        lot,
                        pollutant.pk,
                        grams,
                        "intake",
                        "posted",
                        intake_day,
                        origins=[(None, lot, ref, grams)],
                    )
                    queues[(zone.pk, pollutant.pk)].append([lot, grams])
        for _ in range(ops_per_quarter):
            day = first + dt.timedelta(days=rng.randint(10, 85))
            enterprise = rng.randint(1, enterprises)
            zone_id = enterprise_zone[enterprise]
            pollutant = pollutants[rng.choices(COMMON, WEIGHTS)[0]]
            grams = rng.randint(10, 110) * 1_000
            queue = queues[(zone_id, pollutant.pk)]
            if sum(free for _lot, free in list(queue)[:8]) < grams:
                continue
            project += 1
            allocation = account(zone_id, pollutant, "allocation", day, holder=enterprise)
            hold = posting("hold", "allocation", day, f"hold:{project}", project)
            parts = []
            remaining = grams
            while remaining:
                lot, free = queue[0]
                take = min(free, remaining)
                remaining -= take
                parts.append((lot, take))
                if take == free:
                    queue.popleft()
                else:
                    queue[0][1] = free - take
            legs = []
            for lot, take in parts:
                ref = lot_info[lot][2]
                pk = transfer(
                    hold,
                    lot,
                    allocation,
                    pollutant.pk,
                    take,
                    "allocation",
                    "pending",
                    day,
                    origins=[(lot, lot, ref, take)],
                )
                pending_amount[pk] = take
                legs.append((pk, lot, take, ref))
            decided = day + dt.timedelta(days=rng.randint(0, 30))
            if decided > dt.date(START.year + YEARS - 1, 12, 20):
                continue  # still open at the end of the simulation
            if rng.random() < 0.1:
                void = posting("hold_void", "allocation", decided, f"void:{project}", project, hold_id=hold)
                for pk, lot, take, _ref in legs:
                    transfer(
                        void,
                        lot,
                        allocation,
                        pollutant.pk,
                        take,
                        "allocation",
                        "void_pending",
                        decided,
                        pending_ref=pk,
                    )
                for lot, take in reversed(parts):
                    queue.appendleft([lot, take])  # released grams are available again, oldest first
                continue
            post = posting("hold_post", "allocation", decided, f"post:{project}", project, hold_id=hold)
            for pk, lot, take, ref in legs:
                transfer(
                    post,
                    lot,
                    allocation,
                    pollutant.pk,
                    take,
                    "allocation",
                    "post_pending",
                    decided,
                    pending_ref=pk,
                    origins=[(lot, lot, ref, take)],
                )
        if quarter == 3:
            print(f"  simulated {year}: {transfers:,} transfers", flush=True)
    for pk, (dp, cp, dpend, cpend) in balances.items():
        zone_id, pollutant_id, opened_on = lot_order.get(pk, (None, None, None))
        rows.add(
            Balance,
            account_id=pk,
            floor_zero=floor_zero[pk],
            debits_posted=dp,
            credits_posted=cp,
            debits_pending=dpend,
            credits_pending=cpend,
            lot_zone_id=zone_id,
            lot_pollutant_id=pollutant_id,
            lot_opened_on=opened_on,
        )
    for (zone_id, pollutant_id), (dp, cp, dpend, cpend) in zone_rows.items():
        rows.add(
            ZoneBalance,
            id=next_id("zone"),
            zone_id=zone_id,
            pollutant_id=pollutant_id,
            debits_posted=dp,
            credits_posted=cp,
            debits_pending=dpend,
            credits_pending=cpend,
        )
    for (zone_id, pollutant_id, day), (credits, debits) in daily.items():
        rows.add(
            ZoneDailyChange,
            id=next_id("daily"),
            zone_id=zone_id,
            pollutant_id=pollutant_id,
            day=day,
            credits=credits,
            debits=debits,
        )
    # The history is written as a database of the platform before keyed links would hold it: a
    # plain SHA-256 chain (v1) in the events; chain_pending below carries it into the keyed chain,
    # as an upgraded installation does on its first run.
    prev = GENESIS
    for seq, at, action, object_id, after in audit:
        after_json = json.loads(json.dumps(after))
        event = AuditEvent(
            id=seq,
            at=at,
            actor_id=admin.pk,
            actor_label="bench-admin",
            role="admin",
            token_id=None,
            action=action,
            object_type="ledger.posting",
            object_id=object_id,
            object_repr="",
            before=None,
            after=after_json,
            request_id="",
            v1_seq=seq,
            v1_prev_hash=prev,
        )
        digest = v1_digest(event)
        rows.add(
            AuditEvent,
            id=seq,
            at=at,
            actor_id=admin.pk,
            actor_label="bench-admin",
            role="admin",
            token_id=None,
            action=action,
            object_type="ledger.posting",
            object_id=object_id,
            object_repr="",
            before=None,
            after=json.dumps(after_json, ensure_ascii=False),
            request_id="",
            v1_seq=seq,
            v1_prev_hash=prev,
            v1_hash=digest,
        )
        prev = digest
    rows.add(
        AuditChainHead,
        id=1,
        seq=0,
        hash="",
        head_mac="",
        key_id="",
        algorithm="",
        v1_seq=len(audit),
        v1_hash=prev,
        carried=False,
    )
    print("loading:", flush=True)
    rows.write(
        [
            Enterprise,
            Account,
            Balance,
            ZoneBalance,
            ZoneDailyChange,
            Posting,
            Transfer,
            TransferOrigin,
            AuditEvent,
            AuditChainHead,
        ]
    )
    from totalquota.audit.chain import chain_pending

    start = time.perf_counter()
    linked = chain_pending()
    print(
        f"  {'audit chain (carried over)':<28} {linked:>10,} links {time.perf_counter() - start:6.1f} s",
        flush=True,
    )
    return {
        "transfers": transfers,
        "accounts": ids["account"],
        "postings": ids["posting"],
        "projects": project,
        "enterprises": enterprises,
    }


def main(argv: list[str] | None = None) -> dict[str, int]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--transfers", type=int, default=1_120_000, help="about this many transfers")
    parser.add_argument("--enterprises", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args(argv)
    url = recreate(args.db)
    start_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    figures = generate(args.transfers, args.enterprises, args.seed)
    print(
        f"generated {figures['transfers']:,} transfers, {figures['accounts']:,} accounts, {figures['postings']:,} "
        f"postings for {figures['enterprises']:,} enterprises in {time.perf_counter() - started:.0f} s into {url}"
    )
    return figures


if __name__ == "__main__":
    main()
