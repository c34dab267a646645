"""Opening units' accounts at once: the cost of hashing their one-time passwords.

    python -m bench.unit_accounts                  # 240 units, PostgreSQL
    python -m bench.unit_accounts --db sqlite --units 60

Opens ``--units`` accounts three times through ``accounts.services.unit_accounts_create``, each
time for fresh units of the register: with the passwords hashed by nothing (the reference: the
checks, the inserts and the audit events alone), by the one-time hasher (``accounts.hashers``,
what the platform does) and by Django's default argon2 (what it did before). Each figure is wall
time, also printed as a ratio to the reference. A web worker has 120 s (gunicorn's timeout) for
the whole request.

Uses its own database (``bench_unit_accounts`` on the local server or a file in /tmp, see
bench/_setup.py), recreated on every run.
"""

from __future__ import annotations

import argparse
import time
from unittest import mock

from bench._setup import recreate, start_django, table

DB_NAME = "bench_unit_accounts"
WORKER_TIMEOUT_S = 120


def main(argv: list[str] | None = None) -> list[tuple]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--units", type=int, default=240)
    args = parser.parse_args(argv)
    start_django(recreate(args.db, DB_NAME))
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from totalquota.accounts import services
    from totalquota.accounts.models import User
    from totalquota.accounts.roles import Role
    from totalquota.lib import uscc
    from totalquota.registry.models import Enterprise, Park, Zone

    admin = User.objects.create(username="bench-runner", role=Role.ADMIN)
    park = Park.objects.get_or_create(code="SIP", defaults={"name": "苏州工业园区"})[0]
    zone = Zone.objects.create(park=park, code="Z1", name="基准功能区", sort_order=1)

    def fresh_units(run: int) -> list[Enterprise]:
        units = []
        for i in range(args.units):
            code = uscc.complete(f"91320594M{run}{i:07d}")
            units.append(
                Enterprise(
                    name=f"基准单位{run}-{i}有限公司", uscc=code, permit_number=f"{code}001V", zone=zone
                )
            )
        return Enterprise.objects.bulk_create(units)

    def seconds(run: int, hash_with) -> float:
        units = fresh_units(run)
        with mock.patch.object(services, "_one_time_hash", hash_with):
            start = time.perf_counter()
            issued = services.unit_accounts_create(actor=admin.principal, enterprises=units)
            elapsed = time.perf_counter() - start
        assert len(issued) == args.units
        return elapsed

    reference = seconds(1, lambda password: make_password(None))  # an unusable password: no hash
    one_time = seconds(2, services._one_time_hash)
    default = seconds(3, make_password)
    algorithms = sorted(
        {
            p.split("$", 1)[0]
            for p in User.objects.exclude(pk=admin.pk).values_list("password", flat=True)
            if "$" in p
        }
    )
    rows = [
        ("reference: no hashing", f"{reference:.2f}", "1.0", f"{reference / args.units * 1000:.1f}"),
        (
            "one-time hasher (now)",
            f"{one_time:.2f}",
            f"{one_time / reference:.1f}",
            f"{one_time / args.units * 1000:.1f}",
        ),
        (
            "default argon2 (before)",
            f"{default:.2f}",
            f"{default / reference:.1f}",
            f"{default / args.units * 1000:.1f}",
        ),
    ]
    print(f"{args.db}: {args.units} units' accounts opened at once, per run; stored: {', '.join(algorithms)}")
    print(table(rows, ("passwords hashed by", "seconds", "x reference", "ms per account")))
    print(f"before / now: {default / one_time:.1f} x; a web worker has {WORKER_TIMEOUT_S} s")
    return rows


if __name__ == "__main__":
    main()
