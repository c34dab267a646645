"""Posting rate of single allocations, against plain SQL inserts and against django-hordak.

    python -m bench.posting_rate                 # both databases and hordak; about ten minutes
    python -m bench.posting_rate --n 300 --quick # a smaller run

One allocation = one ``ledger.services.draw`` in its own transaction: lock the zone row and the
lots' balance rows, pick lots oldest first, write the posting, its transfers and their origins,
update balances, the zone row and the daily change, and append the hash-chained audit event.

Reference, measured in the same run on the same database: the rows those allocations inserted
(postings, transfers, origins, audit events) inserted again with plain SQL INSERTs into tables of
the same shape and indexes holding the same rows as the real tables did before the run (so on the
million-transfer database the reference, too, inserts into indexes of a million rows), one
transaction per allocation. The figure is the ratio of rates
(ours / plain SQL); the goal is at least 0.3.

django-hordak 2.0 (a well-known Django double-entry ledger) gets the same workload on PostgreSQL:
the same lots, oldest first by balance, one transfer per lot part, one transaction per allocation.
Both run on fresh databases of the same size; ours must post faster while doing more (locks,
origins, zone rows, daily changes, audit). Our rate on the ten-year, million-transfer database
(``python -m bench.generate``) is reported too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from decimal import Decimal

from bench._setup import ROOT, allocate, database_url, fund_lot, recreate, start_django, table

LOTS = 600
LOT_GRAMS = 100_000  # 0.1 t per lot; every fifth allocation spans two lots


def _pollutant_zone():
    from totalquota.registry.models import Park, Pollutant, Zone

    pollutant = Pollutant.objects.get(code="VOCS")
    zone = Zone.objects.filter(code="HMT").first()
    if zone is None:
        park = Park.objects.get_or_create(code="SIP", defaults={"name": "苏州工业园区"})[0]
        zone = Zone.objects.create(park=park, code="HMT", name="高端制造与国际贸易区", sort_order=1)
    return pollutant, zone


def _admin():
    from totalquota.accounts.models import User

    return User.objects.get_or_create(username="bench-runner", defaults={"role": "admin"})[0]


def _plain_tables(connection, tables: list[str], *, rows_before: dict[str, int]) -> dict[str, str]:
    """Scratch copies (same columns and indexes, no triggers or foreign keys) of ``tables``, each
    holding the rows the real table held before the measured allocations (ids below
    ``rows_before[name]``), so the reference inserts into tables and indexes of the same size."""
    copies = {}
    with connection.cursor() as cursor:
        for name in tables:
            copy = f"plain_{name}"
            copies[name] = copy
            cursor.execute(f'DROP TABLE IF EXISTS "{copy}"')
            if connection.vendor == "postgresql":
                cursor.execute(f'CREATE TABLE "{copy}" (LIKE "{name}" INCLUDING ALL)')
                cursor.execute(
                    f'INSERT INTO "{copy}" SELECT * FROM "{name}" WHERE id < %s', [rows_before[name]]
                )
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{copy}\"', 'id'), "
                    f'(SELECT COALESCE(MAX(id), 0) + 1 FROM "{copy}"), false)'
                )
                cursor.execute(f'ANALYZE "{copy}"')
            else:
                cursor.execute(
                    "SELECT sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL", [name]
                )
                for (sql,) in cursor.fetchall():
                    if sql.upper().startswith(("CREATE TABLE", "CREATE INDEX", "CREATE UNIQUE INDEX")):
                        sql = sql.replace(f'"{name}"', f'"{copy}"')
                        sql = sql.replace('CREATE INDEX "', f'CREATE INDEX "{copy}_').replace(
                            'CREATE UNIQUE INDEX "', f'CREATE UNIQUE INDEX "{copy}_'
                        )
                        cursor.execute(sql)
                cursor.execute(
                    f'INSERT INTO "{copy}" SELECT * FROM "{name}" WHERE id < %s', [rows_before[name]]
                )
    return copies


def ours(args) -> dict[str, float]:
    """Run inside a worker process whose Django points at the database to measure."""
    from django.db import connection, transaction

    from totalquota.audit.models import AuditEvent
    from totalquota.ledger import services
    from totalquota.ledger.models import Posting, Transfer, TransferOrigin

    pollutant, zone = _pollutant_zone()
    admin = _admin()
    day = dt.date(2026, 1, 5)
    batch = time.time_ns()
    # This quarter's intake: fresh lots to draw from (the big database's older lots are used up).
    for n in range(LOTS):
        fund_lot(
            admin=admin,
            zone=zone,
            pollutant=pollutant,
            grams=LOT_GRAMS,
            ref=f"b{batch}-{n}",
            key=f"bench-lot-{batch}-{n}",
            day=day,
        )
    from totalquota.registry.models import Enterprise

    holder = Enterprise.objects.filter(zone=zone).first()
    if holder is None:
        from totalquota.lib import uscc

        code = uscc.complete("91320594MB0000001")
        holder = Enterprise.objects.create(name="基准单位", uscc=code, permit_number=f"{code}001V", zone=zone)
    allocations = [
        services.account_open(
            actor=admin.principal,
            zone=zone,
            pollutant=pollutant,
            kind="allocation",
            holder_enterprise=holder,
            opened_on=day,
        )
        for _ in range(args.n)
    ]
    amounts = [140_000 if i % 5 == 0 else 26_000 for i in range(args.n)]
    run = f"{time.time_ns()}"

    def next_id(model) -> int:
        return (model.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1

    first_posting = next_id(Posting)
    first_audit = next_id(AuditEvent)
    first_ids = {
        "ledger_posting": first_posting,
        "ledger_transfer": next_id(Transfer),
        "ledger_transferorigin": next_id(TransferOrigin),
        "audit_auditevent": first_audit,
    }
    start = time.perf_counter()
    for i, (account, grams) in enumerate(zip(allocations, amounts, strict=True)):
        allocate(
            admin=admin,
            zone=zone,
            pollutant=pollutant,
            grams=grams,
            account=account,
            key=f"bench-{run}-{i}",
            day=day,
        )
    ours_s = time.perf_counter() - start
    postings = list(Posting.objects.filter(id__gte=first_posting).order_by("id").values())
    transfers = list(Transfer.objects.filter(posting_id__gte=first_posting).order_by("id").values())
    origins = list(
        TransferOrigin.objects.filter(transfer__posting_id__gte=first_posting).order_by("id").values()
    )
    events = list(
        AuditEvent.objects.filter(id__gte=first_audit, action="ledger.draw").order_by("id").values()
    )
    assert len(postings) == args.n and len(events) == args.n, (len(postings), len(events))
    by_posting: dict[int, list] = {p["id"]: [] for p in postings}
    transfer_posting = {}
    for t in transfers:
        by_posting[t["posting_id"]].append(("ledger_transfer", t))
        transfer_posting[t["id"]] = t["posting_id"]
    for o in origins:
        by_posting[transfer_posting[o["transfer_id"]]].append(("ledger_transferorigin", o))
    groups = []
    for p, e in zip(postings, events, strict=True):
        groups.append([("ledger_posting", p), *by_posting[p["id"]], ("audit_auditevent", e)])
    copies = _plain_tables(
        connection,
        ["ledger_posting", "ledger_transfer", "ledger_transferorigin", "audit_auditevent"],
        rows_before=first_ids,
    )
    param = "%s"
    prepared = []
    for group in groups:
        statements = []
        for name, row in group:
            row = dict(row)
            row.pop("id")
            for key in ("after", "before"):
                if key in row and row[key] is not None and not isinstance(row[key], str):
                    row[key] = json.dumps(row[key], ensure_ascii=False)
            cols = list(row)
            statements.append(
                (
                    f'INSERT INTO "{copies[name]}" ({", ".join(cols)}) VALUES ({", ".join([param] * len(cols))})',
                    [row[c] for c in cols],
                )
            )
        prepared.append(statements)
    rows_per_allocation = sum(len(s) for s in prepared) / len(prepared)
    start = time.perf_counter()
    for statements in prepared:
        with transaction.atomic(), connection.cursor() as cursor:
            for sql, values in statements:
                cursor.execute(sql, values)
    plain_s = time.perf_counter() - start
    with connection.cursor() as cursor:
        for copy in copies.values():
            cursor.execute(f'DROP TABLE "{copy}"')
    transfers_total = Transfer.objects.count()
    return {
        "ours_s": ours_s,
        "plain_s": plain_s,
        "n": args.n,
        "rows": rows_per_allocation,
        "transfers": transfers_total,
    }


def hordak(args) -> dict[str, float]:
    from django.db import transaction
    from djmoney.money import Money
    from hordak.models import Account as HAccount

    equity = HAccount.objects.create(name="减排来源", type=HAccount.TYPES.equity, currencies=["CNY"])
    lots = []
    for n in range(LOTS):
        lot = HAccount.objects.create(name=f"lot-{n}", type=HAccount.TYPES.asset, currencies=["CNY"])
        equity.transfer_to(lot, Money(Decimal(LOT_GRAMS) / 1_000_000, "CNY"), description="入库")
        lots.append(lot)
    allocations = [
        HAccount.objects.create(name=f"alloc-{i}", type=HAccount.TYPES.asset, currencies=["CNY"])
        for i in range(args.n)
    ]
    amounts = [140_000 if i % 5 == 0 else 26_000 for i in range(args.n)]
    start = time.perf_counter()
    for account, grams in zip(allocations, amounts, strict=True):
        with transaction.atomic():
            remaining = grams
            # hordak's own way to read many balances at once: one query, balances computed by its
            # database function; then the oldest lots with quota left, like our draw.
            for lot in HAccount.objects.filter(name__startswith="lot-").order_by("id").with_balances():
                if not remaining:
                    break
                monies = lot.balance.monies()
                free = round(monies[0].amount * 1_000_000) if monies else 0
                if free <= 0:
                    continue
                take = min(free, remaining)
                lot.transfer_to(account, Money(Decimal(take) / 1_000_000, "CNY"), description="分配")
                remaining -= take
            if remaining:
                raise RuntimeError("hordak ran out of lots")
    return {"hordak_s": time.perf_counter() - start, "n": args.n}


def worker(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["ours", "hordak"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--settings", default="totalquota.settings")
    args = parser.parse_args(argv)
    start_django(args.url, args.settings)
    if args.fresh:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    result = ours(args) if args.what == "ours" else hordak(args)
    print("RESULT " + json.dumps(result))


def _run(what: str, url: str, n: int, *, fresh: bool, settings: str = "totalquota.settings") -> dict:
    command = [
        sys.executable,
        "-m",
        "bench.posting_rate",
        "worker",
        what,
        "--url",
        url,
        "--n",
        str(n),
        "--settings",
        settings,
    ] + (["--fresh"] if fresh else [])
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"{what} on {url} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return json.loads(line[7:])


def main(argv: list[str] | None = None) -> list[tuple]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="allocations per measurement")
    parser.add_argument("--quick", action="store_true", help="skip the million-transfer database")
    parser.add_argument("--skip-hordak", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    for kind in ("postgres", "sqlite"):
        fresh_url = recreate(kind, "bench_fresh")
        result = _run("ours", fresh_url, args.n, fresh=True)
        rows.append(
            (
                f"{kind} (fresh, {LOTS} lots)",
                args.n,
                f"{result['rows']:.1f}",
                f"{args.n / result['ours_s']:.0f}/s",
                f"{args.n / result['plain_s']:.0f}/s",
                f"{result['plain_s'] / result['ours_s']:.2f}",
            )
        )
        if kind == "postgres":
            ours_fresh_pg = result
        if not args.quick:
            url = database_url(kind)
            result = _run("ours", url, args.n, fresh=False)
            rows.append(
                (
                    f"{kind} ({result['transfers']:,} transfers)",
                    args.n,
                    f"{result['rows']:.1f}",
                    f"{args.n / result['ours_s']:.0f}/s",
                    f"{args.n / result['plain_s']:.0f}/s",
                    f"{result['plain_s'] / result['ours_s']:.2f}",
                )
            )
    print("Posting rate of single allocations (one transaction each); goal: ratio >= 0.3")
    print(
        table(
            rows, ("database", "allocations", "rows inserted each", "ours", "plain SQL", "ratio ours/plain")
        )
    )
    if not args.skip_hordak:
        hordak_url = recreate("postgres", "bench_hordak")
        result = _run("hordak", hordak_url, args.n, fresh=True, settings="bench.settings_hordak")
        ours_rate = args.n / ours_fresh_pg["ours_s"]
        hordak_rate = args.n / result["hordak_s"]
        print()
        print(
            "Same workload through django-hordak 2.0 on PostgreSQL (fresh databases, same lots and amounts)"
        )
        print(
            table(
                [
                    ("ours (locks, origins, zone rows, audit)", f"{ours_rate:.0f}/s", "1.00"),
                    ("django-hordak", f"{hordak_rate:.0f}/s", f"{hordak_rate / ours_rate:.2f}"),
                ],
                ("ledger", "allocations", "rate relative to ours"),
            )
        )
        rows.append(
            (
                "hordak vs ours",
                args.n,
                "",
                f"{ours_rate:.0f}/s",
                f"{hordak_rate:.0f}/s",
                f"{ours_rate / hordak_rate:.2f}",
            )
        )
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(sys.argv[2:])
    else:
        main()
