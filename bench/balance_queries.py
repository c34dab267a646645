"""Balance queries on the ten-year, million-transfer ledger (run ``python -m bench.generate`` first).

    python -m bench.balance_queries            # PostgreSQL
    python -m bench.balance_queries --db sqlite

Targets: the current zone x pollutant balance under 2 ms median; a zone's balance as of a past
date under 50 ms median. Each is also printed as a ratio to a reference measured in the same run
(fetching one account row by primary key through the ORM), so machines can be compared. When a
target is missed the query plan is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random

from bench._setup import database_url, median_ms, start_django, table

TARGET_CURRENT_MS = 2.0
TARGET_AS_OF_MS = 50.0


def main(argv: list[str] | None = None) -> list[tuple]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args(argv)
    start_django(database_url(args.db))
    from django.db import connection

    from totalquota.ledger import selectors
    from totalquota.ledger.models import Account, Transfer, ZoneBalance, ZoneDailyChange
    from totalquota.registry.models import Pollutant, Zone

    transfers = Transfer.objects.count()
    if transfers == 0:
        raise SystemExit("the benchmark database is empty: run python -m bench.generate first")
    zones = list(Zone.objects.all())
    vocs = Pollutant.objects.get(code="VOCS")
    rng = random.Random(1)
    days = [dt.date(2016, 1, 1) + dt.timedelta(days=rng.randrange(3650)) for _ in range(64)]
    account_ids = list(Account.objects.values_list("pk", flat=True)[:1000])

    reference = median_ms(lambda: Account.objects.get(pk=rng.choice(account_ids)), args.repeat)
    current = median_ms(lambda: selectors.zone_balance(rng.choice(zones), vocs), args.repeat)
    as_of_one = median_ms(
        lambda: selectors.zone_balance_as_of(rng.choice(zones), rng.choice(days), vocs), args.repeat
    )
    as_of_all = median_ms(
        lambda: selectors.zone_balance_as_of(rng.choice(zones), rng.choice(days)), max(30, args.repeat // 5)
    )
    park = median_ms(lambda: selectors.park_balance(vocs), args.repeat)
    rows = [
        ("reference: one account by primary key", f"{reference:.3f}", "1.0", ""),
        (
            "current zone x pollutant balance",
            f"{current:.3f}",
            f"{current / reference:.1f}",
            f"< {TARGET_CURRENT_MS} ms",
        ),
        ("current park balance (one pollutant)", f"{park:.3f}", f"{park / reference:.1f}", ""),
        (
            "zone balance as of a date, one pollutant",
            f"{as_of_one:.3f}",
            f"{as_of_one / reference:.1f}",
            f"< {TARGET_AS_OF_MS} ms",
        ),
        (
            "zone balance as of a date, all pollutants",
            f"{as_of_all:.3f}",
            f"{as_of_all / reference:.1f}",
            f"< {TARGET_AS_OF_MS} ms",
        ),
    ]
    print(
        f"{connection.vendor}: {transfers:,} transfers, {ZoneDailyChange.objects.count():,} daily rows; medians in ms"
    )
    print(table(rows, ("query", "median ms", "x reference", "target")))
    missed = []
    if current >= TARGET_CURRENT_MS:
        missed.append(str(ZoneBalance.objects.filter(zone=zones[0], pollutant=vocs).explain()))
    if max(as_of_one, as_of_all) >= TARGET_AS_OF_MS:
        qs = ZoneDailyChange.objects.filter(zone=zones[0], day__lte=days[0])
        missed.append(str(qs.explain(**({"analyze": True} if connection.vendor == "postgresql" else {}))))
    for plan in missed:
        print("TARGET MISSED; plan:\n" + plan)
    if not missed:
        print("all targets met")
    return rows


if __name__ == "__main__":
    main()
